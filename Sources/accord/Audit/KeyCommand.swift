import AccordAudit
import AccordService
import AccordTime
import ArgumentParser
import Foundation

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "The Ed25519 key this instance signs checkpoints with.",
        subcommands: [KeyShow.self, KeyRotate.self])
}

struct KeyShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the public keys that verify this database's checkpoints (made on first use).",
        discussion: "The output can be saved and given to `accord verify --public-key FILE`: it lists the current key and every earlier one.")

    @OptionGroup var database: DatabaseOption
    @OptionGroup var keys: SigningKeyOption

    @Flag(help: "Also print the current key as a PEM public key (for openssl).")
    var pem = false

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        do {
            let audit = AuditService(service: service, keyFolder: keys.folder(database))
            let current = try await audit.start()
            let registered = try await audit.records.keys()
            print("# Accord checkpoint signing keys (Ed25519). Current key id: \(current.keyId)")
            for key in registered {
                let state = key.keyId == current.keyId ? "current" : key.retiredAt.map { "retired \($0.iso8601)" } ?? "in use by another instance"
                print("\(key.publicKey) key-id \(key.keyId) created \(key.createdAt.iso8601) \(state)")
            }
            if pem { print(current.publicKey.pem, terminator: "") }
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}

struct KeyRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Make a new signing key. The old public key stays listed, so checkpoints it signed still verify.",
        discussion: "A running server picks the new key up at its next signature.")

    @OptionGroup var database: DatabaseOption
    @OptionGroup var keys: SigningKeyOption

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        do {
            let (old, new) = try await AuditService(service: service, keyFolder: keys.folder(database)).rotateKey()
            if let old { print("retired key \(old.keyId) (\(old.publicKey))") }
            print("new key \(new.keyId): \(new.publicKey)")
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
