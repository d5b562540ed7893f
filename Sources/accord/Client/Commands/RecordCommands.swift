import AccordDomain
import AccordHTTP
import ArgumentParser
import Foundation

struct RecordGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a stage step or a pledge; correct or retract an entry (talks to a running server).",
        subcommands: [RecordStep.self, RecordPledge.self, RecordCorrection.self, RecordRetraction.self])
}

/// Where a step comes from and when it took effect.
struct EntryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("When it happened: a date (2025-04-10, taken as 12:00 UTC) or an RFC 3339 date-time. Default: now.", valueName: "date"))
    var date: String?

    @Option(help: "The source: a URL or document reference.")
    var source: String?

    @Option(help: "A note.")
    var note: String?
}

/// The kind-specific details of a step: a parliament's decision, a deployment or a withdrawal.
struct StepDetailOptions: ParsableArguments {
    @Option(help: "Parliamentary step: the chamber (e.g. Bundestag).")
    var chamber: String?

    @Option(help: "Parliamentary step: vote, consent, authorisation, information or deemed-approval.")
    var procedure: ParliamentaryDetails.Procedure?

    @Option(name: .customLong("votes-for"), help: "Parliamentary step: votes in favour.")
    var votesFor: Int64?

    @Option(name: .customLong("votes-against"), help: "Parliamentary step: votes against.")
    var votesAgainst: Int64?

    @Option(help: "Parliamentary step: abstentions.")
    var abstaining: Int64?

    @Option(name: .customLong("mandate-max-troops"), help: "Parliamentary step: the most troops the mandate allows.")
    var mandateMaxTroops: Int64?

    @Option(name: .customLong("mandate-area"), help: "Parliamentary step: the area the mandate covers.")
    var mandateArea: String?

    @Option(name: .customLong("mandate-end"), help: ArgumentHelp("Parliamentary step: the last day the mandate covers.", valueName: "date"))
    var mandateEnd: String?

    @Option(name: .customLong("troops-deployed"), help: "Deployment step: troops deployed.")
    var troopsDeployed: Int64?

    @Option(help: "Deployment step: where.")
    var location: String?

    @Option(name: .customLong("troops-withdrawn"), help: "Withdrawal step: troops withdrawn.")
    var troopsWithdrawn: Int64?

    @Option(name: .customLong("withdrawal-reason"), help: "Withdrawal step: why.")
    var withdrawalReason: String?

    @Option(name: .customLong("details"), help: ArgumentHelp("The details as the API's JSON object instead of the flags above.", valueName: "json"))
    var json: String?

    func details() throws(ClientFailure) -> StepDetails? {
        var details = StepDetails()
        if let json {
            do {
                details = try JSONDecoder().decode(StepDetails.self, from: Data(json.utf8))
            } catch {
                throw .usage("--details: not a JSON object of step details (\(error))")
            }
        }
        let parliamentaryGiven = chamber != nil || procedure != nil || votesFor != nil || votesAgainst != nil || abstaining != nil
            || mandateMaxTroops != nil || mandateArea != nil || mandateEnd != nil
        if parliamentaryGiven {
            guard let chamber, let procedure else { throw .usage("a parliamentary step needs --chamber and --procedure") }
            var mandate: Mandate?
            if mandateMaxTroops != nil || mandateArea != nil || mandateEnd != nil {
                let end = try mandateEnd.map { text throws(ClientFailure) -> CivilDate in
                    guard let date = CivilDate(iso8601: text) else { throw .usage("--mandate-end \(text): not a date such as 2026-12-31") }
                    return date
                }
                mandate = Mandate(maxTroops: mandateMaxTroops, area: mandateArea, endDate: end)
            }
            details.parliamentary = ParliamentaryDetails(chamber: chamber, procedure: procedure, votesFor: votesFor,
                                                         votesAgainst: votesAgainst, abstaining: abstaining, mandate: mandate)
        }
        if troopsDeployed != nil || location != nil {
            guard let troopsDeployed, let location else { throw .usage("a deployment step needs --troops-deployed and --location") }
            details.deployment = DeploymentDetails(troopsDeployed: troopsDeployed, location: location)
        }
        if troopsWithdrawn != nil || withdrawalReason != nil {
            details.withdrawal = WithdrawalDetails(troopsWithdrawn: troopsWithdrawn, reason: withdrawalReason)
        }
        return details.isEmpty ? nil : details
    }
}

