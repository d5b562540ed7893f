/// Opening a process from a template.
public struct OpenProcess: Hashable, Sendable {
    public var process: ProcessID
    public var title: String
    public var reference: String?
    public var template: TemplateID
    /// A specific registered version; the latest when nil.
    public var templateVersion: Int64?
    public var parameters: [String: JSONValue]
    /// Replaces the template's electorate (e.g. an explicit list of coalition members).
    public var electorate: ElectorateSpec?
    public var occurredAt: Instant?

    public init(process: ProcessID = ProcessID(), title: String, reference: String? = nil, template: TemplateID, templateVersion: Int64? = nil,
                parameters: [String: JSONValue] = [:], electorate: ElectorateSpec? = nil, occurredAt: Instant? = nil) {
        self.process = process
        self.title = title
        self.reference = reference
        self.template = template
        self.templateVersion = templateVersion
        self.parameters = parameters
        self.electorate = electorate
        self.occurredAt = occurredAt
    }
}

/// Commands on a process. Each is validated against the process as it stood on the command's effective date
/// and turned into events; nothing is recorded when one is refused.
public enum ProcessCommand: Hashable, Sendable {
    case open(OpenProcess)
    case recordStep(process: ProcessID, step: StepContent, occurredAt: Instant?)
    case castBallot(process: ProcessID, ballot: BallotContent, occurredAt: Instant?)
    case withdrawBallot(process: ProcessID, party: PartyCode, reason: String?, occurredAt: Instant?)
    case setDeadline(process: ProcessID, deadline: DeadlineID, localTime: String, timeZone: String?, reason: String?, occurredAt: Instant?)
    case extendDeadline(process: ProcessID, deadline: DeadlineID, localTime: String, timeZone: String?, reason: String?, occurredAt: Instant?)
    case close(process: ProcessID, note: String?, occurredAt: Instant?)
    case retract(process: ProcessID, entry: EntryID, reason: String)
    case correct(process: ProcessID, entry: EntryID, reason: String, effectiveAt: Instant?, step: StepContent?, ballot: BallotContent?)

    public var process: ProcessID {
        switch self {
        case .open(let o): o.process
        case .recordStep(let p, _, _), .castBallot(let p, _, _), .withdrawBallot(let p, _, _, _), .setDeadline(let p, _, _, _, _, _),
             .extendDeadline(let p, _, _, _, _, _), .close(let p, _, _), .retract(let p, _, _), .correct(let p, _, _, _, _, _):
            p
        }
    }

    /// The party the command records for (what a delegate's scope is checked against).
    public var party: PartyCode? {
        switch self {
        case .recordStep(_, let step, _): step.party
        case .castBallot(_, let ballot, _): ballot.party
        case .withdrawBallot(_, let party, _, _): party
        case .correct(_, _, _, _, let step, let ballot): step?.party ?? ballot?.party
        default: nil
        }
    }

    /// The party whose own entries, with what these commands never change (whether the process is open, its
    /// deadlines, its template, the registry), decide this command: a step, a ballot or a ballot's withdrawal.
    /// Two such commands for different parties do not change each other's decision, so a burst of them can be
    /// decided on one state (a property test holds the validation to this). Nil for any other command.
    public var decidedOnPartyAlone: PartyCode? {
        switch self {
        case .recordStep(_, let step, _): step.party
        case .castBallot(_, let ballot, _): ballot.party
        case .withdrawBallot(_, let party, _, _): party
        default: nil
        }
    }

