import AccordAudit
import AccordEventStore
import AccordService
import ArgumentParser
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the log as JSON Lines with a signed checkpoint, or the status matrix as CSV.",
        discussion: """
            Reads the database directly (--database / --data-dir); a running server offers the same as GET /v1/audit/export. \
            JSON Lines (accord-export-v1, see docs/audit.md) end with a checkpoint signed by this instance's key; check a file \
            with `accord verify FILE --public-key KEY`. Filters by process, party or recorded time keep the export one piece of \
            the chain: events between the chosen ones appear as 'elided' lines without their payload.
            """)

    @OptionGroup var database: DatabaseOption
    @OptionGroup var keys: SigningKeyOption
    @OptionGroup var selectionOptions: SelectionOptions

    @Option(help: "jsonl (the log, verifiable) or csv (the status matrix).")
    var format = "jsonl"

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        guard format == "jsonl" || format == "csv" else { throw ValidationError("--format must be jsonl or csv") }
        let selection = try selectionOptions.selection()
        // A one-pass read gains nothing from mapping the database file into memory; without it the export's
        // memory stays flat however large the log.
        let service = try await AccordService.open(try database.location(), options: EventStoreOptions(sqlite: SQLiteOptions(mmapBytes: 0)))
        do {
            let audit = AuditService(service: service, keyFolder: keys.folder(database))
            if selection.process != nil || selection.party != nil { try await service.eventIndex.catchUp() }
            let out = try OutputFile(output)
            if format == "csv" {
                try await service.log.catchUp()
                try await StatusMatrixCSV.write(selection, service: service) { buffer in try out.write(buffer) }
            } else {
                let lines = try await audit.exportJSONLines(selection) { buffer in try out.write(buffer) }
                if output != nil { printError("exported \(lines) events") }
            }
            try out.close()
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
