import Foundation

/// Commits appends on its own connection and thread: every request queued while the previous commit ran goes
/// into one call of `accord_append` (group commit), each request checked on its own.
///
/// The fast path is one round trip: rows are chained onto the head this appender last saw, with stream versions
/// from its cache (or, for streams it has not seen, the version the request expects), and the database function
/// checks all of that under the append lock. When an assumption was wrong (another instance appended, a
/// conflict, a retry), it re-reads the state under the lock and plans again; that path cannot miss.
///
/// Confined to its thread (hence `@unchecked Sendable`): its caches are read and written only there.
final class PostgresAppender: @unchecked Sendable {
    private let clock: any WallClock
    private let signal: AppendSignal
    private let connection: PGConnection
    /// The head after this appender's last commit or locked read; nil until known.
    private var known: (head: Int64, hash: SHA256Hash)?
    /// Stream versions (-1: no stream) seen at `known`; possibly stale, which the database function detects.
    private var versionCache: [StreamName: Int64] = [:]
    private static let maximumCachedStreams = 100_000

    /// Advisory lock key serialising appends; the same constant is in `accord_append`.
    static let appendLockKey: Int64 = 4_702_676_443_866_595_329

    init(conninfo: String, clock: any WallClock, signal: AppendSignal) {
        self.connection = PGConnection(conninfo: conninfo)
        self.clock = clock
        self.signal = signal
    }

    /// The serving loop of the appender thread.
    func serve(_ queue: JobQueue<PendingAppend>) {
        while let batch = queue.takeAll() { commit(batch) }
        connection.disconnect()
    }

    private func commit(_ batch: [PendingAppend]) {
        do {
            let (planner, outcomes) = try commitReconnecting(batch)
            known = (planner.head, planner.headHash)
            if versionCache.count > Self.maximumCachedStreams { versionCache.removeAll() }
            versionCache.merge(planner.versions) { _, new in new }
            signal.advance(to: planner.head)
            for (pending, outcome) in zip(batch, outcomes) { pending.finish(outcome) }
        } catch {
            known = nil
            versionCache.removeAll()
            let failure = error as? EventStoreError ?? .database(String(describing: error))
            if case .database = failure, batch.count > 1 {
                // An unexpected database error: commit the requests one by one so only the faulty one fails.
                for pending in batch { commit([pending]) }
            } else {
                for pending in batch { pending.finish(.failure(failure)) }
            }
        }
    }

