import AccordDomain
import AccordEventStore
import Foundation
import Logging
import Metrics

/// Who is recording, and with which request.
public struct CommandContext: Sendable {
    public var actor: ActorRef
    public var correlationId: UUID?
    /// When set, event ids are derived from it, so a retried request appends nothing twice.
    public var idempotencyNamespace: String?
    /// The process version the caller saw (`If-Match`); nil: retry on concurrent change.
    public var expectedVersion: Int64?

    public init(actor: ActorRef, correlationId: UUID? = nil, idempotencyNamespace: String? = nil, expectedVersion: Int64? = nil) {
        self.actor = actor
        self.correlationId = correlationId
        self.idempotencyNamespace = idempotencyNamespace
        self.expectedVersion = expectedVersion
    }
}

/// What a command recorded.
public struct CommandOutcome: Sendable, Hashable {
    public struct Recorded: Sendable, Hashable {
        public var entry: EntryID
        public var type: String
        public var position: Int64
        public var occurredAt: Instant
        public var recordedAt: Instant
    }

    public var stream: String
    public var recorded: [Recorded]
    /// The stream's version after the command (the process's ETag).
    public var version: Int64?
    /// True when the request had been recorded before (an idempotent retry).
    public var wasAlreadyRecorded: Bool
}

/// Runs commands: decides them against the state as known now, appends the events with an optimistic
/// concurrency check on the aggregate's stream, and waits until the in-memory log has them (read-your-writes).
///
/// Commands on one stream queue in this process (they would only race each other's version checks); the first
/// in line decides the commands waiting behind it — those that do not need each other's events: different
/// parties' steps and ballots — and appends all their events at once: one commit for a burst of steps on one
/// process instead of one each. The others wait for the next group.
/// Across processes (several servers) the store's expected-version check decides.
public struct CommandService: Sendable {
    public let log: DomainLog
    public let clock: any WallClock
    let logger: Logger
    let queues = CommandQueues()
    static let maximumAttempts = 5
    /// The most commands decided and appended together.
    static let maximumGroup = 64

    public init(log: DomainLog, clock: any WallClock, logger: Logger = Logger(label: "accord.commands")) {
        self.log = log
        self.clock = clock
        self.logger = logger
    }

    var store: any EventStore { log.store }

    public func execute(_ command: RegistryCommand, context: CommandContext) async throws(ServiceError) -> CommandOutcome {
        let clock = clock
        return try await run(aggregate: command.aggregate, context: context) { inputs in
            try command.decide(inputs.registry, now: clock.now())
        }.mapError(ServiceError.wrap).get()
    }

    public func execute(_ command: ProcessCommand, context: CommandContext) async throws(ServiceError) -> CommandOutcome {
        let id = command.process
        let (log, clock) = (log, clock)
        return try await run(aggregate: .process(id), context: context, party: command.decidedOnPartyAlone) { inputs in
            try inputs.requireVersion(context.expectedVersion, of: id)
            // Only an opening may name other processes (its dependency rules); the set is built for it alone.
            var known: Set<ProcessID> = []
            if case .open = command { known = await log.processIDs }
            return try command.decide(inputs.process, registry: inputs.registry, now: clock.now(), knownProcesses: known)
        }.mapError(ServiceError.wrap).get()
    }

