import AccordDomain
import AccordEventStore
import Foundation
import Logging

/// Delivers the outbox to webhook subscriptions, on the leader. Per subscription, notifications go out one at
/// a time in log order: the next waits until the one before was delivered or given up (after the retry
/// horizon, or refused by the receiver). Subscriptions are served concurrently.
///
/// Each attempt is recorded, and the subscription's cursor moved, in one transaction; a crash between sending
/// and recording sends that notification again after the restart (at least once, same `webhook-id`).
actor WebhookDispatcher {
    let webhooks: WebhookStore
    let sender: WebhookSender
    let policy: RetryPolicy
    let clock: any WallClock
    /// Wakes on new notifications (the notifier's commits) and on changes made through this process's API.
    let signal: PositionSignal
    let logger: Logger
    let maximumConcurrent: Int
    private var running: [String: Task<Void, Never>] = [:]
    /// Subscriptions that may have received work while their worker was finishing: looked at again at once.
    private var missed: Set<String> = []
    private var stopping = false
    /// Subscriptions waiting for a retry: not looked at before then unless something changes.
    private var sleepingUntil: [String: Instant] = [:]

    init(webhooks: WebhookStore, sender: WebhookSender, policy: RetryPolicy, clock: any WallClock, signal: PositionSignal,
         maximumConcurrent: Int = 32, logger: Logger) {
        self.webhooks = webhooks
        self.sender = sender
        self.policy = policy
        self.clock = clock
        self.signal = signal
        self.maximumConcurrent = maximumConcurrent
        self.logger = logger
    }

    func run() async {
        while !Task.isCancelled {
            let seen = signal.position
            do {
                try await scan(woken: false)
            } catch {
                if Task.isCancelled { break }
                logger.warning("webhook dispatch failed; retrying", metadata: ["error": "\(error)"])
            }
            let now = clock.now()
            let nextRetry = sleepingUntil.values.min().map { max(0, $0.microsecondsSinceEpoch - now.microsecondsSinceEpoch) } ?? 1_000_000
            await signal.wait(after: seen, timeout: .microseconds(min(nextRetry, 1_000_000)))
        }
        stopping = true
        for task in running.values { task.cancel() }
        for task in running.values { await task.value }
        running.removeAll()
    }

    /// Starts a worker for every active subscription that may have work and has none running.
    func scan(woken: Bool) async throws {
        let now = clock.now()
        let subscriptions = try await webhooks.activeSubscriptions()
        let active = Set(subscriptions.map(\.id))
        sleepingUntil = sleepingUntil.filter { active.contains($0.key) }
        for subscription in subscriptions {
            if running[subscription.id] != nil {
                // Its worker may be past its last look at the outbox: it goes round once more when it ends.
                missed.insert(subscription.id)
                continue
            }
            if let until = sleepingUntil[subscription.id], until > now, !woken { continue }
            start(subscription.id)
        }
    }

    private func start(_ id: String) {
        guard !stopping else { return }
        guard running.count < maximumConcurrent else {
            missed.insert(id)
            return
        }
        sleepingUntil[id] = nil
        running[id] = Task { [weak self] in
            guard let self else { return }
            let until = await self.drain(id)
            await self.finished(id, sleepUntil: until)
        }
    }

    private func finished(_ id: String, sleepUntil: Instant?) {
        running[id] = nil
        if let sleepUntil { sleepingUntil[id] = sleepUntil }
        if missed.remove(id) != nil, sleepUntil == nil { start(id) }
        // A slot freed: subscriptions turned away for lack of one go now.
        for other in missed.sorted() where running[other] == nil && running.count < maximumConcurrent && sleepingUntil[other] == nil {
            missed.remove(other)
            start(other)
        }
    }

    /// Waits for every running worker (tests and the benchmark use it to settle).
    func drainAll() async throws {
        try await scan(woken: true)
        while let (_, task) = running.first {
            await task.value
        }
    }

    /// Sends what is due for one subscription; returns when it should be looked at again (a retry time).
    private func drain(_ id: String) async -> Instant? {
        while !Task.isCancelled {
            do {
                guard let subscription = try await webhooks.activeSubscription(id) else { return nil }
                let now = clock.now()
                // A re-send of a delivery given up earlier goes out of turn; one of the head of the queue is simply
                // its next attempt, now.
                if let resend = try await webhooks.dueResend(subscription, now: now),
                   !resend.notification.isAfter(position: subscription.cursorPosition, ordinal: subscription.cursorOrdinal) {
                    await attempt(resend.notification, delivery: resend.delivery, subscription: subscription, kind: "resend")
                    continue
                }
                let batch = try await webhooks.notifications(after: subscription.cursorPosition, subscription.cursorOrdinal, limit: 100)
                var skippedTo: (Int64, Int64)?
                var head: StoredNotification?
                for notification in batch {
                    if subscription.filter.matches(type: notification.type, process: notification.process) {
                        head = notification
                        break
                    }
                    skippedTo = (notification.position, notification.ordinal)
                }
                if let skippedTo {
                    // Notifications the subscription does not want count as handled.
                    guard try await webhooks.moveCursor(subscription, to: skippedTo) else { return nil }
                    if head == nil { continue }
                }
                guard let head else { return nil }
                let delivery = try await webhooks.deliveryState(id, notification: head.webhookID)
                if let delivery, delivery.status == .pending, let next = delivery.nextAttemptAt, next > now {
                    return next
                }
                var current = subscription
                if let skippedTo { (current.cursorPosition, current.cursorOrdinal) = skippedTo }
                switch await attempt(head, delivery: delivery, subscription: current, kind: "notification") {
                case .next: continue
                case .wait(let until): return until
                case .stop: return nil
                }
            } catch {
                if Task.isCancelled { return nil }
                logger.warning("webhook delivery failed; retrying", metadata: ["subscription": "\(id)", "error": "\(error)"])
                return clock.now().adding(seconds: 1)
            }
        }
        return nil
    }

    enum Continuation {
        /// Go on with the next notification.
        case next
        /// Try again at this time.
        case wait(Instant)
        /// The subscription stopped (disabled, deleted, or another instance moved its cursor).
        case stop
    }

    /// Sends one notification and records the attempt; for the head of the queue (not a resend) also moves the
    /// cursor when it is done with.
    @discardableResult
    private func attempt(_ notification: StoredNotification, delivery: WebhookDelivery?, subscription: ActiveSubscription,
                         kind: String) async -> Continuation {
        let clock = self.clock
        let result = await sender.send(url: subscription.url, webhookID: notification.webhookID, body: notification.body,
                                       secrets: subscription.secrets, now: { clock.now() })
        let attemptNumber = (delivery?.attempts ?? 0) + 1
        let now = clock.now()
        var status: WebhookDelivery.Status
        var next: Instant?
        switch result.outcome {
        case .delivered:
            status = .delivered
        case .retry where kind == "notification":
            next = policy.nextAttempt(after: attemptNumber, now: now, producedAt: notification.createdAt, retryAfter: result.retryAfter)
            status = next == nil ? .failed : .pending
        case .gone where kind == "notification":
            // Left waiting: a subscription resumed after a 410 starts again with this notification.
            status = .pending
        case .retry, .gone, .failed, .refused:
            status = .failed
        }
        let handled = kind == "notification" && (status == .delivered || status == .failed)
        do {
            let recorded = try await webhooks.recordAttempt(
                subscription: subscription, notification: notification, result: result, kind: kind, attempt: attemptNumber, status: status,
                nextAttemptAt: next, moveCursor: handled, disable: result.outcome == .gone)
            if !recorded { return .stop }
        } catch {
            logger.warning("cannot record a webhook attempt", metadata: ["subscription": "\(subscription.id)", "error": "\(error)"])
            return .wait(now.adding(seconds: 1))
        }
        logger.debug("webhook attempt", metadata: [
            "subscription": "\(subscription.id)", "notification": "\(notification.webhookID)", "outcome": "\(result.outcome.rawValue)",
            "status": "\(result.statusCode.map(String.init) ?? "-")", "attempt": "\(attemptNumber)"])
        if result.outcome == .gone { return .stop }
        if let next { return .wait(next) }
        return .next
    }
}

