import AccordDomain
import AccordEventStore
import AccordNotifications
import AccordService
import ArgumentParser
import Foundation

/// `accord webhook …`: webhook subscriptions, directly in the database like `accord token` (so they can be set
/// up before the first start, and work whichever instance leads). A running server picks changes up within a
/// second. The same operations exist in the API under /v1/webhooks.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Manage webhook subscriptions (signed CloudEvents for quorum notifications).",
        subcommands: [WebhookCreate.self, WebhookList.self, WebhookShow.self, WebhookPause.self, WebhookResume.self, WebhookDelete.self,
                      WebhookRotateSecret.self, WebhookPing.self, WebhookDeliveries.self, WebhookResend.self])
}

/// What every webhook command shares: the database and the target guard.
struct WebhookContext: ParsableArguments {
    @OptionGroup var database: DatabaseOption

    @Flag(name: .customLong("allow-private-webhooks"),
          help: "Allow targets on loopback, private and link-local addresses. [ACCORD_ALLOW_PRIVATE_WEBHOOKS=1]")
    var allowPrivateWebhooks = false

    /// Runs `body` with the webhook operations on the database, then closes it.
    func run<T>(_ body: (WebhookService) async throws -> T) async throws -> T {
        let allowPrivate = try allowPrivateWebhooks || boolVariable("ACCORD_ALLOW_PRIVATE_WEBHOOKS") ?? false
        let service = try await AccordService.open(try database.location())
        let sender = WebhookSender(settings: WebhookClientSettings(allowPrivateTargets: allowPrivate))
        let webhooks = WebhookService(store: WebhookStore(store: service.store, clock: service.clock, guardian: TargetGuard(allowPrivate: allowPrivate)),
                                      sender: sender, signal: PositionSignal())
        do {
            let result = try await body(webhooks)
            await sender.shutdown()
            await service.store.close()
            return result
        } catch {
            await sender.shutdown()
            await service.store.close()
            throw error
        }
    }
}

struct WebhookCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a subscription. Prints its id, then its secret (shown only once).")

    @OptionGroup var context: WebhookContext

    @Option(help: "The target: an http or https URL.")
    var url: String

    @Option(name: .customLong("type"), help: "A notification type to send (repeatable): rule.satisfied, rule.*, ballot.cast, '*'… Default: every type except steps and ballots.")
    var types: [String] = []

    @Option(name: .customLong("process"), help: "Only notifications about this process (repeatable). Default: every process.")
    var processes: [String] = []

    @Option(help: "A note for operators.")
    var description: String?

    @Option(help: "Your own secret (whsec_ + base64 of 24 to 64 bytes). Default: a new random one.")
    var secret: String?

    @Option(name: .customLong("start-after"), help: "Send notifications caused after this log position. Default: from now on.")
    var startAfter: Int64?

    func run() async throws {
        let filter = NotificationFilter(types: try NotificationFilter.parseTypes(types), processes: try NotificationFilter.parseProcesses(processes))
        let given = try secret.map { text throws(NotificationError) in try WebhookSecret(parsing: text) }
        let actor = ActorRef(id: "cli", name: "accord webhook create (\(ProcessInfo.processInfo.environment["USER"] ?? "operator"))")
        let (subscription, issued) = try await context.run { webhooks in
            try await webhooks.create(url: url, description: description, filter: filter, secret: given, startAfter: startAfter, by: actor)
        }
        print(subscription.id)
        print(issued.text)
        printError("webhook \(subscription.id) → \(subscription.url) for \(subscription.effectiveTypes.map(\.rawValue).joined(separator: ", "))"
                   + "; notifications after log position \(subscription.handledThrough); the secret is shown only once")
    }
}

struct WebhookList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List subscriptions.")

    @OptionGroup var context: WebhookContext

    func run() async throws {
        let subscriptions = try await context.run { try await $0.store.subscriptions() }
        for subscription in subscriptions { print(WebhookText.line(subscription)) }
    }
}

struct WebhookShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a subscription and its latest deliveries.")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id (wh-…).")
    var id: String

    func run() async throws {
        let (subscription, deliveries) = try await context.run { webhooks in
            (try await webhooks.store.subscription(id), try await webhooks.store.deliveries(id, status: nil, before: nil, limit: 20))
        }
        print(WebhookText.line(subscription))
        if let description = subscription.description { print("  \(description)") }
        if !subscription.processes.isEmpty { print("  processes: \(subscription.processes.map(\.description).joined(separator: ", "))") }
        for delivery in deliveries { print("  " + WebhookText.line(delivery)) }
    }
}