    /// Queues a command on `aggregate`'s stream and returns its outcome: decided by `decide` and appended by
    /// whichever command leads the queue when its turn comes. Errors are `ServiceError`s, or what `decide` threw.
    /// `party`: the command is decided on that party's entries alone (`ProcessCommand.decidedOnPartyAlone`).
    func run(
        aggregate: AggregateKey, context: CommandContext, party: PartyCode? = nil,
        decide: @escaping @Sendable (DecisionInputs) async throws -> [PendingEvent]
    ) async -> Result<CommandOutcome, any Error> {
        let stream = EventCodec.streamName(aggregate)
        let command = QueuedCommand(context: context, party: party, decide: decide)
        switch await queues.enter(stream.rawValue, command) {
        case .done(let result):
            return result
        case .lead:
            let group = queues.take(stream.rawValue, leader: command, maximum: Self.maximumGroup)
            // With others, in a task of its own: the leader's request may be cancelled (its client went away),
            // which must not fail the commands it decides and appends for them. Alone, in its own task (a task
            // per command was a few per cent of a recorded step).
            let commands = group.map(\.command)
            let results = if commands.count == 1 {
                await decideAndAppend(commands, aggregate: aggregate, stream: stream)
            } else {
                await Task { await decideAndAppend(commands, aggregate: aggregate, stream: stream) }.value
            }
            var deferred: [CommandQueues.Waiting] = []
            for (waiting, result) in zip(group.dropFirst(), results.dropFirst()) {
                if let result { waiting.continuation?.resume(returning: .done(result)) } else { deferred.append(waiting) }
            }
            queues.handOver(stream.rawValue, deferred: deferred)
            // The first command of a group is never deferred (nothing is decided before it).
            return results.first.flatMap { $0 } ?? .failure(ServiceError.conflict(current: -1))
        }
    }

