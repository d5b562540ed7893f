import AccordEventStore
import ArgumentParser
import Foundation

/// `--database` and `--data-dir`, shared by every command that opens the store. Without either, Accord uses
/// the embedded SQLite database in its data folder (`./accord-data`, created on first start).
struct DatabaseOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where the event store lives: a SQLite path (or sqlite:PATH), 'postgres' (PG* environment variables) or a postgres:// URL. Default: $ACCORD_DATABASE, else accord.sqlite in the data folder.",
            valueName: "location"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp("The data folder (SQLite database, signing keys). Default: $ACCORD_DATA_DIR, else ./accord-data.", valueName: "path"))
    var dataDir: String?

    var dataDirectory: String {
        dataDir ?? ProcessInfo.processInfo.environment["ACCORD_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "accord-data"
    }

    func location() throws -> DatabaseLocation {
        if let text = database ?? ProcessInfo.processInfo.environment["ACCORD_DATABASE"], !text.isEmpty {
            return try DatabaseLocation(parsing: text)
        }
        return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("accord.sqlite"))
    }
}

/// An option's value from its flag, else its `ACCORD_*` environment variable.
func environmentValue(_ flag: String?, _ variable: String) -> String? {
    if let flag { return flag }
    guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
    return value
}

/// Writes `line` to standard error (diagnostics stay off standard output, which carries results).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
