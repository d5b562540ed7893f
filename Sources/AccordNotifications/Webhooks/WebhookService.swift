import AccordDomain
import AccordEventStore
import Foundation

/// What the API and the CLI do with webhooks: manage subscriptions, look at deliveries, re-send, ping.
/// Changes wake this process's dispatcher at once; another instance's notices within a second.
public struct WebhookService: Sendable {
    public let store: WebhookStore
    let sender: WebhookSender
    let signal: PositionSignal

    public init(store: WebhookStore, sender: WebhookSender, signal: PositionSignal) {
        self.store = store
        self.sender = sender
        self.signal = signal
    }

    public func create(url: String, description: String?, filter: NotificationFilter, secret: WebhookSecret?, startAfter: Int64?,
                       by actor: ActorRef) async throws -> (WebhookSubscription, WebhookSecret) {
        // A start beyond the log's end would silently skip whatever is recorded until the log reaches it.
        if let startAfter {
            let head = try await store.store.headPosition()
            guard (0...head).contains(startAfter) else {
                throw NotificationError.invalidValue(field: "startAfter", reason: "\(startAfter) is not a log position between 0 and the log's end, \(head)")
            }
        }
        let created = try await store.create(url: url, description: description, filter: filter, secret: secret, startAfter: startAfter, by: actor)
        signal.poke()
        return created
    }

    public func pause(_ id: String) async throws -> WebhookSubscription {
        try await store.setStatus(id, .paused, reason: "paused by an operator")
    }

    public func resume(_ id: String) async throws -> WebhookSubscription {
        let subscription = try await store.setStatus(id, .active, reason: nil)
        signal.poke()
        return subscription
    }

    public func delete(_ id: String) async throws {
        try await store.delete(id)
    }

    public func rotateSecret(_ id: String, grace: Duration) async throws -> (WebhookSubscription, WebhookSecret) {
        try await store.rotateSecret(id, grace: grace)
    }

    public func resend(_ id: String, notification: String) async throws -> WebhookDelivery {
        let delivery = try await store.requestResend(id, notification: notification)
        signal.poke()
        return delivery
    }

    /// What a ping's body says.
    struct PingData: Encodable, Sendable {
        var subscription: String
        var message: String
    }

    /// Sends a `org.accord.webhook.ping` event right away (whatever the subscription's status) and returns the
    /// attempt, which is also in the subscription's attempt log.
    public func ping(_ id: String) async throws -> WebhookDelivery.Attempt {
        let subscription = try await store.subscription(id)
        guard let active = try await store.subscriptionSecrets(id) else { throw NotificationError.subscriptionNotFound(id) }
        let pingID = UUID().uuidString.lowercased()
        let now = store.clock.now()
        let event = CloudEvent(
            id: pingID, source: "/v1/webhooks/\(id)", type: CloudEventFormat.typePrefix + "webhook.ping", time: now, subject: nil,
            sequence: try await store.store.headPosition(), recordedtime: now,
            data: PingData(subscription: id, message: "Test ping from Accord to \(subscription.url)"))
        let clock = store.clock
        let result = await sender.send(url: subscription.url, webhookID: pingID, body: event.encoded(), secrets: active, now: { clock.now() })
        try await store.database.transaction { conn in
            try WebhookStore.insertAttempt(subscription: id, notification: pingID, kind: "ping", attempt: 1, result: result, in: conn)
        }
        return WebhookDelivery.Attempt(attempt: 1, kind: "ping", startedAt: result.startedAt, latencyMicroseconds: result.latencyMicroseconds,
                                       statusCode: result.statusCode, outcome: result.outcome.rawValue, error: result.error,
                                       response: result.responseExcerpt)
    }
}

extension WebhookStore {
    /// The secrets a subscription signs with now, whatever its status.
    func subscriptionSecrets(_ id: String) async throws -> [WebhookSecret]? {
        let now = clock.now().microsecondsSinceEpoch
        return try await database.read { conn in
            try conn.query(Self.activeQuery + " WHERE id = $2", [.integer(now), .text(id)]).first.map(Self.active)?.secrets
        }
    }
}
