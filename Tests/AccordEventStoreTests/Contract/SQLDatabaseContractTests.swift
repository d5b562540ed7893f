import AccordTestSupport
import AccordEventStore
import Foundation
import Testing

extension EventStoreContract {
    @Test("SQL layer: $n placeholders, exact values, commit and rollback", arguments: Backend.allCases)
    func sqlDatabase(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let db = store.database
            #expect(db.dialect == (backend == .sqlite ? .sqlite : .postgres))
            try await db.transaction { connection in
                try connection.executeScript("CREATE TABLE read_model (id TEXT PRIMARY KEY, n BIGINT, data BYTEA_OR_BLOB, note TEXT)"
                    .replacingOccurrences(of: "BYTEA_OR_BLOB", with: connection.dialect == .sqlite ? "BLOB" : "BYTEA"))
                // $2 before $1 on purpose: SQLite binds placeholders by name, not by order of appearance.
                try connection.execute(
                    "INSERT INTO read_model (n, id, data, note) VALUES ($2, $1, $3, $4)",
                    ["a", .integer(Int64.max), .blob([0, 1, 254, 255]), nil])
                try connection.execute("INSERT INTO read_model (id, n, data, note) VALUES ($1, $2, $3, $4)",
                                       ["b", -7, .blob([]), "Zürich ✓"])
            }
            let rows = try await db.read { connection in
                try connection.query("SELECT id, n, data, note FROM read_model WHERE n < $1 OR id = $2 ORDER BY id", [0, "a"])
            }
            try #require(rows.count == 2)
            #expect(try rows[0].string(0) == "a")
            #expect(try rows[0].int(1) == Int64.max)
            #expect(try rows[0].blob(2) == [0, 1, 254, 255])
            #expect(try rows[0].optionalString(3) == nil)
            #expect(try rows[1].int(1) == -7)
            #expect(try rows[1].blob(2) == [])
            #expect(try rows[1].string(3) == "Zürich ✓")

            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await db.transaction { connection in
                    try connection.execute("DELETE FROM read_model WHERE id = $1", ["a"])
                    throw Abort()
                }
            }
            let changed = try await db.transaction { connection in
                try connection.execute("UPDATE read_model SET n = n + 1 WHERE id = $1 OR id = $2", ["b", "zzz"])
            }
            #expect(changed == 1)
            let count = try await db.read { try $0.query("SELECT count(*) FROM read_model").first?.int(0) }
            #expect(count == 2)
            await #expect(throws: EventStoreError.self) {
                try await db.read { try $0.query("SELECT * FROM no_such_table") }
            }
        }
    }

    @Test("a rebuildable transaction commits without waiting for the disk, for itself only; a failed one leaves nothing",
          arguments: Backend.allCases)
    func rebuildableTransaction(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let db = store.database
            // SQLite: PRAGMA synchronous (2 FULL, 1 NORMAL) on the writer; PostgreSQL: synchronous_commit.
            let setting = backend == .sqlite ? "PRAGMA synchronous" : "SHOW synchronous_commit"
            @Sendable func read(_ connection: any SQLConnection) throws -> String {
                let row = try connection.query(setting).first
                return backend == .sqlite ? String(try row?.int(0) ?? -1) : try row?.string(0) ?? "?"
            }
            // A durable transaction keeps the database's own setting: SQLite FULL by default; on PostgreSQL the
            // server's (scripts/test's throwaway cluster runs with synchronous_commit=off).
            let durable = try await db.transaction { try read($0) }
            if backend == .sqlite { #expect(durable == "2") }
            let relaxed = backend == .sqlite ? "1" : "off"
            try await db.transaction { try $0.executeScript("CREATE TABLE read_model (id TEXT PRIMARY KEY)") }
            let inside = try await db.transaction(.rebuildable) { connection -> String in
                try connection.execute("INSERT INTO read_model (id) VALUES ($1)", ["a"])
                return try read(connection)
            }
            #expect(inside == relaxed)
            #expect(try await db.transaction { try read($0) } == durable)

            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await db.transaction(.rebuildable) { connection in
                    try connection.execute("INSERT INTO read_model (id) VALUES ($1)", ["b"])
                    throw Abort()
                }
            }
            #expect(try await db.transaction { try read($0) } == durable)
            let ids = try await db.read { try $0.query("SELECT id FROM read_model ORDER BY id").map { try $0.string(0) } }
            #expect(ids == ["a"])
        }
    }
}
