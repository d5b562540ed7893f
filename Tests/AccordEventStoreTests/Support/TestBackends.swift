import AccordEventStore
import AccordTime
import Foundation
import Synchronization
import Testing

/// The engines the contract suite runs against, unchanged.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// The test PostgreSQL server: `ACCORD_TEST_POSTGRES_URL` (a maintenance database on a server where the role
/// may create databases; `scripts/test` starts a throwaway one).
enum TestPostgres {
    static var adminURL: String? {
        ProcessInfo.processInfo.environment["ACCORD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isRequired: Bool { ProcessInfo.processInfo.environment["ACCORD_REQUIRE_POSTGRES"] == "1" }

    /// The admin URL, or a visible skip (a failure when `ACCORD_REQUIRE_POSTGRES=1`): PostgreSQL cases never
    /// pass silently without a server.
    static func requireAdminURL() throws -> String {
        if let adminURL { return adminURL }
        if isRequired {
            Issue.record("ACCORD_REQUIRE_POSTGRES=1 but ACCORD_TEST_POSTGRES_URL is not set: the PostgreSQL cases cannot run")
        } else {
            // A warning shows in the run's output without failing it; the cancellation marks the case skipped.
            Issue.record(
                "PostgreSQL case skipped: set ACCORD_TEST_POSTGRES_URL (scripts/test starts a throwaway server)",
                severity: .warning)
        }
        try Test.cancel("PostgreSQL case skipped: ACCORD_TEST_POSTGRES_URL is not set")
    }
}

/// A fresh, empty database for one test: a temporary SQLite file, or a new PostgreSQL database.
struct TestDatabase: Sendable {
    let backend: Backend
    let location: DatabaseLocation
    private let remove: @Sendable () async -> Void

    static func fresh(_ backend: Backend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("accord-test-\(UUID().uuidString.lowercased())")
            // The store creates missing parent folders itself; the test only picks a path inside a new one.
            return TestDatabase(backend: backend, location: .sqlite(path: folder.appendingPathComponent("events.sqlite").path)) {
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            let admin = try TestPostgres.requireAdminURL()
            let name = "accord_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))"
            let conninfo = try await PostgresAdmin.recreateDatabase(named: name, using: admin)
            return TestDatabase(backend: backend, location: .postgres(conninfo: conninfo)) {
                try? await PostgresAdmin.dropDatabase(named: name, using: admin)
            }
        }
    }

    /// The text form of the location, as the `accord` binary takes it in `--database`.
    var argument: String {
        switch location {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let conninfo): conninfo
        }
    }

    func open(
        clock: any WallClock = SystemWallClock(), limits: EventStoreLimits = EventStoreLimits()
    ) async throws -> any EventStore {
        try await EventStoreFactory.open(location, options: EventStoreOptions(clock: clock, limits: limits))
    }

    func cleanUp() async { await remove() }
}

/// Runs `body` with a store on a fresh database of `backend`, then closes the store and removes the database.
func withTestStore(
    _ backend: Backend, clock: any WallClock = SystemWallClock(), limits: EventStoreLimits = EventStoreLimits(),
    _ body: (any EventStore, TestDatabase) async throws -> Void
) async throws {
    let database = try await TestDatabase.fresh(backend)
    let store: any EventStore
    do {
        store = try await database.open(clock: clock, limits: limits)
    } catch {
        await database.cleanUp()
        throw error
    }
    do {
        try await body(store, database)
    } catch {
        await store.close()
        await database.cleanUp()
        throw error
    }
    await store.close()
    await database.cleanUp()
}

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
