import AccordDomain
import AccordHTTP
import Foundation
import ArgumentParser

struct DeadlineGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "Set or extend a process's deadline, e.g. a silence procedure's (talks to a running server).",
        subcommands: [DeadlineSet.self, DeadlineExtend.self])
}

/// The new value of a deadline: local wall-clock time in a zone.
struct DeadlineValueOptions: ParsableArguments {
    @Option(name: .customLong("at"), help: ArgumentHelp("The local time, 2025-06-01T18:00 (or '2025-06-01 18:00').", valueName: "local-time"))
    var localTime: String

    @Option(name: .customLong("time-zone"), help: ArgumentHelp("The IANA time zone, e.g. Europe/Brussels. Default: the template's (or the current deadline's).", valueName: "zone"))
    var timeZone: String?

    @Option(help: "Why.")
    var reason: String?

    @Option(help: ArgumentHelp("When the decision was taken: a date or date-time. Default: now.", valueName: "date"))
    var date: String?

    func body() throws(ClientFailure) -> DeadlineExtensionRequest {
        DeadlineExtensionRequest(localTime: localTime.replacingOccurrences(of: " ", with: "T"), timeZone: timeZone, reason: reason,
                                 occurredAt: try Times.option(date, "--date"))
    }
}

struct DeadlineSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a deadline the template defines.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Argument(help: "The deadline's id in the template, e.g. silence.")
    var deadline: DeadlineID

    @OptionGroup var value: DeadlineValueOptions

    func run() async throws {
        try await server.withClient { client in
            let answer = try await client.post("/v1/processes/\(process)/deadlines", DeadlineRequest(deadline: deadline, try value.body()),
                                               ifMatch: version.ifVersion)
            try WriteReport.print(answer, json: output.json)
        }
    }
}

struct DeadlineExtend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extend", abstract: "Move a deadline that has not passed to a later time.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Argument(help: "The deadline's id.")
    var deadline: DeadlineID

    @OptionGroup var value: DeadlineValueOptions

    func run() async throws {
        try await server.withClient { client in
            let answer = try await client.post("/v1/processes/\(process)/deadlines/\(deadline)/extensions", try value.body(),
                                               ifMatch: version.ifVersion)
            try WriteReport.print(answer, json: output.json)
        }
    }
}
