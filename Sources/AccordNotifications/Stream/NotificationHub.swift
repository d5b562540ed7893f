import AccordEventStore
import AccordService
import Logging
import ServiceLifecycle
import Synchronization

/// One follower of the outbox per instance, fanned out to every Server-Sent Events client: the hub reads new
/// notifications once and keeps the most recent in memory; a client waits on the hub (a continuation, no timer
/// and no poll loop of its own) and reads from the database only to catch up from an old `Last-Event-ID`.
///
/// On the leader the notifier wakes it directly; on other instances it wakes when the log moves (LISTEN/NOTIFY
/// on PostgreSQL) and then follows the notifier's checkpoint until the outbox has caught up.
public final class NotificationHub: Service, Sendable {
    let store: any EventStore
    /// The local notifier's commits.
    let signal: PositionSignal
    let heartbeat: Duration
    let capacity: Int
    let logger: Logger
    private let state = Mutex(State())

    struct Waiter {
        var after: Cursor
        var continuation: CheckedContinuation<Wake, Never>
    }

    struct State {
        /// The most recent notifications, in order; complete position groups only.
        var recent: [StoredNotification] = []
        /// Everything after this is in `recent`.
        var floor = Cursor(position: Int64.max, ordinal: Int64.max)
        var head = Cursor(position: 0, ordinal: 0)
        var started = false
        var closed = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    /// A place in the outbox: after the notification (position, ordinal).
    public struct Cursor: Sendable, Hashable, Comparable {
        public var position: Int64
        public var ordinal: Int64

        public init(position: Int64, ordinal: Int64) {
            self.position = position
            self.ordinal = ordinal
        }

        /// After every notification of `position` (a `Last-Event-ID`).
        public static func after(position: Int64) -> Cursor { Cursor(position: position, ordinal: Int64.max) }

        public static func < (a: Cursor, b: Cursor) -> Bool { (a.position, a.ordinal) < (b.position, b.ordinal) }
    }

    public enum Wake: Sendable {
        case news
        case heartbeat
        case closed
    }

    public init(store: any EventStore, signal: PositionSignal, heartbeat: Duration = .seconds(15), capacity: Int = 1024,
                logger: Logger = Logger(label: "accord.notifications.hub")) {
        self.store = store
        self.signal = signal
        self.heartbeat = heartbeat
        self.capacity = capacity
        self.logger = logger
    }

    /// The newest notification's place (where a client without `Last-Event-ID` starts), read from the outbox if
    /// the hub has not started following it yet.
    public func head() async throws -> Cursor {
        if let head = state.withLock({ $0.started ? $0.head : nil }) { return head }
        return try await newest()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.follow()
        }
        close()
    }

