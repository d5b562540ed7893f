import AccordSchema
import AccordTime
import Foundation
import Logging

/// Settings of the PostgreSQL backend.
public struct PostgresOptions: Sendable, Hashable {
    /// Connections for reads and `SQLDatabase` work (appends and notifications have one connection each).
    public var poolSize: Int

    public init(poolSize: Int = 4) {
        self.poolSize = poolSize
    }
}

/// The event log in a PostgreSQL database.
///
/// Appends go through one appender connection per instance, which takes every queued request into one call of
/// the `accord_append` function (group commit). That function serialises appends across all instances with a
/// transaction-scoped advisory lock, so positions are dense and commit order is position order. Reads use a
/// connection pool; a dedicated `LISTEN` connection wakes subscribers.
public final class PostgresEventStore: EventStore {
    public let limits: EventStoreLimits
    /// What opening did to the schema.
    public let migrationReport: MigrationReport
    let postgres: PostgresDatabase
    private let signal: AppendSignal
    private let appendQueue: JobQueue<PendingAppend>
    private let appenderThread: DatabaseThreads
    private let listener: PostgresListener
    private let readAhead: ReadAhead

    public var database: any SQLDatabase { postgres }
    public var knownHead: Int64 { signal.knownHead }

    private init(
        limits: EventStoreLimits, migrationReport: MigrationReport, postgres: PostgresDatabase, signal: AppendSignal,
        appendQueue: JobQueue<PendingAppend>, appenderThread: DatabaseThreads, listener: PostgresListener
    ) {
        self.limits = limits
        self.migrationReport = migrationReport
        self.postgres = postgres
        self.signal = signal
        self.appendQueue = appendQueue
        self.appenderThread = appenderThread
        self.listener = listener
        self.readAhead = ReadAhead { after, limit in try await Self.readPage(postgres, after: after, limit: limit) }
    }

    /// Connects with `conninfo` (a `postgres://` URI, `key=value` pairs, or empty for the `PG*` environment
    /// variables) and applies the migrations the database lacks.
    public static func open(
        conninfo: String, options: PostgresOptions = PostgresOptions(), clock: any WallClock = SystemWallClock(),
        limits: EventStoreLimits = EventStoreLimits(), logger: Logger = Logger(label: "accord.event-store")
    ) async throws -> PostgresEventStore {
        let postgres = PostgresDatabase(conninfo: conninfo, poolSize: options.poolSize)
        let head: Int64
        let report: MigrationReport
        do {
            report = try await migrate(postgres, now: clock.now())
            head = try await readHead(postgres)
        } catch {
            await postgres.close()
            throw error
        }
        let signal = AppendSignal()
        signal.advance(to: head)
        let listener: PostgresListener
        do {
            listener = try PostgresListener(conninfo: conninfo, signal: signal, logger: logger)
        } catch {
            await postgres.close()
            throw error
        }
        let appender = PostgresAppender(conninfo: conninfo, clock: clock, signal: signal)
        let appendQueue = JobQueue<PendingAppend>()
        let appenderThread = DatabaseThreads(name: "pg-appender", count: 1) { _ in
            appender.serve(appendQueue)
        }
        return PostgresEventStore(
            limits: limits, migrationReport: report, postgres: postgres, signal: signal, appendQueue: appendQueue,
            appenderThread: appenderThread, listener: listener)
    }

    /// Applies the pending migrations in one transaction under an advisory lock, so instances starting together
    /// take turns and the second finds the schema up to date.
    static func migrate(_ postgres: PostgresDatabase, now: Instant) async throws -> MigrationReport {
        try await postgres.inTransaction(begin: "BEGIN") { connection in
            try connection.simple("SELECT pg_advisory_xact_lock(\(Migrator.postgresLockKey))")
            let encoding = try connection.query("SHOW server_encoding").first?.string(0)
            guard encoding == "UTF8" else {
                throw EventStoreError.unavailable(
                    "the database encoding is \(encoding ?? "unknown"); Accord needs UTF8 "
                        + "(CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)")
            }
            return try Migrator.migrate(connection, dialect: .postgres, now: now)
        }
    }

    private static func readHead(_ postgres: PostgresDatabase) async throws -> Int64 {
        try await postgres.withConnection(retrying: true) { connection in
            let result = try connection.run(EventTable.head, PGParameters(), binaryResults: true)
            return result.rowCount > 0 ? try result.int64(0, 0) : 0
        }
    }

    @discardableResult
    public func append(_ appends: [StreamAppend]) async throws -> AppendResult {
        try limits.validate(appends)
        return try await withCheckedThrowingContinuation { continuation in
            let pending = PendingAppend(appends: appends, continuation: continuation)
            if !appendQueue.put(pending) { pending.finish(.failure(.unavailable("the event store is closed"))) }
        }
    }

    public func readStream(_ stream: StreamName, fromVersion: Int64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        return try await postgres.withConnection(retrying: true) { connection in
            var parameters = PGParameters()
            parameters.text(stream.rawValue)
            parameters.int64(max(0, fromVersion))
            parameters.int64(Int64(limit))
            return try connection.run(PostgresEventSQL.readStream, parameters, binaryResults: true).recordedEvents()
        }
    }

    public func streamVersion(_ stream: StreamName) async throws -> Int64? {
        try await postgres.withConnection(retrying: true) { connection in
            var parameters = PGParameters()
            parameters.text(stream.rawValue)
            let result = try connection.run(PostgresEventSQL.streamVersion, parameters, binaryResults: true)
            guard result.rowCount > 0, !result.isNull(0, 0) else { return nil }
            return try result.int64(0, 0)
        }
    }

    public func readAll(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        return try await readAhead.read(after: max(0, position), limit: limit)
    }

    private static func readPage(_ postgres: PostgresDatabase, after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await postgres.withConnection(retrying: true) { connection in
            var parameters = PGParameters()
            parameters.int64(position)
            parameters.int64(Int64(limit))
            return try connection.run(EventTable.readAll, parameters, binaryResults: true).recordedEvents()
        }
    }

    public func headPosition() async throws -> Int64 {
        try await Self.readHead(postgres)
    }

    public func waitForEvents(after position: Int64, timeout: Duration) async {
        await signal.wait(after: position, timeout: timeout)
    }

    public func verifyChain(progress: (@Sendable (Int64) -> Void)?) async throws -> ChainVerification {
        try await walkChain(progress: progress)
    }

    public func close() async {
        readAhead.cancelAll()
        appendQueue.close()
        await appenderThread.join()
        await listener.stop()
        await postgres.close()
        signal.wakeAll()
    }
}
