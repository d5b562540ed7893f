import AccordEventStore
import ArgumentParser
import Foundation

/// `--database`, shared by every command that opens the store; falls back to `ACCORD_DATABASE`.
struct DatabaseOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where the event store lives: a SQLite path (or sqlite:PATH), 'postgres' (PG* environment variables) or a postgres:// URL. Default: $ACCORD_DATABASE.",
            valueName: "location"))
    var database: String?

    func location() throws -> DatabaseLocation {
        guard let text = database ?? ProcessInfo.processInfo.environment["ACCORD_DATABASE"], !text.isEmpty else {
            throw ValidationError("no database: pass --database or set ACCORD_DATABASE")
        }
        return try DatabaseLocation(parsing: text)
    }
}

/// Writes `line` to standard error (diagnostics stay off standard output, which carries results).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
