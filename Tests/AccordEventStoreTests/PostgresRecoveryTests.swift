import AccordTestSupport
import AccordEventStore
import Foundation
import Testing

/// PostgreSQL only: what has no SQLite counterpart (server connections that die, notifications between
/// instances).
@Suite("PostgreSQL connections")
struct PostgresRecoveryTests {
    @Test("after the server drops every connection, the next calls succeed without reopening the store")
    func recoversFromTerminatedConnections() async throws {
        try await withTestStore(.postgres) { store, database in
            try await store.append(to: stream("s"), expectedVersion: .noStream, events: [proposed()])
            #expect(try await store.readAll(after: 0, limit: 10).count == 1)

            // What a server restart does to the store's pooled, appender and listener connections.
            let admin = try TestPostgres.requireAdminURL()
            let terminated = try await terminateConnections(to: database, admin: admin)
            #expect(terminated >= 2)

            let appended = try await store.append(to: stream("s"), expectedVersion: .exactly(0), events: [proposed()])
            #expect(appended.placements.map(\.position) == [2])
            #expect(try await store.readAll(after: 0, limit: 10).count == 2)
            #expect(try await store.headPosition() == 2)
            let rows = try await store.database.transaction { try $0.query("SELECT count(*) FROM accord_events") }
            #expect(try rows.first?.int(0) == 2)
            _ = try await terminateConnections(to: database, admin: admin)
            #expect(try await store.database.read { try $0.query("SELECT 1") }.count == 1)
            #expect(try await store.streamVersion(stream("s")) == 1)

            // The listener reconnects too: a waiter is woken by an append after the outage.
            let waited = try await timeWakeUp(of: store, after: 2) {
                try await store.append(to: stream("s"), expectedVersion: .exactly(1), events: [proposed()])
            }
            #expect(waited < .seconds(20))
            #expect(try await store.verifyChain(progress: nil).isIntact)
        }
    }

    @Test("an append in one instance wakes a subscriber of another")
    func notifiesOtherInstances() async throws {
        try await withTestStore(.postgres) { listening, database in
            let writing = try await database.open()
            let waited = try await timeWakeUp(of: listening, after: 0) {
                try await writing.append(to: stream("s"), expectedVersion: .noStream, events: [proposed()])
            }
            #expect(waited < .seconds(20))
            await writing.close()
        }
    }

    @Test("connection strings: URI, key=value and the PG* environment variables")
    func connectionStrings() async throws {
        let admin = try TestPostgres.requireAdminURL()
        guard let url = URLComponents(string: admin), let host = url.host, let port = url.port else {
            Issue.record("ACCORD_TEST_POSTGRES_URL must be a postgres:// URL with host and port")
            return
        }
        let user = url.user ?? "postgres"
        let keyValue = "host=\(host) port=\(port) user=\(user) dbname=postgres"
        let viaKeyValue = try await PostgresAdmin.recreateDatabase(named: "accord_test_conninfo", using: keyValue)
        #expect(viaKeyValue.hasSuffix("dbname='accord_test_conninfo'"))
        let store = try await EventStoreFactory.open(.postgres(conninfo: viaKeyValue))
        try await store.append(to: stream("s"), expectedVersion: .noStream, events: [proposed()])
        await store.close()
        try await PostgresAdmin.dropDatabase(named: "accord_test_conninfo", using: admin)
        // The PG* variables are read by libpq itself when the connection string is empty; they are process-wide,
        // so that case is exercised by `accord migrate --database postgres` in a child process.
        guard let accord = AccordBinary.locate() else { return }
        let database = try await TestDatabase.fresh(.postgres)
        guard case .postgres(let conninfo) = database.location, let name = URLComponents(string: conninfo)?.path.dropFirst()
        else { return }
        let child = try accord.start(["migrate", "--database", "postgres"], environment: [
            "PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": String(name),
        ])
        try await child.waitForExit(within: .seconds(60))
        #expect(child.exitStatus == 0, "\(child.lines)")
        #expect(child.lines.contains { $0.contains("schema version") })
        await database.cleanUp()
    }
}

/// Terminates every server connection to `database` but the caller's own; returns how many were terminated.
func terminateConnections(to database: TestDatabase, admin: String) async throws -> Int {
    guard case .postgres(let conninfo) = database.location, let name = URLComponents(string: conninfo)?.path.dropFirst() else {
        return 0
    }
    let rows = try await PostgresAdmin.query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [.text(String(name))], using: admin)
    return Int(try rows.first?.int(0) ?? 0)
}
