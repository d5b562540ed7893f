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
        SchemaMigration(2, "service", file: "sqlite/0002_service.sqlite.sql",
                        bytes: PackageResources._002_service_sqlite_sql),
        SchemaMigration(3, "notifications", file: "sqlite/0003_notifications.sqlite.sql",
                        bytes: PackageResources._003_notifications_sqlite_sql),
        SchemaMigration(4, "audit", file: "sqlite/0004_audit.sqlite.sql",
                        bytes: PackageResources._004_audit_sqlite_sql),
        SchemaMigration(5, "web", file: "sqlite/0005_web.sqlite.sql",
                        bytes: PackageResources._005_web_sqlite_sql),
    ]

    public static let postgres: [SchemaMigration] = [
        SchemaMigration(1, "event_store", file: "postgres/0001_event_store.pg.sql",
                        bytes: PackageResources._001_event_store_pg_sql),
        SchemaMigration(2, "service", file: "postgres/0002_service.pg.sql",
                        bytes: PackageResources._002_service_pg_sql),
        SchemaMigration(3, "notifications", file: "postgres/0003_notifications.pg.sql",
                        bytes: PackageResources._003_notifications_pg_sql),
        SchemaMigration(4, "audit", file: "postgres/0004_audit.pg.sql",
                        bytes: PackageResources._004_audit_pg_sql),
        SchemaMigration(5, "web", file: "postgres/0005_web.pg.sql",
                        bytes: PackageResources._005_web_pg_sql),
    ]
}

/// A data file shipped in `schema/` (a template, reference data), embedded in the binary.
public struct BundledFile: Sendable, Hashable {
    /// The path relative to `schema/`, e.g. `templates/nato-silence-procedure.json`.
    public let path: String
    public let bytes: [UInt8]
}

extension AccordSchema {
    /// The process templates in `schema/templates/`. A test checks that every file there is listed.
    public static let templates: [BundledFile] = [
        BundledFile(path: "templates/alliance-accession-ratification.json", bytes: PackageResources.alliance_accession_ratification_json),
        BundledFile(path: "templates/coalition-deployment-decision.json", bytes: PackageResources.coalition_deployment_decision_json),
        BundledFile(path: "templates/coalition-force-generation.json", bytes: PackageResources.coalition_force_generation_json),
        BundledFile(path: "templates/eu-council-qualified-majority.json", bytes: PackageResources.eu_council_qualified_majority_json),
        BundledFile(path: "templates/eu-council-reinforced-qualified-majority.json", bytes: PackageResources.eu_council_reinforced_qualified_majority_json),
        BundledFile(path: "templates/eu-unanimity-constructive-abstention.json", bytes: PackageResources.eu_unanimity_constructive_abstention_json),
        BundledFile(path: "templates/nato-consensus.json", bytes: PackageResources.nato_consensus_json),
        BundledFile(path: "templates/nato-silence-procedure.json", bytes: PackageResources.nato_silence_procedure_json),
        BundledFile(path: "templates/treaty-entry-into-force.json", bytes: PackageResources.treaty_entry_into_force_json),
        BundledFile(path: "templates/un-security-council-resolution.json", bytes: PackageResources.un_security_council_resolution_json),
    ]

    /// The reference data in `schema/reference/`.
    public static let referenceFiles: [BundledFile] = [
        BundledFile(path: "reference/bodies.json", bytes: PackageResources.bodies_json),
        BundledFile(path: "reference/eu-council-population-2025.json", bytes: PackageResources.eu_council_population_2025_json),
        BundledFile(path: "reference/parties.json", bytes: PackageResources.parties_json),
    ]

    /// The API contract (OpenAPI 3.1), served at `/openapi.json`.
    public static let openAPI: [UInt8] = PackageResources.openapi_json

    /// The JSON Schema templates are written against.
    public static let templateSchema: [UInt8] = PackageResources.template_schema_json

    /// A reference file by name (`parties.json`); empty when absent, which the decoder then reports.
    public static func reference(_ name: String) -> [UInt8] {
        referenceFiles.first { $0.path == "reference/" + name }?.bytes ?? []
    }
}
