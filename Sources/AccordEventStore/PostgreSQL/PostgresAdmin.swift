import Foundation

/// Creating and dropping whole databases on a server: used by the tests (a fresh database per test) and the
/// benchmark (a fresh database per measurement). `conninfo` points at a maintenance database (e.g. `postgres`)
/// with a role allowed to create databases.
public enum PostgresAdmin {
    /// Drops `name` if it exists, creates it empty (UTF8) and returns a conninfo for it.
    public static func recreateDatabase(named name: String, using conninfo: String) async throws -> String {
        let quoted = try quotedIdentifier(name)
        try await run(conninfo) { connection in
            try connection.simple("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
            try connection.simple("CREATE DATABASE \(quoted) ENCODING 'UTF8' TEMPLATE template0")
            return ()
        }
        return Self.conninfo(conninfo, database: name)
    }

    public static func dropDatabase(named name: String, using conninfo: String) async throws {
        let quoted = try quotedIdentifier(name)
        try await run(conninfo) { connection in
            try connection.simple("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
            return ()
        }
    }

    /// Runs one statement outside any transaction (e.g. `CHECKPOINT`, `SELECT pg_terminate_backend(…)`) and
    /// returns its rows.
    @discardableResult
    public static func query(_ sql: String, _ binds: [SQLValue] = [], using conninfo: String) async throws -> [SQLRow] {
        try await run(conninfo) { connection in try connection.query(sql, binds) }
    }

    /// `conninfo` with its database replaced by `database`, in the same form (URI or key=value).
    public static func conninfo(_ conninfo: String, database: String) -> String {
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://"),
           var components = URLComponents(string: conninfo)
        {
            components.path = "/" + database
            if let uri = components.string { return uri }
        }
        // In key=value form a repeated keyword overrides the earlier one.
        let escaped = database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return (conninfo.isEmpty ? "" : conninfo + " ") + "dbname='\(escaped)'"
    }

    private static func quotedIdentifier(_ name: String) throws(EventStoreError) -> String {
        guard !name.isEmpty, name.utf8.count <= 63, !name.contains("\u{0}") else {
            throw .database("'\(name)' is not a valid database name")
        }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func run<T: Sendable>(
        _ conninfo: String, _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        let database = PostgresDatabase(conninfo: conninfo, poolSize: 1)
        do {
            let result = try await database.withConnection(retrying: true, body)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}
