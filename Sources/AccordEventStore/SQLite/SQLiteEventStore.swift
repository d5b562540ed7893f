import Foundation

/// The event log in one SQLite file (WAL mode; durable commits unless `SQLiteOptions.synchronous` is `.normal`).
///
/// Appends go through the single writer thread, which takes every queued request into one `BEGIN IMMEDIATE`
/// transaction (group commit); reads go to a pool of read-only connections. Positions are allocated as head + 1
/// inside the write transaction, so commit order is position order and readers following positions never skip.
public final class SQLiteEventStore: EventStore {
    public let path: String
    public let limits: EventStoreLimits
    let sqlite: SQLiteDatabase
    private let signal: AppendSignal
    private let readAhead: ReadAhead

    public var database: any SQLDatabase { sqlite }
    public var knownHead: Int64 { signal.knownHead }

    /// What opening did to the schema.
    public var migrationReport: MigrationReport { sqlite.migrationReport }

    private init(path: String, limits: EventStoreLimits, sqlite: SQLiteDatabase, signal: AppendSignal) {
        self.path = path
        self.limits = limits
        self.sqlite = sqlite
        self.signal = signal
        self.readAhead = ReadAhead { after, limit in try await Self.readPage(sqlite, after: after, limit: limit) }
    }

    /// Opens (creating the file and its parent folders if needed) and migrates the database at `path`.
    public static func open(
        path: String, options: SQLiteOptions = SQLiteOptions(), clock: any WallClock = SystemWallClock(),
        limits: EventStoreLimits = EventStoreLimits()
    ) async throws -> SQLiteEventStore {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw EventStoreError.unavailable("cannot create the folder \(parent.path): \(error.localizedDescription)")
        }
        let signal = AppendSignal()
        let sqlite = try await SQLiteDatabase(
            path: path, options: options, appender: SQLiteAppender(clock: clock, signal: signal))
        let store = SQLiteEventStore(path: path, limits: limits, sqlite: sqlite, signal: signal)
        do {
            signal.advance(to: try await store.headPosition())
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    @discardableResult
    public func append(_ appends: [StreamAppend]) async throws -> AppendResult {
        try limits.validate(appends)
        return try await sqlite.append(appends)
    }

    public func readStream(_ stream: StreamName, fromVersion: Int64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        return try await sqlite.onReader { connection in
            try connection.inTransaction(immediate: false) {
                let positions = try SQLiteStreamIndex.positions(
                    of: stream, fromVersion: fromVersion, limit: limit, on: connection)
                let statement = try connection.prepared(SQLiteStreamIndex.selectEvent)
                var events: [RecordedEvent] = []
                events.reserveCapacity(positions.count)
                for position in positions {
                    defer { statement.reset() }
                    try statement.bind(1, position)
                    guard try statement.step() else {
                        throw EventStoreError.database("the stream index of '\(stream)' names position \(position), which is missing")
                    }
                    let event = try statement.recordedEvent()
                    guard event.stream == stream, event.streamVersion == (events.last?.streamVersion ?? max(0, fromVersion) - 1) + 1 else {
                        throw EventStoreError.database("the stream index of '\(stream)' disagrees with the event at position \(position)")
                    }
                    events.append(event)
                }
                return events
            }
        }
    }

    public func streamVersion(_ stream: StreamName) async throws -> Int64? {
        try await sqlite.onReader { connection in
            let version = try SQLiteStreamIndex.state(of: stream, on: connection).version
            return version < 0 ? nil : version
        }
    }

    public func readAll(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        return try await readAhead.read(after: max(0, position), limit: limit)
    }

    private static func readPage(_ sqlite: SQLiteDatabase, after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await sqlite.onReader { connection in
            let statement = try connection.prepared(EventTable.readAll)
            defer { statement.reset() }
            try statement.bind(1, position)
            try statement.bind(2, Int64(limit))
            return try Self.events(from: statement, capacity: limit)
        }
    }

    public func headPosition() async throws -> Int64 {
        try await sqlite.onReader { connection in
            let statement = try connection.prepared(EventTable.head)
            defer { statement.reset() }
            return try statement.step() ? statement.int64(0) : 0
        }
    }

    public func waitForEvents(after position: Int64, timeout: Duration) async {
        await signal.wait(after: position, timeout: timeout)
    }

    public func verifyChain(progress: (@Sendable (Int64) -> Void)?) async throws -> ChainVerification {
        try await walkChain(progress: progress)
    }

    public func close() async {
        readAhead.cancelAll()
        await sqlite.close()
        signal.wakeAll()
    }

    private static func events(from statement: SQLiteStatement, capacity: Int) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        // Most reads of a live log return a few events; reserving the whole limit (2,000 events, ~500 KB) made
        // malloc map and unmap fresh memory for each of them. Larger pages grow the array as they fill.
        events.reserveCapacity(min(capacity, 64))
        var strings = RecentStrings()
        while try statement.step() { events.append(try statement.recordedEvent(reusing: &strings)) }
        return events
    }
}
