import AccordDomain
import AccordEventStore

/// Answers every read "as of" an effective date and "as known at" a log position or recorded time. Evaluation
/// runs outside the log's actor on value copies; results are cached until the next write or the next instant
/// at which they could change by themselves (a deadline passing).
public struct QueryService: Sendable {
    public let log: DomainLog
    public let clock: any WallClock
    /// Evaluations, each valid over a span of "as of" instants.
    let evaluations = PositionCache<[EvaluationSpan]>(capacity: 4096)
    /// Progress samples for every instant a process could change.
    let progress = PositionCache<[Instant: [ProgressSample]]>(capacity: 256)

    public init(log: DomainLog, clock: any WallClock) {
        self.log = log
        self.clock = clock
    }

    // MARK: Evaluation

    public func view(knownAt cutoff: KnowledgeCutoff) async -> LogView {
        await log.view(knownAt: cutoff)
    }

    /// Evaluates a process with the processes it depends on (evaluated the same way; cycles are cut).
    public func evaluation(_ id: ProcessID, in view: LogView, asOf: Instant, cutoff: KnowledgeCutoff) async -> ProcessEvaluation? {
        await evaluation(id, in: view, asOf: asOf, cutoff: cutoff, visiting: [])?.evaluation
    }

    /// The evaluation and the span of "as of" instants over which it holds, apart from `asOf` itself: from when
    /// it was computed (or cached) until its own next change or a dependency's.
    private func evaluation(_ id: ProcessID, in view: LogView, asOf: Instant, cutoff: KnowledgeCutoff, visiting: Set<ProcessID>)
        async -> (evaluation: ProcessEvaluation, from: Instant, until: Instant)?
    {
        guard let process = view.processes[id] else { return nil }
        let key = PositionCache<[EvaluationSpan]>.Key(process: id, position: view.position, cutoff: cutoff)
        if let span = await evaluations.value(for: key)?.first(where: { $0.from <= asOf && asOf < $0.until }) {
            var evaluation = span.evaluation
            evaluation.asOf = asOf
            return (evaluation, span.from, span.until)
        }
        var dependencies: [ProcessID: DependencyTimeline] = [:]
        var until = Instant.distantFuture
        for rule in process.definition.rules {
            guard case .dependency(let d) = rule.condition, !visiting.contains(d.process), d.process != id else { continue }
            if let other = await evaluation(d.process, in: view, asOf: asOf, cutoff: cutoff, visiting: visiting.union([id])) {
                dependencies[d.process] = other.evaluation.dependencyTimeline
                until = min(until, other.until)
            }
        }
        let evaluation = ProcessEvaluator.evaluate(process, registry: view.registry, asOf: asOf, dependencies: dependencies)
        until = min(until, ProcessEvaluator.nextChange(after: asOf, of: evaluation, process: process, registry: view.registry, dependencies: dependencies))
        await evaluations.append(EvaluationSpan(from: asOf, until: until, evaluation: evaluation), for: key)
        return (evaluation, asOf, until)
    }

    public func requireProcess(_ id: ProcessID, in view: LogView) throws(ServiceError) -> ProcessState {
        guard let process = view.processes[id] else { throw .notFound("process \(id)") }
        return process
    }

    // MARK: Processes

    public func summary(of process: ProcessState, evaluation: ProcessEvaluation, registry: Registry) -> ProcessSummary {
        let template = registry.template(process.template.id, version: process.template.version)
        let rules = evaluation.results.map {
            RuleSummary(rule: $0.rule, label: $0.label, status: $0.status, headline: $0.headline, since: $0.since)
        }
        return ProcessSummary(
            id: process.id, title: process.title, reference: process.reference,
            template: TemplateRef(id: process.template.id, version: process.template.version,
                                  name: template?.name ?? process.definition.name, contentHash: process.template.contentHash),
            openedAt: process.openedAt, closedAt: process.closedAt(asOf: evaluation.asOf), version: process.streamVersion,
            electorateSize: process.electorate(asOf: evaluation.asOf, registry: registry).count,
            decision: rules.first { $0.rule == evaluation.decision }, rules: rules, asOf: evaluation.asOf)
    }