    /// Ends every stream (shutdown).
    func close() {
        let waiters = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(returning: .closed) }
    }

    // MARK: Following the outbox

    func follow() async {
        var lastHeartbeat = ContinuousClock.now
        var pollDelay = Duration.milliseconds(2)
        while !Task.isCancelled {
            do {
                if !state.withLock({ $0.started }) { try await start() }
                if ContinuousClock.now - lastHeartbeat >= heartbeat {
                    lastHeartbeat = ContinuousClock.now
                    wakeAll(.heartbeat)
                }
                // Taken before reading, so that a commit between the read and the wait wakes the wait.
                let seen = signal.position
                let head = state.withLock { $0.head }
                let page = try await Self.completeGroups(read(after: head, limit: 500), limit: 500, store: store)
                if !page.isEmpty {
                    publish(page)
                    pollDelay = .milliseconds(2)
                    continue
                }
                let (checkpoint, logHead) = try await positions()
                if checkpoint < logHead {
                    // The notifier (here or on the leader) has not reached the log's head yet: look again soon.
                    await signal.wait(after: max(seen, checkpoint), timeout: pollDelay)
                    pollDelay = min(pollDelay * 2, .milliseconds(250))
                } else {
                    pollDelay = .milliseconds(2)
                    await waitForLog(after: logHead, orSignalAfter: seen, timeout: min(heartbeat, .seconds(1)))
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("following notifications failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func newest() async throws -> Cursor {
        try await store.database.read { conn in
            try conn.query("SELECT position, ordinal FROM accord_notifications ORDER BY position DESC, ordinal DESC LIMIT 1").first
                .map { Cursor(position: try $0.int(0), ordinal: try $0.int(1)) }
        } ?? Cursor(position: 0, ordinal: 0)
    }

    private func start() async throws {
        let last = try await newest()
        state.withLock { state in
            state.head = last
            state.floor = last
            state.started = true
        }
    }

    private func positions() async throws -> (checkpoint: Int64, head: Int64) {
        let checkpoint = try await ProjectionRunner.checkpoint(of: NotifierState.checkpointName, in: store.database)
        return (checkpoint, try await store.headPosition())
    }

    /// Returns when the log moves past `position` (any instance) or the local notifier commits.
    private func waitForLog(after position: Int64, orSignalAfter seen: Int64, timeout: Duration) async {
        let store = self.store
        let signal = self.signal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await store.waitForEvents(after: position, timeout: timeout) }
            group.addTask { await signal.wait(after: seen, timeout: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    func read(after cursor: Cursor, limit: Int) async throws -> [StoredNotification] {
        try await store.database.read { conn in
            try conn.query(
                """
                SELECT \(StoredNotification.columns) FROM accord_notifications
                WHERE position > $1 OR (position = $1 AND ordinal > $2) ORDER BY position, ordinal LIMIT $3
                """, [.integer(cursor.position), .integer(cursor.ordinal), .integer(Int64(limit))]).map(StoredNotification.init(row:))
        }
    }

    /// A page cut to whole positions: the notifications of one position are written together and a client's
    /// `Last-Event-ID` names a position, so a group is never split between pages. A group larger than the page
    /// is read whole.
    static func completeGroups(_ page: [StoredNotification], limit: Int, store: any EventStore) async throws -> [StoredNotification] {
        guard page.count >= limit, let last = page.last else { return page }
        let complete = page.filter { $0.position != last.position }
        if !complete.isEmpty { return complete }
        return try await store.database.read { conn in
            try conn.query("SELECT \(StoredNotification.columns) FROM accord_notifications WHERE position = $1 ORDER BY ordinal",
                           [.integer(last.position)]).map(StoredNotification.init(row:))
        }
    }

    private func publish(_ page: [StoredNotification]) {
        guard let last = page.last else { return }
        let woken = state.withLock { state -> [Waiter] in
            state.recent.append(contentsOf: page)
            if state.recent.count > capacity {
                // Drop whole groups from the front; everything up to the last dropped one must then be read.
                var cut = state.recent.count - capacity
                while cut < state.recent.count, cut > 0, state.recent[cut].position == state.recent[cut - 1].position { cut += 1 }
                let dropped = state.recent[cut - 1]
                state.recent.removeFirst(cut)
                state.floor = Cursor(position: dropped.position, ordinal: dropped.ordinal)
            }
            state.head = Cursor(position: last.position, ordinal: last.ordinal)
            let ready = state.waiters.filter { $0.value.after < state.head }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in woken { waiter.continuation.resume(returning: .news) }
    }

    private func wakeAll(_ wake: Wake) {
        let all = state.withLock { state -> [Waiter] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in all { waiter.continuation.resume(returning: wake) }
    }

    // MARK: Clients

    public enum Batch: Sendable {
        /// Notifications after the cursor, whole groups.
        case notifications([StoredNotification])
        /// The cursor is older than what the hub keeps: read the database.
        case behind
        /// Nothing new.
        case upToDate
        case closed
    }

    /// What follows `cursor` in memory.
    public func next(after cursor: Cursor, limit: Int) -> Batch {
        state.withLock { state in
            if state.closed { return .closed }
            guard state.started, cursor >= state.floor else { return .behind }
            guard cursor < state.head else { return .upToDate }
            // Binary search for the first notification after the cursor.
            var low = 0
            var high = state.recent.count
            while low < high {
                let mid = (low + high) / 2
                if Cursor(position: state.recent[mid].position, ordinal: state.recent[mid].ordinal) <= cursor { low = mid + 1 } else { high = mid }
            }
            var end = min(state.recent.count, low + limit)
            while end < state.recent.count, end > low, state.recent[end].position == state.recent[end - 1].position { end += 1 }
            return .notifications(Array(state.recent[low..<end]))
        }
    }

    /// Waits until something follows `cursor`, the next heartbeat, shutdown or cancellation (the client left).
    public func wait(after cursor: Cursor) async -> Wake {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let immediate = state.withLock { state -> Wake? in
                    if state.closed { return .closed }
                    if Task.isCancelled { return .closed }
                    if state.started && cursor < state.head { return .news }
                    state.waiters[id] = Waiter(after: cursor, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: .closed)
        }
    }

    /// The number of clients waiting (for the benchmark and metrics).
    public var waitingClients: Int { state.withLock { $0.waiters.count } }
}
