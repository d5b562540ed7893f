import AccordEventStore
import ArgumentParser

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations this binary carries (the server also does this at start-up).",
        discussion: "Refuses a database written by a newer Accord, and a database whose applied migrations differ from this binary's.")

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let location = try database.location()
        let report = try await EventStoreFactory.migrate(location)
        if report.applied.isEmpty {
            print("\(location): schema version \(report.schemaVersion), already up to date")
        } else {
            for migration in report.applied { print("applied migration \(migration)") }
            print("\(location): schema version \(report.schemaVersion)")
        }
    }
}
