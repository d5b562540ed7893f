import ArgumentParser

@main
struct Accord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord",
        abstract: "Multi-party consensus and approval tracking.",
        discussion: """
            Server and operations: serve, demo, token, migrate, verify-chain, backup, restore (these open the database).
            Notifications: webhook (subscriptions, deliveries, re-sends; a running server).
            Audit: export, verify (offline, no database), key, checkpoint, report, redact.
            Secretariat: process, record, ballot, deadline, import, log (these talk to a running server: --server or \
            ACCORD_SERVER, default http://127.0.0.1:8080; the API token from ACCORD_TOKEN or --token-file).
            Exit codes of the client commands: 0 done; 64 usage (a flag, argument or input file is wrong; nothing sent); \
            65 refused by the server (4xx: not allowed, not found, invalid…; nothing recorded); 69 server unreachable or \
            failing (5xx, timeout).
            """,
        subcommands: [
            ServeCommand.self, DemoCommand.self, TokenCommand.self, WebhookCommand.self, MigrateCommand.self, VerifyChainCommand.self,
            BackupCommand.self, RestoreCommand.self,
            ExportCommand.self, VerifyCommand.self, KeyCommand.self, CheckpointCommand.self, ReportCommand.self, RedactCommand.self,
            ProcessGroup.self, RecordGroup.self, BallotGroup.self, DeadlineGroup.self, ImportGroup.self, LogGroup.self,
            StoreLoadCommand.self,
        ]
    )
}
