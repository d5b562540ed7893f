import AccordDomain
import AccordHTTP
import ArgumentParser
import Foundation

struct ImportGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import entries in bulk (talks to a running server).",
        subcommands: [ImportSteps.self])
}

struct ImportSteps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "Record the stage steps of a CSV file (party,stage,date,source,note with a header) in one atomic batch.",
        discussion: """
            The whole file is checked first (every problem is listed with its line and column); then the server checks \
            every step in order against the process — each step sees the ones above it — and records them all at once, \
            or none: a refused step is named by its line and nothing is recorded.
            A date is 2025-04-10 (taken as 12:00 UTC) or an RFC 3339 date-time. Use - to read standard input.
            """)

    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var version: VersionOption

    @Argument(help: "The process id.")
    var process: ProcessID

    @Argument(help: "The CSV file (- for standard input).")
    var file: String

    @Flag(help: "Only check the file; send nothing.")
    var check = false

    func run() async throws {
        try await reportingFailures {
            let text = try Self.read(file)
            let checking = ProgressBar("checking \(file)")
            let rows: [StepCSV.Row]
            do throws(StepCSV.Problems) {
                rows = try StepCSV.parse(text) { done, total in checking.update(Int64(done), total: Int64(total)) }
                checking.finish()
            } catch {
                checking.finish()
                for problem in error.list { printError("\(file): \(problem)") }
                throw ClientFailure.usage("\(error.list.count) problem\(error.list.count == 1 ? "" : "s") in \(file); nothing was recorded")
            }
            if check {
                print("\(file): \(rows.count) steps, all well-formed (checked only: nothing was sent)")
                return
            }
            // A large batch is checked step by step on the server: give it time.
            try await server.withClient(defaultTimeoutSeconds: 600) { client in
                let recording = ProgressBar("recording \(rows.count) steps", total: Int64(rows.count))
                recording.update(0)
                let answer: APIResponse
                do {
                    answer = try await client.post("/v1/processes/\(process)/steps/batch", StepBatchRequest(steps: rows.map(\.step)),
                                                   ifMatch: version.ifVersion)
                } catch let ClientFailure.refused(status, type, detail, index?) where rows.indices.contains(index) {
                    // The server names the step by its index in the batch; the file's reader wants its line.
                    let reason = detail.hasPrefix("steps[\(index)] ") ? String(detail.dropFirst("steps[\(index)] ".count)) : detail
                    throw ClientFailure.refused(status: status, type: type, detail: "\(file): line \(rows[index].line) \(reason); nothing was recorded")
                }
                recording.update(Int64(rows.count))
                recording.finish()
                if output.json { return print(answer.text) }
                let recorded = try answer.decode(RecordedAnswer.self)
                let positions = recorded.recorded.map(\.position)
                let span = positions.first.map { first in "log positions \(first)–\(positions.last ?? first)" } ?? "no new positions"
                print("recorded \(recorded.recorded.count) steps from \(file) (\(span)); process version \(recorded.version.map(String.init) ?? "?")"
                      + (recorded.alreadyRecorded ? " (confirmed after a retry)" : ""))
            }
        }
    }

    static func read(_ path: String) throws(ClientFailure) -> String {
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw .usage("\(path): cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw .usage("\(path): not UTF-8 text") }
        return text
    }
}
