import AccordEventStore
import ArgumentParser
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the database while the server runs.",
        discussion: """
            SQLite: a consistent snapshot taken with SQLite's online backup API (the server keeps writing meanwhile), \
            written to a temporary file beside FILE and renamed into place once complete; FILE is one self-contained \
            SQLite file. PostgreSQL: runs `pg_dump --format=custom` (it must be on PATH, or give --pg-dump) into FILE; \
            restore it with `accord restore` or pg_restore (docs/operations.md).
            Exit status: 0 done, 1 the backup failed (nothing is left at FILE), 64 usage.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .customLong("to"), help: ArgumentHelp("The backup file to write.", valueName: "file"))
    var destination: String

    @Flag(help: "Replace FILE if it exists.")
    var force = false

    @Flag(help: "SQLite: also walk the copy's hash chain before keeping it.")
    var verify = false

    @Option(name: .customLong("pg-dump"), help: ArgumentHelp("PostgreSQL: the pg_dump program. Default: pg_dump on PATH.", valueName: "path"))
    var pgDump = "pg_dump"

    func run() async throws {
        try await OperationFailure.reporting {
            if FileManager.default.fileExists(atPath: destination) && !force {
                throw OperationFailure("'\(destination)' exists already; choose another file or pass --force to replace it")
            }
            switch try database.location() {
            case .sqlite(let path):
                try await backupSQLite(path)
            case .postgres(let conninfo):
                try await PostgresTools(program: pgDump).dump(conninfo: conninfo, to: destination)
                print("backed up PostgreSQL to \(destination) (pg_dump custom format, \(fileSize(destination)) bytes)")
            }
        }
    }

    private func backupSQLite(_ path: String) async throws {
        let temporary = SQLiteBackup.temporaryPath(beside: destination, purpose: "backup")
        do {
            let copying = ProgressBar("backing up")
            let report = try SQLiteBackup.copy(from: path, to: temporary) { done, total in copying.update(Int64(done), total: Int64(total)) }
            copying.finish()
            if verify { _ = try await ChainCheck.verify(.sqlite(path: temporary), what: "the backup") }
            try SQLiteBackup.makeSelfContained(temporary)
            try SQLiteBackup.install(temporary, at: destination)
            print("backed up \(report.eventCount) events (log head \(report.headPosition)) to \(destination): \(fileSize(destination)) bytes"
                  + (verify ? ", chain verified" : ""))
        } catch {
            SQLiteBackup.removeDatabaseFiles(temporary)
            throw error
        }
    }
}

func fileSize(_ path: String) -> Int64 {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
}

/// A failed backup or restore: one line on standard error and exit status 1.
struct OperationFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }

    /// Runs `body`; any failure other than a usage error becomes one line and exit status 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let validation as ValidationError {
            throw validation
        } catch {
            printError("error: " + "\(error)".split(whereSeparator: \.isNewline).joined(separator: " "))
            throw ExitCode.failure
        }
    }
}

/// Walking the hash chain of a database, with a progress bar.
enum ChainCheck {
    /// Opens the database at `location` (applying this binary's migrations), walks the chain and closes it.
    /// Throws when the chain is broken.
    static func verify(_ location: DatabaseLocation, what: String) async throws -> (lastPosition: Int64, head: String) {
        let store = try await EventStoreFactory.open(location)
        let result: ChainVerification
        do {
            let head = try await store.headPosition()
            let progress = ProgressBar("verifying \(what)", total: head)
            result = try await store.verifyChain { position in progress.update(position) }
            progress.finish()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        switch result {
        case let .intact(lastPosition, head):
            return (lastPosition, head.hex)
        case let .broken(position, problem):
            throw OperationFailure("\(what): the hash chain is BROKEN at position \(position): \(problem)")
        }
    }
}
