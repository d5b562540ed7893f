/// A stage a party holds on a date, since when, and by which entry.
public struct HeldStage: Hashable, Sendable {
    public var since: Instant
    public var entry: EntryID
}

/// One party's standing in a process on one date.
public struct PartyStanding: Hashable, Sendable {
    public var party: PartyCode
    /// Its latest step effective on or before the date.
    public var current: StepEntry?
    /// Its latest step at each stage, effective on or before the date.
    public var latestAtStage: [StageID: StepEntry] = [:]
    public var held: [StageID: HeldStage] = [:]
    /// Parliamentary approvals whose mandate ended, with the last day they covered.
    public var expired: [StageID: CivilDate] = [:]
    public var pledge: PledgeDetails?
    public var pledgeEntry: EntryID?
    public var deployedTroops: Int64 = 0
    public var mandate: Mandate?
    /// The standing ballot position (nil: none stated, or withdrawn).
    public var ballot: BallotContent?
    public var ballotEntry: EntryID?
    /// Reached a terminal negative outcome (a final refusal): out of the process for good.
    public var isOut = false

    public init(party: PartyCode) { self.party = party }

    public var currentStage: StageID? { current?.current.content.stage }

    public func holds(_ stage: StageID) -> Bool { held[stage] != nil }

    /// The party's latest step at `stage` effective on or before the date.
    public func lastStep(at stage: StageID) -> StepEntry? { latestAtStage[stage] }
}

/// A process as it stood on one date (`asOf`), given what was known: the basis every rule is evaluated on.
public struct ProcessSnapshot: Sendable {
    public let asOf: Instant
    public let process: ProcessState
    public let registry: Registry
    /// The electorate of the template on this date (members who joined count from the day they joined).
    public let electorate: [PartyCode]
    public let standings: [PartyCode: PartyStanding]
    /// When the process closed, if it had by this date.
    public let closedAt: Instant?
    public let deadlines: [DeadlineID: DeadlineHistory.Change]

    public init(process: ProcessState, registry: Registry, asOf: Instant) {
        let standings: [PartyCode: PartyStanding]
        if let last = process.orderedSteps.last, last.effectiveAt > asOf {
            // A date before some step: fold the steps effective by then (a prefix of the effective order).
            standings = Self.standings(folding: process.orderedSteps.prefix { $0.effectiveAt <= asOf }, template: process.definition)
        } else {
            standings = process.standingsAfterAllSteps
        }
        self.init(process: process, registry: registry, asOf: asOf, folded: standings)
    }

    /// `folded`: every party's standing after the steps effective by `asOf` (`standings(folding:template:)`).
    init(process: ProcessState, registry: Registry, asOf: Instant, folded: [PartyCode: PartyStanding]) {
        self.asOf = asOf
        self.process = process
        self.registry = registry
        let closedAt = process.closedAt(asOf: asOf)
        self.closedAt = closedAt
        // A closed process keeps the electorate it closed with: later joins and leaves do not reopen it.
        self.electorate = process.electorate(asOf: closedAt.map { min($0, asOf) } ?? asOf, registry: registry)
        let template = process.definition
        var standings = folded
        // A parliamentary approval lapses after the last day its mandate covers.
        var lapsed: [(party: PartyCode, stage: StageID, end: CivilDate)] = []
        for (party, standing) in standings {
            for stage in standing.held.keys {
                guard template.stage(stage)?.kind == .parliamentary,
                      let step = standing.lastStep(at: stage),
                      let end = step.current.content.details?.parliamentary?.mandate?.endDate,
                      asOf >= Instant(startOf: end.adding(days: 1))
                else { continue }
                lapsed.append((party, stage, end))
            }
        }
        for (party, stage, end) in lapsed {
            standings[party]?.held[stage] = nil
            standings[party]?.expired[stage] = end
            standings[party]?.mandate = nil
        }
        // Ballots stand as they were when the vote closed.
        let ballotCutoff = closedAt.map { min($0, asOf) } ?? asOf
        for entry in process.orderedBallots where entry.effectiveAt <= ballotCutoff {
            let change = entry.current.content
            switch change {
            case .cast(let ballot):
                standings[change.party, default: PartyStanding(party: change.party)].ballot = ballot
            case .withdrawn:
                standings[change.party, default: PartyStanding(party: change.party)].ballot = nil
            }
            standings[change.party, default: PartyStanding(party: change.party)].ballotEntry = entry.id
        }
        self.standings = standings

        var deadlines: [DeadlineID: DeadlineHistory.Change] = [:]
        for (id, history) in process.deadlines {
            if let change = history.value(asOf: asOf) { deadlines[id] = change }
        }
        self.deadlines = deadlines
    }

