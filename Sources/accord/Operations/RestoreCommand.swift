import AccordEventStore
import AccordTime
import ArgumentParser
import Foundation

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore the database from a backup, verifying its hash chain.",
        discussion: """
            SQLite: the backup is copied beside the database, migrated if it comes from an older Accord, and its hash \
            chain is walked; only an intact copy replaces the database, whose previous files are kept beside it \
            (NAME.pre-restore-TIME). A database a server has open is refused unless --force (stop the server first).
            PostgreSQL: pg_restore of an `accord backup` (pg_dump custom format) into the database, in one transaction, \
            then the chain is walked. A database that already holds events is refused unless --force, which drops \
            its objects first. Start the server only once the chain is reported intact.
            Exit status: 0 restored and intact, 1 refused or failed, 64 usage.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .customLong("from"), help: ArgumentHelp("The backup file.", valueName: "file"))
    var source: String

    @Flag(help: "Restore even over a database in use (SQLite) or holding events (PostgreSQL).")
    var force = false

    @Option(name: .customLong("pg-restore"), help: ArgumentHelp("PostgreSQL: the pg_restore program. Default: pg_restore on PATH.", valueName: "path"))
    var pgRestore = "pg_restore"

    func run() async throws {
        guard FileManager.default.fileExists(atPath: source) else { throw ValidationError("--from \(source): no such file") }
        try await OperationFailure.reporting {
            let location = try database.location()
            switch location {
            case .sqlite(let path):
                try await restoreSQLite(path)
            case .postgres(let conninfo):
                try await restorePostgres(conninfo, location: location)
            }
        }
    }

    private func restoreSQLite(_ path: String) async throws {
        if try SQLiteBackup.isInUse(path) && !force {
            throw OperationFailure("'\(path)' is in use (a server has it open): stop the server first, or pass --force")
        }
        let temporary = SQLiteBackup.temporaryPath(beside: path, purpose: "restore")
        do {
            let copying = ProgressBar("copying the backup")
            let report = try SQLiteBackup.copy(from: source, to: temporary) { done, total in copying.update(Int64(done), total: Int64(total)) }
            copying.finish()
            let (last, head) = try await ChainCheck.verify(.sqlite(path: temporary), what: "the backup")
            try SQLiteBackup.makeSelfContained(temporary)
            var kept = ""
            if FileManager.default.fileExists(atPath: path) {
                let stamp = SystemWallClock().now().iso8601.filter { $0.isNumber }.prefix(14)
                kept = try SQLiteBackup.moveAside(path, suffix: ".pre-restore-\(stamp)")
            }
            try SQLiteBackup.install(temporary, at: path)
            print("restored \(report.eventCount) events (log head \(last), chain intact, head hash \(head)) from \(source) into \(path)")
            if !kept.isEmpty { print("the previous database is kept as \(kept)") }
        } catch {
            SQLiteBackup.removeDatabaseFiles(temporary)
            throw error
        }
    }

    private func restorePostgres(_ conninfo: String, location: DatabaseLocation) async throws {
        let tables = try await PostgresAdmin.query(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'accord_events' AND schemaname = current_schema()", using: conninfo)
        if try tables.first?.int(0) ?? 0 > 0 {
            let count = try await PostgresAdmin.query("SELECT count(*) FROM accord_events", using: conninfo).first?.int(0) ?? 0
            if count > 0 && !force {
                throw OperationFailure("the database already holds \(count) events: restore into an empty database, or pass --force to drop its contents first")
            }
        }
        try await PostgresTools(program: pgRestore).restore(from: source, conninfo: conninfo, clean: force)
        let (last, head) = try await ChainCheck.verify(location, what: "the restored database")
        print("restored \(last) events from \(source) into \(location): chain intact, head hash \(head)")
    }
}
