import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies of a SQLite event store taken with SQLite's online backup API while a server keeps writing, and
/// the steps around installing one (`accord backup` and `accord restore` put them together).
///
/// The copy reads one consistent snapshot: the source connection holds a read transaction for the whole
/// backup, so in WAL mode the server's writers are never blocked and the backup never restarts because of
/// them. Everything committed before the snapshot is in the copy; nothing after it is.
public enum SQLiteBackup {
    public struct Report: Sendable, Hashable {
        /// The last log position in the copy (0: no events).
        public var headPosition: Int64
        public var eventCount: Int64
        public var pages: Int
    }

    /// Pages copied per step: small enough for a smooth progress bar, large enough to cost nothing.
    public static let pagesPerStep: Int32 = 1024

    /// Turns a closed copy into one self-contained file: the write-ahead log is merged into it and it leaves WAL
    /// mode (the server switches it back when it opens it). Needed after the store had it open, because the
    /// store's read-only connections, when they close last, cannot fold the log back in.
    public static func makeSelfContained(_ path: String) throws(EventStoreError) {
        try SQLiteConnection(path: path, readOnly: false, options: SQLiteOptions()).executeScript("PRAGMA journal_mode = DELETE")
    }

    /// Copies `source` into the new file `destination` page by page with `sqlite3_backup_step`.
    public static func copy(
        from source: String, to destination: String,
        progress: (@Sendable (_ pagesDone: Int, _ pagesTotal: Int) -> Void)? = nil
    ) throws(EventStoreError) -> Report {
        guard FileManager.default.fileExists(atPath: source) else { throw .unavailable("no SQLite database at '\(source)'") }
        // Read-only: the source (a live database, or a backup being restored) is never changed.
        let from = try SQLiteConnection(path: source, readOnly: true, options: SQLiteOptions())
        // The snapshot: a read transaction the backup steps run inside (sqlite3_backup_step uses an open one).
        try from.executeScript("BEGIN")
        defer { from.rollback() }
        let head: Int64
        let count: Int64
        do {
            let row = try from.query("SELECT coalesce(max(position), 0), count(*) FROM accord_events", []).first
            (head, count) = (try row?.int(0) ?? 0, try row?.int(1) ?? 0)
        } catch {
            throw .unavailable("'\(source)' is not an Accord database (\(error))")
        }
        let parent = (destination as NSString).deletingLastPathComponent
        if !parent.isEmpty { try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        let to = try SQLiteConnection(path: destination, readOnly: false, options: SQLiteOptions())
        guard let backup = sqlite3_backup_init(to.handle, "main", from.handle, "main") else {
            throw .database("cannot start the backup to '\(destination)': \(String(cString: sqlite3_errmsg(to.handle)))")
        }
        var result: Int32
        repeat {
            result = sqlite3_backup_step(backup, pagesPerStep)
            let total = Int(sqlite3_backup_pagecount(backup))
            progress?(total - Int(sqlite3_backup_remaining(backup)), total)
            if result == SQLITE_BUSY || result == SQLITE_LOCKED { usleep(10_000) }
        } while result == SQLITE_OK || result == SQLITE_BUSY || result == SQLITE_LOCKED
        let pages = Int(sqlite3_backup_pagecount(backup))
        sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE else {
            throw .unavailable("the backup to '\(destination)' failed: \(String(cString: sqlite3_errstr(result))) (\(String(cString: sqlite3_errmsg(to.handle))))")
        }
        return Report(headPosition: head, eventCount: count, pages: pages)
    }

    /// Whether a connection in another process (a running server) has the database open. SQLite holds a
    /// shared lock on a WAL database for as long as any connection has it open; taking the exclusive lock
    /// fails while one does. A server switches its database to WAL mode when it opens it, so a file still in
    /// rollback-journal mode (a restored or backed-up copy) has no server on it — and is left untouched.
    public static func isInUse(_ path: String) throws(EventStoreError) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard try isInWALMode(path) else { return false }
        let probe = try SQLiteConnection(path: path, readOnly: false, options: SQLiteOptions(busyTimeoutMilliseconds: 0))
        try probe.executeScript("PRAGMA locking_mode = EXCLUSIVE")
        do {
            try probe.executeScript("BEGIN EXCLUSIVE")
        } catch {
            return true
        }
        probe.rollback()
        return false
    }

    /// Reads the file header: the magic string, then the file format versions at offsets 18 and 19 (2: WAL).
    static func isInWALMode(_ path: String) throws(EventStoreError) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unavailable("cannot read '\(path)'") }
        defer { try? handle.close() }
        let header = Array((try? handle.read(upToCount: 20)) ?? Data())
        guard header.count == 20, header.prefix(16).elementsEqual(Array("SQLite format 3\u{0}".utf8)) else {
            throw .unavailable("'\(path)' is not a SQLite database")
        }
        return header[18] == 2 || header[19] == 2
    }

    /// Renames the database file `file` (a closed, complete database) to `destination`, durably: the file
    /// and then the folder are flushed, so after a crash `destination` is the old file or the whole new one.
    public static func install(_ file: String, at destination: String) throws(EventStoreError) {
        for sidecar in ["-wal", "-journal"] where FileManager.default.fileExists(atPath: file + sidecar) {
            throw .database("'\(file)' still has a \(sidecar) file: it was not closed cleanly")
        }
        try fsync(path: file, directory: false)
        guard rename(file, destination) == 0 else {
            throw .unavailable("cannot move '\(file)' to '\(destination)': \(String(cString: strerror(errno)))")
        }
        removeSidecars(file)
        let folder = (destination as NSString).deletingLastPathComponent
        try fsync(path: folder.isEmpty ? "." : folder, directory: true)
    }

    /// Moves a database and its `-wal`/`-shm` files aside together, keeping them usable as a set under the
    /// new name. Returns the new path.
    public static func moveAside(_ path: String, suffix: String) throws(EventStoreError) -> String {
        let aside = path + suffix
        for sidecar in ["-wal", "-shm", ""] where FileManager.default.fileExists(atPath: path + sidecar) {
            guard rename(path + sidecar, aside + sidecar) == 0 else {
                throw .unavailable("cannot move '\(path + sidecar)' aside: \(String(cString: strerror(errno)))")
            }
        }
        return aside
    }

    /// A fresh name in the folder of `path`, so the final rename stays on one file system.
    public static func temporaryPath(beside path: String, purpose: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = "." + (path as NSString).lastPathComponent + ".\(purpose)-\(UUID().uuidString.lowercased().prefix(8))"
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    public static func removeDatabaseFiles(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        removeSidecars(path)
    }

    static func removeSidecars(_ path: String) {
        for sidecar in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + sidecar) }
    }

    static func fsync(path: String, directory: Bool) throws(EventStoreError) {
        let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard descriptor >= 0 else { throw .unavailable("cannot open '\(path)' to flush it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard flush(descriptor) == 0 else { throw .unavailable("cannot flush '\(path)': \(String(cString: strerror(errno)))") }
    }
}

/// The C library's fsync, out of the way of `SQLiteBackup.fsync(path:directory:)`.
private func flush(_ descriptor: Int32) -> Int32 { fsync(descriptor) }
