import AccordDomain
import AccordEventStore
import Foundation
import Logging
import Metrics
import Synchronization

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
public struct CommandService: Sendable {
    public let log: DomainLog
    public let clock: any WallClock
    let logger: Logger
    /// Commands on one aggregate run one at a time in this process, so they do not race each other's
    /// version checks; across processes (several servers) the store's expected-version check decides.
    let locks = KeyedLock()
    static let maximumAttempts = 5

    public init(log: DomainLog, clock: any WallClock, logger: Logger = Logger(label: "accord.commands")) {
        self.log = log
        self.clock = clock
        self.logger = logger
    }

    var store: any EventStore { log.store }

    public func execute(_ command: RegistryCommand, context: CommandContext) async throws(ServiceError) -> CommandOutcome {
        try await run(aggregate: command.aggregate, context: context) { inputs in
            try command.decide(inputs.registry, now: clock.now())
        }
    }

    public func execute(_ command: ProcessCommand, context: CommandContext) async throws(ServiceError) -> CommandOutcome {
        let id = command.process
        return try await run(aggregate: .process(id), context: context) { inputs in
            let state = inputs.process
            if let expected = context.expectedVersion {
                guard let state else { throw ServiceError.notFound("process \(id)") }
                guard state.streamVersion == expected else {
                    throw ServiceError.versionMismatch(expected: expected, current: state.streamVersion)
                }
            }
            // Only an opening may name other processes (its dependency rules); the set is built for it alone.
            var known: Set<ProcessID> = []
            if case .open = command { known = await log.processIDs }
            return try command.decide(state, registry: inputs.registry, now: clock.now(), knownProcesses: known)
        }
    }

    /// Serialises commands on `aggregate`, decides with `decide` and appends what it returns (retrying on a
    /// concurrent change unless the caller pinned a version).
    func run(
        aggregate: AggregateKey, context: CommandContext,
        decide: (DecisionInputs) async throws -> [PendingEvent]
    ) async throws(ServiceError) -> CommandOutcome {
        let stream = EventCodec.streamName(aggregate)
        await locks.acquire(stream.rawValue)
        let result: Result<CommandOutcome, ServiceError>
        do {
            result = .success(try await attempts(aggregate: aggregate, stream: stream, context: context, decide: decide))
        } catch {
            result = .failure(error)
        }
        locks.release(stream.rawValue)
        return try result.get()
    }

    private func attempts(
        aggregate: AggregateKey, stream: StreamName, context: CommandContext,
        decide: (DecisionInputs) async throws -> [PendingEvent]
    ) async throws(ServiceError) -> CommandOutcome {
        let process: ProcessID? = if case .process(let id) = aggregate { id } else { nil }
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
                let inputs = await log.decisionInputs(stream: stream.rawValue, process: process, request: context.idempotencyNamespace)
                if let replay = inputs.replay { return replay }
                let pending: [PendingEvent]
                do {
                    pending = try await decide(inputs)
                } catch {
                    // Refused on what this instance had ingested: another writer may have recorded what the command
                    // needs (a party, a membership, the process, the version the caller saw). Decide again on it.
                    if !synchronized {
                        try await log.synchronize()
                        synchronized = true
                        if await log.position > inputs.position {
                            attempt -= 1
                            continue
                        }
                    }
                    throw error
                }
                guard !pending.isEmpty else {
                    return CommandOutcome(stream: stream.rawValue, recorded: [], version: inputs.streamVersion, wasAlreadyRecorded: false)
                }
                // Time-ordered ids (the store's default) add to the end of the event-id index; Foundation's
                // random UUID() would also open /dev/urandom for each.
                let proposed = try pending.enumerated().map { index, event in
                    try EventCodec.proposed(
                        event,
                        id: context.idempotencyNamespace.map { EventCodec.deterministicID(namespace: $0, index: index) } ?? UUID.timeOrdered(),
                        actor: context.actor, correlationId: context.correlationId, causationId: nil, limits: store.limits)
                }
                let expected: ExpectedVersion = inputs.streamVersion.map { .exactly($0) } ?? .noStream
                let started = ContinuousClock.now
                let result = try await store.append(to: stream, expectedVersion: expected, events: proposed)
                AppendMetrics.record(aggregate: aggregate, events: proposed.count, since: started, replayed: result.wasAlreadyRecorded)
                try await log.ingest(appended: result.events, upTo: result.lastPosition)
                return CommandOutcome(
                    stream: stream.rawValue,
                    recorded: zip(result.placements, proposed).map { placement, event in
                        .init(entry: EntryID(placement.eventId), type: event.type, position: placement.position,
                              occurredAt: event.occurredAt, recordedAt: placement.recordedAt)
                    },
                    // The version this command produced, not a later writer's: the caller's next If-Match.
                    version: result.version(of: stream),
                    wasAlreadyRecorded: result.wasAlreadyRecorded)
            } catch let error as EventStoreError {
                if case .wrongExpectedVersion(_, _, let actual) = error {
                    // Someone else recorded in between: decide again on the new state, unless the caller pinned a version.
                    if let expectedVersion = context.expectedVersion {
                        throw .versionMismatch(expected: expectedVersion, current: actual ?? -1)
                    }
                    if attempt < Self.maximumAttempts {
                        try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 * attempt))))
                        continue
                    }
                    throw .conflict(current: actual ?? -1)
                }
                if case .idempotencyConflict = error, context.idempotencyNamespace != nil {
                    throw .idempotencyKeyReused
                }
                throw .store(error)
            } catch {
                throw ServiceError.wrap(error)
            }
        }
    }
}

/// What a command is decided on, taken from the domain log in one step.
struct DecisionInputs: Sendable {
    var registry: Registry
    /// The process the command concerns, as ingested (nil: not a process command, or no such process yet).
    var process: ProcessState?
    /// The command's stream's version, as ingested (nil: no event yet): the append's expected version.
    var streamVersion: Int64?
    /// The log position the inputs reflect.
    var position: Int64
    /// The outcome of the request when its events are already in the log (a retry after a lost response).
    var replay: CommandOutcome?
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

/// A mutual exclusion per key, fair in arrival order. A mutex rather than an actor: taking and giving back the
/// lock then costs no hop to another executor.
final class KeyedLock: Sendable {
    private let holders = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func acquire(_ key: String) async {
        let taken = holders.withLock { holders -> Bool in
            guard holders[key] == nil else { return false }
            holders[key] = []
            return true
        }
        if taken { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = holders.withLock { holders -> Bool in
                if holders[key] == nil {
                    holders[key] = []
                    return true
                }
                holders[key, default: []].append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    func release(_ key: String) {
        let next = holders.withLock { holders -> CheckedContinuation<Void, Never>? in
            guard var waiting = holders[key] else { return nil }
            if waiting.isEmpty {
                holders[key] = nil
                return nil
            }
            let next = waiting.removeFirst()
            holders[key] = waiting
            return next
        }
        next?.resume()
    }
}
