import AccordDomain
import ArgumentParser
import Foundation

struct LogGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Read the global event log (talks to a running server).",
        subcommands: [LogTail.self])
}

struct LogTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the latest events of the log; with --follow, keep printing new ones as they are recorded.",
        discussion: """
            Every line starts with the event's log position: pass the last one seen to --after to resume exactly \
            there. With --follow, a lost connection is retried from the last position printed.
            """)

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Start after this log position (resume). Default: the last --lines events.", valueName: "position"))
    var after: Int64?

    @Option(help: "How many of the latest events to print when --after is not given.")
    var lines: Int64 = 20

    @Flag(help: "Keep waiting for new events (stop with Ctrl-C).")
    var follow = false

    @Option(help: ArgumentHelp("Seconds between polls while following.", valueName: "seconds"))
    var interval: Int64 = 1

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must be a log position (0 or more)") }
        guard lines >= 0 else { throw ValidationError("--lines must be 0 or more") }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    static let pageSize: Int64 = 1000

    func run() async throws {
        try await server.withClient { client in
            var position: Int64
            if let after {
                position = after
            } else {
                let head = try await client.get("/v1/events", query: [("after", "0"), ("limit", "1")]).decode(LogPageAnswer.self).head
                position = max(0, head - lines)
            }
            let start = position
            var progress: ProgressBar?
            var warned = false
            while true {
                let answer: APIResponse
                do {
                    answer = try await client.get("/v1/events", query: [("after", String(position)), ("limit", String(Self.pageSize))])
                    if warned { printError("reconnected; resuming after log position \(position)") }
                    warned = false
                } catch let failure as ClientFailure {
                    // Following survives a restart of the server: try again from the last position printed.
                    guard follow, failure.exitCode == ClientFailure.unavailableExitCode else { throw failure }
                    if !warned { printError("\(failure.description); retrying after log position \(position)") }
                    warned = true
                    try await Task.sleep(for: .seconds(interval))
                    continue
                }
                let page = try answer.decode(LogPageAnswer.self)
                if output.json {
                    for event in try answer.decode(RawLogPage.self).events { print(Self.compact(event)) }
                } else {
                    for event in page.events { print(Self.line(event)) }
                }
                // A follower's reader (a pipe, `grep`) sees each event now, not when a buffer fills.
                fflush(nil)
                position = page.events.last?.position ?? position
                // A progress bar only while catching up over more than one page.
                if page.next != nil, progress == nil { progress = ProgressBar("catching up", total: page.head - start) }
                progress?.update(position - start, total: page.head - start)
                if page.next == nil {
                    progress?.finish()
                    progress = nil
                    guard follow else { return }
                    try await Task.sleep(for: .seconds(interval))
                }
            }
        }
    }

    static func line(_ event: LogPageAnswer.Event) -> String {
        [String(event.position), event.recordedAt.iso8601, event.type, event.stream, event.actor.name, summary(event.payload)]
            .filter { !$0.isEmpty }.joined(separator: "  ")
    }

    /// The party and what it did, when the payload says: "DE government-decision", "HU veto".
    static func summary(_ payload: JSONValue) -> String {
        func text(_ value: JSONValue?) -> String? {
            if case .string(let s)? = value { return s }
            return nil
        }
        guard case .object(let object) = payload else { return "" }
        for key in ["step", "ballot"] {
            if case .object(let inner)? = object[key] {
                return [text(inner["party"]), text(inner["stage"]) ?? text(inner["position"])].compactMap { $0 }.joined(separator: " ")
            }
        }
        return [text(object["party"]), text(object["title"]), text(object["name"])].compactMap { $0 }.joined(separator: " ")
    }

    static func compact(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

/// A log page with its events kept as the API wrote them, for `--json`.
struct RawLogPage: Decodable {
    var events: [JSONValue]
}
