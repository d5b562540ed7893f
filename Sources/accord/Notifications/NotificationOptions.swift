import AccordNotifications
import ArgumentParser
import Foundation

/// The notification options of `accord serve` (and the target guard of `accord webhook`). Durations are
/// written `500ms`, `30s`, `10m`, `24h` or `3d` (a bare number is seconds).
struct NotificationOptions: ParsableArguments {
    @Flag(name: .customLong("allow-private-webhooks"),
          help: "Allow webhook targets on loopback, private and link-local addresses (for tests and closed networks). [ACCORD_ALLOW_PRIVATE_WEBHOOKS=1]")
    var allowPrivateWebhooks = false

    @Option(name: .customLong("deadline-lead-time"), help: "How long before a deadline deadline.approaching is sent; 0 for never. [ACCORD_DEADLINE_LEAD_TIME, default 24h]")
    var deadlineLeadTime: String?

    @Option(name: .customLong("approval-lead-time"),
            help: "How long before a parliamentary mandate ends approval.expiring is sent; 0 for never. [ACCORD_APPROVAL_LEAD_TIME, default 30d]")
    var approvalLeadTime: String?

    @Option(name: .customLong("webhook-retry-horizon"), help: "How long a failing delivery is retried. [ACCORD_WEBHOOK_RETRY_HORIZON, default 3d]")
    var retryHorizon: String?

    @Option(name: .customLong("webhook-retry-initial"), help: "The first retry's delay; each next one doubles, with jitter. [ACCORD_WEBHOOK_RETRY_INITIAL, default 5s]")
    var retryInitial: String?

    @Option(name: .customLong("webhook-retry-max"), help: "The longest delay between two attempts. [ACCORD_WEBHOOK_RETRY_MAX, default 1h]")
    var retryMaximum: String?

    @Option(name: .customLong("webhook-connect-timeout"), help: "Connect timeout of webhook requests. [ACCORD_WEBHOOK_CONNECT_TIMEOUT, default 5s]")
    var connectTimeout: String?

    @Option(name: .customLong("webhook-timeout"), help: "Time for a receiver to answer a webhook request. [ACCORD_WEBHOOK_TIMEOUT, default 15s]")
    var responseTimeout: String?

    @Option(name: .customLong("sse-heartbeat"), help: "Interval of heartbeat comments on /v1/stream. [ACCORD_SSE_HEARTBEAT, default 15s]")
    var heartbeat: String?

    @Option(name: .customLong("leader-poll-interval"),
            help: "How often a standby instance tries to take over the notifier, and the leader checks its lock. [ACCORD_LEADER_POLL_INTERVAL, default 1s]")
    var leaderPollInterval: String?

    var allowsPrivateTargets: Bool {
        get throws { try allowPrivateWebhooks || boolVariable("ACCORD_ALLOW_PRIVATE_WEBHOOKS") ?? false }
    }

    func configuration(requestTimeout: Duration) throws -> NotificationConfiguration {
        var configuration = NotificationConfiguration()
        func duration(_ flag: String?, _ variable: String, _ option: String, default value: Duration) throws -> Duration {
            guard let text = environmentValue(flag, variable) else { return value }
            return try DurationText.parse(text, option: option)
        }
        configuration.notifier.deadlineLeadTime = try duration(deadlineLeadTime, "ACCORD_DEADLINE_LEAD_TIME", "--deadline-lead-time",
                                                              default: configuration.notifier.deadlineLeadTime)
        configuration.notifier.approvalLeadTime = try duration(approvalLeadTime, "ACCORD_APPROVAL_LEAD_TIME", "--approval-lead-time",
                                                              default: configuration.notifier.approvalLeadTime)
        configuration.retry.horizon = try duration(retryHorizon, "ACCORD_WEBHOOK_RETRY_HORIZON", "--webhook-retry-horizon", default: configuration.retry.horizon)
        configuration.retry.initialInterval = try duration(retryInitial, "ACCORD_WEBHOOK_RETRY_INITIAL", "--webhook-retry-initial",
                                                           default: configuration.retry.initialInterval)
        configuration.retry.maximumInterval = try duration(retryMaximum, "ACCORD_WEBHOOK_RETRY_MAX", "--webhook-retry-max",
                                                           default: configuration.retry.maximumInterval)
        configuration.client.connectTimeout = try duration(connectTimeout, "ACCORD_WEBHOOK_CONNECT_TIMEOUT", "--webhook-connect-timeout",
                                                           default: configuration.client.connectTimeout)
        configuration.client.responseTimeout = try duration(responseTimeout, "ACCORD_WEBHOOK_TIMEOUT", "--webhook-timeout",
                                                            default: configuration.client.responseTimeout)
        configuration.client.allowPrivateTargets = try allowsPrivateTargets
        configuration.heartbeatInterval = try duration(heartbeat, "ACCORD_SSE_HEARTBEAT", "--sse-heartbeat", default: configuration.heartbeatInterval)
        configuration.leaderPollInterval = try duration(leaderPollInterval, "ACCORD_LEADER_POLL_INTERVAL", "--leader-poll-interval",
                                                        default: configuration.leaderPollInterval)
        guard configuration.retry.initialInterval > .zero, configuration.retry.maximumInterval >= configuration.retry.initialInterval else {
            throw ValidationError("--webhook-retry-max must be at least --webhook-retry-initial, which must be more than 0")
        }
        guard configuration.client.connectTimeout > .zero, configuration.client.responseTimeout > .zero else {
            throw ValidationError("--webhook-connect-timeout and --webhook-timeout must be more than 0")
        }
        guard configuration.leaderPollInterval > .zero else { throw ValidationError("--leader-poll-interval must be more than 0") }
        // The HTTP server closes a connection on which nothing was written for the request timeout.
        guard configuration.heartbeatInterval > .zero, configuration.heartbeatInterval < requestTimeout else {
            throw ValidationError("--sse-heartbeat must be more than 0 and less than --request-timeout, or streams are cut")
        }
        return configuration
    }
}

/// Durations on the command line: `500ms`, `30s`, `10m`, `24h`, `3d`, or a number of seconds.
enum DurationText {
    static func parse(_ text: String, option: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, milliseconds) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            if let value = Int64(number), value >= 0, value <= Int64.max / milliseconds / 1000 {
                return .milliseconds(value * milliseconds)
            }
        }
        if let seconds = Int64(trimmed), seconds >= 0, seconds <= Int64.max / 1_000_000 { return .seconds(seconds) }
        throw ValidationError("\(option): '\(text)' is not a duration such as 500ms, 30s, 10m, 24h or 3d")
    }
}
