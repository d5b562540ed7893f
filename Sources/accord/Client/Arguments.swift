import AccordDomain
import ArgumentParser

// Domain identifiers and enumerations as command-line values: a mistyped party code or stage id is a usage
// error (exit 64) with ArgumentParser's message, before anything is sent.

extension PartyCode: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension StageID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension TemplateID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension DeadlineID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension BodyID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension ProcessID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension EntryID: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension BallotPosition: ExpressibleByArgument {}
extension CapabilityComponent: ExpressibleByArgument {}
extension ParliamentaryDetails.Procedure: ExpressibleByArgument {}

/// `--as-of` and `--known-at`, shared by the reads.
struct TimeOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "Evaluate as of this date (2025-04-10: the end of that day, UTC) or date-time. Default: now.", valueName: "date"))
    var asOf: String?

    @Option(name: .customLong("known-at"), help: ArgumentHelp(
        "Use only what was recorded by this log position, date or date-time. Default: everything.", valueName: "when"))
    var knownAt: String?

    func query() throws(ClientFailure) -> [(String, String?)] { try Times.readQuery(asOf: asOf, knownAt: knownAt) }
}

/// `--if-version`: record only if the process is still at this version (If-Match), else 412.
struct VersionOption: ParsableArguments {
    @Option(name: .customLong("if-version"), help: ArgumentHelp(
        "Record only if the process is still at this version (its ETag); otherwise nothing is recorded.", valueName: "n"))
    var ifVersion: Int64?
}
