/// Where and by whom an event was recorded.
public struct RecordMeta: Hashable, Sendable, Codable {
    public var event: EntryID
    public var position: Int64
    public var recordedAt: Instant
    public var actor: ActorRef

    public init(event: EntryID, position: Int64, recordedAt: Instant, actor: ActorRef) {
        self.event = event
        self.position = position
        self.recordedAt = recordedAt
        self.actor = actor
    }

    init(_ envelope: DomainEnvelope) {
        self.init(event: envelope.id, position: envelope.position, recordedAt: envelope.recordedAt, actor: envelope.actor)
    }
}

/// One version of an entry's content: the original, or a correction of it.
public struct Revision<Content: Hashable & Sendable>: Hashable, Sendable {
    public var content: Content
    public var effectiveAt: Instant
    public var recorded: RecordMeta
    /// Why it was corrected (nil for the original).
    public var reason: String?
}

public struct Retraction: Hashable, Sendable, Codable {
    public var reason: String
    public var recorded: RecordMeta
}

/// An entry of a process. Nothing is edited: corrections add revisions, a retraction marks it void.
public struct Entry<Content: Hashable & Sendable>: Hashable, Sendable {
    public var id: EntryID
    public var original: Revision<Content>
    public var corrections: [Revision<Content>] = []
    public var retraction: Retraction?

    public var current: Revision<Content> { corrections.last ?? original }
    public var isActive: Bool { retraction == nil }
    public var effectiveAt: Instant { current.effectiveAt }
    /// The log position of the original: ties between entries on the same instant go by it.
    public var position: Int64 { original.recorded.position }
}

public typealias StepEntry = Entry<StepContent>
public typealias BallotEntry = Entry<BallotChange>

/// A change of a party's ballot: a position cast, or a withdrawal that leaves the party without a position.
public enum BallotChange: Hashable, Sendable {
    case cast(BallotContent)
    case withdrawn(party: PartyCode, reason: String?)

    public var party: PartyCode {
        switch self {
        case .cast(let b): b.party
        case .withdrawn(let party, _): party
        }
    }

    public var position: BallotPosition? {
        if case .cast(let b) = self { return b.position }
        return nil
    }
}

/// A deadline's history: each setting or extension, effective from when it was made.
public struct DeadlineHistory: Hashable, Sendable {
    public struct Change: Hashable, Sendable {
        public var entry: EntryID
        public var value: DeadlineValue
        public var effectiveAt: Instant
        public var recorded: RecordMeta
        public var isExtension: Bool
        public var reason: String?
        public var retracted: Bool
    }

    public var id: DeadlineID
    public var changes: [Change] = []

    /// The deadline in force as of `instant`: the latest change made at or before it.
    public func value(asOf instant: Instant) -> Change? {
        changes.filter { !$0.retracted && $0.effectiveAt <= instant }
            .max { ($0.effectiveAt, $0.recorded.position) < ($1.effectiveAt, $1.recorded.position) }
    }
}

/// A process folded from its stream: the pinned template, the electorate and every entry with its history.
/// Pure state; "as of" questions are answered by `ProcessSnapshot`.
public struct ProcessState: Hashable, Sendable {
    public var id: ProcessID
    public var title: String
    public var reference: String?
    public var template: PinnedTemplate
    public var definition: ProcessTemplate
    public var parameters: [String: JSONValue]
    public var electorate: ElectorateSpec
    public var frozenMembers: [PartyCode]?
    public var openedAt: Instant
    public var opened: RecordMeta
    public private(set) var steps: [EntryID: StepEntry] = [:]
    public private(set) var ballots: [EntryID: BallotEntry] = [:]
    public var deadlines: [DeadlineID: DeadlineHistory] = [:]
    public var closures: [Entry<ProcessClosed>] = []
    /// Retractions and corrections, by the entry they concern, for the timeline.
    public var amendments: [EntryID: [RecordMeta]] = [:]
    /// Number of events folded (the stream version is this minus one).
    public private(set) var eventCount: Int64 = 1
    public private(set) var lastPosition: Int64

    // Derived from `steps` and `ballots`, kept up to date as events are applied, because every command and
    // every evaluation needs them: sorting and folding every entry each time made a recorded step cost
    // O(entries) several times over (docs/performance.md).

    /// Active steps in effective order, ties by log position.
    public private(set) var orderedSteps: [StepEntry] = []
    /// Active ballot changes in effective order, ties by log position.
    public private(set) var orderedBallots: [BallotEntry] = []
    /// Each party's standing with every active step applied: a snapshot of any date on or after the last
    /// step's effective date starts from it instead of folding the steps again.
    public private(set) var standingsAfterAllSteps: [PartyCode: PartyStanding] = [:]
    /// When each active step's parliamentary mandate lapses (the day after its last day), in no order.
    public private(set) var mandateLapses: [Instant] = []
    /// Set when an entry arrives out of effective order, or is corrected or retracted: the derived values are
    /// then rebuilt from the entries (once per `apply`, once per `fold`).
    private var derivedNeedRebuild = false

