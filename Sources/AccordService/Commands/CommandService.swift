import AccordDomain
import AccordEventStore
import Foundation
import Logging

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

    private func run(
        aggregate: AggregateKey, context: CommandContext,
        decide: (Registry, DomainLog) async throws -> [PendingEvent],
        version: (DomainLog) async -> Int64?
    ) async throws(ServiceError) -> CommandOutcome {
        let stream = EventCodec.streamName(aggregate)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await log.synchronize()
                let registry = await log.registry()
                let pending = try await decide(registry, log)
                let current = try await store.streamVersion(stream)
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
                let result = try await store.append(to: stream, expectedVersion: expected, events: proposed)
                await log.waitUntil(result.lastPosition)
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
                    if attempt < Self.maximumAttempts { continue }
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
