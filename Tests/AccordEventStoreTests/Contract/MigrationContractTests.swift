import AccordTestSupport
import AccordEventStore
import AccordSchema
import Foundation
import Testing

extension EventStoreContract {
    @Test("migrations apply to an empty database, then find an existing one up to date", arguments: Backend.allCases)
    func migrations(_ backend: Backend) async throws {
        let database = try await TestDatabase.fresh(backend)
        let latest = AccordSchema.migrations(for: backend == .sqlite ? .sqlite : .postgres).count

        let first = try await EventStoreFactory.migrate(database.location)
        #expect(first.schemaVersion == latest)
        #expect(first.applied.first == "1 event_store")
        #expect(first.applied.count == latest)

        let store = try await database.open()
        try await store.append(to: stream("kept"), expectedVersion: .noStream, events: [proposed()])
        await store.close()

        let second = try await EventStoreFactory.migrate(database.location)
        #expect(second.schemaVersion == latest)
        #expect(second.applied.isEmpty)
        let reopened = try await database.open()
        #expect(try await reopened.streamVersion(stream("kept")) == 0)
        let recorded = try await reopened.database.read { connection in
            try connection.query("SELECT version, name FROM accord_schema_migrations ORDER BY version")
                .map { "\(try $0.int(0)) \(try $0.string(1))" }
        }
        #expect(recorded.first == "1 event_store")
        await reopened.close()
        await database.cleanUp()
    }

    @Test("a database written by a newer Accord is refused with a clear message", arguments: Backend.allCases)
    func refusesNewerSchema(_ backend: Backend) async throws {
        let latest = AccordSchema.migrations(for: backend == .sqlite ? .sqlite : .postgres).count
        try await reopenAfterChanging(backend, """
            INSERT INTO accord_schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', '0', 0)
            """) { error in
            #expect(error as? EventStoreError == .databaseTooNew(databaseVersion: 999, supportedVersion: latest))
            #expect("\(error)".contains("newer Accord"))
        }
    }

    @Test("an applied migration whose SQL changed is an error", arguments: Backend.allCases)
    func refusesEditedMigration(_ backend: Backend) async throws {
        try await reopenAfterChanging(backend, "UPDATE accord_schema_migrations SET checksum = 'edited' WHERE version = 1") { error in
            guard case EventStoreError.migrationFailed(1, "event_store", let reason)? = error as? EventStoreError else {
                Issue.record("expected migrationFailed for migration 1, got \(error)")
                return
            }
            #expect(reason.contains("changed after it was applied"))
        }
    }

    /// Opens a fresh database, runs `sql`, closes it and checks that opening it again fails as `check` expects.
    private func reopenAfterChanging(
        _ backend: Backend, _ sql: String, _ check: (any Error) -> Void
    ) async throws {
        let database = try await TestDatabase.fresh(backend)
        let store = try await database.open()
        _ = try await store.database.transaction { connection in try connection.execute(sql) }
        await store.close()
        do {
            let reopened = try await database.open()
            await reopened.close()
            Issue.record("the changed database was opened")
        } catch {
            check(error)
        }
        await database.cleanUp()
    }
}
