import AccordAudit
import AccordService
import ArgumentParser
import Foundation

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign and store a checkpoint of the chain head now; print it as a JSON line.")

    @OptionGroup var database: DatabaseOption
    @OptionGroup var keys: SigningKeyOption

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        do {
            let stored = try await AuditService(service: service, keyFolder: keys.folder(database)).checkpoint(reason: .request)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(stored), as: UTF8.self))
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
