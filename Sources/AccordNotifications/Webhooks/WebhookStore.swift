import AccordDomain
import AccordEventStore
import Foundation

/// Webhook subscriptions, deliveries and the attempt log, in the same database as the log. Used by the API,
/// the CLI (directly on the database, like `accord token`) and the dispatcher.
public struct WebhookStore: Sendable {
    let store: any EventStore
    let clock: any WallClock
    let guardian: TargetGuard

    public init(store: any EventStore, clock: any WallClock, guardian: TargetGuard) {
        self.store = store
        self.clock = clock
        self.guardian = guardian
    }

    var database: any SQLDatabase { store.database }

    static let columns = """
        id, url, description, types, processes, status, status_reason, cursor_position, previous_secret_until, created_at, created_by, updated_at
        """

    static func subscription(_ row: SQLRow) throws -> WebhookSubscription {
        let filter = NotificationFilter(storedTypes: try row.string(3), storedProcesses: try row.string(4))
        return WebhookSubscription(
            id: try row.string(0), url: try row.string(1), description: try row.optionalString(2), types: filter.types.map { $0.sorted() },
            effectiveTypes: filter.effectiveTypes.sorted(), processes: filter.processes.sorted(),
            status: WebhookSubscription.Status(rawValue: try row.string(5)) ?? .paused, statusReason: try row.optionalString(6),
            handledThrough: try row.int(7), previousSecretValidUntil: try row.optionalInt(8).map(Instant.init(microsecondsSinceEpoch:)),
            createdAt: Instant(microsecondsSinceEpoch: try row.int(9)), createdBy: try row.string(10),
            updatedAt: Instant(microsecondsSinceEpoch: try row.int(11)))
    }

    // MARK: Subscriptions