    /// Every party's standing after `steps`, given in effective order (before approvals lapse).
    public static func standings(folding steps: some Sequence<StepEntry>, template: ProcessTemplate) -> [PartyCode: PartyStanding] {
        var standings: [PartyCode: PartyStanding] = [:]
        for entry in steps { fold(entry, into: &standings, template: template) }
        return standings
    }

    /// Folds one step into its party's standing among `standings` (changed in place, never copied out).
    static func fold(_ entry: StepEntry, into standings: inout [PartyCode: PartyStanding], template: ProcessTemplate) {
        let party = entry.current.content.party
        apply(entry, to: &standings[party, default: PartyStanding(party: party)], template: template)
    }

    /// Folds one step into a party's standing: progress adds the stage and what it implies; a negative outcome
    /// takes away what it negates.
    static func apply(_ entry: StepEntry, to standing: inout PartyStanding, template: ProcessTemplate) {
        let content = entry.current.content
        standing.current = entry
        standing.latestAtStage[content.stage] = entry
        guard let stage = template.stage(content.stage) else { return }
        let since = HeldStage(since: entry.effectiveAt, entry: entry.id)
        switch stage.outcome {
        case .progress:
            for (id, _) in standing.held where template.stage(id)?.outcome == .negative {
                standing.held[id] = nil
            }
            for id in template.impliedStages(of: stage.id) where standing.held[id] == nil {
                standing.held[id] = since
            }
            standing.expired[stage.id] = nil
        case .negative:
            for id in template.negatedStages(of: stage.id) { standing.held[id] = nil }
            standing.held[stage.id] = since
            if stage.terminal { standing.isOut = true }
        }
        switch stage.kind {
        case .pledge:
            if let pledge = content.details?.pledge {
                standing.pledge = pledge
                standing.pledgeEntry = entry.id
            }
        case .deployment:
            if let deployment = content.details?.deployment { standing.deployedTroops = deployment.troopsDeployed }
        case .withdrawal:
            if let withdrawn = content.details?.withdrawal?.troopsWithdrawn {
                standing.deployedTroops = max(0, standing.deployedTroops - withdrawn)
            } else {
                standing.deployedTroops = 0
            }
        case .parliamentary:
            if stage.outcome == .progress { standing.mandate = content.details?.parliamentary?.mandate }
        case .plain:
            break
        }
        // A negative outcome that takes the pledge away ends it (a withdrawal, a refusal).
        if stage.outcome == .negative,
           let pledgeStage = template.stages.first(where: { $0.kind == .pledge })?.id,
           template.negatedStages(of: stage.id).contains(pledgeStage) {
            standing.pledge = nil
            standing.pledgeEntry = nil
        }
        if stage.outcome == .negative, template.negatedStages(of: stage.id).contains(where: { template.stage($0)?.kind == .parliamentary }) {
            standing.mandate = nil
        }
    }

    public func standing(of party: PartyCode) -> PartyStanding {
        standings[party] ?? PartyStanding(party: party)
    }

    public var isClosed: Bool { closedAt != nil }

    /// The electorate of a vote: those who do not take part (opted out) leave it for this vote.
    public var ballotElectorate: [PartyCode] {
        electorate.filter { standing(of: $0).ballot?.position != .notParticipating }
    }

    /// Whether every member of the vote's electorate has stated a position.
    public var allPositionsIn: Bool {
        ballotElectorate.allSatisfy { standing(of: $0).ballot != nil }
    }

    public func stageLabel(_ id: StageID) -> String {
        process.definition.stage(id)?.label ?? id.rawValue
    }

    public func partyName(_ code: PartyCode) -> String {
        registry.parties[code]?.name ?? code.rawValue
    }
}

/// Snapshots of one process at dates that do not decrease, each folded on from the one before: history, charts
/// and reports ask for a snapshot at every instant the process could change, and folding the steps from the
/// start for each would cost the square of the number of steps.
public struct SnapshotWalk {
    public let process: ProcessState
    public let registry: Registry
    private var folded: [PartyCode: PartyStanding] = [:]
    private var nextStep = 0
    private var lastDate = Instant.distantPast

    public init(process: ProcessState, registry: Registry) {
        self.process = process
        self.registry = registry
    }

    /// The process as it stood at `date`, as `ProcessSnapshot(process:registry:asOf:)` gives it. An earlier date
    /// than the last one asked starts the walk again.
    public mutating func snapshot(at date: Instant) -> ProcessSnapshot {
        if date < lastDate {
            folded = [:]
            nextStep = 0
        }
        lastDate = date
        let steps = process.orderedSteps
        while nextStep < steps.count, steps[nextStep].effectiveAt <= date {
            ProcessSnapshot.fold(steps[nextStep], into: &folded, template: process.definition)
            nextStep += 1
        }
        return ProcessSnapshot(process: process, registry: registry, asOf: date, folded: folded)
    }
}
