import AccordSchema
import Foundation
import Testing

@Suite("Embedded schema")
struct SchemaRegistryTests {
    /// `schema/` in the source tree, found from this file's path.
    static let schemaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schema")

    @Test("every SQL file in schema/sqlite and schema/postgres is registered, in order, with its exact text",
          arguments: SchemaDialect.allCases)
    func everyFileIsListed(_ dialect: SchemaDialect) throws {
        let folder = Self.schemaFolder.appendingPathComponent(dialect.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
        let migrations = AccordSchema.migrations(for: dialect)
        #expect(files.map { "\(dialect.rawValue)/\($0)" } == migrations.map(\.file),
                "add every new file to AccordSchema.swift (and nothing else to the folder)")
        for (offset, migration) in migrations.enumerated() {
            #expect(migration.version == offset + 1, "versions are 1, 2, 3, … without gaps")
            let text = try String(contentsOf: Self.schemaFolder.appendingPathComponent(migration.file), encoding: .utf8)
            #expect(migration.sql == text, "\(migration.file) is not the embedded text")
            let number = migration.file.split(separator: "/").last?.prefix(4)
            #expect(number.flatMap { Int($0) } == migration.version, "\(migration.file) is numbered like its version")
        }
    }

    @Test("both engines have the same migrations")
    func enginesMatch() {
        #expect(AccordSchema.sqlite.map(\.name) == AccordSchema.postgres.map(\.name))
    }
}

@Suite("Embedded templates and reference data")
struct BundledFileTests {
    @Test("every file in schema/templates and schema/reference is embedded with its exact bytes",
          arguments: [("templates", AccordSchema.templates), ("reference", AccordSchema.referenceFiles)])
    func everyFileIsListed(_ folder: String, _ bundled: [BundledFile]) throws {
        let directory = SchemaRegistryTests.schemaFolder.appendingPathComponent(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.map { "\(folder)/\($0)" } == bundled.map(\.path), "list every new file in AccordSchema.swift")
        for file in bundled {
            let bytes = try [UInt8](Data(contentsOf: SchemaRegistryTests.schemaFolder.appendingPathComponent(file.path)))
            #expect(bytes == file.bytes, "\(file.path) is not the embedded text")
        }
    }
}
