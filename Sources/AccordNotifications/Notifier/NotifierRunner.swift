import AccordDomain
import AccordEventStore
import AccordService
import Logging

/// Follows the log for the notifier: reads a page after the checkpoint, turns it into notifications, and writes
/// them with the new rule statuses, timers and checkpoint in one transaction. A crash before the commit leaves
/// nothing behind (the page is read again); after it, nothing is produced twice. Runs on the leader only.
public actor NotifierRunner {
    let store: any EventStore
    let log: DomainLog
    let settings: NotifierSettings
    let clock: any WallClock
    let signal: PositionSignal
    let logger: Logger
    let pageSize: Int
    /// nil until loaded, and after a failed write (the next step reloads what was committed).
    private var state: NotifierState?

    init(store: any EventStore, log: DomainLog, settings: NotifierSettings, clock: any WallClock, signal: PositionSignal,
         pageSize: Int = 200, logger: Logger) {
        self.store = store
        self.log = log
        self.settings = settings
        self.clock = clock
        self.signal = signal
        self.pageSize = pageSize
        self.logger = logger
    }

    /// The last log position turned into notifications.
    public var position: Int64 { state?.position ?? 0 }

    /// Processes everything up to the log's head; returns the checkpoint.
    @discardableResult
    public func catchUp() async throws -> Int64 {
        while try await step() {}
        return state?.position ?? 0
    }

    /// One page: false when there was nothing to do. Pages are processed one at a time even when `catchUp` and
    /// the follower both ask (an actor lets a second call in at every `await`).
    func step() async throws -> Bool {
        while stepping { await withCheckedContinuation { waitingToStep.append($0) } }
        stepping = true
        defer {
            stepping = false
            if !waitingToStep.isEmpty { waitingToStep.removeFirst().resume() }
        }
        return try await stepAlone()
    }

    private var stepping = false
    private var waitingToStep: [CheckedContinuation<Void, Never>] = []

    private func stepAlone() async throws -> Bool {
        if state == nil {
            let loaded = try await NotifierState.load(store: store, log: log)
            state = loaded
            signal.advance(to: loaded.position)
        }
        guard let from = state?.position else { return false }
        let page = try await store.readAll(after: from, limit: pageSize)
        guard let last = page.last, let loaded = state.take() else { return false }
        // The state is consumed by the pass (moved, not copied: a second reference would make the pass copy
        // every process it touches); if the write fails, it is reloaded from what was committed.
        var pass = NotifierPass(settings: settings, state: consume loaded, now: clock.now(), decoded: log.decoded, logger: logger)
        pass.apply(page)
        let changes = pass.changes
        // Rebuilt from the log, with the same notification ids, after a power loss (docs/notifications.md).
        let committed = try await store.database.transaction(.rebuildable) { conn -> Bool in
            // Another instance (a former leader finishing its page) may have moved the checkpoint meanwhile.
            guard try ProjectionRunner.checkpoint(of: NotifierState.checkpointName, in: conn) == from else { return false }
            try changes.write(in: conn)
            try ProjectionRunner.moveCheckpoint(of: NotifierState.checkpointName, to: last, in: conn)
            return true
        }
        if committed {
            state = pass.state
            signal.advance(to: last.position)
        } else {
            logger.notice("the notifier checkpoint moved elsewhere; reloading", metadata: ["expected": "\(from)"])
        }
        return true
    }

    /// Follows the log until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                if try await !step() {
                    await store.waitForEvents(after: state?.position ?? 0, timeout: .seconds(1))
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("notifier failed; retrying", metadata: ["error": "\(error)"])
                state = nil
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Empties the outbox (unless `keepOutbox`), the notifier's tables and its checkpoint: the next catch-up
    /// rebuilds them from the log, with the same notification ids.
    public func reset(keepOutbox: Bool) async throws {
        try await store.database.transaction { conn in
            if !keepOutbox { try conn.execute("DELETE FROM accord_notifications") }
            try conn.execute("DELETE FROM accord_notifier_rules")
            try conn.execute("DELETE FROM accord_notifier_timers")
            try conn.execute("DELETE FROM accord_projection_checkpoints WHERE name = $1", [.text(NotifierState.checkpointName)])
        }
        state = nil
    }
}
