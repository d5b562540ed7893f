import AccordDomain
import AccordEventStore
import Foundation

/// A webhook subscription as the API and the CLI show it (never with its secret).
public struct WebhookSubscription: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        /// Deliveries go out.
        case active
        /// Held by an operator; notifications wait (nothing is lost) until it is resumed.
        case paused
        /// Stopped by the receiver (410 Gone); resuming sends the waiting notifications again.
        case disabled
    }

    public var id: String
    public var url: String
    public var description: String?
    /// The types asked for; nil: the default selection (every type except steps and ballots).
    public var types: [NotificationType]?
    /// The types actually sent.
    public var effectiveTypes: [NotificationType]
    /// Empty: every process.
    public var processes: [ProcessID]
    public var status: Status
    public var statusReason: String?
    /// Every notification up to this log position has been delivered or given up on.
    public var handledThrough: Int64
    /// Until when the previous secret also signs (after a rotation).
    public var previousSecretValidUntil: Instant?
    public var createdAt: Instant
    public var createdBy: String
    public var updatedAt: Instant

    var filter: NotificationFilter {
        NotificationFilter(types: types.map(Set.init), processes: Set(processes))
    }
}

/// One notification's delivery to one subscription: where it stands and every attempt so far.
public struct WebhookDelivery: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable {
        /// Waiting for its first or next attempt.
        case pending
        case delivered
        /// Given up: a 4xx other than 429 and 410, or still failing when the retry horizon passed.
        case failed
        /// Asked to be sent again by an operator.
        case resend
    }

    public struct Attempt: Codable, Sendable, Hashable {
        public var attempt: Int64
        public var kind: String
        public var startedAt: Instant
        /// Microseconds from sending the request to reading the response's first bytes.
        public var latencyMicroseconds: Int64
        public var statusCode: Int64?
        /// delivered, retry, failed, gone, refused, error
        public var outcome: String
        public var error: String?
        /// The first bytes of the response body.
        public var response: String?
    }

    /// The notification's id, also the `webhook-id` header.
    public var notification: String
    public var position: Int64
    public var ordinal: Int64
    public var type: String
    public var status: Status
    public var attempts: Int64
    public var firstAttemptAt: Instant?
    public var lastAttemptAt: Instant?
    public var nextAttemptAt: Instant?
    public var lastStatusCode: Int64?
    public var lastError: String?
    /// Filled when one delivery is asked for.
    public var log: [Attempt]?
}

/// A subscription with what the dispatcher needs: its secrets and its cursor.
struct ActiveSubscription: Sendable, Hashable {
    var id: String
    var url: String
    var filter: NotificationFilter
    var secrets: [WebhookSecret]
    var cursorPosition: Int64
    var cursorOrdinal: Int64
}

/// Creates subscriptions with a fresh or given secret; hands out ids.
enum WebhookIDs {
    static func subscription() -> String {
        var generator = SystemRandomNumberGenerator()
        return "wh-" + (0..<10).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
