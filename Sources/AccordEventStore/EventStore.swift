import AccordTime
import Foundation

/// The append-only, hash-chained log. One protocol, two backends (SQLite, PostgreSQL) with identical behaviour;
/// the contract suite in `Tests/AccordEventStoreTests` runs unchanged against both.
public protocol EventStore: Sendable {
    /// The database the log lives in; projections write their read models and checkpoints through it, in the
    /// same transactions.
    var database: any SQLDatabase { get }

    var limits: EventStoreLimits { get }

    /// Appends to several streams in one transaction: all events are written, or none. Each stream's expected
    /// version is checked. Re-sending events that were already appended (same ids, same content) returns their
    /// original placements and writes nothing.
    @discardableResult
    func append(_ appends: [StreamAppend]) async throws -> AppendResult

    /// Events of one stream with version ≥ `fromVersion`, in version order, at most `limit`.
    func readStream(_ stream: StreamName, fromVersion: Int64, limit: Int) async throws -> [RecordedEvent]

    /// The current version of a stream, nil when it does not exist.
    func streamVersion(_ stream: StreamName) async throws -> Int64?

    /// Events with position > `position`, in position order, at most `limit`.
    func readAll(after position: Int64, limit: Int) async throws -> [RecordedEvent]

    /// The position of the last event (0 when the log is empty).
    func headPosition() async throws -> Int64

    /// The newest head this process has seen committed: its own appends, and other writers' as their
    /// notifications arrive (PostgreSQL). A hint without a read, never ahead of the log; it may lag behind it.
    var knownHead: Int64 { get }

    /// Suspends until an event with a position greater than `position` may exist, or `timeout` passes.
    /// A wake-up only: callers read by position afterwards.
    func waitForEvents(after position: Int64, timeout: Duration) async

    /// Walks the log from the beginning and reports the first position where the chain breaks.
    func verifyChain(progress: (@Sendable (Int64) -> Void)?) async throws -> ChainVerification

    /// Releases connections and stops background work.
    func close() async
}

extension EventStore {
    /// Appends to a single stream.
    @discardableResult
    public func append(to stream: StreamName, expectedVersion: ExpectedVersion, events: [ProposedEvent])
        async throws -> AppendResult
    {
        try await append([StreamAppend(stream: stream, expectedVersion: expectedVersion, events: events)])
    }

    /// Follows the log: yields every event after `position` in order (catching up first), then new events as
    /// they are committed. Gap-free: it never skips an event, whatever the concurrency of writers.
    public func subscribe(after position: Int64, pageSize: Int = 1000) -> EventSubscription {
        EventSubscription(store: self, after: position, pageSize: pageSize)
    }

    public func readStream(_ stream: StreamName) async throws -> [RecordedEvent] {
        var all: [RecordedEvent] = []
        var from: Int64 = 0
        while true {
            let page = try await readStream(stream, fromVersion: from, limit: 1000)
            all.append(contentsOf: page)
            guard page.count == 1000, let last = page.last else { return all }
            from = last.streamVersion + 1
        }
    }
}

/// Bounds on what an append may contain. Violations are typed errors and nothing is written.
public struct EventStoreLimits: Sendable, Hashable {
    public var maximumPayloadBytes: Int
    public var maximumEventsPerAppend: Int
    public var maximumEventTypeLength: Int

    public init(
        maximumPayloadBytes: Int = JSONPayload.defaultMaximumBytes, maximumEventsPerAppend: Int = 10_000,
        maximumEventTypeLength: Int = 100
    ) {
        self.maximumPayloadBytes = maximumPayloadBytes
        self.maximumEventsPerAppend = maximumEventsPerAppend
        self.maximumEventTypeLength = maximumEventTypeLength
    }

    /// Checks everything that can be checked without the database; shared by both backends.
    public func validate(_ appends: [StreamAppend]) throws(EventStoreError) {
        guard !appends.isEmpty, appends.contains(where: { !$0.events.isEmpty }) else { throw .emptyAppend }
        var streams = Set<StreamName>()
        var ids = Set<UUID>()
        var total = 0
        for append in appends {
            guard streams.insert(append.stream).inserted else {
                throw .duplicateStreamInAppend(stream: append.stream.rawValue)
            }
            if case .exactly(let n) = append.expectedVersion, n < 0 {
                throw .invalidExpectedVersion(String(n))
            }
            for event in append.events {
                total += 1
                guard ids.insert(event.id).inserted else { throw .duplicateEventInAppend(eventId: event.id) }
                try validateType(event.type)
                guard event.payload.bytes.count <= maximumPayloadBytes else {
                    throw .payloadTooLarge(bytes: event.payload.bytes.count, limit: maximumPayloadBytes)
                }
                guard event.schemaVersion >= 1 else {
                    throw .invalidEventType(event.type, reason: "schema version must be 1 or more")
                }
                try validateActor(event.actor)
            }
        }
        guard total <= maximumEventsPerAppend else {
            throw .invalidPayload(reason: "an append holds at most \(maximumEventsPerAppend) events; this one has \(total)")
        }
    }

    func validateActor(_ actor: EventActor) throws(EventStoreError) {
        // Both engines must store the same events; PostgreSQL text cannot hold NUL, so neither engine takes it.
        for field in [actor.id, actor.name] where field.utf8.contains(0) {
            throw .invalidActor(field.replacingOccurrences(of: "\u{0}", with: "\\0"), reason: "an actor's id and name cannot contain NUL characters")
        }
    }

    func validateType(_ type: String) throws(EventStoreError) {
        guard !type.isEmpty else { throw .invalidEventType(type, reason: "an event type cannot be empty") }
        guard type.utf8.count <= maximumEventTypeLength else {
            throw .invalidEventType(String(type.prefix(40)), reason: "an event type is at most \(maximumEventTypeLength) bytes")
        }
        guard type.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
            throw .invalidEventType(type, reason: "use letters, digits, '.', '_' or '-'")
        }
    }
}

/// The wall clock that stamps `recordedAt`. Injected so tests can control time.
public protocol WallClock: Sendable {
    func now() -> Instant
}

public struct SystemWallClock: WallClock {
    public init() {}

    public func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(microsecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}