// MARK: The dispatcher's queries

extension WebhookStore {
    /// Active subscriptions with their secrets (the previous one too while it is still valid) and cursors.
    func activeSubscriptions() async throws -> [ActiveSubscription] {
        let now = clock.now().microsecondsSinceEpoch
        return try await database.read { conn in
            try conn.query(Self.activeQuery + " WHERE status = 'active' ORDER BY id", [.integer(now)]).map(Self.active)
        }
    }

    func activeSubscription(_ id: String) async throws -> ActiveSubscription? {
        let now = clock.now().microsecondsSinceEpoch
        return try await database.read { conn in
            try conn.query(Self.activeQuery + " WHERE status = 'active' AND id = $2", [.integer(now), .text(id)]).first.map(Self.active)
        }
    }

    static let activeQuery = """
        SELECT id, url, types, processes, secret, CASE WHEN previous_secret_until > $1 THEN previous_secret END, cursor_position, cursor_ordinal
        FROM accord_webhook_subscriptions
        """

    static func active(_ row: SQLRow) throws -> ActiveSubscription {
        var secrets = [try WebhookSecret(parsing: try row.string(4))]
        if let previous = try row.optionalString(5) { secrets.append(try WebhookSecret(parsing: previous)) }
        return ActiveSubscription(id: try row.string(0), url: try row.string(1),
                                  filter: NotificationFilter(storedTypes: try row.string(2), storedProcesses: try row.string(3)),
                                  secrets: secrets, cursorPosition: try row.int(6), cursorOrdinal: try row.int(7))
    }

    /// Outbox rows after (position, ordinal), in order.
    func notifications(after position: Int64, _ ordinal: Int64, limit: Int) async throws -> [StoredNotification] {
        try await database.read { conn in
            try conn.query(
                """
                SELECT \(StoredNotification.columns) FROM accord_notifications
                WHERE position > $1 OR (position = $1 AND ordinal > $2) ORDER BY position, ordinal LIMIT $3
                """, [.integer(position), .integer(ordinal), .integer(Int64(limit))]).map(StoredNotification.init(row:))
        }
    }

