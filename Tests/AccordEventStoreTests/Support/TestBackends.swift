import AccordEventStore
import AccordTestSupport
import AccordTime
import Foundation
import Synchronization
import Testing

/// A clock that starts at a fixed instant and advances one second per reading, so `recordedAt` is predictable.
final class SteppingClock: WallClock {
    static let start = Instant(microsecondsSinceEpoch: 1_750_000_000_000_000)
    private let readings = Mutex<Int64>(0)

    func now() -> Instant {
        let n = readings.withLock { value -> Int64 in
            defer { value += 1 }
            return value
        }
        return SteppingClock.start.adding(seconds: n)
    }
}

// MARK: Building events

let testActor = EventActor(id: "acct-7", name: "Secretariat Officer")

func proposed(
    _ type: String = "PositionRecorded", _ json: String = #"{"party":"DE","position":"support"}"#,
    id: UUID = UUID(), correlation: UUID? = nil, causation: UUID? = nil,
    occurredAt: Instant = Instant(microsecondsSinceEpoch: 1_700_000_000_123_456)
) -> ProposedEvent {
    // Test inputs are literals known to be valid JSON objects.
    let payload = (try? JSONPayload(canonicalizing: json)) ?? .emptyObject
    return ProposedEvent(
        id: id, type: type, payload: payload, actor: testActor, correlationId: correlation, causationId: causation,
        occurredAt: occurredAt)
}

func stream(_ name: String) -> StreamName { StreamName(trusted: name) }

/// Reads the whole log in position order.
func readWholeLog(_ store: any EventStore) async throws -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    while true {
        let page = try await store.readAll(after: events.last?.position ?? 0, limit: 500)
        events.append(contentsOf: page)
        if page.count < 500 { return events }
    }
}

/// Runs `body`, failing the test if it takes longer than `limit` (a hung subscriber must not hang the suite).
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what, limit: limit)
        }
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var limit: Duration
    var description: String { "\(what) did not finish within \(limit)" }
}
