/// The SQL that builds Accord's database, embedded in the binary (SwiftPM `.embedInCode`), so a deployed
/// `accord` carries exactly the schema it was built with.
///
/// Migrations are numbered per engine and applied in order at start-up; the files live in `schema/sqlite/` and
/// `schema/postgres/`. To add one: create the file (e.g. `postgres/0002_read_models.pg.sql`; file names must
/// be unique across this whole target) and append a line to the engine's list below. SwiftPM names the embedded
/// bytes after the file, replacing the leading digit and every `.` with `_`: `0002_read_models.pg.sql` becomes
/// `PackageResources._002_read_models_pg_sql`. A test checks that every file in those folders is listed here.

public enum SchemaDialect: String, Sendable, Hashable, CaseIterable {
    case sqlite
    case postgres
}

/// One numbered migration: applied once, inside a transaction, and recorded with a checksum of its SQL.
public struct SchemaMigration: Sendable, Hashable {
    /// 1, 2, 3, …: the schema version the database is at once this migration is applied.
    public let version: Int
    /// A short name for messages and the schema-version table, e.g. `event_store`.
    public let name: String
    /// The file it came from, relative to `schema/` (e.g. `sqlite/0001_event_store.sqlite.sql`).
    public let file: String
    public let sql: String

    init(_ version: Int, _ name: String, file: String, bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.file = file
        self.sql = String(decoding: bytes, as: UTF8.self)
    }
}

public enum AccordSchema {
    /// The migrations of `dialect`, in the order they are applied (versions 1, 2, 3, … without gaps).
    public static func migrations(for dialect: SchemaDialect) -> [SchemaMigration] {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }

    public static let sqlite: [SchemaMigration] = [
        SchemaMigration(1, "event_store", file: "sqlite/0001_event_store.sqlite.sql",
                        bytes: PackageResources._001_event_store_sqlite_sql),
    ]

    public static let postgres: [SchemaMigration] = [
        SchemaMigration(1, "event_store", file: "postgres/0001_event_store.pg.sql",
                        bytes: PackageResources._001_event_store_pg_sql),
    ]
}
