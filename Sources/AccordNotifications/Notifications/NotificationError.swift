/// Failures of the notification features a caller can act on: each maps to one problem type over HTTP
/// (`WebhookRoutes`) and to one line and a non-zero exit on the CLI.
public enum NotificationError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownType(String)
    case invalidValue(field: String, reason: String)
    /// The webhook target is not an http(s) URL, or resolves to an address the operator has not allowed.
    case targetNotAllowed(url: String, reason: String)
    case subscriptionNotFound(String)
    case deliveryNotFound(subscription: String, notification: String)
    case notResendable(notification: String, status: String)

    public var description: String {
        switch self {
        case .unknownType(let name):
            "unknown notification type '\(name)'; known types: \(NotificationType.allCases.map(\.rawValue).joined(separator: ", ")) (or 'rule.*', '*')"
        case let .invalidValue(field, reason):
            "\(field): \(reason)"
        case let .targetNotAllowed(url, reason):
            "webhook target \(url) is not allowed: \(reason)"
        case .subscriptionNotFound(let id):
            "webhook subscription \(id) not found"
        case let .deliveryNotFound(subscription, notification):
            "webhook subscription \(subscription) has no delivery of notification \(notification)"
        case let .notResendable(notification, status):
            "the delivery of notification \(notification) is \(status); only failed deliveries (and pending ones waiting for a retry) can be re-sent"
        }
    }
}