    func notification(_ id: String) async throws -> StoredNotification? {
        try await database.read { conn in
            try conn.query("SELECT \(StoredNotification.columns) FROM accord_notifications WHERE id = $1", [.text(id)]).first.map(StoredNotification.init(row:))
        }
    }

    func deliveryState(_ subscription: String, notification: String) async throws -> WebhookDelivery? {
        try await database.read { conn in
            try conn.query("SELECT \(Self.deliveryColumns) FROM accord_webhook_deliveries WHERE subscription = $1 AND notification = $2",
                           [.text(subscription), .text(notification)]).first.map(Self.delivery)
        }
    }

    /// A delivery an operator asked to send again, with its notification.
    func dueResend(_ subscription: ActiveSubscription, now: Instant) async throws -> (notification: StoredNotification, delivery: WebhookDelivery)? {
        let found = try await database.read { conn -> (StoredNotification, WebhookDelivery)? in
            guard let delivery = try conn.query(
                """
                SELECT \(Self.deliveryColumns) FROM accord_webhook_deliveries
                WHERE subscription = $1 AND status = 'resend' AND next_attempt_at <= $2 ORDER BY position, ordinal LIMIT 1
                """, [.text(subscription.id), .integer(now.microsecondsSinceEpoch)]).first.map(Self.delivery),
                let notification = try conn.query("SELECT \(StoredNotification.columns) FROM accord_notifications WHERE id = $1",
                                                  [.text(delivery.notification)]).first.map(StoredNotification.init(row:))
            else { return nil }
            return (notification, delivery)
        }
        return found.map { ($0.0, $0.1) }
    }

    /// Moves the cursor if nobody else did meanwhile; false when it had moved (another instance delivers).
    func moveCursor(_ subscription: ActiveSubscription, to cursor: (Int64, Int64)) async throws -> Bool {
        try await database.transaction { conn in
            try Self.moveCursor(subscription, to: cursor, in: conn)
        }
    }

    static func moveCursor(_ subscription: ActiveSubscription, to cursor: (Int64, Int64), in conn: any SQLConnection) throws -> Bool {
        try conn.execute(
            """
            UPDATE accord_webhook_subscriptions SET cursor_position = $4, cursor_ordinal = $5
            WHERE id = $1 AND cursor_position = $2 AND cursor_ordinal = $3
            """, [.text(subscription.id), .integer(subscription.cursorPosition), .integer(subscription.cursorOrdinal),
                  .integer(cursor.0), .integer(cursor.1)]) == 1
    }

    /// Records an attempt and the delivery's new state; moves the cursor past the notification when it is done
    /// with. False (and nothing written) when the cursor had moved: another instance delivered it.
    func recordAttempt(subscription: ActiveSubscription, notification: StoredNotification, result: AttemptResult, kind: String, attempt: Int64,
                       status: WebhookDelivery.Status, nextAttemptAt: Instant?, moveCursor: Bool, disable: Bool) async throws -> Bool {
        try await database.transaction { conn in
            if moveCursor {
                guard try Self.moveCursor(subscription, to: (notification.position, notification.ordinal), in: conn) else { return false }
            }
            try Self.insertAttempt(subscription: subscription.id, notification: notification.webhookID, kind: kind, attempt: attempt, result: result, in: conn)
            let startedAt = result.startedAt.microsecondsSinceEpoch
            try conn.execute(
                """
                INSERT INTO accord_webhook_deliveries (subscription, notification, position, ordinal, type, status, attempts, first_attempt_at,
                    last_attempt_at, next_attempt_at, last_status_code, last_error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)
                ON CONFLICT (subscription, notification) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
                    last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at,
                    last_status_code = excluded.last_status_code, last_error = excluded.last_error
                """,
                [.text(subscription.id), .text(notification.webhookID), .integer(notification.position), .integer(notification.ordinal),
                 .text(notification.type.rawValue), .text(status.rawValue), .integer(attempt), .integer(startedAt),
                 SQLValue(nextAttemptAt?.microsecondsSinceEpoch), SQLValue(result.statusCode), SQLValue(result.error)])
            if disable {
                try conn.execute(
                    "UPDATE accord_webhook_subscriptions SET status = 'disabled', status_reason = $2, updated_at = $3 WHERE id = $1",
                    [.text(subscription.id), .text("the receiver answered 410 Gone"), .integer(startedAt)])
            }
            return true
        }
    }

    static func insertAttempt(subscription: String, notification: String, kind: String, attempt: Int64, result: AttemptResult,
                              in conn: any SQLConnection) throws {
        try conn.execute(
            """
            INSERT INTO accord_webhook_attempts (subscription, notification, kind, attempt, started_at, duration_us, status_code, outcome, error,
                response_excerpt)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            [.text(subscription), .text(notification), .text(kind), .integer(attempt), .integer(result.startedAt.microsecondsSinceEpoch),
             .integer(result.latencyMicroseconds), SQLValue(result.statusCode), .text(result.outcome.rawValue), SQLValue(result.error),
             SQLValue(result.responseExcerpt)])
    }
}
