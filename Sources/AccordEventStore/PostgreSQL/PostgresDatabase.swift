/// A PostgreSQL database reached through a pool of libpq connections, each owned by its own thread so that
/// blocking libpq calls never run on Swift's cooperative pool or an event loop.
///
/// After a server restart the pooled connections are dead; each one notices on its next first statement,
/// reconnects and sends that statement again, so callers see the outage only while the server is down.
public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    public let conninfo: String
    private let queue = JobQueue<ConnectionJob<PGConnection>>()
    private let threads: DatabaseThreads

    init(conninfo: String, poolSize: Int) {
        self.conninfo = conninfo
        let queue = self.queue
        threads = DatabaseThreads(name: "pg-pool", count: max(1, poolSize)) { _ in
            let connection = PGConnection(conninfo: conninfo)
            while let job = queue.takeOne() { job(.success(connection)) }
            connection.disconnect()
        }
    }

    /// Runs `body` on a pooled connection. With `retrying`, a body that failed because the connection was lost
    /// runs once more on a new connection: only for bodies that are safe to repeat (single reads, idempotent work).
    func withConnection<T: Sendable>(
        retrying: Bool, _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await performOnDatabaseThread(submit: { queue.put($0) }) { connection in
            do {
                return try body(connection)
            } catch where retrying && connection.isBroken {
                connection.disconnect()
                return try body(connection)
            }
        }
    }

    /// Runs `body` inside `begin` … COMMIT, rolling back when it throws.
    func inTransaction<T: Sendable>(
        begin: String, _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await withConnection(retrying: false) { connection in
            try connection.start(begin)
            do {
                let result = try body(connection)
                try connection.commit()
                return result
            } catch {
                connection.rollbackQuietly()
                throw error
            }
        }
    }

    func close() async {
        queue.close()
        await threads.join()
    }

    // MARK: SQLDatabase

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await inTransaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try body($0) }
    }

    public func transaction<T: Sendable>(
        _ durability: CommitDurability, _ body: @escaping @Sendable (any SQLConnection) throws -> T
    ) async throws -> T {
        let begin = durability == .durable ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit TO OFF"
        return try await inTransaction(begin: begin) { try body($0) }
    }
}