    /// Decides the commands in turn (see `decide`) and appends the events of all that were accepted in one append;
    /// a refused command adds nothing and stops no other. Returns each command's outcome, in order; nil for a
    /// command deferred to the next group.
    private func decideAndAppend(_ group: [QueuedCommand], aggregate: AggregateKey, stream: StreamName) async -> [Result<CommandOutcome, any Error>?] {
        let process: ProcessID? = if case .process(let id) = aggregate { id } else { nil }
        var results = [Result<CommandOutcome, any Error>?](repeating: nil, count: group.count)
        var deferred: Set<Int> = []
        var attempt = 0
        var synchronized = false
        while true {
            attempt += 1
            do {
                // A log that follows the store hears of other writers' events within milliseconds, and the
                // append checks this stream's version against the store anyway: a first attempt decides on what
                // is ingested (a read of the store's head per command was a tenth of a recorded step's cost).
                // A log that does not follow, a retry, or a refusal (below) reads the head first.
                if !synchronized && (attempt > 1 || !log.isFollowing) {
                    try await log.synchronize()
                    synchronized = true
                }
                let decided = await decide(group, skipping: results, stream: stream, process: process)
                deferred = Set(decided.deferred)
                let refusals = decided.refusals
                let accepted = decided.accepted
                for (index, replay) in decided.replays { results[index] = .success(replay) }
                if !refusals.isEmpty && !synchronized {
                    // Refused on what this instance had ingested: another writer may have recorded what a command
                    // needs (a party, a membership, the process, the version the caller saw). Decide again on it.
                    try await log.synchronize()
                    synchronized = true
                    if await log.position > decided.position {
                        attempt -= 1
                        continue
                    }
                }
                for (index, error) in refusals { results[index] = .failure(error) }
                let events = accepted.flatMap(\.events)
                guard !events.isEmpty else {
                    for command in accepted {
                        results[command.index] = .success(CommandOutcome(stream: stream.rawValue, recorded: [], version: command.version, wasAlreadyRecorded: false))
                    }
                    return results
                }
                let expected: ExpectedVersion = decided.streamVersion.map { .exactly($0) } ?? .noStream
                let started = ContinuousClock.now
                let result = try await store.append(to: stream, expectedVersion: expected, events: events)
                AppendMetrics.record(aggregate: aggregate, events: events.count, since: started, replayed: result.wasAlreadyRecorded)
                try await log.ingest(appended: result.events, upTo: result.lastPosition)
                var placements = result.placements[...]
                for command in accepted {
                    let own = placements.prefix(command.events.count)
                    placements = placements.dropFirst(command.events.count)
                    results[command.index] = .success(CommandOutcome(
                        stream: stream.rawValue,
                        recorded: zip(own, command.events).map { placement, event in
                            .init(entry: EntryID(placement.eventId), type: event.type, position: placement.position,
                                  occurredAt: event.occurredAt, recordedAt: placement.recordedAt)
                        },
                        // The version this command produced, not a later writer's: the caller's next If-Match.
                        version: own.last?.streamVersion ?? command.version,
                        wasAlreadyRecorded: result.wasAlreadyRecorded))
                }
                return results
            } catch let error as EventStoreError {
                // The commands of the failed append; the deferred ones were not in it and wait for the next group.
                let open = group.indices.filter { results[$0] == nil && !deferred.contains($0) }
                if case .wrongExpectedVersion(_, _, let actual) = error {
                    // Someone else recorded in between: decide again on the new state, except for the commands
                    // whose caller pinned a version.
                    for index in open {
                        if let expectedVersion = group[index].context.expectedVersion {
                            results[index] = .failure(ServiceError.versionMismatch(expected: expectedVersion, current: actual ?? -1))
                        } else if attempt >= Self.maximumAttempts {
                            results[index] = .failure(ServiceError.conflict(current: actual ?? -1))
                        }
                    }
                    if open.allSatisfy({ results[$0] != nil }) { return results }
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 * attempt))))
                    // The other writer's events must be in the log before deciding again.
                    synchronized = false
                    continue
                }
                if case .idempotencyConflict = error {
                    // Some of the group's ids were recorded before (a retried request the log had not ingested yet):
                    // the store answers for each request on its own.
                    if open.count > 1 {
                        for index in open { results[index] = await decideAndAppend([group[index]], aggregate: aggregate, stream: stream).first ?? nil }
                        return results
                    }
                    if let index = open.first, group[index].context.idempotencyNamespace != nil {
                        results[index] = .failure(ServiceError.idempotencyKeyReused)
                        return results
                    }
                }
                for index in open { results[index] = .failure(ServiceError.store(error)) }
                return results
            } catch {
                for index in group.indices where results[index] == nil && !deferred.contains(index) { results[index] = .failure(ServiceError.wrap(error)) }
                return results
            }
        }
    }

    /// What deciding a group came to: no process state in it, so none is held while the group is appended
    /// (a copy held then would make the domain log copy the whole process to apply the new events).
    private struct GroupDecision {
        /// The stream's version and the log position the commands were decided on.
        var streamVersion: Int64?
        var position: Int64
        var accepted: [(index: Int, events: [ProposedEvent], version: Int64?)] = []
        var refusals: [(index: Int, error: any Error)] = []
        var replays: [(index: Int, outcome: CommandOutcome)] = []
        /// Commands left for the next group, in order.
        var deferred: [Int] = []
    }

    /// Decides the commands of `group` not answered yet in `skipping`. No command is decided on events decided
    /// before it in the same group: applying them would copy the process (the domain log holds it too) — for a
    /// process of 10,000 entries, more than the rest of a recorded step. A step, ballot or withdrawal is decided on
    /// its own party's entries alone (`ProcessCommand.decidedOnPartyAlone`), so the group goes on with other
    /// parties' commands; one that needs the group's events (its party's, or any for another command) waits for the
    /// next group, where they are in the log, and so do the commands of that party (or all, for another command)
    /// behind it: each party's commands are decided in their order.
    private func decide(_ group: [QueuedCommand], skipping answered: [Result<CommandOutcome, any Error>?], stream: StreamName,
                        process: ProcessID?) async -> GroupDecision {
        let inputs = await log.decisionInputs(stream: stream.rawValue, process: process, requests: group.compactMap(\.context.idempotencyNamespace))
        var decided = GroupDecision(streamVersion: inputs.streamVersion, position: inputs.position)
        var streamVersion = inputs.streamVersion
        var parties: Set<PartyCode> = []  // with events decided in this group, or a command deferred
        var decidedAny = false            // events decided in this group
        var deferAll = false              // a whole-process command decided with events, or deferred: the rest wait
        for (index, command) in group.enumerated() where answered[index] == nil {
            if let request = command.context.idempotencyNamespace, let replay = inputs.replays[request] {
                decided.replays.append((index, replay))
                continue
            }
            let waits = deferAll || (command.party.map { parties.contains($0) } ?? decidedAny)
            if waits {
                decided.deferred.append(index)
                if let party = command.party { parties.insert(party) } else { deferAll = true }
                continue
            }
            do {
                var current = inputs
                current.streamVersion = streamVersion
                let pending = try await command.decide(current)
                let proposed = try mint(pending, context: command.context)
                streamVersion = (streamVersion ?? -1) + Int64(pending.count)
                if !pending.isEmpty {
                    decidedAny = true
                    // A command for the whole process makes every later one wait for its events.
                    if let party = command.party { parties.insert(party) } else { deferAll = true }
                }
                decided.accepted.append((index, proposed, streamVersion))
            } catch {
                decided.refusals.append((index, error))
            }
        }
        return decided
    }

    /// The events to append for `pending`, with their ids: derived from the request's idempotency namespace, or
    /// time-ordered (the store's default: they add to the end of the event-id index; Foundation's random UUID()
    /// would also open /dev/urandom for each).
    private func mint(_ pending: [PendingEvent], context: CommandContext) throws -> [ProposedEvent] {
        try pending.enumerated().map { index, event in
            try EventCodec.proposed(
                event,
                id: context.idempotencyNamespace.map { EventCodec.deterministicID(namespace: $0, index: index) } ?? UUID.timeOrdered(),
                actor: context.actor, correlationId: context.correlationId, causationId: nil, limits: store.limits)
        }
    }
}

