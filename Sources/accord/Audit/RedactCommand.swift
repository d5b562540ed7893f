import AccordAudit
import AccordDomain
import AccordService
import ArgumentParser
import Foundation

struct RedactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Redact text fields of a recorded event (e.g. a person's name in a note); the chain still verifies.",
        discussion: """
            Records a PayloadRedacted event (who, which event, which fields, why) and replaces the fields with "[redacted]" \
            wherever the log is read from then on. See docs/audit.md for what remains where. Through the API: \
            POST /v1/audit/redactions (admins).
            """)

    @OptionGroup var database: DatabaseOption

    @Option(help: "The log position of the event to redact.")
    var position: Int64

    @Option(name: .customLong("path"), help: "A JSON Pointer to a text field of its payload, e.g. /step/note (repeatable).")
    var paths: [String]

    @Option(help: "Why the text is redacted (kept in the log).")
    var reason: String

    @Option(name: .customLong("by"), help: "Who is redacting, as the log will name them (e.g. 'Jane Doe, Data Protection Officer').")
    var by: String

    func run() async throws {
        let name = by.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw ValidationError("--by must name who redacts") }
        let service = try await AccordService.open(try database.location())
        do {
            let actor = ActorRef(id: "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "operator"), name: name)
            let outcome = try await Redactor(service: service).redact(RedactionRequest(position: position, paths: paths, reason: reason), actor: actor)
            print("redacted \(outcome.paths.joined(separator: ", ")) of the event at position \(outcome.position); recorded at position \(outcome.redactionPosition)")
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
