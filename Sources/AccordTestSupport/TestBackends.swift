import AccordEventStore
import AccordTime
import Foundation
import Testing

// Shared by the test targets: a fresh database of either engine per test. PostgreSQL cases run against
// ACCORD_TEST_POSTGRES_URL (scripts/test starts a throwaway server) and never pass silently without one.

/// The engines the contract suite runs against, unchanged.
public enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    public var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// The test PostgreSQL server: `ACCORD_TEST_POSTGRES_URL` (a maintenance database on a server where the role
/// may create databases; `scripts/test` starts a throwaway one).
public enum TestPostgres {
    public static var adminURL: String? {
        ProcessInfo.processInfo.environment["ACCORD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["ACCORD_REQUIRE_POSTGRES"] == "1" }

    /// The admin URL, or a visible skip (a failure when `ACCORD_REQUIRE_POSTGRES=1`): PostgreSQL cases never
    /// pass silently without a server.
    public static func requireAdminURL() throws -> String {
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
public struct TestDatabase: Sendable {
    public let backend: Backend
    public let location: DatabaseLocation
    private let remove: @Sendable () async -> Void

    public static func fresh(_ backend: Backend) async throws -> TestDatabase {
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
    public var argument: String {
        switch location {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let conninfo): conninfo
        }
    }

    public func open(
        clock: any WallClock = SystemWallClock(), limits: EventStoreLimits = EventStoreLimits()
    ) async throws -> any EventStore {
        try await EventStoreFactory.open(location, options: EventStoreOptions(clock: clock, limits: limits))
    }

    public func cleanUp() async { await remove() }
}

/// Runs `body` with a store on a fresh database of `backend`, then closes the store and removes the database.
public func withTestStore(
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


/// A clock tests move by hand: expiries and deadlines without sleeping.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Instant

    public init(_ start: Instant = SystemWallClock().now()) { current = start }

    public func now() -> Instant { lock.withLock { current } }

    public func advance(seconds: Int64) { lock.withLock { current = current.adding(seconds: seconds) } }
}