struct WebhookPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Hold deliveries (notifications wait, nothing is lost).")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    func run() async throws {
        print(WebhookText.line(try await context.run { try await $0.pause(id) }))
    }
}

struct WebhookResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume deliveries (also of a subscription the receiver disabled with 410).")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    func run() async throws {
        print(WebhookText.line(try await context.run { try await $0.resume(id) }))
    }
}

struct WebhookDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a subscription and its delivery log.")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    func run() async throws {
        try await context.run { try await $0.delete(id) }
        print("deleted \(id)")
    }
}

struct WebhookRotateSecret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-secret",
        abstract: "Replace the secret; prints the new one. The old one keeps signing too (a second signature) for the grace period.")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    @Option(name: .customLong("grace"), help: "How long the old secret keeps signing: 0 to 30d. Default: 24h.")
    var grace = "24h"

    func run() async throws {
        let period = try DurationText.parse(grace, option: "--grace")
        let (_, secret) = try await context.run { try await $0.rotateSecret(id, grace: period) }
        print(secret.text)
    }
}

struct WebhookPing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Send a signed test event (org.accord.webhook.ping) now.")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    func run() async throws {
        let attempt = try await context.run { try await $0.ping(id) }
        print(WebhookText.line(attempt))
        guard attempt.outcome == "delivered" else { throw ExitCode(2) }
    }
}

struct WebhookDeliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deliveries", abstract: "List deliveries, newest first, or one delivery's attempts.")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    @Argument(help: "A notification id (webhook-id): show every attempt of that delivery.")
    var notification: String?

    @Option(help: "Only deliveries in this state: pending, delivered, failed or resend.")
    var status: String?

    @Option(help: "At most this many (1 to 1000).")
    var limit = 50

    func run() async throws {
        let wanted = try status.map { text -> WebhookDelivery.Status in
            guard let value = WebhookDelivery.Status(rawValue: text) else { throw ValidationError("--status must be pending, delivered, failed or resend") }
            return value
        }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        if let notification {
            let delivery = try await context.run { try await $0.store.delivery(id, notification: notification) }
            print(WebhookText.line(delivery))
            for attempt in delivery.log ?? [] { print("  " + WebhookText.line(attempt)) }
        } else {
            let deliveries = try await context.run { try await $0.store.deliveries(id, status: wanted, before: nil, limit: limit) }
            for delivery in deliveries { print(WebhookText.line(delivery)) }
        }
    }
}

struct WebhookResend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend", abstract: "Send a failed delivery again (the running server's dispatcher sends it within a second).")

    @OptionGroup var context: WebhookContext

    @Argument(help: "The subscription id.")
    var id: String

    @Argument(help: "The notification id (webhook-id).")
    var notification: String

    func run() async throws {
        print(WebhookText.line(try await context.run { try await $0.resend(id, notification: notification) }))
    }
}

/// One-line renderings for the terminal.
enum WebhookText {
    static func line(_ subscription: WebhookSubscription) -> String {
        "\(subscription.id)  \(subscription.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(subscription.url)  "
            + "[\(subscription.types.map { $0.map(\.rawValue).joined(separator: ",") } ?? "default")]  handled through \(subscription.handledThrough)"
            + (subscription.statusReason.map { "  (\($0))" } ?? "")
    }

    static func line(_ delivery: WebhookDelivery) -> String {
        "\(delivery.notification)  \(delivery.type)  position \(delivery.position)  \(delivery.status.rawValue)  \(delivery.attempts) attempt(s)"
            + (delivery.lastStatusCode.map { "  last HTTP \($0)" } ?? "") + (delivery.lastError.map { "  \($0)" } ?? "")
            + (delivery.nextAttemptAt.map { delivery.status == .pending ? "  next \($0.iso8601)" : "" } ?? "")
    }

    static func line(_ attempt: WebhookDelivery.Attempt) -> String {
        "#\(attempt.attempt) \(attempt.kind) \(attempt.startedAt.iso8601)  \(attempt.outcome)" + (attempt.statusCode.map { "  HTTP \($0)" } ?? "")
            + "  \(attempt.latencyMicroseconds / 1000) ms" + (attempt.error.map { "  \($0)" } ?? "")
            + (attempt.response.map { "  «\($0.prefix(80))»" } ?? "")
    }
}
