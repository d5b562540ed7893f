import AccordAudit
import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import AccordTime
import ArgumentParser
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a process report as one self-contained HTML page (printable to PDF from a browser).")

    @OptionGroup var database: DatabaseOption

    @Argument(help: "The process id.")
    var process: String

    @Option(name: .customLong("as-of"), help: "The state on this date or date-time (default: now).")
    var asOf: String?

    @Option(name: .customLong("known-at"), help: "What was known at this log position, date or date-time (default: everything recorded).")
    var knownAt: String?

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        guard let id = ProcessID(process) else { throw ValidationError("'\(process)' is not a process id") }
        var cutoff = KnowledgeCutoff.everything
        if let knownAt {
            if let position = Int64(knownAt), position >= 0 {
                cutoff = .position(position)
            } else if let instant = APIEnvironment.instantOrEndOfDay(knownAt) {
                cutoff = .recordedAt(instant)
            } else {
                throw ValidationError("--known-at: '\(knownAt)' is not a log position, a date or a date-time")
            }
        }
        let service = try await AccordService.open(try database.location())
        do {
            try await service.log.catchUp()
            var when = service.clock.now()
            if let asOf {
                guard let instant = APIEnvironment.instantOrEndOfDay(asOf) else {
                    throw ValidationError("--as-of: '\(asOf)' is not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
                }
                when = instant
            }
            let html = try await ProcessReport.render(id, service: service, asOf: when, cutoff: cutoff)
            let out = try OutputFile(output)
            try out.write(Array(html.utf8))
            try out.close()
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
