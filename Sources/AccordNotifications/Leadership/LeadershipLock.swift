import AccordEventStore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Who runs the notifier, the dispatcher and the timers: one instance at a time per database.
public protocol LeadershipLock: Sendable {
    /// Takes the lock if it is free.
    func tryAcquire() async -> Bool
    /// Whether the lock is still ours (the connection holding it is alive).
    func isHeld() async -> Bool
    func release() async
    /// Releases for good (shutdown).
    func close() async
}

public enum Leadership {
    /// The lock for `location`: a PostgreSQL advisory lock, or for SQLite an exclusive lock on a file beside
    /// the database (so a second process on the same file waits rather than double-delivers).
    public static func lock(for location: DatabaseLocation) -> any LeadershipLock {
        switch location {
        case .postgres(let conninfo): PostgresLeadershipLock(conninfo: conninfo)
        case .sqlite(let path): FileLeadershipLock(path: path + ".leader")
        }
    }
}

/// A session-level advisory lock on a connection of its own: released by the server the moment the holder's
/// connection ends, which is how a killed leader is replaced within the followers' polling interval.
public final class PostgresLeadershipLock: LeadershipLock {
    /// "accord-notifier" in ASCII, as a positive 64-bit key: distinct from the migration and append locks.
    public static let key: Int64 = 0x6163_636F_7264_6E74
    let lock: PostgresAdvisoryLock

    public init(conninfo: String) {
        lock = PostgresAdvisoryLock(conninfo: conninfo, key: Self.key)
    }

    public func tryAcquire() async -> Bool { (try? await lock.tryAcquire()) ?? false }
    public func isHeld() async -> Bool { await lock.isHeld() }
    public func release() async { await lock.release() }
    public func close() async { await lock.close() }
}

/// An exclusive `flock` on a file: the SQLite counterpart, held by the process for as long as it leads and
/// released by the kernel when the process dies.
public final class FileLeadershipLock: LeadershipLock {
    let path: String
    /// The open, locked file; -1 when not held.
    private let descriptor = Mutex<Int32>(-1)

    public init(path: String) {
        self.path = path
    }

    public func tryAcquire() async -> Bool {
        let path = self.path
        return descriptor.withLock { descriptor in
            if descriptor >= 0 { return true }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                Glibc.close(fd)
                return false
            }
            descriptor = fd
            return true
        }
    }

    public func isHeld() async -> Bool {
        descriptor.withLock { $0 >= 0 }
    }

    public func release() async {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    public func close() async { await release() }
}
