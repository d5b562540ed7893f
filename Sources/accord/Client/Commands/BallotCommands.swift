import AccordDomain
import AccordHTTP
import ArgumentParser

struct BallotGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballot",
        abstract: "Cast, change or withdraw a party's position in a vote or silence procedure (talks to a running server).",
        subcommands: [BallotCast.self, BallotWithdraw.self])
}

struct BallotCast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cast",
        abstract: "Cast a party's position; casting again changes it (where the template allows).",
        aliases: ["change"])

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(help: "The party (ISO 3166-1 alpha-2 code).")
    var party: PartyCode

    @Option(help: ArgumentHelp("The position: \(BallotPosition.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "position"))
    var position: BallotPosition

    @Option(help: "The declaration, justification, condition or reservation that goes with the position.")
    var statement: String?

    @OptionGroup var entry: EntryOptions

    func run() async throws {
        try await server.withClient { client in
            let body = BallotRequest(party: party, position: position, statement: statement, source: entry.source, note: entry.note,
                                  occurredAt: try Times.option(entry.date, "--date"))
            try WriteReport.print(try await client.post("/v1/processes/\(process)/ballots", body, ifMatch: version.ifVersion), json: output.json)
        }
    }
}

struct BallotWithdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "withdraw", abstract: "Withdraw a party's standing position.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(help: "The party.")
    var party: PartyCode

    @Option(help: "Why.")
    var reason: String?

    @Option(help: ArgumentHelp("When: a date or date-time. Default: now.", valueName: "date"))
    var date: String?

    func run() async throws {
        try await server.withClient { client in
            let body = BallotWithdrawalRequest(party: party, reason: reason, occurredAt: try Times.option(date, "--date"))
            try WriteReport.print(try await client.post("/v1/processes/\(process)/ballot-withdrawals", body, ifMatch: version.ifVersion), json: output.json)
        }
    }
}
