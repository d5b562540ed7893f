import CSQLite
import Foundation

/// A prepared statement, reused across executions (each connection caches its statements by SQL text).
///
/// Placeholders are written `$1, $2, …` as on PostgreSQL. SQLite treats `$1` as a *named* parameter whose
/// index is the order of first appearance, so the `$n → index` map is read once at preparation.
final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String
    /// `parameterIndexes[n - 1]` is the SQLite index of `$n` (0 when `$n` does not occur).
    private let parameterIndexes: [Int32]
    private unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String) throws(EventStoreError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(
            connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw connection.error(code, context: "preparing \(sql.prefix(80))")
        }
        let count = sqlite3_bind_parameter_count(statement)
        var indexes = [Int32](repeating: 0, count: Int(count))
        for index in stride(from: Int32(1), through: count, by: 1) {
            guard let name = sqlite3_bind_parameter_name(statement, index) else { continue }
            let text = String(cString: name)
            guard text.first == "$", let number = Int(text.dropFirst()), number >= 1, number <= Int(count) else {
                sqlite3_finalize(statement)
                throw .database("use $1, $2, … placeholders; '\(text)' in: \(sql.prefix(80))")
            }
            indexes[number - 1] = index
        }
        self.handle = statement
        self.sql = sql
        self.parameterIndexes = indexes
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding

    func bind(_ values: [SQLValue]) throws(EventStoreError) {
        guard values.count == parameterIndexes.count else {
            throw .database("the statement takes \(parameterIndexes.count) parameters, \(values.count) given: \(sql.prefix(80))")
        }
        for (offset, value) in values.enumerated() {
            let number = Int32(offset + 1)
            switch value {
            case .null: try bindNull(number)
            case .integer(let v): try bind(number, v)
            case .text(let s): try bind(number, s)
            case .blob(let b): try bind(number, bytes: b)
            }
        }
    }

    @inline(__always)
    private func index(_ number: Int32) -> Int32 { parameterIndexes[Int(number) - 1] }

    func bindNull(_ number: Int32) throws(EventStoreError) {
        try check(sqlite3_bind_null(handle, index(number)))
    }

    func bind(_ number: Int32, _ value: Int64) throws(EventStoreError) {
        try check(sqlite3_bind_int64(handle, index(number), value))
    }

    func bind(_ number: Int32, _ value: String) throws(EventStoreError) {
        var text = value
        let code = text.withUTF8 { utf8 in bindText(number, UnsafeRawBufferPointer(utf8)) }
        try check(code)
    }

    private func bindText(_ number: Int32, _ utf8: UnsafeRawBufferPointer) -> Int32 {
        // An empty string still needs a non-NULL pointer, or SQLite stores NULL.
        let start = utf8.baseAddress ?? UnsafeRawPointer(Self.emptyText.utf8Start)
        return sqlite3_bind_text(
            handle, index(number), start.assumingMemoryBound(to: CChar.self), Int32(utf8.count),
            accord_sqlite_transient())
    }

    private static let emptyText: StaticString = ""

    func bind(_ number: Int32, bytes: [UInt8]) throws(EventStoreError) {
        let code = bytes.withUnsafeBytes { raw in
            // A zero-length blob still needs a non-NULL pointer, or SQLite stores NULL.
            sqlite3_bind_blob(handle, index(number), raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                              Int32(raw.count), accord_sqlite_transient())
        }
        try check(code)
    }

    /// Binds bytes that stay valid until the statement has stepped (SQLITE_STATIC: SQLite copies nothing). The
    /// caller must step within the lifetime of `bytes`.
    func bindUnretained(_ number: Int32, text bytes: UnsafeRawBufferPointer) throws(EventStoreError) {
        let start = bytes.baseAddress ?? UnsafeRawPointer(Self.emptyText.utf8Start)
        try check(sqlite3_bind_text(handle, index(number), start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil))
    }

    /// As `bindUnretained(_:text:)`, for a BLOB.
    func bindUnretained(_ number: Int32, blob bytes: UnsafeRawBufferPointer) throws(EventStoreError) {
        let start = bytes.baseAddress ?? UnsafeRawPointer(Self.emptyText.utf8Start)
        try check(sqlite3_bind_blob(handle, index(number), start, Int32(bytes.count), nil))
    }

    func bind(_ number: Int32, _ hash: SHA256Hash) throws(EventStoreError) {
        let code = hash.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, index(number), raw.baseAddress, Int32(raw.count), accord_sqlite_transient())
        }
        try check(code)
    }

    func bind(_ number: Int32, _ id: UUID) throws(EventStoreError) {
        var uuid = id.uuid
        let code = withUnsafeBytes(of: &uuid) { raw in
            sqlite3_bind_blob(handle, index(number), raw.baseAddress, 16, accord_sqlite_transient())
        }
        try check(code)
    }

    func bind(_ number: Int32, _ id: UUID?) throws(EventStoreError) {
        if let id { try bind(number, id) } else { try bindNull(number) }
    }

    private func check(_ code: Int32) throws(EventStoreError) {
        guard code == SQLITE_OK else { throw connection.error(code, context: "binding a parameter") }
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is available, false when the statement is done.
    func step() throws(EventStoreError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw connection.error(code, context: String(sql.prefix(80)))
        }
    }

    /// Makes the statement ready for the next use and drops bound values (large payloads are not kept alive,
    /// and no pointer bound with `bindUnretained` outlives its buffer).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns of the current row

    var columnCount: Int32 { sqlite3_column_count(handle) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// A TEXT column through `strings`, which reuses recently seen values.
    func string(_ column: Int32, reusing strings: inout RecentStrings) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return strings.string(UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }

    /// The column's bytes (TEXT as UTF-8, BLOB as is).
    func bytes(_ column: Int32) -> [UInt8] {
        // sqlite3_column_blob first, then _bytes: the documented order that keeps the pointer valid.
        guard let blob = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }

    /// A 16-byte BLOB as a UUID; nil for NULL or another length.
    func uuid(_ column: Int32) -> UUID? {
        guard let blob = sqlite3_column_blob(handle, column), sqlite3_column_bytes(handle, column) == 16 else {
            return nil
        }
        return UUID(uuid: blob.loadUnaligned(as: uuid_t.self))
    }

    func hash(_ column: Int32) throws(EventStoreError) -> SHA256Hash {
        guard let blob = sqlite3_column_blob(handle, column), sqlite3_column_bytes(handle, column) == 32 else {
            throw .database("column \(column) does not hold a 32-byte SHA-256 hash")
        }
        return SHA256Hash(digest: UnsafeRawBufferPointer(start: blob, count: 32))
    }

    /// The current row as generic values (for `SQLConnection.query`).
    func row() -> SQLRow {
        var values: [SQLValue] = []
        let count = columnCount
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_NULL: values.append(.null)
            case SQLITE_INTEGER: values.append(.integer(int64(column)))
            case SQLITE_BLOB: values.append(.blob(bytes(column)))
            case SQLITE_FLOAT:
                // Accord stores no floating point; exact integers only. Report a float as its text.
                values.append(.text(string(column)))
            default: values.append(.text(string(column)))
            }
        }
        return SQLRow(values: values)
    }
}