    /// - Parameters:
    ///   - state: the process as known now (nil when it does not exist).
    ///   - knownProcesses: processes a dependency rule may refer to.
    public func decide(_ state: ProcessState?, registry: Registry, now: Instant, knownProcesses: Set<ProcessID> = []) throws(DomainError) -> [PendingEvent] {
        if case .open(let command) = self {
            guard state == nil else { throw .alreadyExists(what: "process \(command.process)") }
            return [try Self.open(command, registry: registry, now: now, knownProcesses: knownProcesses)]
        }
        guard let state else { throw .unknownProcess(process) }
        switch self {
        case .open:
            return []
        case let .recordStep(_, step, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            let step = try Self.validate(step, in: state, registry: registry, at: at, ignoring: nil)
            return [PendingEvent(.stepRecorded(StepRecorded(process: state.id, step: step)), occurredAt: at)]
        case let .castBallot(_, ballot, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            let ballot = try Self.validate(ballot, in: state, registry: registry, at: at, ignoring: nil)
            return [PendingEvent(.ballotCast(BallotCast(process: state.id, ballot: ballot)), occurredAt: at)]
        case let .withdrawBallot(_, party, reason, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            try Self.checkOpen(state, at: at)
            guard state.definition.ballot != nil else { throw .ballotsNotAccepted(template: state.template.id) }
            let snapshot = ProcessSnapshot(process: state, registry: registry, asOf: at)
            guard snapshot.standing(of: party).ballot != nil else { throw .nothingToWithdraw(party) }
            if let passed = Self.passedSilenceDeadline(snapshot, at: at) {
                throw .invalidValue(field: "occurredAt", reason: "the silence deadline passed at \(passed.display); withdrawing a position no longer has an effect")
            }
            let reason = try TextRules.multiLine(reason, field: "reason")
            return [PendingEvent(.ballotWithdrawn(BallotWithdrawn(process: state.id, party: party, reason: reason)), occurredAt: at)]
        case let .setDeadline(_, id, localTime, timeZone, reason, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            try Self.checkOpen(state, at: at)
            guard let definition = state.definition.deadline(id) else {
                throw .unknownDeadline(id, known: state.definition.deadlines.map(\.id))
            }
            let value = try ZonedTime.instant(local: localTime, zone: timeZone ?? definition.timeZone)
            let reason = try TextRules.multiLine(reason, field: "reason")
            return [PendingEvent(.deadlineSet(DeadlineSet(process: state.id, deadline: id, value: value, reason: reason)), occurredAt: at)]
        case let .extendDeadline(_, id, localTime, timeZone, reason, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            try Self.checkOpen(state, at: at)
            guard state.definition.deadline(id) != nil else {
                throw .unknownDeadline(id, known: state.definition.deadlines.map(\.id))
            }
            guard let current = state.deadlines[id]?.value(asOf: at) else {
                throw .deadlineNotExtendable(id, reason: "it was not set")
            }
            guard at < current.value.at else {
                throw .deadlineNotExtendable(id, reason: "it already passed at \(current.value.display)")
            }
            let value = try ZonedTime.instant(local: localTime, zone: timeZone ?? current.value.timeZone)
            guard value.at > current.value.at else {
                throw .deadlineNotExtendable(id, reason: "the new deadline \(value.display) is not later than \(current.value.display)")
            }
            let reason = try TextRules.multiLine(reason, field: "reason")
            return [PendingEvent(.deadlineExtended(DeadlineExtended(process: state.id, deadline: id, value: value, reason: reason)), occurredAt: at)]
        case let .close(_, note, occurredAt):
            let at = occurredAt ?? now
            try TimeRules.notInFuture(at, now: now)
            if let closedAt = state.closedAt { throw .processClosed(at: closedAt) }
            guard at >= state.openedAt else { throw .beforeProcessOpened(occurredAt: at, openedAt: state.openedAt) }
            let note = try TextRules.multiLine(note, field: "note")
            return [PendingEvent(.processClosed(ProcessClosed(process: state.id, note: note)), occurredAt: at)]
        case let .retract(_, entry, reason):
            guard let kind = state.entryKind(entry) else { throw .unknownEntry(entry) }
            if state.isRetracted(entry) { throw .entryAlreadyRetracted(entry) }
            let reason = try TextRules.singleLine(reason, field: "reason", maximum: DomainLimits.maximumNoteLength)
            let effective = Self.effectiveAt(of: entry, kind: kind, in: state) ?? now
            return [PendingEvent(.entryRetracted(EntryRetracted(process: state.id, entry: entry, reason: reason)), occurredAt: effective)]
        case let .correct(_, entry, reason, effectiveAt, step, ballot):
            guard let kind = state.entryKind(entry) else { throw .unknownEntry(entry) }
            if state.isRetracted(entry) { throw .entryAlreadyRetracted(entry) }
            let reason = try TextRules.singleLine(reason, field: "reason", maximum: DomainLimits.maximumNoteLength)
            switch kind {
            case .step:
                guard let original = state.steps[entry] else { throw .unknownEntry(entry) }
                guard let step, ballot == nil else {
                    throw .invalidValue(field: "step", reason: "a correction of a stage step gives the corrected step")
                }
                let at = effectiveAt ?? original.effectiveAt
                try TimeRules.notInFuture(at, now: now)
                let checked = try Self.validate(step, in: state, registry: registry, at: at, ignoring: entry)
                return [PendingEvent(.entryCorrected(EntryCorrected(process: state.id, entry: entry, reason: reason, effectiveAt: at, step: checked, ballot: nil)),
                                     occurredAt: at)]
            case .ballot:
                guard let original = state.ballots[entry], case .cast = original.original.content else {
                    throw .entryNotCorrectable(entry, kind: "withdrawal of a position")
                }
                guard let ballot, step == nil else {
                    throw .invalidValue(field: "ballot", reason: "a correction of a ballot gives the corrected ballot")
                }
                let at = effectiveAt ?? original.effectiveAt
                try TimeRules.notInFuture(at, now: now)
                let checked = try Self.validate(ballot, in: state, registry: registry, at: at, ignoring: entry)
                return [PendingEvent(.entryCorrected(EntryCorrected(process: state.id, entry: entry, reason: reason, effectiveAt: at, step: nil, ballot: checked)),
                                     occurredAt: at)]
            case .deadline, .closure:
                throw .entryNotCorrectable(entry, kind: kind.rawValue)
            }
        }
    }

    // MARK: Opening

    static func open(_ command: OpenProcess, registry: Registry, now: Instant, knownProcesses: Set<ProcessID>) throws(DomainError) -> PendingEvent {
        let at = command.occurredAt ?? now
        try TimeRules.notInFuture(at, now: now)
        let title = try TextRules.singleLine(command.title, field: "title", maximum: 200)
        let reference = try TextRules.optionalLine(command.reference, field: "reference", maximum: 200)
        let version: TemplateVersion
        if let wanted = command.templateVersion {
            guard registry.templates[command.template] != nil else { throw .unknownTemplate(command.template) }
            guard let v = registry.template(command.template, version: wanted) else { throw .unknownTemplateVersion(command.template, version: wanted) }
            version = v
        } else {
            guard let v = registry.latestTemplate(command.template) else { throw .unknownTemplate(command.template) }
            version = v
        }
        let (template, parameters) = try TemplateCompiler.resolve(version.definition, parameters: command.parameters)
        let electorate = command.electorate ?? template.electorate
        var frozen: [PartyCode]?
        switch electorate {
        case let .body(body, mode):
            guard let record = registry.bodies[body] else { throw .unknownBody(body) }
            if mode == .frozenAtOpening { frozen = record.members(at: at) }
        case .parties(let parties):
            guard !parties.isEmpty else { throw .invalidValue(field: "electorate", reason: "lists at least one party") }
            for party in parties where registry.parties[party] == nil { throw .unknownParty(party) }
        }
        for rule in template.rules {
            switch rule.condition {
            case .qualifiedMajority(let r):
                if case .table(let id) = r.weights, registry.weightTables[id] == nil { throw .unknownWeightTable(id) }
            case .constructiveAbstention(let r):
                if case .table(let id) = r.weights, registry.weightTables[id] == nil { throw .unknownWeightTable(id) }
            case .dependency(let d):
                guard knownProcesses.contains(d.process) else { throw .unknownProcess(d.process) }
                guard d.process != command.process else {
                    throw .invalidParameter(name: "process", reason: "a process cannot depend on itself")
                }
            case .nOfM(let r):
                for party in r.required where registry.parties[party] == nil { throw .unknownParty(party) }
            default:
                break
            }
        }
        var resolved = template
        resolved.electorate = electorate
        return PendingEvent(
            .processOpened(ProcessOpened(
                process: command.process, title: title, reference: reference,
                template: PinnedTemplate(id: version.id, version: version.version, contentHash: version.contentHash),
                definition: resolved, parameters: parameters, electorate: electorate, frozenMembers: frozen)),
            occurredAt: at)
    }

    // MARK: Steps

    static func checkOpen(_ state: ProcessState, at: Instant) throws(DomainError) {
        if let closedAt = state.closedAt, at >= closedAt { throw .processClosed(at: closedAt) }
    }

    static func checkElector(_ party: PartyCode, _ state: ProcessState, registry: Registry, at: Instant) throws(DomainError) {
        guard registry.parties[party] != nil else { throw .unknownParty(party) }
        let electorate = state.electorate(asOf: at, registry: registry)
        guard electorate.contains(party) else {
            let description: String
            switch state.electorate {
            case .body(let body, let mode):
                description = "members of \(registry.bodies[body]?.name ?? body.rawValue)" + (mode == .frozenAtOpening ? " when the process opened" : "")
            case .parties(let parties):
                description = parties.map(\.rawValue).joined(separator: ", ")
            }
            throw .partyNotInElectorate(party, on: at.utcDate, electorate: description)
        }
    }

    /// The process with one entry taken out, to check a correction as if the entry had never been recorded.
    static func without(_ entry: EntryID?, _ state: ProcessState) -> ProcessState {
        guard let entry else { return state }
        return state.without(entry)
    }

    static func validate(_ step: StepContent, in original: ProcessState, registry: Registry, at: Instant, ignoring: EntryID?) throws(DomainError) -> StepContent {
        let state = without(ignoring, original)
        try checkOpen(state, at: at)
        try checkElector(step.party, state, registry: registry, at: at)
        let template = state.definition
        guard let stage = template.stage(step.stage) else {
            throw .unknownStage(step.stage, template: state.template.id, known: template.stages.map(\.id))
        }
        var step = step
        step.source = try TextRules.source(step.source)
        step.note = try TextRules.multiLine(step.note, field: "note")
        step.details = try validate(step.details, for: stage)

        let snapshot = ProcessSnapshot(process: state, registry: registry, asOf: at)
        let standing = snapshot.standing(of: step.party)
        if standing.isOut, let current = standing.currentStage { throw .partyIsOut(step.party, stage: current) }
        let allowed = template.allowedNextStages(after: standing.currentStage)
        guard allowed.contains(stage.id) else {
            let rule = template.transitions != nil
                ? "transitions.\(standing.currentStage?.rawValue ?? "start")"
                : "stages: '\(stage.id)' does not follow '\(standing.currentStage?.rawValue ?? "start")' in the ladder"
            throw .transitionNotAllowed(party: step.party, from: standing.currentStage, to: stage.id, allowed: allowed, rule: rule)
        }
        let attributes = registry.attributes(of: step.party, at: at)
        for requirement in stage.requires where requirement.when?.holds(for: attributes) ?? true {
            guard standing.holds(requirement.stage) else {
                let condition = requirement.when.map { " (because \(step.party): \($0.summary))" } ?? ""
                throw .requirementNotMet(party: step.party, stage: stage.id, requires: requirement.stage,
                                         rule: "stages.\(stage.id).requires.\(requirement.stage)" + condition)
            }
        }
        if stage.kind == .deployment, let troops = step.details?.deployment?.troopsDeployed,
           let maximum = standing.mandate?.maxTroops, troops > maximum {
            throw .exceedsMandate(party: step.party, troops: troops, maximum: maximum)
        }
        if let end = step.details?.parliamentary?.mandate?.endDate, end < at.utcDate {
            throw .invalidValue(field: "details.parliamentary.mandate.endDate", reason: "\(end) is before the approval itself (\(at.utcDate))")
        }
        return step
    }

    static func validate(_ details: StepDetails?, for stage: StageDefinition) throws(DomainError) -> StepDetails? {
        let details = details ?? .none
        func refuse(_ given: String) -> DomainError { .detailsNotAllowed(stage: stage.id, kind: stage.kind, given: given) }
        if stage.kind != .parliamentary, details.parliamentary != nil { throw refuse("parliamentary") }
        if stage.kind != .pledge, details.pledge != nil { throw refuse("pledge") }
        if stage.kind != .deployment, details.deployment != nil { throw refuse("deployment") }
        if stage.kind != .withdrawal, details.withdrawal != nil { throw refuse("withdrawal") }
        var out = details
        switch stage.kind {
        case .plain:
            return nil
        case .parliamentary:
            guard var p = details.parliamentary else { throw .detailsRequired(stage: stage.id, kind: stage.kind) }
            p.chamber = try TextRules.singleLine(p.chamber, field: "details.parliamentary.chamber", maximum: 200)
            try NumberRules.votes(p.votesFor, field: "details.parliamentary.votesFor")
            try NumberRules.votes(p.votesAgainst, field: "details.parliamentary.votesAgainst")
            try NumberRules.votes(p.abstaining, field: "details.parliamentary.abstaining")
            if var m = p.mandate {
                if let max = m.maxTroops { try NumberRules.troops(max, field: "details.parliamentary.mandate.maxTroops") }
                m.area = try TextRules.optionalLine(m.area, field: "details.parliamentary.mandate.area")
                p.mandate = m
            }
            out.parliamentary = p
        case .pledge:
            guard var pledge = details.pledge else { throw .detailsRequired(stage: stage.id, kind: stage.kind) }
            try NumberRules.troops(pledge.troops, field: "details.pledge.troops")
            pledge.conditions = try TextRules.list(pledge.conditions, field: "details.pledge.conditions")
            pledge.caveats = try TextRules.list(pledge.caveats, field: "details.pledge.caveats")
            guard pledge.capabilities.count <= CapabilityComponent.allCases.count * 4 else {
                throw .invalidValue(field: "details.pledge.capabilities", reason: "too many capabilities")
            }
            for (i, c) in pledge.capabilities.enumerated() {
                pledge.capabilities[i].description = try TextRules.optionalLine(c.description, field: "details.pledge.capabilities[\(i)].description")
            }
            out.pledge = pledge
        case .deployment:
            guard var d = details.deployment else { throw .detailsRequired(stage: stage.id, kind: stage.kind) }
            try NumberRules.troops(d.troopsDeployed, field: "details.deployment.troopsDeployed")
            d.location = try TextRules.singleLine(d.location, field: "details.deployment.location", maximum: 200)
            out.deployment = d
        case .withdrawal:
            if var w = details.withdrawal {
                if let n = w.troopsWithdrawn { try NumberRules.troops(n, field: "details.withdrawal.troopsWithdrawn") }
                w.reason = try TextRules.multiLine(w.reason, field: "details.withdrawal.reason")
                out.withdrawal = w
            }
        }
        return out.isEmpty ? nil : out
    }

    // MARK: Ballots

    static func validate(_ ballot: BallotContent, in original: ProcessState, registry: Registry, at: Instant, ignoring: EntryID?) throws(DomainError) -> BallotContent {
        let state = without(ignoring, original)
        guard let configuration = state.definition.ballot else { throw .ballotsNotAccepted(template: state.template.id) }
        try checkOpen(state, at: at)
        try checkElector(ballot.party, state, registry: registry, at: at)
        guard configuration.positions.contains(ballot.position) else {
            throw .positionNotAllowed(ballot.position, allowed: configuration.positions)
        }
        var ballot = ballot
        ballot.statement = try TextRules.multiLine(ballot.statement, field: "statement")
        ballot.source = try TextRules.source(ballot.source)
        ballot.note = try TextRules.multiLine(ballot.note, field: "note")
        let needs: String? = switch ballot.position {
        case .qualifiedAbstention: "a formal declaration"
        case .veto: "a justification"
        case .conditionalYes: "the condition"
        case .yesWithReservation: "the reservation"
        default: nil
        }
        if let needs, ballot.statement == nil { throw .statementRequired(ballot.position, what: needs) }
        let snapshot = ProcessSnapshot(process: state, registry: registry, asOf: at)
        if !configuration.changeable, ignoring == nil, snapshot.standing(of: ballot.party).ballot != nil || state.ballots.values.contains(where: {
            $0.isActive && $0.current.content.party == ballot.party
        }) {
            throw .voteNotChangeable
        }
        if ballot.position.isOpposing, let passed = passedSilenceDeadline(snapshot, at: at) {
            throw .objectionAfterDeadline(deadline: passed, occurredAt: at)
        }
        return ballot
    }

    /// The silence deadline that had passed by `at`, if the template runs a silence procedure.
    static func passedSilenceDeadline(_ snapshot: ProcessSnapshot, at: Instant) -> DeadlineValue? {
        for rule in snapshot.process.definition.rules {
            guard case .silenceProcedure(let id) = rule.condition, let deadline = snapshot.deadlines[id] else { continue }
            if at >= deadline.value.at { return deadline.value }
        }
        return nil
    }

    static func effectiveAt(of entry: EntryID, kind: EntryKind, in state: ProcessState) -> Instant? {
        switch kind {
        case .step: state.steps[entry]?.effectiveAt
        case .ballot: state.ballots[entry]?.effectiveAt
        case .closure: state.closures.first { $0.id == entry }?.effectiveAt
        case .deadline: state.deadlines.values.flatMap(\.changes).first { $0.entry == entry }?.effectiveAt
        }
    }
}