    public func processes(asOf: Instant, cutoff: KnowledgeCutoff, template: TemplateID? = nil, party: PartyCode? = nil,
                          includeClosed: Bool = true) async -> [ProcessSummary] {
        let view = await view(knownAt: cutoff)
        var out: [ProcessSummary] = []
        for process in view.processes.values.sorted(by: { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }) {
            if let template, process.template.id != template { continue }
            if !includeClosed, process.closedAt(asOf: asOf) != nil { continue }
            if let party, !process.electorate(asOf: asOf, registry: view.registry).contains(party),
               !process.steps.values.contains(where: { $0.current.content.party == party }) { continue }
            guard let evaluation = await evaluation(process.id, in: view, asOf: asOf, cutoff: cutoff) else { continue }
            out.append(summary(of: process, evaluation: evaluation, registry: view.registry))
        }
        return out
    }

    public func detail(_ id: ProcessID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> ProcessDetail {
        let view = await view(knownAt: cutoff)
        let process = try requireProcess(id, in: view)
        guard let evaluation = await evaluation(id, in: view, asOf: asOf, cutoff: cutoff) else { throw .notFound("process \(id)") }
        let snapshot = ProcessSnapshot(process: process, registry: view.registry, asOf: asOf)
        let deadlines = process.definition.deadlines.compactMap { def -> DeadlineView? in
            guard let change = snapshot.deadlines[def.id] else { return nil }
            return DeadlineView(id: def.id, label: def.label, at: change.value.at, timeZone: change.value.timeZone,
                                localTime: change.value.localTime, passed: asOf >= change.value.at,
                                extensions: process.deadlines[def.id]?.changes.filter { !$0.retracted && $0.isExtension && $0.effectiveAt <= asOf }.count ?? 0)
        }
        return ProcessDetail(
            summary: summary(of: process, evaluation: evaluation, registry: view.registry), description: process.definition.description,
            parameters: process.parameters, electorate: snapshot.electorate, electorateSpec: process.electorate,
            stages: process.definition.stages, ballotPositions: process.definition.ballot?.positions ?? [], deadlines: deadlines,
            rules: process.definition.rules, results: evaluation.results, knownAtPosition: view.position)
    }

    public func results(_ id: ProcessID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> ProcessEvaluation {
        try await reusableResults(id, asOf: asOf, cutoff: cutoff).evaluation
    }

    /// A process's results with what identifies them apart from `asOf`: the log position they reflect, the
    /// cut-off, and the span of "as of" instants over which they are the same. An adapter may keep its
    /// rendering of them (the HTTP API keeps the JSON) under that identity.
    public struct ReusableResults: Sendable {
        public var evaluation: ProcessEvaluation
        public var position: Int64
        public var validFrom: Instant
        public var validUntil: Instant
    }

    public func reusableResults(_ id: ProcessID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> ReusableResults {
        let view = await view(knownAt: cutoff)
        _ = try requireProcess(id, in: view)
        guard let found = await evaluation(id, in: view, asOf: asOf, cutoff: cutoff, visiting: []) else { throw .notFound("process \(id)") }
        return ReusableResults(evaluation: found.evaluation, position: view.position, validFrom: found.from, validUntil: found.until)
    }

    // MARK: Matrix

    public func matrix(_ id: ProcessID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> StatusMatrix {
        let view = await view(knownAt: cutoff)
        let process = try requireProcess(id, in: view)
        let snapshot = ProcessSnapshot(process: process, registry: view.registry, asOf: asOf)
        let electorate = Set(snapshot.electorate)
        // Parties that recorded something but are no longer electors still appear, marked as such.
        let parties = electorate.union(snapshot.standings.keys).sorted()
        let rows = parties.map { party -> MatrixRow in
            let standing = snapshot.standing(of: party)
            let cells = process.definition.stages.map { stage -> MatrixCell in
                let held = standing.held[stage.id]
                let step = held.flatMap { process.steps[$0.entry] } ?? standing.lastStep(at: stage.id)
                return MatrixCell(stage: stage.id, held: held != nil, since: held?.since ?? step?.effectiveAt, entry: held?.entry ?? step?.id,
                                  source: step?.current.content.source, note: step?.current.content.note, expired: standing.expired[stage.id])
            }
            return MatrixRow(
                party: party, name: snapshot.partyName(party), inElectorate: electorate.contains(party), currentStage: standing.currentStage,
                currentSince: standing.current?.effectiveAt, isOut: standing.isOut, cells: cells, pledge: standing.pledge,
                deployedTroops: standing.deployedTroops, ballot: ballotView(standing, process: process))
        }
        return StatusMatrix(
            process: id, title: process.title, asOf: asOf, knownAtPosition: view.position,
            stages: process.definition.stages.map { StageColumn(id: $0.id, label: $0.label, outcome: $0.outcome) }, rows: rows)
    }

    func ballotView(_ standing: PartyStanding, process: ProcessState) -> BallotView? {
        guard let ballot = standing.ballot, let entryID = standing.ballotEntry, let entry = process.ballots[entryID] else { return nil }
        let changes = process.orderedBallots.filter { $0.current.content.party == standing.party }.count
        return BallotView(position: ballot.position, statement: ballot.statement, since: entry.effectiveAt, entry: entryID,
                          source: ballot.source, changes: changes)
    }

    // MARK: Timeline

    public func timeline(_ id: ProcessID, cutoff: KnowledgeCutoff) async throws(ServiceError) -> [TimelineEntry] {
        let envelopes = await log.envelopes(of: id).filter { cutoff.includes($0) }
        guard !envelopes.isEmpty else { throw .notFound("process \(id)") }
        let process = ProcessState.fold(envelopes)
        var retractedBy: [EntryID: EntryID] = [:]
        var correctedBy: [EntryID: [EntryID]] = [:]
        for e in envelopes {
            if case .entryRetracted(let r) = e.event { retractedBy[r.entry] = e.id }
            if case .entryCorrected(let c) = e.event { correctedBy[c.entry, default: []].append(e.id) }
        }
        let stageLabel = { (s: StageID) in process?.definition.stage(s)?.label ?? s.rawValue }
        return envelopes.map { e in
            var item = TimelineEntry(entry: e.id, kind: .opened, party: nil, summary: "", effectiveAt: e.occurredAt, recordedAt: e.recordedAt,
                                     position: e.position, actor: e.actor, source: nil, note: nil, concerns: nil, reason: nil,
                                     retractedBy: retractedBy[e.id], correctedBy: correctedBy[e.id] ?? [])
            switch e.event {
            case .processOpened(let o):
                item.summary = "opened from template \(o.template.id) v\(o.template.version)"
            case .stepRecorded(let s):
                item.kind = .step
                item.party = s.step.party
                item.summary = "\(s.step.party): \(stageLabel(s.step.stage))" + Self.detailSummary(s.step.details)
                item.source = s.step.source
                item.note = s.step.note
            case .ballotCast(let b):
                item.kind = .ballot
                item.party = b.ballot.party
                item.summary = "\(b.ballot.party) \(b.ballot.position.label)" + (b.ballot.statement.map { ": \($0)" } ?? "")
                item.source = b.ballot.source
                item.note = b.ballot.note
            case .ballotWithdrawn(let w):
                item.kind = .ballotWithdrawn
                item.party = w.party
                item.summary = "\(w.party) withdrew its position"
                item.reason = w.reason
            case .deadlineSet(let d):
                item.kind = .deadlineSet
                item.summary = "\(d.deadline) set for \(d.value.display)"
                item.reason = d.reason
            case .deadlineExtended(let d):
                item.kind = .deadlineExtended
                item.summary = "\(d.deadline) extended to \(d.value.display)"
                item.reason = d.reason
            case .processClosed(let c):
                item.kind = .closed
                item.summary = "process closed"
                item.note = c.note
            case .entryRetracted(let r):
                item.kind = .retraction
                item.summary = "retracted entry \(r.entry)"
                item.concerns = r.entry
                item.reason = r.reason
            case .entryCorrected(let c):
                item.kind = .correction
                item.concerns = c.entry
                item.reason = c.reason
                if let s = c.step {
                    item.party = s.party
                    item.summary = "corrected to \(s.party): \(stageLabel(s.stage)) effective \(c.effectiveAt.utcDate)" + Self.detailSummary(s.details)
                    item.source = s.source
                    item.note = s.note
                } else if let b = c.ballot {
                    item.party = b.party
                    item.summary = "corrected to \(b.party) \(b.position.label) effective \(c.effectiveAt.utcDate)"
                    item.source = b.source
                }
            default:
                item.summary = e.event.typeName
            }
            return item
        }
    }

    static func detailSummary(_ details: StepDetails?) -> String {
        guard let details else { return "" }
        if let p = details.pledge {
            var text = " — \(groupedDigits(p.troops)) troops"
            if !p.capabilities.isEmpty {
                text += ", " + p.capabilities.map { $0.component.rawValue + ($0.lead ? " (lead)" : "") }.joined(separator: ", ")
            }
            if !p.conditions.isEmpty { text += "; conditions: " + p.conditions.joined(separator: "; ") }
            return text
        }
        if let d = details.deployment { return " — \(groupedDigits(d.troopsDeployed)) troops at \(d.location)" }
        if let p = details.parliamentary {
            var text = " — \(p.chamber), \(p.procedure.rawValue)"
            if let f = p.votesFor, let a = p.votesAgainst { text += " \(f)–\(a)" + (p.abstaining.map { "–\($0)" } ?? "") }
            if let m = p.mandate?.maxTroops { text += ", up to \(groupedDigits(m)) troops" }
            if let end = p.mandate?.endDate { text += " until \(end)" }
            return text
        }
        if let w = details.withdrawal { return w.troopsWithdrawn.map { " — \(groupedDigits($0)) troops withdrawn" } ?? " — all troops withdrawn" }
        return ""
    }

    // MARK: Parties, bodies, weights, templates

    public func parties(asOf: Instant, cutoff: KnowledgeCutoff) async -> [PartyListItem] {
        let registry = await log.registry(knownAt: cutoff)
        return registry.parties.values.sorted { $0.code < $1.code }.map {
            let a = $0.attributes(at: asOf)
            return PartyListItem(party: $0.code, name: $0.name, population: a.population, parliamentaryStep: a.parliamentaryStep,
                                 deploymentNeedsParliamentVote: a.deploymentNeedsParliamentVote)
        }
    }

    public func party(_ code: PartyCode, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> PartyView {
        let view = await view(knownAt: cutoff)
        guard let record = view.registry.parties[code] else { throw .notFound("party \(code)") }
        let attributes = record.attributes(at: asOf)
        var memberships: [MembershipView] = []
        for body in view.registry.bodies.values.sorted(by: { $0.id < $1.id }) {
            for period in body.periods where period.party == code {
                memberships.append(MembershipView(body: body.id, name: body.name, joined: period.joined, left: period.left,
                                                  roles: period.roles.value(at: min(asOf, period.left.map { $0.adding(microseconds: -1) } ?? asOf)) ?? []))
            }
        }
        var processes: [PartyProcessView] = []
        for process in view.processes.values.sorted(by: { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }) {
            let snapshot = ProcessSnapshot(process: process, registry: view.registry, asOf: asOf)
            let inElectorate = snapshot.electorate.contains(code)
            guard inElectorate || snapshot.standings[code] != nil else { continue }
            guard let evaluation = await evaluation(process.id, in: view, asOf: asOf, cutoff: cutoff) else { continue }
            let standing = snapshot.standing(of: code)
            let blocking = evaluation.results.flatMap { r in r.blockers.filter { $0.party == code }.map { "\(r.label): \($0.detail)" } }
            processes.append(PartyProcessView(
                process: summary(of: process, evaluation: evaluation, registry: view.registry), inElectorate: inElectorate,
                currentStage: standing.currentStage, currentStageLabel: standing.currentStage.map { snapshot.stageLabel($0) },
                since: standing.current?.effectiveAt, heldStages: standing.held.keys.sorted(), pledge: standing.pledge,
                ballot: ballotView(standing, process: process), blocking: blocking))
        }
        return PartyView(party: code, name: record.name, asOf: asOf, population: attributes.population, parliamentaryStep: attributes.parliamentaryStep,
                         deploymentNeedsParliamentVote: attributes.deploymentNeedsParliamentVote, memberships: memberships, processes: processes)
    }

    public func bodies(asOf: Instant, cutoff: KnowledgeCutoff) async -> [BodyView] {
        let registry = await log.registry(knownAt: cutoff)
        return registry.bodies.values.sorted { $0.id < $1.id }.map { bodyView($0, asOf: asOf) }
    }

    public func body(_ id: BodyID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> BodyView {
        guard let body = await log.registry(knownAt: cutoff).bodies[id] else { throw .notFound("body \(id)") }
        return bodyView(body, asOf: asOf)
    }

    func bodyView(_ body: BodyRecord, asOf: Instant) -> BodyView {
        let members = body.periods.filter { $0.covers(asOf) }.sorted { $0.party < $1.party }.map {
            MembershipView(body: body.id, name: body.name, joined: $0.joined, left: $0.left, roles: $0.roles.value(at: asOf) ?? [])
        }
        return BodyView(body: body.id, name: body.name, kind: body.kind, asOf: asOf, members: members)
    }

    public func weightTables(cutoff: KnowledgeCutoff) async -> [WeightTableView] {
        let registry = await log.registry(knownAt: cutoff)
        return registry.weightTables.values.sorted { $0.id < $1.id }.map { table in
            WeightTableView(table: table.id, versions: table.versions.entries.map {
                .init(effectiveFrom: $0.from, name: $0.value.name, source: $0.value.source, total: $0.value.weights.values.reduce(0, +),
                      weights: Dictionary(uniqueKeysWithValues: $0.value.weights.map { ($0.key.rawValue, $0.value) }))
            })
        }
    }

    public func templates(cutoff: KnowledgeCutoff) async -> [TemplateView] {
        let registry = await log.registry(knownAt: cutoff)
        return registry.templates.values.compactMap(\.last).sorted { $0.id < $1.id }.map(templateView)
    }

    public func template(_ id: TemplateID, version: Int64?, cutoff: KnowledgeCutoff) async throws(ServiceError) -> TemplateView {
        let registry = await log.registry(knownAt: cutoff)
        let found = version.map { registry.template(id, version: $0) } ?? registry.latestTemplate(id)
        guard let found else { throw .notFound("template \(id)" + (version.map { " version \($0)" } ?? "")) }
        return templateView(found)
    }

    func templateView(_ t: TemplateVersion) -> TemplateView {
        TemplateView(id: t.id, name: t.name, version: t.version, contentHash: t.contentHash, registeredAt: t.registeredAt, definition: t.definition)
    }

    // MARK: What-if

    public func whatIf(_ id: ProcessID, hypotheses: [ProcessCommand], asOf: Instant) async throws(ServiceError) -> WhatIf.Outcome {
        let view = await view(knownAt: .everything)
        let process = try requireProcess(id, in: view)
        var dependencies: [ProcessID: DependencyTimeline] = [:]
        for rule in process.definition.rules {
            if case .dependency(let d) = rule.condition, let other = await evaluation(d.process, in: view, asOf: asOf, cutoff: .everything) {
                dependencies[d.process] = other.dependencyTimeline
            }
        }
        do {
            return try WhatIf.evaluate(process, registry: view.registry, hypotheses: hypotheses, asOf: asOf, now: clock.now(),
                                       dependencies: dependencies, knownProcesses: Set(view.processes.keys))
        } catch {
            throw .domain(error)
        }
    }
}

