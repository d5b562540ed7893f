/// The small, explicit SQL layer both engines share. Statements use `$1, $2, …` placeholders on both engines
/// (SQLite binds them by name). Values are exact: integers, text and blobs; no floating point.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }

    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLValue.integer) ?? .null }
    public init(_ value: Int?) { self = value.map { SQLValue.integer(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
}

/// One result row. Accessors throw `EventStoreError.database` on a type mismatch rather than trap.
public struct SQLRow: Sendable, Hashable {
    public var values: [SQLValue]

    public init(values: [SQLValue]) { self.values = values }

    public subscript(_ index: Int) -> SQLValue { index < values.count ? values[index] : .null }

    public func int(_ index: Int) throws(EventStoreError) -> Int64 {
        switch self[index] {
        case .integer(let v): return v
        case .text(let s):
            guard let v = Int64(s) else { throw .database("column \(index) is not an integer: \(s)") }
            return v
        default: throw .database("column \(index) is not an integer")
        }
    }

    public func optionalInt(_ index: Int) throws(EventStoreError) -> Int64? {
        if case .null = self[index] { return nil }
        return try int(index)
    }

    public func string(_ index: Int) throws(EventStoreError) -> String {
        switch self[index] {
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case .null: throw .database("column \(index) is NULL")
        }
    }

    public func optionalString(_ index: Int) throws(EventStoreError) -> String? {
        if case .null = self[index] { return nil }
        return try string(index)
    }

    public func blob(_ index: Int) throws(EventStoreError) -> [UInt8] {
        switch self[index] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        default: throw .database("column \(index) is not a blob")
        }
    }

    public func bool(_ index: Int) throws(EventStoreError) -> Bool {
        switch self[index] {
        case .text(let s): return s == "t" || s == "true" || s == "1"
        default: return try int(index) != 0
        }
    }
}

public enum SQLDialect: String, Sendable, Hashable {
    case sqlite
    case postgres
}

/// A connection lent to a closure for the duration of a read or a transaction. Never shared across threads:
/// the closure runs on the database's own thread, off the server's event loops.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs a statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow]

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int

    /// Runs several statements without parameters (migrations, DDL).
    func executeScript(_ sql: String) throws
}

extension SQLConnection {
    @discardableResult
    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }

    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
}

/// A database holding the log and the read models.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `body` on a read connection (a consistent snapshot for its duration).
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(
        _ durability: CommitDurability, _ body: @escaping @Sendable (any SQLConnection) throws -> T
    ) async throws -> T
}

extension SQLDatabase {
    /// A durable write transaction.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await transaction(.durable, body)
    }
}

/// Whether a write transaction's commit waits until it is on disk.
public enum CommitDurability: Sendable, Hashable {
    /// The commit is on disk when it returns (SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit=on`): the
    /// log and everything that is not derived from it.
    case durable
    /// The commit does not wait for the disk (SQLite `synchronous=NORMAL` in WAL mode, PostgreSQL
    /// `synchronous_commit=off`): a crash of the process loses nothing, a power loss may undo the last commits,
    /// never half of one. For read models rebuilt from the log: a projection moves its checkpoint in the same
    /// transaction, so after such a loss it applies those events again. The next durable commit flushes these too.
    case rebuildable
}
