import AccordEventStore
import Foundation
import Testing

@Suite("Database locations")
struct DatabaseLocationTests {
    @Test("parses PostgreSQL URLs, the word postgres, sqlite: and plain paths")
    func parsing() throws {
        #expect(try DatabaseLocation(parsing: "postgres://u:secret@db:5432/accord") == .postgres(conninfo: "postgres://u:secret@db:5432/accord"))
        #expect(try DatabaseLocation(parsing: "postgresql://db/accord?sslmode=require") == .postgres(conninfo: "postgresql://db/accord?sslmode=require"))
        #expect(try DatabaseLocation(parsing: "postgres") == .postgres(conninfo: ""))
        #expect(try DatabaseLocation(parsing: "sqlite:data/accord.sqlite") == .sqlite(path: "data/accord.sqlite"))
        #expect(try DatabaseLocation(parsing: "/var/lib/accord/log.sqlite") == .sqlite(path: "/var/lib/accord/log.sqlite"))
        #expect(throws: EventStoreError.self) { try DatabaseLocation(parsing: "") }
        #expect(throws: EventStoreError.self) { try DatabaseLocation(parsing: "sqlite:") }
    }

    @Test("descriptions hide passwords")
    func redaction() throws {
        let url = try DatabaseLocation(parsing: "postgres://accord:s3cret@db/accord")
        #expect(!url.description.contains("s3cret"))
        let keyValue = DatabaseLocation.postgres(conninfo: "host=db password=s3cret dbname=accord")
        #expect(!keyValue.description.contains("s3cret"))
    }

    @Test("a SQLite location creates missing parent folders")
    func createsFolders() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("accord-location-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("a/b/events.sqlite").path
        let store = try await EventStoreFactory.open(try DatabaseLocation(parsing: "sqlite:" + path))
        #expect(try await store.headPosition() == 0)
        await store.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("PostgreSQL connection strings get another database in the same form")
    func conninfoRewriting() {
        #expect(PostgresAdmin.conninfo("postgres://u@h:5/postgres", database: "x") == "postgres://u@h:5/x")
        #expect(PostgresAdmin.conninfo("host=h user=u", database: "x") == "host=h user=u dbname='x'")
        #expect(PostgresAdmin.conninfo("", database: "it's") == "dbname='it\\'s'")
    }
}