/// What a command is decided on, taken from the domain log in one step. A group counts the stream's version
/// on over the commands it decides; a batch also applies its earlier commands' events (`apply`).
struct DecisionInputs: Sendable {
    var registry: Registry
    /// The process the command concerns (nil: not a process command, or no such process yet).
    var process: ProcessState?
    /// The command's stream's version (nil: no event yet).
    var streamVersion: Int64?
    /// The log position the inputs reflect.
    var position: Int64
    /// The outcomes of requests whose events are already in the log (retries after a lost response), by
    /// idempotency namespace.
    var replays: [String: CommandOutcome] = [:]

    /// The `If-Match` check: the process exists and its stream is at `expected` (nil: any version). The version
    /// is the group's count, as the process does not have the group's earlier events applied.
    func requireVersion(_ expected: Int64?, of id: ProcessID) throws(ServiceError) {
        guard let expected else { return }
        guard process != nil, let current = streamVersion else { throw .notFound("process \(id)") }
        guard current == expected else { throw .versionMismatch(expected: expected, current: current) }
    }

    /// Applies events decided but not yet appended, as they will be recorded (positions and the recording time
    /// are provisional; no decision depends on them). The stream's version is counted as commands are decided.
    mutating func apply(_ pending: [PendingEvent], ids: [UUID], actor: ActorRef, recordedAt: Instant) {
        for (event, id) in zip(pending, ids) {
            position += 1
            let envelope = DomainEnvelope(id: EntryID(id), position: position, occurredAt: event.occurredAt, recordedAt: recordedAt,
                                          actor: actor, event: event.event)
            if case .process = event.event.aggregate {
                if process == nil, case .processOpened(let opened) = event.event {
                    process = ProcessState(opening: envelope, opened)
                } else {
                    process?.apply(envelope)
                }
            } else {
                registry.apply(envelope)
            }
        }
    }
}

/// Appends made by commands, for `/metrics` (swift-metrics; the server exports them to Prometheus). The
/// metrics are looked up at each append rather than held, because the metrics system is bootstrapped by the
/// server after the service exists.
enum AppendMetrics {
    static func record(aggregate: AggregateKey, events: Int, since start: ContinuousClock.Instant, replayed: Bool) {
        let kind: String = switch aggregate {
        case .process: "process"
        case .party: "party"
        case .body: "body"
        case .weightTable: "weight-table"
        case .template: "template"
        }
        let elapsed = ContinuousClock.now - start
        Timer(label: "accord_append_duration_seconds", dimensions: [("aggregate", kind)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        guard !replayed else { return }
        Counter(label: "accord_appends_total", dimensions: [("aggregate", kind)]).increment()
        Counter(label: "accord_appended_events_total", dimensions: [("aggregate", kind)]).increment(by: events)
    }
}
