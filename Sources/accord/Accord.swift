import ArgumentParser

@main
struct Accord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Multi-party consensus and approval tracking.",
        subcommands: [ServeCommand.self, DemoCommand.self, TokenCommand.self, WebhookCommand.self, MigrateCommand.self, VerifyChainCommand.self,
                      StoreLoadCommand.self, ExportCommand.self, VerifyCommand.self, KeyCommand.self, CheckpointCommand.self, ReportCommand.self,
                      RedactCommand.self]
    )
}
