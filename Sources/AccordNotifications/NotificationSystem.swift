import AccordEventStore
import AccordHTTP
import AccordService
import Logging
import ServiceLifecycle

/// Everything `accord serve` can set about notifications (each has a flag and an `ACCORD_*` variable).
public struct NotificationConfiguration: Sendable {
    public var notifier: NotifierSettings
    public var retry: RetryPolicy
    public var client: WebhookClientSettings
    /// Between SSE heartbeats (comments).
    public var heartbeatInterval: Duration
    /// How often a follower tries to take the leadership, and a leader confirms it still holds it.
    public var leaderPollInterval: Duration
    public var maximumConcurrentDeliveries: Int

    public init(notifier: NotifierSettings = NotifierSettings(), retry: RetryPolicy = RetryPolicy(), client: WebhookClientSettings = WebhookClientSettings(),
                heartbeatInterval: Duration = .seconds(15), leaderPollInterval: Duration = .seconds(1), maximumConcurrentDeliveries: Int = 32) {
        self.notifier = notifier
        self.retry = retry
        self.client = client
        self.heartbeatInterval = heartbeatInterval
        self.leaderPollInterval = leaderPollInterval
        self.maximumConcurrentDeliveries = maximumConcurrentDeliveries
    }
}

/// Accord's notifications, wired: the notifier, timers and webhook dispatcher (run by the leader), the SSE hub
/// and the routes (on every instance). `accord serve` adds `routes` and `services` to its application.
public final class NotificationSystem: Sendable {
    public let service: AccordService
    public let configuration: NotificationConfiguration
    /// The notifier's commits, in this process.
    public let signal: PositionSignal
    public let notifier: NotifierRunner
    public let webhooks: WebhookService
    public let hub: NotificationHub
    public let leader: LeaderService
    let timers: TimerFiring
    let dispatcher: WebhookDispatcher
    let sender: WebhookSender
    let lock: any LeadershipLock

    public init(service: AccordService, lock: any LeadershipLock, configuration: NotificationConfiguration = NotificationConfiguration(),
                logger: Logger = Logger(label: "accord.notifications")) {
        self.service = service
        self.configuration = configuration
        self.lock = lock
        let signal = PositionSignal()
        self.signal = signal
        let sender = WebhookSender(settings: configuration.client)
        self.sender = sender
        let store = WebhookStore(store: service.store, clock: service.clock, guardian: TargetGuard(allowPrivate: configuration.client.allowPrivateTargets))
        webhooks = WebhookService(store: store, sender: sender, signal: signal)
        let notifier = NotifierRunner(store: service.store, log: service.log, settings: configuration.notifier, clock: service.clock,
                                      signal: signal, logger: logger)
        self.notifier = notifier
        let timers = TimerFiring(store: service.store, clock: service.clock, signal: signal, logger: logger)
        self.timers = timers
        let dispatcher = WebhookDispatcher(webhooks: store, sender: sender, policy: configuration.retry, clock: service.clock, signal: signal,
                                           maximumConcurrent: configuration.maximumConcurrentDeliveries, logger: logger)
        self.dispatcher = dispatcher
        hub = NotificationHub(store: service.store, signal: signal, heartbeat: configuration.heartbeatInterval, logger: logger)
        leader = LeaderService(lock: lock, pollInterval: configuration.leaderPollInterval, logger: logger) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.run() }
                group.addTask { await timers.run() }
                group.addTask { await dispatcher.run() }
            }
        }
    }

    /// The routes: `/v1/webhooks…`, `/v1/notifications`, `/v1/stream`.
    public var routes: [AccordServer.RouteInstaller] {
        let webhooks = self.webhooks
        let hub = self.hub
        return [
            { router, env in WebhookRoutes.install(on: router, env, webhooks: webhooks) },
            { router, env in NotificationRoutes.install(on: router, env, hub: hub) },
            { router, env in StreamRoutes.install(on: router, env, hub: hub) },
        ]
    }

    /// The background services, in start order; graceful shutdown stops them in reverse (the leader's work and
    /// the streams first, then the HTTP client and the lock's connection). Register them after the service
    /// that closes the database.
    public var services: [any Service] {
        let sender = self.sender
        let lock = self.lock
        return [NotificationShutdown { await sender.shutdown(); await lock.close() }, hub, leader]
    }

    /// For tests and tools that drive the system without the service group: runs the leader's work once to
    /// completion (notifier caught up, due timers fired and processed, deliveries attempted).
    public func settle() async throws {
        try await notifier.catchUp()
        try await timers.fireDue()
        try await notifier.catchUp()
        try await dispatcher.drainAll()
    }

    /// Releases the HTTP client and the lock (when not run as services).
    public func close() async {
        await sender.shutdown()
        await lock.close()
    }
}
