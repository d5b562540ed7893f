import CLibPQ
import Foundation

/// One libpq connection, used by one thread at a time. It connects lazily, notices when the server dropped it
/// (restart, `pg_terminate_backend`, network) and reconnects on the next use; prepared statements are cached
/// per connection and forgotten with it.
final class PGConnection: SQLConnection {
    let dialect = SQLDialect.postgres
    /// A libpq connection string: a `postgres://` URI, `key=value` pairs, or empty for the `PG*` variables.
    let conninfo: String
    private(set) var handle: OpaquePointer?
    private var statementNames: [String: String] = [:]
    /// The SQLSTATE of the last failed statement (e.g. `23505` for a unique violation), empty when none.
    private(set) var lastErrorState = ""
    private var statementCounter = 0
    private static let maximumCachedStatements = 500

    init(conninfo: String) {
        self.conninfo = conninfo
    }

    deinit { disconnect() }

    /// True when there is no usable connection (never opened, or the server went away).
    var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    func connect() throws(EventStoreError) {
        disconnect()
        // `dbname` is expanded as a connection string (URI or key=value); the keywords after it add to it.
        // Empty values are ignored by libpq, so an empty conninfo falls back to PGHOST, PGDATABASE, ….
        let keywords = ["dbname", "client_encoding", "fallback_application_name"]
        let values = [conninfo, "UTF8", "accord"]
        let connection = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw .unavailable("libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw .unavailable("cannot connect to PostgreSQL: \(message)")
        }
        // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    func ensureConnected() throws(EventStoreError) {
        if isBroken { try connect() }
    }

    func disconnect() {
        if let handle { PQfinish(handle) }
        handle = nil
        statementNames.removeAll()
    }

    // MARK: Running statements

    /// Runs one or more statements without parameters (simple query protocol), e.g. BEGIN, COMMIT, DDL.
    @discardableResult
    func simple(_ sql: String) throws(EventStoreError) -> PGResult {
        let connection = try liveHandle()
        return try check(PQexec(connection, sql), context: sql)
    }

    /// Runs `sql` as a named prepared statement (prepared on first use on this connection). `parameters`
    /// carry their own types and formats; results come in binary (`binaryResults`) or text format.
    func run(_ sql: String, _ parameters: PGParameters, binaryResults: Bool) throws(EventStoreError) -> PGResult {
        let connection = try liveHandle()
        let name = try statementName(for: sql, types: parameters.types, connection: connection)
        let result = parameters.withUnsafeArguments { count, values, lengths, formats in
            PQexecPrepared(connection, name, count, values, lengths, formats, binaryResults ? 1 : 0)
        }
        return try check(result, context: sql)
    }

    private func statementName(for sql: String, types: [Oid], connection: OpaquePointer) throws(EventStoreError) -> String {
        let key = types.isEmpty || types.allSatisfy({ $0 == PGType.unspecified })
            ? sql : sql + "\u{0}" + types.map(String.init).joined(separator: ",")
        if let name = statementNames[key] { return name }
        if statementNames.count >= Self.maximumCachedStatements {
            try simple("DEALLOCATE ALL")
            statementNames.removeAll()
        }
        statementCounter += 1
        let name = "accord_\(statementCounter)"
        let result = types.withUnsafeBufferPointer { types in
            PQprepare(connection, name, sql, Int32(types.count), types.baseAddress)
        }
        _ = try check(result, context: sql)
        statementNames[key] = name
        return name
    }

    private func liveHandle() throws(EventStoreError) -> OpaquePointer {
        try ensureConnected()
        guard let handle else { throw .unavailable("no PostgreSQL connection") }
        return handle
    }

    /// Turns a failed result into a typed error: a lost connection is `unavailable` (the caller may reconnect
    /// and retry), anything else `database` with the server's message and SQLSTATE.
    private func check(_ result: OpaquePointer?, context: String) throws(EventStoreError) -> PGResult {
        guard let result else {
            let message = handle.map { Self.trimmed(PQerrorMessage($0)) } ?? "no connection"
            throw isBroken ? .unavailable("the PostgreSQL connection was lost: \(message)") : .database(message)
        }
        let owned = PGResult(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return owned
        default:
            let message = Self.trimmed(PQresultErrorMessage(result))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            lastErrorState = state
            // Class 08 is a connection exception; 57P01-57P03 mean the server is shutting down or starting.
            if isBroken || state.hasPrefix("08") || state.hasPrefix("57P") {
                throw .unavailable("PostgreSQL connection lost (\(state.isEmpty ? "no SQLSTATE" : state)): \(message)")
            }
            throw .database("\(message) (SQLSTATE \(state), in: \(context.prefix(120)))")
        }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: SQLConnection

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, Self.genericParameters(binds), binaryResults: false)
        return (0..<result.rowCount).map(result.textRow)
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        try run(sql, Self.genericParameters(binds), binaryResults: false).affectedRows
    }

    func executeScript(_ sql: String) throws {
        try simple(sql)
    }

    private static func genericParameters(_ binds: [SQLValue]) -> PGParameters {
        var parameters = PGParameters()
        for value in binds { parameters.generic(value) }
        return parameters
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension PGConnection {
    /// Commits the open transaction. PostgreSQL answers COMMIT of a transaction aborted by an earlier error with
    /// ROLLBACK; that is reported as an error rather than mistaken for success.
    func commit() throws(EventStoreError) {
        let result = try simple("COMMIT")
        if let status = PQcmdStatus(result.handle), String(cString: status) == "ROLLBACK" {
            throw .database("the transaction was aborted by an earlier error and rolled back")
        }
    }

    /// Ends a failed transaction; nothing to do when the connection is gone (the server rolled it back).
    func rollbackQuietly() {
        guard !isBroken else { return }
        _ = try? simple("ROLLBACK")
    }

    /// Runs the first statement of a unit of work. A pooled connection that the server dropped since its last
    /// use (restart, `pg_terminate_backend`) only shows it now: it is reopened and the statement sent again,
    /// which is safe because nothing of the unit of work has run yet.
    func start(_ sql: String) throws(EventStoreError) {
        do {
            try simple(sql)
        } catch .unavailable {
            disconnect()
            try simple(sql)
        }
    }
}