    /// Creates a subscription; returns it with its secret (shown this once). Notifications caused after
    /// `startAfter` (default: the log's head now) are sent.
    public func create(url: String, description: String?, filter: NotificationFilter, secret: WebhookSecret?, startAfter: Int64?,
                       by actor: ActorRef) async throws -> (WebhookSubscription, WebhookSecret) {
        let target = try await guardian.check(url)
        if let description, description.count > 500 || description.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw NotificationError.invalidValue(field: "description", reason: "at most 500 characters, without control characters")
        }
        if let startAfter, startAfter < 0 { throw NotificationError.invalidValue(field: "startAfter", reason: "a log position ≥ 0") }
        let start: Int64
        if let startAfter { start = startAfter } else { start = try await store.headPosition() }
        let secret = secret ?? WebhookSecret.generate()
        let id = WebhookIDs.subscription()
        let now = clock.now().microsecondsSinceEpoch
        _ = try await database.transaction { conn in
            try conn.execute(
                """
                INSERT INTO accord_webhook_subscriptions (id, url, description, types, processes, secret, status, cursor_position,
                    cursor_ordinal, created_at, created_by, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $9)
                """,
                [.text(id), .text(target.url), SQLValue(description), .text(filter.storedTypes), .text(filter.storedProcesses),
                 .text(secret.text), .integer(start), .integer(Int64.max), .integer(now), .text(actor.id)])
        }
        return (try await subscription(id), secret)
    }

    public func subscriptions() async throws -> [WebhookSubscription] {
        try await database.read { conn in
            try conn.query("SELECT \(Self.columns) FROM accord_webhook_subscriptions ORDER BY created_at, id").map(Self.subscription)
        }
    }

    public func subscription(_ id: String) async throws -> WebhookSubscription {
        let found = try await database.read { conn in
            try conn.query("SELECT \(Self.columns) FROM accord_webhook_subscriptions WHERE id = $1", [.text(id)]).first.map(Self.subscription)
        }
        guard let found else { throw NotificationError.subscriptionNotFound(id) }
        return found
    }

    /// Pauses, resumes (also a subscription the receiver disabled) or disables a subscription.
    @discardableResult
    public func setStatus(_ id: String, _ status: WebhookSubscription.Status, reason: String?) async throws -> WebhookSubscription {
        let now = clock.now().microsecondsSinceEpoch
        let changed = try await database.transaction { conn in
            try conn.execute("UPDATE accord_webhook_subscriptions SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1",
                             [.text(id), .text(status.rawValue), SQLValue(reason), .integer(now)])
        }
        guard changed == 1 else { throw NotificationError.subscriptionNotFound(id) }
        return try await subscription(id)
    }

    /// Deletes a subscription with its deliveries and attempt log.
    public func delete(_ id: String) async throws {
        let deleted = try await database.transaction { conn in
            try conn.execute("DELETE FROM accord_webhook_attempts WHERE subscription = $1", [.text(id)])
            try conn.execute("DELETE FROM accord_webhook_deliveries WHERE subscription = $1", [.text(id)])
            return try conn.execute("DELETE FROM accord_webhook_subscriptions WHERE id = $1", [.text(id)])
        }
        guard deleted == 1 else { throw NotificationError.subscriptionNotFound(id) }
    }

    /// Replaces the secret. The previous one keeps signing (a second signature in the header) for `grace`, so
    /// the receiver can switch without losing a delivery.
    public func rotateSecret(_ id: String, grace: Duration) async throws -> (WebhookSubscription, WebhookSecret) {
        guard grace >= .zero, grace <= .seconds(30 * 86_400) else {
            throw NotificationError.invalidValue(field: "graceSeconds", reason: "between 0 and 2592000 (30 days)")
        }
        let secret = WebhookSecret.generate()
        let now = clock.now()
        let until = grace > .zero ? now.adding(microseconds: grace.microseconds).microsecondsSinceEpoch : nil
        let changed = try await database.transaction { conn in
            if let until {
                try conn.execute(
                    "UPDATE accord_webhook_subscriptions SET previous_secret = secret, previous_secret_until = $3, secret = $2, updated_at = $4 WHERE id = $1",
                    [.text(id), .text(secret.text), .integer(until), .integer(now.microsecondsSinceEpoch)])
            } else {
                try conn.execute(
                    "UPDATE accord_webhook_subscriptions SET previous_secret = NULL, previous_secret_until = NULL, secret = $2, updated_at = $3 WHERE id = $1",
                    [.text(id), .text(secret.text), .integer(now.microsecondsSinceEpoch)])
            }
        }
        guard changed == 1 else { throw NotificationError.subscriptionNotFound(id) }
        return (try await subscription(id), secret)
    }

    // MARK: Deliveries

    static let deliveryColumns = """
        notification, position, ordinal, type, status, attempts, first_attempt_at, last_attempt_at, next_attempt_at, last_status_code, last_error
        """

    static func delivery(_ row: SQLRow) throws -> WebhookDelivery {
        func instant(_ index: Int) throws -> Instant? { try row.optionalInt(index).map(Instant.init(microsecondsSinceEpoch:)) }
        return WebhookDelivery(
            notification: try row.string(0), position: try row.int(1), ordinal: try row.int(2), type: try row.string(3),
            status: WebhookDelivery.Status(rawValue: try row.string(4)) ?? .pending, attempts: try row.int(5), firstAttemptAt: try instant(6),
            lastAttemptAt: try instant(7), nextAttemptAt: try instant(8), lastStatusCode: try row.optionalInt(9), lastError: try row.optionalString(10))
    }

    /// The subscription's deliveries, newest first; `status` narrows them, `before` pages (a log position).
    public func deliveries(_ id: String, status: WebhookDelivery.Status?, before: Int64?, limit: Int) async throws -> [WebhookDelivery] {
        _ = try await subscription(id)
        return try await database.read { conn in
            try conn.query(
                """
                SELECT \(Self.deliveryColumns) FROM accord_webhook_deliveries
                WHERE subscription = $1 AND ($2 = '' OR status = $2) AND position < $3
                ORDER BY position DESC, ordinal DESC LIMIT $4
                """, [.text(id), .text(status?.rawValue ?? ""), .integer(before ?? Int64.max), .integer(Int64(limit))]).map(Self.delivery)
        }
    }

    /// One delivery with its attempt log.
    public func delivery(_ id: String, notification: String) async throws -> WebhookDelivery {
        let found = try await database.read { conn -> WebhookDelivery? in
            guard var delivery = try conn.query(
                "SELECT \(Self.deliveryColumns) FROM accord_webhook_deliveries WHERE subscription = $1 AND notification = $2",
                [.text(id), .text(notification)]).first.map(Self.delivery) else { return nil }
            delivery.log = try conn.query(
                """
                SELECT attempt, kind, started_at, duration_us, status_code, outcome, error, response_excerpt
                FROM accord_webhook_attempts WHERE subscription = $1 AND notification = $2 ORDER BY id
                """, [.text(id), .text(notification)]).map { row in
                WebhookDelivery.Attempt(
                    attempt: try row.int(0), kind: try row.string(1), startedAt: Instant(microsecondsSinceEpoch: try row.int(2)),
                    latencyMicroseconds: try row.int(3), statusCode: try row.optionalInt(4), outcome: try row.string(5), error: try row.optionalString(6),
                    response: try row.optionalString(7))
            }
            return delivery
        }
        guard let found else {
            _ = try await subscription(id)
            throw NotificationError.deliveryNotFound(subscription: id, notification: notification)
        }
        return found
    }

    /// Asks for a failed delivery (or one waiting for a retry) to be sent again now, out of turn.
    @discardableResult
    public func requestResend(_ id: String, notification: String) async throws -> WebhookDelivery {
        let delivery = try await delivery(id, notification: notification)
        guard delivery.status == .failed || delivery.status == .pending || delivery.status == .resend else {
            throw NotificationError.notResendable(notification: notification, status: delivery.status.rawValue)
        }
        let now = clock.now().microsecondsSinceEpoch
        _ = try await database.transaction { conn in
            try conn.execute(
                "UPDATE accord_webhook_deliveries SET status = 'resend', next_attempt_at = $3 WHERE subscription = $1 AND notification = $2",
                [.text(id), .text(notification), .integer(now)])
        }
        return try await self.delivery(id, notification: notification)
    }
}