    /// A connection that died since the last commit (server restart) fails the first attempt; the second runs on
    /// a new connection. Repeating is safe: appends are idempotent by event id, so an append whose commit
    /// succeeded before the connection broke is found recorded and acknowledged with its placements.
    private func commitReconnecting(
        _ batch: [PendingAppend]
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>]) {
        do {
            return try commitOnce(batch)
        } catch where connection.isBroken {
            connection.disconnect()
            return try commitOnce(batch)
        }
    }

    private func commitOnce(
        _ batch: [PendingAppend]
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>]) {
        if let known, let optimistic = planOnAssumptions(batch, head: known.head, headHash: known.hash) {
            let parameters = PGParameters.appendArguments(
                planner: optimistic.planner, head: known.head, headHash: known.hash,
                unverifiedVersions: optimistic.unverified)
            if try callAppend(parameters) { return (optimistic.planner, optimistic.outcomes) }
        }
        return try commitUnderLock(batch)
    }

    /// Plans on cached and expected versions; nil when that cannot work (a stream with no known or expected
    /// version, or a request that fails: its error must name versions read under the lock).
    ///
    /// `unverified` holds the streams whose version was taken from a request, which the database must check.
    /// The cached ones need no check: the cache holds what was true at `known.head`, and the database checks
    /// that the head is still there, so nothing was appended since.
    private func planOnAssumptions(
        _ batch: [PendingAppend], head: Int64, headHash: SHA256Hash
    ) -> (planner: AppendPlanner, outcomes: [Result<AppendResult, EventStoreError>], unverified: [StreamName: Int64])? {
        var assumed = versionCache
        var unverified: [StreamName: Int64] = [:]
        for pending in batch {
            for append in pending.appends where assumed[append.stream] == nil {
                switch append.expectedVersion {
                case .exactly(let n): unverified[append.stream] = n
                case .noStream: unverified[append.stream] = -1
                case .any: return nil
                }
                assumed[append.stream] = unverified[append.stream]
            }
        }
        var reader = AssumedState(versions: assumed)
        var planner = AppendPlanner(head: head, headHash: headHash, recordedAt: clock.now())
        var outcomes: [Result<AppendResult, EventStoreError>] = []
        for pending in batch {
            guard let outcome = try? planner.plan(pending.appends, reader: &reader), case .success = outcome else {
                return nil
            }
            outcomes.append(outcome)
        }
        return (planner, outcomes, unverified)
    }

    private func commitUnderLock(
        _ batch: [PendingAppend]
    ) throws -> (AppendPlanner, [Result<AppendResult, EventStoreError>]) {
        try connection.start("BEGIN")
        do {
            try connection.simple("SELECT pg_advisory_xact_lock(\(Self.appendLockKey))")
            let headResult = try connection.run(EventTable.head, PGParameters(), binaryResults: true)
            var head: Int64 = 0
            var headHash = SHA256Hash.zero
            if headResult.rowCount > 0 {
                head = try headResult.int64(0, 0)
                headHash = try headResult.hash(0, 1)
            }
            if known?.head != head { versionCache.removeAll() }

            var streams = Set<StreamName>()
            var ids: [UUID] = []
            for pending in batch {
                for append in pending.appends {
                    streams.insert(append.stream)
                    ids.append(contentsOf: append.events.map(\.id))
                }
            }
            var reader = LockedState(
                versions: try readVersions(Array(streams)), identities: try readIdentities(ids))
            var planner = AppendPlanner(head: head, headHash: headHash, recordedAt: clock.now())
            var outcomes: [Result<AppendResult, EventStoreError>] = []
            for pending in batch { outcomes.append(try planner.plan(pending.appends, reader: &reader)) }

            if !planner.rows.isEmpty {
                // Every version was read under the lock just now: nothing for the database to check but the head.
                let parameters = PGParameters.appendArguments(
                    planner: planner, head: head, headHash: headHash, unverifiedVersions: [:])
                guard try callAppend(parameters) else {
                    throw EventStoreError.database("accord_append refused rows planned under the append lock")
                }
            }
            try connection.commit()
            versionCache.merge(reader.versions) { _, read in read }
            return (planner, outcomes)
        } catch {
            connection.rollbackQuietly()
            throw error
        }
    }

    /// Runs `accord_append`: true when the rows were inserted, false when an assumption was stale (a head,
    /// stream version or event id that is not as planned).
    private func callAppend(_ parameters: PGParameters) throws -> Bool {
        do {
            let result = try connection.run(PGParameters.appendCall, parameters, binaryResults: true)
            return result.rowCount == 1 && result.bool(0, 0)
        } catch {
            if case .database = error, connection.lastErrorState == Self.uniqueViolation { return false }
            throw error
        }
    }

    private static let uniqueViolation = "23505"

    private func readVersions(_ streams: [StreamName]) throws -> [StreamName: Int64] {
        var parameters = PGParameters()
        parameters.textArray(streams) { $0.rawValue }
        let result = try connection.run(PostgresEventSQL.streamVersions, parameters, binaryResults: true)
        var versions: [StreamName: Int64] = [:]
        for row in 0..<result.rowCount {
            versions[StreamName(trusted: result.string(row, 0))] = try result.int64(row, 1)
        }
        return versions
    }

    private func readIdentities(_ ids: [UUID]) throws -> [UUID: RecordedIdentity] {
        var parameters = PGParameters()
        parameters.uuidArray(ids) { $0 }
        let result = try connection.run(PostgresEventSQL.recordedIdentities, parameters, binaryResults: true)
        var identities: [UUID: RecordedIdentity] = [:]
        for row in 0..<result.rowCount {
            let identity = try result.recordedIdentity(row)
            identities[identity.id] = identity
        }
        return identities
    }

    /// The fast path's view: versions as assumed, no recorded ids (the database re-checks both).
    private struct AssumedState: AppendStateReader {
        let versions: [StreamName: Int64]

        mutating func currentVersion(of stream: StreamName) throws -> Int64 {
            guard let version = versions[stream] else { throw EventStoreError.database("no assumed version") }
            return version
        }

        mutating func recordedEvents(withIds ids: [UUID]) throws -> [UUID: RecordedIdentity] { [:] }
    }

    /// The state read under the append lock for every stream and id of the batch.
    private struct LockedState: AppendStateReader {
        let versions: [StreamName: Int64]
        let identities: [UUID: RecordedIdentity]

        mutating func currentVersion(of stream: StreamName) throws -> Int64 { versions[stream] ?? -1 }

        mutating func recordedEvents(withIds ids: [UUID]) throws -> [UUID: RecordedIdentity] {
            var found: [UUID: RecordedIdentity] = [:]
            for id in ids { if let identity = identities[id] { found[id] = identity } }
            return found
        }
    }
}
