import AccordSchema
import AccordTime

/// What start-up did to the schema.
public struct MigrationReport: Sendable, Hashable {
    /// The schema version the database is at now.
    public var schemaVersion: Int
    /// The migrations applied by this run, in order (empty when the database was up to date).
    public var applied: [String]
}

/// Applies the embedded migrations (`AccordSchema`) that a database lacks.
///
/// The caller runs it inside one write transaction (on PostgreSQL also under the migration advisory lock), so
/// either every pending migration is applied and recorded, or none is. Each applied migration is recorded in
/// `accord_schema_migrations` with a SHA-256 checksum of its SQL: a migration file changed after it was applied
/// is an error, and so is a database whose schema is newer than this binary.
enum Migrator {
    static let historyTable = "accord_schema_migrations"

    /// PostgreSQL advisory lock key held while migrating, so two instances starting together do not race.
    static let postgresLockKey: Int64 = 4_702_676_443_866_595_330

    static func migrate(
        _ connection: any SQLConnection, dialect: SchemaDialect, now: Instant,
        migrations: [SchemaMigration]? = nil
    ) throws -> MigrationReport {
        let migrations = migrations ?? AccordSchema.migrations(for: dialect)
        for (offset, migration) in migrations.enumerated() where migration.version != offset + 1 {
            throw EventStoreError.migrationFailed(
                version: migration.version, name: migration.name,
                reason: "this binary's migrations are not numbered 1, 2, 3, … (found \(migration.version) at place \(offset + 1))")
        }
        let supported = migrations.last?.version ?? 0

        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS \(historyTable) (
                version    INTEGER PRIMARY KEY,
                name       TEXT    NOT NULL,
                checksum   TEXT    NOT NULL,
                applied_at BIGINT  NOT NULL
            );
            """)
        let applied = try connection.query("SELECT version, name, checksum FROM \(historyTable) ORDER BY version")
        if let newest = try applied.last?.int(0), newest > supported {
            throw EventStoreError.databaseTooNew(databaseVersion: Int(newest), supportedVersion: supported)
        }
        for row in applied {
            let version = Int(try row.int(0))
            let name = try row.string(1)
            guard version >= 1, let migration = migrations.first(where: { $0.version == version }) else {
                throw EventStoreError.migrationFailed(
                    version: version, name: name, reason: "the database records a migration this binary does not know")
            }
            let checksum = Self.checksum(migration)
            let recorded = try row.string(2)
            guard recorded == checksum else {
                throw EventStoreError.migrationFailed(
                    version: version, name: name,
                    reason: "the migration's SQL (\(migration.file)) changed after it was applied: the database "
                        + "recorded checksum \(recorded), this binary's file has \(checksum). Applied migrations "
                        + "must never be edited; add a new migration instead")
            }
        }

        let current = Int(try applied.last?.int(0) ?? 0)
        var report = MigrationReport(schemaVersion: current, applied: [])
        for migration in migrations where migration.version > current {
            do {
                try connection.executeScript(migration.sql)
            } catch {
                throw EventStoreError.migrationFailed(
                    version: migration.version, name: migration.name, reason: String(describing: error))
            }
            try connection.execute(
                "INSERT INTO \(historyTable) (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                [.integer(Int64(migration.version)), .text(migration.name), .text(Self.checksum(migration)),
                 .integer(now.microsecondsSinceEpoch)])
            report.schemaVersion = migration.version
            report.applied.append("\(migration.version) \(migration.name)")
        }
        return report
    }

    static func checksum(_ migration: SchemaMigration) -> String {
        SHA256Hash.of(Array(migration.sql.utf8)).hex
    }
}
