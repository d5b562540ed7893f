import AccordAudit
import AccordDomain
import AccordService
import AccordTime
import ArgumentParser
import Foundation

/// Where this instance's signing key lives: `--signing-key-dir`, `$ACCORD_SIGNING_KEY_DIR`, else `keys` in the
/// data folder.
struct SigningKeyOption: ParsableArguments {
    @Option(name: .customLong("signing-key-dir"), help: ArgumentHelp(
        "The folder of the checkpoint signing key (created with mode 0700 on first use). Default: $ACCORD_SIGNING_KEY_DIR, else keys/ in the data folder.",
        valueName: "path"))
    var signingKeyDir: String?

    func folder(_ database: DatabaseOption) -> SigningKeyFolder {
        if let path = environmentValue(signingKeyDir, "ACCORD_SIGNING_KEY_DIR") { return SigningKeyFolder(path: path) }
        return SigningKeyFolder(dataDirectory: database.dataDirectory)
    }
}

/// The selection options shared by `accord export`.
struct SelectionOptions: ParsableArguments {
    @Option(help: "First log position to export.")
    var from: Int64?

    @Option(help: "Last log position to export.")
    var to: Int64?

    @Option(name: .customLong("recorded-from"), help: "Only events recorded at or after this date or date-time (UTC).")
    var recordedFrom: String?

    @Option(name: .customLong("recorded-until"), help: "Only events recorded before this date or date-time (UTC).")
    var recordedUntil: String?

    @Option(help: "Only the events of this process (its id).")
    var process: String?

    @Option(help: "Only the events concerning this party (e.g. DE).")
    var party: String?

    func selection() throws -> ExportSelection {
        func instant(_ text: String?, _ flag: String) throws -> Instant? {
            guard let text else { return nil }
            if let instant = Instant(iso8601: text) { return instant }
            if let date = CivilDate(iso8601: text) { return Instant(startOf: date) }
            throw ValidationError("\(flag): '\(text)' is not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
        }
        var selection = ExportSelection(fromPosition: from, toPosition: to, recordedFrom: try instant(recordedFrom, "--recorded-from"),
                                        recordedUntil: try instant(recordedUntil, "--recorded-until"))
        if let from, from < 1 { throw ValidationError("--from must be a log position of 1 or more") }
        if let to, to < 1 { throw ValidationError("--to must be a log position of 1 or more") }
        if let from, let to, from > to { throw ValidationError("--to must not be before --from") }
        if let process {
            guard let id = ProcessID(process) else { throw ValidationError("--process: '\(process)' is not a process id") }
            selection.process = id
        }
        if let party {
            guard let code = PartyCode(party) else { throw ValidationError("--party: '\(party)' is not a two-letter party code") }
            selection.party = code
        }
        if let a = selection.recordedFrom, let b = selection.recordedUntil, a >= b {
            throw ValidationError("--recorded-until must be after --recorded-from")
        }
        return selection
    }
}

/// Writes bytes to a file (created or truncated) or to standard output.
final class OutputFile {
    let handle: FileHandle
    let path: String?

    init(_ path: String?) throws {
        self.path = path
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("cannot write \(path)")
            }
            self.handle = handle
        } else {
            self.handle = FileHandle.standardOutput
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try handle.write(contentsOf: bytes)
    }

    func close() throws {
        if path != nil { try handle.close() }
    }
}
