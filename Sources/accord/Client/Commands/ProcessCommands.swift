import AccordDomain
import AccordHTTP
import AccordService
import ArgumentParser
import Foundation

struct ProcessGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "List, show, open and close processes; what-if evaluations (talks to a running server).",
        subcommands: [ProcessList.self, ProcessShow.self, ProcessOpen.self, ProcessClose.self, ProcessWhatIf.self])
}

struct ProcessList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List processes with their decision's status.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var time: TimeOptions

    @Flag(name: .customLong("open"), help: "Only processes still open.")
    var onlyOpen = false

    @Option(help: "Only processes of this template.")
    var template: TemplateID?

    @Option(help: "Only processes this party takes part in.")
    var party: PartyCode?

    func run() async throws {
        try await server.withClient { client in
            let answer = try await client.get("/v1/processes", query: try time.query() + [
                ("status", onlyOpen ? "open" : "all"), ("template", template?.rawValue), ("party", party?.rawValue),
            ])
            if output.json { return print(answer.text) }
            let list = try answer.decode(ProcessListAnswer.self)
            var table = TextTable("id", "title", "template", "opened", "state", "decision")
            for p in list.processes.sorted(by: { $0.openedAt < $1.openedAt }) {
                let decision = p.decision.map { "\(ProcessTable.mark($0.status)) \($0.headline)" } ?? ""
                table.add([p.id.description, p.title, p.template.id.rawValue, Times.day(p.openedAt),
                           p.closedAt.map { "closed \(Times.day($0))" } ?? "open", decision])
            }
            print("\(list.processes.count) processes as of \(list.asOf.iso8601), known at log position \(list.knownAtPosition)")
            if !list.processes.isEmpty { table.render().forEach { print($0) } }
        }
    }
}

struct ProcessShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a process: the party × stage table and every rule's result with its figures and blockers.",
        discussion: "With --json: {\"detail\": GET /v1/processes/{id}, \"matrix\": GET /v1/processes/{id}/matrix}, both as of the same instant and log position.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var time: TimeOptions

    @Argument(help: "The process id.")
    var process: ProcessID

    func run() async throws {
        try await server.withClient { client in
            let detailAnswer = try await client.get("/v1/processes/\(process)", query: try time.query())
            let detail = try detailAnswer.decode(ProcessDetail.self)
            // The matrix at exactly the same instant and knowledge as the detail, even if entries arrive between.
            let knownAt = time.knownAt ?? String(detail.knownAtPosition)
            let matrixAnswer = try await client.get("/v1/processes/\(process)/matrix", query: [
                ("asOf", detail.summary.asOf.iso8601), ("knownAt", knownAt),
            ])
            if output.json { return print("{\"detail\":\(detailAnswer.text),\"matrix\":\(matrixAnswer.text)}") }
            let matrix = try matrixAnswer.decode(StatusMatrix.self)
            var lines = ProcessTable.header(detail.summary, knownAt: time.knownAt.map { Int64($0) == nil ? $0 : "log position \($0)" }
                                             ?? "log position \(detail.knownAtPosition)")
            lines.append("")
            lines += ProcessTable.matrix(matrix)
            if !detail.deadlines.isEmpty {
                lines.append("")
                for deadline in detail.deadlines {
                    lines.append("deadline \(deadline.id): \(deadline.localTime) \(deadline.timeZone)" + (deadline.passed ? " (passed)" : "")
                                 + (deadline.extensions > 0 ? ", extended \(deadline.extensions)×" : ""))
                }
            }
            lines.append("")
            lines.append("Rules")
            lines += ProcessTable.rules(detail.results, decision: detail.summary.decision?.rule)
            lines.forEach { print($0) }
        }
    }
}

struct ProcessOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Open a process from a template; prints its id.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The template, e.g. nato-silence-procedure.")
    var template: TemplateID

    @Option(help: "The title.")
    var title: String

    @Option(help: "A reference such as a document number.")
    var reference: String?

    @Option(name: .customLong("template-version"), help: "A specific version of the template (default: the latest).")
    var templateVersion: Int64?

    @Option(name: .customLong("param"), help: ArgumentHelp("A template parameter, NAME=VALUE (a JSON value, or text). Repeatable.", valueName: "name=value"))
    var parameters: [String] = []

    @Option(name: .customLong("party"), help: ArgumentHelp("The electorate as an explicit list of parties instead of the template's (repeatable).", valueName: "code"))
    var parties: [PartyCode] = []

    @Option(help: "A process id to use (a UUID; default: a new one). Opening the same id twice is refused.")
    var id: ProcessID?

    @Option(help: ArgumentHelp("When it was opened: a date (2025-04-10) or date-time. Default: now.", valueName: "date"))
    var date: String?

    func run() async throws {
        try await server.withClient { client in
            var values: [String: JSONValue] = [:]
            for parameter in parameters {
                guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                    throw ClientFailure.usage("--param \(parameter): write NAME=VALUE")
                }
                let text = String(parameter[parameter.index(after: equals)...])
                values[String(parameter[..<equals])] = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
            }
            let id = id ?? ProcessID()
            let body = OpenProcessRequest(
                id: id, title: title, reference: reference, template: template, templateVersion: templateVersion,
                parameters: values.isEmpty ? nil : values, electorate: parties.isEmpty ? nil : .parties(parties),
                occurredAt: try Times.option(date, "--date"))
            let answer = try await client.post("/v1/processes", body)
            if output.json { return print(answer.text) }
            let recorded = try answer.decode(RecordedAnswer.self)
            print(id)
            printError("opened process \(id) (log position \(recorded.recorded.first?.position ?? 0))")
        }
    }
}

