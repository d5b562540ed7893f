import AccordEventStore
import AccordService
import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the reference data and the demo scenario (the reassurance force for Ukraine) into the database.",
        discussion: "Loading twice changes nothing.")

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        try await service.start(follow: false)
        let recorded = try await service.loadDemo()
        await service.shutdown()
        print(recorded == 0 ? "the demo was already loaded" : "demo loaded: \(recorded) events recorded")
    }
}
