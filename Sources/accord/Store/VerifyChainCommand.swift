import AccordEventStore
import ArgumentParser

struct VerifyChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-chain",
        abstract: "Walk the whole event log and check every event against the hash chain.",
        discussion: "Exits with status 0 when the chain is intact, 1 when it is broken (the first broken position and what is wrong there are printed).")

    @OptionGroup var database: DatabaseOption

    @Flag(name: .long, help: "Print progress to standard error.")
    var progress = false

    func run() async throws {
        let store = try await EventStoreFactory.open(try database.location())
        let showProgress = progress
        let result: ChainVerification
        do {
            result = try await store.verifyChain { position in
                if showProgress { printError("verified up to position \(position)") }
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        switch result {
        case let .intact(lastPosition, head):
            print("chain intact: \(lastPosition) events, head hash \(head.hex)")
        case let .broken(position, problem):
            print("chain BROKEN at position \(position): \(problem)")
            throw ExitCode(1)
        }
    }
}
