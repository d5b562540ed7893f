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
        try await run(aggregate: command.aggregate, context: context) { registry, _ in
            try command.decide(registry, now: clock.now())
        } version: { _ in nil }
    }

    public func execute(_ command: ProcessCommand, context: CommandContext) async throws(ServiceError) -> CommandOutcome {
        let id = command.process
        return try await run(aggregate: .process(id), context: context) { registry, log in
            let state = await log.process(id)
            if let expected = context.expectedVersion {
                guard let state else { throw ServiceError.notFound("process \(id)") }
                guard state.streamVersion == expected else {
                    throw ServiceError.versionMismatch(expected: expected, current: state.streamVersion)
                }
            }
            return try command.decide(state, registry: registry, now: clock.now(), knownProcesses: await log.processIDs)
        } version: { log in await log.process(id)?.streamVersion }
    }

    /// The outcome of a request whose events are already in the log (a retry after the response was lost).
    func recorded(namespace: String) async -> CommandOutcome? {
        var found: [(EntryID, DomainLog.Placement)] = []
        while let placement = await log.placement(of: EntryID(EventCodec.deterministicID(namespace: namespace, index: found.count))) {
            found.append((EntryID(EventCodec.deterministicID(namespace: namespace, index: found.count)), placement))
        }
        guard let last = found.last?.1 else { return nil }
        return CommandOutcome(
            stream: last.stream,
            recorded: found.map { .init(entry: $0.0, type: $0.1.type, position: $0.1.position, occurredAt: $0.1.occurredAt, recordedAt: $0.1.recordedAt) },
            version: last.streamVersion, wasAlreadyRecorded: true)
    }

    /// Serialises commands on `aggregate`, decides with `decide` and appends what it returns (retrying on a
    /// concurrent change unless the caller pinned a version).
    func run(
        aggregate: AggregateKey, context: CommandContext,
        decide: (Registry, DomainLog) async throws -> [PendingEvent],
        version: (DomainLog) async -> Int64?
    ) async throws(ServiceError) -> CommandOutcome {
        let stream = EventCodec.streamName(aggregate)
        await locks.acquire(stream.rawValue)
        let result: Result<CommandOutcome, ServiceError>
        do {
            result = .success(try await attempts(aggregate: aggregate, stream: stream, context: context, decide: decide, version: version))
        } catch {
            result = .failure(error)
        }
        await locks.release(stream.rawValue)
        return try result.get()
    }

    private func attempts(
        aggregate: AggregateKey, stream: StreamName, context: CommandContext,
        decide: (Registry, DomainLog) async throws -> [PendingEvent],
        version: (DomainLog) async -> Int64?
    ) async throws(ServiceError) -> CommandOutcome {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await log.synchronize()
                if let namespace = context.idempotencyNamespace, let replay = await recorded(namespace: namespace) { return replay }
                let registry = await log.registry()
                let pending = try await decide(registry, log)
                // As ingested after `synchronize`: another writer since then makes the append fail, and the loop decide again.
                let current = await log.streamVersion(of: stream.rawValue)
                guard !pending.isEmpty else {
                    return CommandOutcome(stream: stream.rawValue, recorded: [], version: current, wasAlreadyRecorded: false)
                }
                let proposed = try pending.enumerated().map { index, event in
                    try EventCodec.proposed(
                        event,
                        id: context.idempotencyNamespace.map { EventCodec.deterministicID(namespace: $0, index: index) } ?? UUID(),
                        actor: context.actor, correlationId: context.correlationId, causationId: nil, limits: store.limits)
                }
                let expected: ExpectedVersion = current.map { .exactly($0) } ?? .noStream
                let started = ContinuousClock.now
                let result = try await store.append(to: stream, expectedVersion: expected, events: proposed)
                AppendMetrics.record(aggregate: aggregate, events: proposed.count, since: started, replayed: result.wasAlreadyRecorded)
                try await log.ingest(upTo: result.lastPosition)
                return CommandOutcome(
                    stream: stream.rawValue,
                    recorded: zip(result.placements, proposed).map { placement, event in
                        .init(entry: EntryID(placement.eventId), type: event.type, position: placement.position,
                              occurredAt: event.occurredAt, recordedAt: placement.recordedAt)
                    },
                    version: await version(log) ?? result.version(of: stream),
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

/// A mutual exclusion per key, fair in arrival order.
actor KeyedLock {
    private var holders: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ key: String) async {
        if holders[key] == nil {
            holders[key] = []
            return
        }
        await withCheckedContinuation { holders[key, default: []].append($0) }
    }

    func release(_ key: String) {
        guard var waiting = holders[key] else { return }
        if waiting.isEmpty {
            holders[key] = nil
        } else {
            let next = waiting.removeFirst()
            holders[key] = waiting
            next.resume()
        }
    }
}
