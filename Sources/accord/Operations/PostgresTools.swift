import AccordEventStore
import Foundation

/// `pg_dump` and `pg_restore`, run as child processes: their exit status decides, and their standard error
/// is passed on when they fail.
struct PostgresTools {
    var program: String

    /// `pg_dump --format=custom` of the database into a temporary file beside `destination`, renamed into
    /// place when pg_dump succeeded. The dump is one consistent snapshot; the server keeps running.
    func dump(conninfo: String, to destination: String) async throws {
        let temporary = SQLiteBackup.temporaryPath(beside: destination, purpose: "dump")
        do {
            try await run(["--format=custom", "--no-password", "--file=\(temporary)"] + Self.database(conninfo))
            guard rename(temporary, destination) == 0 else {
                throw OperationFailure("cannot move the dump to '\(destination)': \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// `pg_restore` of a custom-format dump into the database, in one transaction: it is restored whole or not at
    /// all. With `clean`, the database's existing objects are dropped first.
    func restore(from file: String, conninfo: String, clean: Bool) async throws {
        var arguments = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password"]
        if clean { arguments += ["--clean", "--if-exists"] }
        try await run(arguments + Self.database(conninfo) + [file])
    }

    /// libpq reads an empty conninfo from the PG* variables; a non-empty one goes in --dbname.
    static func database(_ conninfo: String) -> [String] { conninfo.isEmpty ? [] : ["--dbname=\(conninfo)"] }

    private func run(_ arguments: [String]) async throws {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw OperationFailure("cannot run \(program): \(error)")
        }
        // Read standard error while the tool runs, so a chatty failure cannot fill the pipe and stall it.
        let output = await Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let message = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline).suffix(3).joined(separator: " / ")
            let status = process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "killed by signal \(process.terminationStatus)"
            if process.terminationStatus == 127 && !program.contains("/") {
                throw OperationFailure("\(program) was not found on PATH (Debian: apt-get install postgresql-client), or pass its path")
            }
            throw OperationFailure("\(program) failed (\(status))" + (message.isEmpty ? "" : ": \(message)"))
        }
    }
}