    public init(opening envelope: DomainEnvelope, _ e: ProcessOpened) {
        id = e.process
        title = e.title
        reference = e.reference
        template = e.template
        definition = e.definition
        parameters = e.parameters
        electorate = e.electorate
        frozenMembers = e.frozenMembers
        openedAt = envelope.occurredAt
        opened = RecordMeta(envelope)
        lastPosition = envelope.position
    }

    /// Folds a process stream (its first event must be `ProcessOpened`), keeping only what was known at `cutoff`.
    public static func fold(_ envelopes: some Sequence<DomainEnvelope>, knownAt cutoff: KnowledgeCutoff = .everything) -> ProcessState? {
        var state: ProcessState?
        for envelope in envelopes where cutoff.includes(envelope) {
            if state == nil {
                guard case .processOpened(let opened) = envelope.event else { continue }
                state = ProcessState(opening: envelope, opened)
            } else {
                state?.record(envelope)
            }
        }
        state?.rebuildDerivedIfNeeded()
        return state
    }

    /// Applies one event of this process's stream.
    public mutating func apply(_ envelope: DomainEnvelope) {
        record(envelope)
        rebuildDerivedIfNeeded()
    }

    /// The process with one entry taken out, as if it had never been recorded (to check a correction).
    public func without(_ entry: EntryID) -> ProcessState {
        var copy = self
        copy.steps[entry] = nil
        copy.ballots[entry] = nil
        copy.derivedNeedRebuild = true
        copy.rebuildDerivedIfNeeded()
        return copy
    }

    private mutating func rebuildDerivedIfNeeded() {
        guard derivedNeedRebuild else { return }
        orderedSteps = Self.inEffectiveOrder(steps.values)
        orderedBallots = Self.inEffectiveOrder(ballots.values)
        standingsAfterAllSteps = ProcessSnapshot.standings(folding: orderedSteps, template: definition)
        mandateLapses = orderedSteps.compactMap(Self.mandateLapse)
        derivedNeedRebuild = false
    }

    /// A new step: applied to the standings when it comes in effective order (the usual case), else rebuilt.
    private mutating func stepAdded(_ entry: StepEntry) {
        guard !derivedNeedRebuild, Self.comesLast(entry, after: orderedSteps.last) else {
            derivedNeedRebuild = true
            return
        }
        orderedSteps.append(entry)
        ProcessSnapshot.fold(entry, into: &standingsAfterAllSteps, template: definition)
        if let lapse = Self.mandateLapse(of: entry) { mandateLapses.append(lapse) }
    }

    static func mandateLapse(of step: StepEntry) -> Instant? {
        step.current.content.details?.parliamentary?.mandate?.endDate.map { Instant(startOf: $0.adding(days: 1)) }
    }

    private mutating func ballotAdded(_ entry: BallotEntry) {
        guard !derivedNeedRebuild, Self.comesLast(entry, after: orderedBallots.last) else {
            derivedNeedRebuild = true
            return
        }
        orderedBallots.append(entry)
    }

    private static func comesLast<Content>(_ entry: Entry<Content>, after last: Entry<Content>?) -> Bool {
        guard let last else { return true }
        return (last.effectiveAt, last.position) <= (entry.effectiveAt, entry.position)
    }