struct RecordStep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Record that a party reached a stage (a government decision, a parliamentary approval, a deployment…).")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(help: "The party (ISO 3166-1 alpha-2 code, e.g. DE).")
    var party: PartyCode

    @Option(help: "The stage id, e.g. government-decision.")
    var stage: StageID

    @OptionGroup var entry: EntryOptions
    @OptionGroup var details: StepDetailOptions

    func run() async throws {
        try await server.withClient { client in
            let body = StepRequest(party: party, stage: stage, details: try details.details(), source: entry.source, note: entry.note,
                                occurredAt: try Times.option(entry.date, "--date"))
            try WriteReport.print(try await client.post("/v1/processes/\(process)/steps", body, ifMatch: version.ifVersion), json: output.json)
        }
    }
}

struct RecordPledge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pledge",
        abstract: "Record what a party offers: troops, components (and which it leads), conditions. A new pledge amends the last one.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(help: "The party (ISO 3166-1 alpha-2 code).")
    var party: PartyCode

    @Option(help: "The template's pledge stage.")
    var stage = StageID("pledged")!

    @Option(help: "Troops offered.")
    var troops: Int64 = 0

    @Option(name: .customLong("component"), help: ArgumentHelp(
        "A component offered: \(CapabilityComponent.allCases.map(\.rawValue).joined(separator: ", ")) (repeatable).", valueName: "component"))
    var components: [CapabilityComponent] = []

    @Option(name: .customLong("lead"), help: ArgumentHelp("A component the party leads (repeatable; implies --component).", valueName: "component"))
    var leads: [CapabilityComponent] = []

    @Option(name: .customLong("condition"), help: ArgumentHelp("A condition of the pledge, e.g. 'ceasefire in force' (repeatable).", valueName: "text"))
    var conditions: [String] = []

    @Option(name: .customLong("caveat"), help: ArgumentHelp("A limit on use (repeatable).", valueName: "text"))
    var caveats: [String] = []

    @OptionGroup var entry: EntryOptions

    func run() async throws {
        try await server.withClient { client in
            var offered = components
            for lead in leads where !offered.contains(lead) { offered.append(lead) }
            let pledge = PledgeDetails(
                troops: troops, capabilities: offered.map { CapabilityPledge(component: $0, lead: leads.contains($0)) },
                conditions: conditions, caveats: caveats)
            let body = StepRequest(party: party, stage: stage, details: StepDetails(pledge: pledge), source: entry.source, note: entry.note,
                                occurredAt: try Times.option(entry.date, "--date"))
            try WriteReport.print(try await client.post("/v1/processes/\(process)/steps", body, ifMatch: version.ifVersion), json: output.json)
        }
    }
}

struct RecordCorrection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correct",
        abstract: "Correct an entry: give the corrected step (--party, --stage…) or ballot (--party, --position…) and the reason.",
        discussion: "The original stays in the log; the correction applies from --effective (default: the original's date).")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Argument(help: "The entry to correct.")
    var entry: EntryID

    @Option(help: "Why the entry is corrected.")
    var reason: String

    @Option(help: "The corrected entry's party.")
    var party: PartyCode

    @Option(help: "For a step: the corrected stage.")
    var stage: StageID?

    @Option(help: "For a ballot: the corrected position.")
    var position: BallotPosition?

    @Option(help: "For a ballot: the statement.")
    var statement: String?

    @Option(help: ArgumentHelp("When the corrected entry takes effect. Default: the original's date.", valueName: "date"))
    var effective: String?

    @Option(help: "The source.")
    var source: String?

    @Option(help: "A note.")
    var note: String?

    @OptionGroup var details: StepDetailOptions

    func run() async throws {
        try await server.withClient { client in
            var body = CorrectionRequest(entry: entry, reason: reason, effectiveAt: try Times.option(effective, "--effective"))
            switch (stage, position) {
            case let (stage?, nil):
                body.step = StepContent(party: party, stage: stage, details: try details.details(), source: source, note: note)
            case let (nil, position?):
                body.ballot = BallotContent(party: party, position: position, statement: statement, source: source, note: note)
            default:
                throw ClientFailure.usage("give --stage (a step's correction) or --position (a ballot's), not both")
            }
            try WriteReport.print(try await client.post("/v1/processes/\(process)/corrections", body, ifMatch: version.ifVersion), json: output.json)
        }
    }
}

struct RecordRetraction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retract",
        abstract: "Retract an entry recorded by mistake; it stays in the log, marked retracted, with the reason.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Argument(help: "The entry to retract.")
    var entry: EntryID

    @Option(help: "Why the entry is retracted.")
    var reason: String

    func run() async throws {
        try await server.withClient { client in
            let answer = try await client.post("/v1/processes/\(process)/retractions", RetractionRequest(entry: entry, reason: reason), ifMatch: version.ifVersion)
            try WriteReport.print(answer, json: output.json)
        }
    }
}
