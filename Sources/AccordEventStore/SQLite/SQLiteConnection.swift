import CSQLite
import Foundation

/// How SQLite makes commits durable.
public enum SQLiteSynchronous: String, Sendable, Hashable, CaseIterable {
    /// The WAL is flushed at every commit: a committed append survives a power loss (the default).
    case full
    /// The WAL is flushed at checkpoints only: a committed append survives a crash of Accord, but a power loss
    /// can drop the last commits. Faster single-event appends.
    case normal
}

/// Settings of the SQLite backend.
public struct SQLiteOptions: Sendable, Hashable {
    public var synchronous: SQLiteSynchronous
    /// How long a write waits for another process holding the write lock before failing.
    public var busyTimeoutMilliseconds: Int32
    /// Read-only connections serving reads concurrently with the single writer.
    public var readerCount: Int
    /// Memory-mapped I/O, in bytes of the file (0 disables it): reads then copy nothing through the kernel.
    public var mmapBytes: Int64
    /// Page cache of the writer connection, in KiB. Appends touch index pages all over the file (stream
    /// versions, event ids); keeping them cached saves a read for each.
    public var writerCacheKiB: Int
    /// WAL length in pages at which the writer copies the WAL back into the database file (SQLite's
    /// `wal_autocheckpoint`).
    public var checkpointPages: Int32

    public init(
        synchronous: SQLiteSynchronous = .full, busyTimeoutMilliseconds: Int32 = 10_000, readerCount: Int = 4,
        mmapBytes: Int64 = 1 << 30, writerCacheKiB: Int = 64 * 1024, checkpointPages: Int32 = 1_000
    ) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readerCount = readerCount
        self.mmapBytes = mmapBytes
        self.writerCacheKiB = writerCacheKiB
        self.checkpointPages = checkpointPages
    }
}

/// One SQLite connection, used by one thread at a time (opened with `SQLITE_OPEN_NOMUTEX`), with a cache of
/// prepared statements keyed by their SQL text.
final class SQLiteConnection: SQLConnection {
    let handle: OpaquePointer
    let dialect = SQLDialect.sqlite
    private var statements: [String: SQLiteStatement] = [:]
    private static let maximumCachedStatements = 500

    init(path: String, readOnly: Bool, options: SQLiteOptions) throws(EventStoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw .unavailable("cannot open SQLite database '\(path)': \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        if readOnly {
            try executeScript("PRAGMA mmap_size = \(options.mmapBytes); PRAGMA query_only = ON;")
        } else {
            // WAL lets readers run beside the writer; it is a property of the file, so setting it once suffices,
            // but setting it on every open is harmless and covers a file created elsewhere.
            let statement = try SQLiteStatement(connection: self, sql: "PRAGMA journal_mode = WAL")
            let mode = try statement.step() ? statement.string(0) : nil
            guard mode == "wal" else {
                throw .unavailable("cannot switch '\(path)' to WAL mode (journal mode is \(mode ?? "unknown"))")
            }
            try executeScript("""
                PRAGMA synchronous = \(options.synchronous.rawValue.uppercased());
                PRAGMA foreign_keys = ON;
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -\(options.writerCacheKiB);
                PRAGMA mmap_size = \(options.mmapBytes);
                PRAGMA wal_autocheckpoint = \(options.checkpointPages);
                """)
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The cached prepared statement for `sql`, reset and ready to bind.
    func prepared(_ sql: String) throws(EventStoreError) -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        // Bounded for callers that build SQL dynamically; statements in use stay valid (finalised when released).
        if statements.count >= Self.maximumCachedStatements { statements.removeAll() }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// The extended result code and message of the last failure, for callers that handle one kind of
    /// failure (e.g. an event id that is already recorded) differently from the rest.
    private(set) var lastError: (code: Int32, message: String) = (SQLITE_OK, "")

    func error(_ code: Int32, context: String) -> EventStoreError {
        let message = String(cString: sqlite3_errmsg(handle))
        lastError = (code, message)
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .unavailable("the SQLite database stayed locked by another writer (\(message))")
        case SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY:
            return .unavailable("SQLite I/O failure while \(context): \(message)")
        default:
            return .database("\(message) (SQLite code \(code), while \(context))")
        }
    }

    // MARK: SQLConnection

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(binds)
        var rows: [SQLRow] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(binds)
        while try statement.step() {}
        return Int(sqlite3_changes64(handle))
    }

    func executeScript(_ sql: String) throws(EventStoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw error(code, context: "running a script").withMessage(text)
        }
    }

    /// Runs `body` in a transaction; rolls back when it throws. `immediate` takes the write lock at BEGIN, which
    /// is what makes position allocation (head + 1) safe against other processes writing the same file.
    func inTransaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        // Prepared once per connection: parsing BEGIN and COMMIT again for every single-event append would cost
        // as much as the insert.
        try run(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    func rollback() {
        if sqlite3_get_autocommit(handle) == 0 { sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }
    }

    /// Runs a statement without parameters or rows through the statement cache.
    private func run(_ sql: String) throws(EventStoreError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        _ = try statement.step()
    }
}

extension EventStoreError {
    /// The same kind of error with the engine's message replaced by a more precise one.
    func withMessage(_ message: String) -> EventStoreError {
        switch self {
        case .unavailable: .unavailable(message)
        case .database: .database(message)
        default: self
        }
    }
}