struct ProcessClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close a process.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(help: "Why or how it closed.")
    var note: String?

    @Option(help: ArgumentHelp("When it closed: a date or date-time. Default: now.", valueName: "date"))
    var date: String?

    func run() async throws {
        try await server.withClient { client in
            let answer = try await client.post("/v1/processes/\(process)/close",
                                               CloseRequest(note: note, occurredAt: try Times.option(date, "--date")), ifMatch: version.ifVersion)
            try WriteReport.print(answer, json: output.json)
        }
    }
}

struct ProcessWhatIf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "what-if",
        abstract: "Evaluate a process's rules with hypothetical steps and ballots; records nothing.",
        discussion: "Hypotheses apply in this order: the --step ones, then --ballot, then --withdraw-ballot.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The process id.")
    var process: ProcessID

    @Option(name: .customLong("step"), help: ArgumentHelp("A hypothetical stage step, PARTY:STAGE (repeatable).", valueName: "party:stage"))
    var steps: [String] = []

    @Option(name: .customLong("ballot"), help: ArgumentHelp("A hypothetical ballot, PARTY:POSITION (repeatable).", valueName: "party:position"))
    var ballots: [String] = []

    @Option(name: .customLong("withdraw-ballot"), help: ArgumentHelp("A hypothetical withdrawal of a party's position (repeatable).", valueName: "party"))
    var withdrawals: [PartyCode] = []

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Evaluate as of this date or date-time. Default: now.", valueName: "date"))
    var asOf: String?

    func run() async throws {
        try await server.withClient { client in
            var hypotheses: [WhatIfRequest.Hypothesis] = []
            for text in steps {
                let (party, rest) = try Self.split(text, "--step")
                guard let stage = StageID(rest) else { throw ClientFailure.usage("--step \(text): '\(rest)' is not a stage id") }
                hypotheses.append(.init(kind: .step, party: party, stage: stage))
            }
            for text in ballots {
                let (party, rest) = try Self.split(text, "--ballot")
                guard let position = BallotPosition(rawValue: rest) else {
                    throw ClientFailure.usage("--ballot \(text): '\(rest)' is not one of \(BallotPosition.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                hypotheses.append(.init(kind: .ballot, party: party, position: position))
            }
            hypotheses += withdrawals.map { .init(kind: .ballotWithdrawal, party: $0) }
            guard !hypotheses.isEmpty else { throw ClientFailure.usage("give at least one --step, --ballot or --withdraw-ballot") }
            let asOf = try asOf.map { text throws(ClientFailure) -> Instant in
                guard let instant = Times.endOfDayOrInstant(text) else {
                    throw .usage("--as-of \(text): not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
                }
                return instant
            }
            let answer = try await client.post("/v1/processes/\(process)/what-if", WhatIfRequest(asOf: asOf, hypotheses: hypotheses))
            if output.json { return print(answer.text) }
            let outcome = try answer.decode(WhatIfAnswer.self)
            let before = Dictionary(outcome.before.map { ($0.rule, $0) }, uniquingKeysWith: { first, _ in first })
            print("as of \(outcome.asOf.iso8601), with \(hypotheses.count) hypothetical entr\(hypotheses.count == 1 ? "y" : "ies"):")
            print(outcome.changed.isEmpty ? "no rule changes status" : "\(outcome.changed.count) rule\(outcome.changed.count == 1 ? "" : "s") change status")
            for result in outcome.after {
                let old = before[result.rule]
                let change = old.map { $0.status == result.status ? "" : "  (was \($0.status.label): \($0.headline))" } ?? ""
                print("\(ProcessTable.mark(result.status)) \(result.label) [\(result.rule)]: \(result.status.label) — \(result.headline)\(change)")
            }
        }
    }

    static func split(_ text: String, _ option: String) throws(ClientFailure) -> (PartyCode, String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let party = PartyCode(parts[0]) else {
            throw .usage("\(option) \(text): write PARTY:VALUE, e.g. DE:\(option == "--step" ? "government-decision" : "yes")")
        }
        return (party, parts[1])
    }
}

/// What a write prints: the entries recorded and the process's new version.
enum WriteReport {
    static func print(_ answer: APIResponse, json: Bool) throws(ClientFailure) {
        if json { return Swift.print(answer.text) }
        let recorded = try answer.decode(RecordedAnswer.self)
        // Each invocation sends its own Idempotency-Key, so "already recorded" can only mean that this command's
        // own retry found its first attempt recorded.
        let confirmed = recorded.alreadyRecorded ? " (confirmed after a retry)" : ""
        for entry in recorded.recorded {
            Swift.print("recorded \(entry.type) \(entry.entry) at log position \(entry.position)\(confirmed)")
        }
        if let version = recorded.version { Swift.print("process version \(version)") }
    }
}
