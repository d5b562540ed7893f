import AccordSchema
import Foundation

/// One SQLite file: a single writer connection on its own thread (every write transaction and every append goes
/// through it, so SQLite never has two writers of ours competing for the lock) and a pool of read-only
/// connections on their own threads.
public final class SQLiteDatabase: SQLDatabase {
    enum WriterJob: Sendable {
        case run(ConnectionJob<SQLiteConnection>)
        case append(PendingAppend)
    }

    public let dialect = SQLDialect.sqlite
    public let path: String
    let options: SQLiteOptions
    /// What opening did to the schema.
    let migrationReport: MigrationReport
    private let writerQueue: JobQueue<WriterJob>
    private let readerQueue: JobQueue<ConnectionJob<SQLiteConnection>>
    private let writerThread: DatabaseThreads
    private let readerThreads: DatabaseThreads

    /// Opens the file (creating it), applies the migrations and starts the readers. `appender` commits the
    /// appends that reach the writer.
    init(path: String, options: SQLiteOptions, appender: SQLiteAppender) async throws {
        let writerQueue = JobQueue<WriterJob>()
        let writerThread = DatabaseThreads(name: "sqlite-writer", count: 1) { _ in
            Self.serveWrites(path: path, options: options, queue: writerQueue, appender: appender)
        }
        do {
            migrationReport = try await performOnDatabaseThread(submit: { writerQueue.put(.run($0)) }) { connection in
                try connection.inTransaction(immediate: true) {
                    try Migrator.migrate(connection, dialect: .sqlite, now: appender.clock.now())
                }
            }
        } catch {
            writerQueue.close()
            await writerThread.join()
            throw error
        }
        let readerQueue = JobQueue<ConnectionJob<SQLiteConnection>>()
        // Readers open lazily on their first job: the writer has created the file and switched it to WAL by then.
        readerThreads = DatabaseThreads(name: "sqlite-reader", count: max(1, options.readerCount)) { _ in
            Self.serveReads(path: path, options: options, queue: readerQueue)
        }
        self.path = path
        self.options = options
        self.writerQueue = writerQueue
        self.writerThread = writerThread
        self.readerQueue = readerQueue
    }

    private static func serveWrites(
        path: String, options: SQLiteOptions, queue: JobQueue<WriterJob>, appender: SQLiteAppender
    ) {
        let opened: Result<SQLiteConnection, EventStoreError>
        do {
            opened = .success(try SQLiteConnection(path: path, readOnly: false, options: options))
        } catch {
            opened = .failure(error)
        }
        while let jobs = queue.takeAll() {
            let connection: SQLiteConnection
            switch opened {
            case .success(let open):
                connection = open
            case .failure(let error):
                for job in jobs {
                    switch job {
                    case .run(let work): work(.failure(error))
                    case .append(let pending): pending.finish(.failure(error))
                    }
                }
                continue
            }
            // Consecutive appends share one transaction (group commit); other work keeps its queue order.
            var appends: [PendingAppend] = []
            for job in jobs {
                switch job {
                case .append(let pending):
                    appends.append(pending)
                case .run(let work):
                    if !appends.isEmpty {
                        appender.commit(appends, on: connection)
                        appends.removeAll()
                    }
                    work(.success(connection))
                }
            }
            if !appends.isEmpty { appender.commit(appends, on: connection) }
        }
    }

    private static func serveReads(path: String, options: SQLiteOptions, queue: JobQueue<ConnectionJob<SQLiteConnection>>) {
        var connection: SQLiteConnection?
        while let job = queue.takeOne() {
            if connection == nil {
                do {
                    connection = try SQLiteConnection(path: path, readOnly: true, options: options)
                } catch {
                    job(.failure(error))
                    continue
                }
            }
            if let connection { job(.success(connection)) }
        }
    }

    // MARK: Work on the database threads

    func onWriter<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await performOnDatabaseThread(submit: { writerQueue.put(.run($0)) }, body)
    }

    func onReader<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await performOnDatabaseThread(submit: { readerQueue.put($0) }, body)
    }

    func append(_ appends: [StreamAppend]) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let pending = PendingAppend(appends: appends, continuation: continuation)
            if !writerQueue.put(.append(pending)) {
                pending.finish(.failure(.unavailable("the event store is closed")))
            }
        }
    }

    /// Stops accepting work, lets queued work finish and closes the connections.
    func close() async {
        writerQueue.close()
        readerQueue.close()
        await writerThread.join()
        await readerThreads.join()
    }

    // MARK: SQLDatabase

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await onReader { connection in
            try connection.inTransaction(immediate: false) { try body(connection) }
        }
    }

    public func transaction<T: Sendable>(
        _ durability: CommitDurability, _ body: @escaping @Sendable (any SQLConnection) throws -> T
    ) async throws -> T {
        let relax = durability == .rebuildable && options.synchronous == .full
        return try await onWriter { connection in
            // The writer is this thread's alone, so the setting holds for this transaction only.
            if relax { try connection.executeScript("PRAGMA synchronous = NORMAL") }
            let result = Result { try connection.inTransaction(immediate: true) { try body(connection) } }
            // Not restoring it would leave the appends behind without durable commits: that is an error, whatever
            // the transaction did (a projection whose commit is then reported failed applies nothing twice).
            if relax { try connection.executeScript("PRAGMA synchronous = FULL") }
            return try result.get()
        }
    }
}
