import Foundation

/// Commits appends on the SQLite writer thread: every request queued while the previous commit ran goes into
/// one `BEGIN IMMEDIATE` transaction (group commit), each request checked on its own.
///
/// Confined to the writer thread (hence `@unchecked Sendable`): its caches are read and written only there.
final class SQLiteAppender: @unchecked Sendable {
    let clock: any WallClock
    let signal: AppendSignal

    /// Stream versions (-1: no stream) known to hold at log head `cacheHead`. Another process writing the same
    /// file moves the head, which empties the cache, so it never answers for a state it has not seen.
    private var versionCache: [StreamName: Int64] = [:]
    private var cacheHead: Int64 = -1
    private static let maximumCachedStreams = 100_000

    init(clock: any WallClock, signal: AppendSignal) {
        self.clock = clock
        self.signal = signal
    }

    func commit(_ batch: [PendingAppend], on connection: SQLiteConnection) {
        do {
            let (planner, outcomes) = try connection.inTransaction(immediate: true) {
                try plan(batch, on: connection)
            }
            for (stream, version) in planner.versions { versionCache[stream] = version }
            cacheHead = planner.head
            signal.advance(to: planner.head)
            for (pending, outcome) in zip(batch, outcomes) { pending.finish(outcome) }
        } catch {
            versionCache.removeAll()
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

    private func plan(
        _ batch: [PendingAppend], on connection: SQLiteConnection
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>]) {
        let headStatement = try connection.prepared(EventTable.head)
        defer { headStatement.reset() }
        var head: Int64 = 0
        var headHash = SHA256Hash.zero
        if try headStatement.step() {
            head = headStatement.int64(0)
            headHash = try headStatement.hash(1)
        }
        if head != cacheHead || versionCache.count > Self.maximumCachedStreams {
            versionCache.removeAll()
            cacheHead = head
        }

        var reader = StateReader(
            appender: self, version: try connection.prepared(EventTable.streamVersion),
            identity: try connection.prepared(EventTable.recordedIdentity))
        var planner = AppendPlanner(head: head, headHash: headHash, recordedAt: clock.now())
        var outcomes: [Result<AppendResult, EventStoreError>] = []
        outcomes.reserveCapacity(batch.count)
        for pending in batch {
            outcomes.append(try planner.plan(pending.appends, reader: &reader))
        }

        let insert = try connection.prepared(EventTable.insert)
        for row in planner.rows {
            defer { insert.reset() }
            try insert.bind(row)
            _ = try insert.step()
        }
        return (planner, outcomes)
    }

    /// Answers the planner from the writer's transaction, remembering stream versions for later groups.
    private struct StateReader: AppendStateReader {
        let appender: SQLiteAppender
        let version: SQLiteStatement
        let identity: SQLiteStatement

        mutating func currentVersion(of stream: StreamName) throws -> Int64 {
            if let cached = appender.versionCache[stream] { return cached }
            defer { version.reset() }
            try version.bind(1, stream.rawValue)
            var current: Int64 = -1
            if try version.step(), !version.isNull(0) { current = version.int64(0) }
            appender.versionCache[stream] = current
            return current
        }

        mutating func recordedEvents(withIds ids: [UUID]) throws -> [UUID: RecordedIdentity] {
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