    /// Folds one event into the entries; the derived values follow in `rebuildDerivedIfNeeded`.
    private mutating func record(_ envelope: DomainEnvelope) {
        let meta = RecordMeta(envelope)
        eventCount += 1
        lastPosition = max(lastPosition, envelope.position)
        switch envelope.event {
        case .stepRecorded(let e):
            let entry = StepEntry(id: envelope.id, original: Revision(content: e.step, effectiveAt: envelope.occurredAt, recorded: meta))
            steps[envelope.id] = entry
            stepAdded(entry)
        case .ballotCast(let e):
            let entry = BallotEntry(id: envelope.id, original: Revision(content: .cast(e.ballot), effectiveAt: envelope.occurredAt, recorded: meta))
            ballots[envelope.id] = entry
            ballotAdded(entry)
        case .ballotWithdrawn(let e):
            let entry = BallotEntry(
                id: envelope.id, original: Revision(content: .withdrawn(party: e.party, reason: e.reason), effectiveAt: envelope.occurredAt, recorded: meta))
            ballots[envelope.id] = entry
            ballotAdded(entry)
        case .deadlineSet(let e):
            deadlines[e.deadline, default: DeadlineHistory(id: e.deadline)].changes.append(
                .init(entry: envelope.id, value: e.value, effectiveAt: envelope.occurredAt, recorded: meta, isExtension: false, reason: e.reason, retracted: false))
        case .deadlineExtended(let e):
            deadlines[e.deadline, default: DeadlineHistory(id: e.deadline)].changes.append(
                .init(entry: envelope.id, value: e.value, effectiveAt: envelope.occurredAt, recorded: meta, isExtension: true, reason: e.reason, retracted: false))
        case .processClosed(let e):
            closures.append(Entry(id: envelope.id, original: Revision(content: e, effectiveAt: envelope.occurredAt, recorded: meta)))
        case .entryRetracted(let e):
            let retraction = Retraction(reason: e.reason, recorded: meta)
            amendments[e.entry, default: []].append(meta)
            if steps[e.entry] != nil {
                steps[e.entry]?.retraction = retraction
                derivedNeedRebuild = true
            } else if ballots[e.entry] != nil {
                ballots[e.entry]?.retraction = retraction
                derivedNeedRebuild = true
            } else if let index = closures.firstIndex(where: { $0.id == e.entry }) {
                closures[index].retraction = retraction
            } else {
                for (id, history) in deadlines {
                    if let index = history.changes.firstIndex(where: { $0.entry == e.entry }) {
                        deadlines[id]?.changes[index].retracted = true
                    }
                }
            }
        case .entryCorrected(let e):
            amendments[e.entry, default: []].append(meta)
            if let step = e.step, steps[e.entry] != nil {
                steps[e.entry]?.corrections.append(Revision(content: step, effectiveAt: e.effectiveAt, recorded: meta, reason: e.reason))
                derivedNeedRebuild = true
            } else if let ballot = e.ballot, let entry = ballots[e.entry], case .cast = entry.original.content {
                // Only cast ballots are corrected; a withdrawal recorded by mistake is retracted.
                ballots[e.entry]?.corrections.append(Revision(content: .cast(ballot), effectiveAt: e.effectiveAt, recorded: meta, reason: e.reason))
                derivedNeedRebuild = true
            }
        default:
            break
        }
    }

    /// The stream version after the last folded event.
    public var streamVersion: Int64 { eventCount - 1 }

    /// When the process was closed, as of `instant` (nil: open on that date).
    public func closedAt(asOf instant: Instant) -> Instant? {
        closures.filter { $0.isActive && $0.effectiveAt <= instant }.map(\.effectiveAt).min()
    }

    /// The first closing instant on any date (nil: never closed, as known).
    public var closedAt: Instant? {
        closures.filter(\.isActive).map(\.effectiveAt).min()
    }

    /// Sorts by keys computed once per entry: reading an entry's effective date goes through its current
    /// revision, and sorting the entries themselves would copy them at every move.
    static func inEffectiveOrder<Content>(_ entries: some Collection<Entry<Content>>) -> [Entry<Content>] {
        let active = entries.filter(\.isActive)
        let keys = active.map { ($0.effectiveAt, $0.position) }
        return active.indices.sorted { keys[$0] < keys[$1] }.map { active[$0] }
    }

    /// Any entry by id, described for errors and timelines.
    public func entryKind(_ id: EntryID) -> EntryKind? {
        if steps[id] != nil { return .step }
        if ballots[id] != nil { return .ballot }
        if closures.contains(where: { $0.id == id }) { return .closure }
        if deadlines.values.contains(where: { $0.changes.contains { $0.entry == id } }) { return .deadline }
        return nil
    }

    public func isRetracted(_ id: EntryID) -> Bool {
        if let s = steps[id] { return !s.isActive }
        if let b = ballots[id] { return !b.isActive }
        if let c = closures.first(where: { $0.id == id }) { return !c.isActive }
        return deadlines.values.contains { $0.changes.contains { $0.entry == id && $0.retracted } }
    }

    /// The electorate as the template and opening define it, on a date (before ballots' opt-outs).
    public func electorate(asOf instant: Instant, registry: Registry) -> [PartyCode] {
        switch electorate {
        case .parties(let parties):
            return Set(parties).sorted()
        case .body(let body, let mode):
            if mode == .frozenAtOpening, let frozenMembers { return frozenMembers.sorted() }
            // Before the process opened, the electorate is who was a member at opening.
            return registry.bodies[body]?.members(at: max(instant, openedAt)) ?? []
        }
    }

    public var electorateBody: BodyID? {
        if case .body(let id, _) = electorate { return id }
        return nil
    }
}

public enum EntryKind: String, Hashable, Sendable, Codable {
    case step, ballot, deadline, closure
}

extension Array {
    /// The first entry effective after `instant`, in an array kept in effective order (binary search).
    public func firstEffective<Content>(after instant: Instant) -> Element? where Element == Entry<Content> {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if self[middle].effectiveAt <= instant { low = middle + 1 } else { high = middle }
        }
        return low < endIndex ? self[low] : nil
    }
}
