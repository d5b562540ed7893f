import AccordAudit
import AccordEventStore
import ArgumentParser
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export offline: every payload hash, chain hash and checkpoint signature.",
        discussion: """
            Needs no server and no database: only the file and the public keys you trust (from `accord key show`, obtained \
            independently of the file). Exit status: 0 verified, 1 broken (the first broken line and what is wrong there are \
            printed), 2 could not read (no such file, not an export, unreadable keys).
            """)

    @Argument(help: "The export (JSON Lines); '-' reads standard input.")
    var file: String

    @Option(name: .customLong("public-key"), help: "A trusted Ed25519 public key (ed25519:BASE64, BASE64) or a file of keys (PEM or one per line); repeatable.")
    var publicKeys: [String] = []

    @Option(name: .customLong("previous-hash"), help: "For a partial export: the chain hash before its first line, from a source you trust.")
    var previousHash: String?

    @Option(name: .customLong("checkpoints"), help: "A file of earlier checkpoints (GET /v1/audit/checkpoints, or checkpoint lines): each one the export covers must match it.")
    var checkpoints: String?

    func run() throws {
        do {
            let outcome = try verify()
            switch outcome {
            case .verified(let summary):
                print(Self.describe(summary))
            case .broken(let broken):
                print("BROKEN at \(broken)")
                throw ExitCode(1)
            }
        } catch let error as AuditKeyError {
            printError("cannot verify: \(error)")
            throw ExitCode(2)
        } catch let error as VerificationError {
            printError("cannot read the export: \(error)")
            throw ExitCode(2)
        }
    }

    func verify() throws -> VerificationOutcome {
        var keys: [AuditPublicKey] = []
        for argument in publicKeys { keys += try AuditPublicKey.parse(argument: argument) }
        guard !keys.isEmpty else { throw AuditKeyError.noPublicKeys }
        var start: SHA256Hash?
        if let previousHash {
            guard let hash = SHA256Hash(hex: previousHash) else {
                throw VerificationError.unreadable("--previous-hash: '\(previousHash)' is not a 64-digit hex chain hash")
            }
            start = hash
        }
        var earlier: [Checkpoint] = []
        if let checkpoints { earlier = try Self.readCheckpoints(checkpoints) }
        return try ExportVerifier(keys: KeyRing(keys), previousHash: start, earlierCheckpoints: earlier).verify(file: file)
    }

    /// `{"checkpoints": [...]}` as the API answers, or one checkpoint object per line.
    static func readCheckpoints(_ path: String) throws -> [Checkpoint] {
        guard let data = FileManager.default.contents(atPath: path) else { throw VerificationError.unreadable("cannot read \(path)") }
        struct Page: Decodable { var checkpoints: [Checkpoint] }
        if let page = try? JSONDecoder().decode(Page.self, from: data) { return page.checkpoints }
        var out: [Checkpoint] = []
        for line in data.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(line)) else {
                throw VerificationError.unreadable("\(path) holds something other than checkpoints")
            }
            out.append(checkpoint)
        }
        return out
    }

    static func describe(_ s: VerifiedExport) -> String {
        var lines: [String] = []
        if let first = s.firstPosition, let last = s.lastPosition {
            var text = "verified: \(s.events) events, positions \(first)–\(last)"
            if s.elided > 0 { text += " (\(s.elided) more elided: outside the filter, chain checked without payload)" }
            lines.append(text)
            lines.append(s.startConfirmed
                         ? "the chain continues from the expected previous hash"
                         : "note: the chain hash before position \(first) was taken from the file's own header; pass --previous-hash to tie it to an earlier export or checkpoint")
        } else {
            lines.append("verified: the export selected no events")
        }
        if s.redacted > 0 {
            var text = "\(s.redacted) redacted payloads: their content was replaced, the chain commits to the original's hash"
            if s.redactionsRecordedOutside > 0 { text += "; \(s.redactionsRecordedOutside) redacted by events outside this export" }
            lines.append(text)
        }
        if let c = s.checkpoint {
            lines.append("checkpoint: position \(c.position), chain hash \(c.chainHash), signed \(c.signedAt) by key \(c.keyId)")
        }
        if s.earlierCheckpointsMatched > 0 { lines.append("\(s.earlierCheckpointsMatched) earlier checkpoints match the export") }
        if s.earlierCheckpointsOutside > 0 { lines.append("\(s.earlierCheckpointsOutside) earlier checkpoints lie outside the export's positions (not checked)") }
        return lines.joined(separator: "\n")
    }
}
