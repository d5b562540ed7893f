import Foundation

/// A session-level PostgreSQL advisory lock held on a connection of its own, for choosing one leader among
/// several instances sharing a database. The server releases the lock when that connection ends, so an instance
/// that dies (even by SIGKILL: the kernel closes its socket) hands the lock over at once.
///
/// The connection lives on a thread of its own: libpq blocks, and a lock check must never wait behind the pool.
public final class PostgresAdvisoryLock: Sendable {
    public let key: Int64
    private let queue = JobQueue<ConnectionJob<PGConnection>>()
    private let thread: DatabaseThreads

    public init(conninfo: String, key: Int64) {
        self.key = key
        let queue = self.queue
        thread = DatabaseThreads(name: "pg-leader", count: 1) { _ in
            let connection = PGConnection(conninfo: conninfo)
            while let job = queue.takeOne() { job(.success(connection)) }
            connection.disconnect()
        }
    }

    /// Takes the lock if no other session holds it. A lost connection is reopened first; the lock it held is
    /// gone with it, so this is also how a former holder tries again.
    public func tryAcquire() async throws -> Bool {
        let key = self.key
        return try await performOnDatabaseThread(submit: { queue.put($0) }) { connection in
            if connection.isBroken {
                try connection.connect()
                // A holder cut off by the network (no FIN) is noticed by the server within seconds, so the
                // lock does not stay with a session that can no longer act on it.
                try connection.simple("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3")
            }
            return try connection.query("SELECT pg_try_advisory_lock($1)", [.integer(key)]).first?.bool(0) ?? false
        }
    }

    /// Whether this session still holds the lock: the connection answers and the server lists the lock as ours.
    public func isHeld() async -> Bool {
        let key = self.key
        let held = try? await performOnDatabaseThread(submit: { queue.put($0) }) { connection -> Bool in
            guard !connection.isBroken else { return false }
            let rows = try connection.query(
                """
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                  AND ((classid::bigint << 32) | objid::bigint) = $1
                """, [.integer(key)])
            return try rows.first?.int(0) ?? 0 > 0
        }
        return held ?? false
    }

    /// Gives the lock up (the connection stays open for a later `tryAcquire`).
    public func release() async {
        let key = self.key
        _ = try? await performOnDatabaseThread(submit: { queue.put($0) }) { connection in
            guard !connection.isBroken else { return }
            try connection.query("SELECT pg_advisory_unlock($1)", [.integer(key)])
        }
    }

    /// Releases the lock by closing the connection and stops the thread.
    public func close() async {
        queue.close()
        await thread.join()
    }
}
