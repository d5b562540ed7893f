import Logging
import ServiceLifecycle
import Synchronization

/// Runs the leader's work (notifier, timers, webhook dispatcher) while this instance holds the leadership
/// lock; the other instances poll the lock and one of them takes over within `pollInterval` when the leader
/// dies. Stops cleanly on SIGTERM (graceful shutdown) and gives the lock up.
public final class LeaderService: Service, Sendable {
    let lock: any LeadershipLock
    let work: @Sendable () async -> Void
    let pollInterval: Duration
    let logger: Logger
    private let leading = Mutex(false)

    public init(lock: any LeadershipLock, pollInterval: Duration, logger: Logger, work: @escaping @Sendable () async -> Void) {
        self.lock = lock
        self.pollInterval = pollInterval
        self.logger = logger
        self.work = work
    }

    /// Whether this instance leads now.
    public var isLeading: Bool { leading.withLock { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        await lock.release()
    }

    func loop() async {
        while !Task.isCancelled {
            guard await lock.tryAcquire() else {
                try? await Task.sleep(for: pollInterval)
                continue
            }
            logger.info("this instance leads: the notifier, deadline timers and webhook deliveries run here")
            leading.withLock { $0 = true }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.work() }
                group.addTask { await self.watchLock() }
                await group.next()
                group.cancelAll()
            }
            leading.withLock { $0 = false }
            await lock.release()
            if !Task.isCancelled { logger.warning("leadership lost; waiting to lead again") }
        }
    }

    /// Returns when the lock is no longer ours (or cannot be confirmed in time) or on cancellation.
    private func watchLock() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { return }
            guard await confirmed(within: .seconds(5)) else { return }
        }
    }

    /// A check that may hang on a dead network counts as lost after `limit`: a leader that cannot tell stops.
    private func confirmed(within limit: Duration) async -> Bool {
        let lock = self.lock
        let first = FirstAnswer()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Task {
                let held = await lock.isHeld()
                if first.take() { continuation.resume(returning: held) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if first.take() { continuation.resume(returning: false) }
            }
        }
    }
}

/// Lets exactly one of several racing tasks answer.
private final class FirstAnswer: Sendable {
    private let taken = Mutex(false)

    func take() -> Bool {
        taken.withLock { taken in
            defer { taken = true }
            return !taken
        }
    }
}

/// Closes what the notification system opened (the HTTP client, the lock's connection) after the services
/// registered after it have stopped.
struct NotificationShutdown: Service {
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
