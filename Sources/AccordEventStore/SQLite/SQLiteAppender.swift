import CSQLite
import Foundation

/// Commits appends on the SQLite writer thread: every request queued while the previous commit ran goes into
/// one `BEGIN IMMEDIATE` transaction (group commit), each request checked on its own.
///
/// Confined to the writer thread (hence `@unchecked Sendable`): its cache is read and written only there.
final class SQLiteAppender: @unchecked Sendable {
    let clock: any WallClock
    let signal: AppendSignal

    /// Stream index entries known to hold at log head `cacheHead`. Another process writing the same file moves
    /// the head, which empties the cache, so it never answers for a state it has not seen.
    private var streams: [StreamName: SQLiteStreamState] = [:]
    private var cacheHead: Int64 = -1
    /// Reused for every inserted row (see `SQLiteStatement.insert`).
    private var scratch: [UInt8] = []
    private static let maximumCachedStreams = 100_000

    init(clock: any WallClock, signal: AppendSignal) {
        self.clock = clock
        self.signal = signal
    }

    func commit(_ batch: [PendingAppend], on connection: SQLiteConnection) {
        do {
            let (planner, outcomes, written) = try commitReadingIdsOnlyOnConflict(batch, on: connection)
            streams.merge(written) { _, new in new }
            cacheHead = planner.head
            signal.advance(to: planner.head)
            for (pending, outcome) in zip(batch, outcomes) { pending.finish(outcome) }
        } catch {
            streams.removeAll()
            cacheHead = -1
            let failure = error as? EventStoreError ?? .database(String(describing: error))
            if case .unavailable = failure {
                for pending in batch { pending.finish(.failure(failure)) }
            } else if batch.count > 1 {
                // An unexpected database error: commit the requests one by one so only the faulty one fails.
                for pending in batch { commit([pending], on: connection) }
            } else {
                batch[0].finish(.failure(failure))
            }
        }
    }

    /// Looking every event id up before inserting costs an index probe per event, for the rare retry. So the
    /// group is first planned as if no id were recorded; the unique index on event_id refuses the insert of a
    /// recorded one, and then the group is planned again, in a new transaction, looking each id up.
    private func commitReadingIdsOnlyOnConflict(
        _ batch: [PendingAppend], on connection: SQLiteConnection
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>], [StreamName: SQLiteStreamState]) {
        do {
            return try connection.inTransaction(immediate: true) { try plan(batch, lookingUpIds: false, on: connection) }
        } catch EventStoreError.database where Self.isRecordedEventId(connection.lastError) {
            return try connection.inTransaction(immediate: true) { try plan(batch, lookingUpIds: true, on: connection) }
        }
    }

    private static func isRecordedEventId(_ error: (code: Int32, message: String)) -> Bool {
        // SQLITE_CONSTRAINT_UNIQUE is a C macro expression Swift does not import.
        error.code == SQLITE_CONSTRAINT | (8 << 8) && error.message.contains("accord_events.event_id")
    }

    private func plan(
        _ batch: [PendingAppend], lookingUpIds: Bool, on connection: SQLiteConnection
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>], [StreamName: SQLiteStreamState]) {
        let headStatement = try connection.prepared(EventTable.head)
        defer { headStatement.reset() }
        var head: Int64 = 0
        var headHash = SHA256Hash.zero
        if try headStatement.step() {
            head = headStatement.int64(0)
            headHash = try headStatement.hash(1)
        }
        if head != cacheHead || streams.count > Self.maximumCachedStreams {
            streams.removeAll()
            cacheHead = head
        }

        var reader = StateReader(
            appender: self, connection: connection,
            identity: lookingUpIds ? try connection.prepared(EventTable.recordedIdentity) : nil)
        var planner = AppendPlanner(head: head, headHash: headHash, recordedAt: clock.now())
        var outcomes: [Result<AppendResult, EventStoreError>] = []
        outcomes.reserveCapacity(batch.count)
        for pending in batch {
            outcomes.append(try planner.plan(pending.appends, reader: &reader))
        }
        // A request refused for its expected version may be the retry of one that was recorded, which is
        // acknowledged instead: that needs the ids looked up. Nothing is written yet, so plan again.
        if !lookingUpIds, outcomes.contains(where: { if case .failure = $0 { true } else { false } }) {
            return try plan(batch, lookingUpIds: true, on: connection)
        }

        let insert = try connection.prepared(EventTable.insert)
        var written: [StreamName: SQLiteStreamState] = [:]
        var chunks: [StreamName: [(firstVersion: Int64, positions: [Int64])]] = [:]
        for row in planner.rows {
            try insert.insert(row, scratch: &scratch)
            // Every planned stream was read through the reader, so its entry is cached.
            var state = written[row.stream] ?? streams[row.stream] ?? .absent
            if let chunk = state.append(position: row.position) { chunks[row.stream, default: []].append(chunk) }
            written[row.stream] = state
        }
        for (stream, state) in written {
            try SQLiteStreamIndex.write(
                stream, state, previousVersion: streams[stream]?.version ?? -1, chunks: chunks[stream] ?? [],
                on: connection)
        }
        return (planner, outcomes, written)
    }

    /// Answers the planner from the writer's transaction, remembering stream index entries for later groups.
    private struct StateReader: AppendStateReader {
        let appender: SQLiteAppender
        let connection: SQLiteConnection
        /// Nil when ids are not looked up (see `commitReadingIdsOnlyOnConflict`).
        let identity: SQLiteStatement?

        mutating func currentVersion(of stream: StreamName) throws -> Int64 {
            if let cached = appender.streams[stream] { return cached.version }
            let state = try SQLiteStreamIndex.state(of: stream, on: connection)
            appender.streams[stream] = state
            return state.version
        }

        mutating func recordedEvents(withIds ids: [UUID]) throws -> [UUID: RecordedIdentity] {
            guard let identity else { return [:] }
            var found: [UUID: RecordedIdentity] = [:]
            for id in ids {
                defer { identity.reset() }
                try identity.bind(1, id)
                if try identity.step() {
                    found[id] = try identity.recordedIdentity()
                }
            }
            return found
        }
    }
}
