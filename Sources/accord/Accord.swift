import ArgumentParser

@main
struct Accord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Multi-party consensus and approval tracking.",
        subcommands: [MigrateCommand.self, VerifyChainCommand.self, StoreLoadCommand.self]
    )
}
