import AccordDomain
import AccordHTTP
import AccordService
import HTTPTypes
import Hummingbird
import Foundation
import NIOCore

struct CreateWebhookRequest: Codable, Sendable {
    var url: String
    var description: String?
    /// Notification types (`rule.satisfied`, `rule.*`, `*`); absent: every type except steps and ballots.
    var types: [String]?
    /// Process ids; absent: every process.
    var processes: [String]?
    /// A `whsec_…` secret of your own; absent: one is generated.
    var secret: String?
    /// Send notifications caused after this log position; absent: from now on.
    var startAfter: Int64?
}

struct RotateSecretRequest: Codable, Sendable {
    /// How long the previous secret keeps signing too (default 86400, at most 30 days; 0: not at all).
    var graceSeconds: Int64?
}

struct WebhookWithSecret: Codable, Sendable {
    var webhook: WebhookSubscription
    /// Shown only in this answer.
    var secret: String
}

struct WebhookList: Codable, Sendable {
    var webhooks: [WebhookSubscription]
}

struct DeliveryList: Codable, Sendable {
    var deliveries: [WebhookDelivery]
    /// Pass as `before` for the next (older) page; absent at the end.
    var next: Int64?
}

/// `/v1/webhooks…`: webhook subscriptions, for admins. Every change takes effect on the leader at once (same
/// instance) or within a second (another instance).
enum WebhookRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment, webhooks: WebhookService) {
        let api = Endpoints(router: router)

        api.get("v1/webhooks") { _, context in
            try requireAdmin(context)
            return try await problems { Response.json(WebhookList(webhooks: try await webhooks.store.subscriptions())) }
        }
        api.post("v1/webhooks") { request, context in
            let principal = try requireAdmin(context)
            let (body, _) = try await env.decode(CreateWebhookRequest.self, request)
            return try await problems {
                let filter = NotificationFilter(types: try NotificationFilter.parseTypes(body.types ?? []),
                                                processes: try NotificationFilter.parseProcesses(body.processes ?? []))
                var secret: WebhookSecret?
                if let text = body.secret { secret = try WebhookSecret(parsing: text) }
                let (webhook, issued) = try await webhooks.create(url: body.url, description: body.description, filter: filter, secret: secret,
                                                                  startAfter: body.startAfter, by: principal.actor)
                var headers = HTTPFields()
                headers[.location] = "/v1/webhooks/\(webhook.id)"
                headers[.cacheControl] = "no-store"
                return Response.json(WebhookWithSecret(webhook: webhook, secret: issued.text), status: .created, headers: headers)
            }
        }
        api.get("v1/webhooks/:webhook") { _, context in
            try requireAdmin(context)
            return try await problems { Response.json(try await webhooks.store.subscription(try id(context))) }
        }
        api.delete("v1/webhooks/:webhook") { _, context in
            try requireAdmin(context)
            return try await problems {
                try await webhooks.delete(try id(context))
                return Response(status: .noContent)
            }
        }
        api.post("v1/webhooks/:webhook/pause") { _, context in
            try requireAdmin(context)
            return try await problems { Response.json(try await webhooks.pause(try id(context))) }
        }
        api.post("v1/webhooks/:webhook/resume") { _, context in
            try requireAdmin(context)
            return try await problems { Response.json(try await webhooks.resume(try id(context))) }
        }
        api.post("v1/webhooks/:webhook/rotate-secret") { request, context in
            try requireAdmin(context)
            // The body is optional: no body, no Content-Type, the defaults.
            let body = request.headers[.contentType] == nil ? RotateSecretRequest() : try await env.decode(RotateSecretRequest.self, request).0
            return try await problems {
                let (webhook, secret) = try await webhooks.rotateSecret(try id(context), grace: .seconds(body.graceSeconds ?? 86_400))
                var headers = HTTPFields()
                headers[.cacheControl] = "no-store"
                return Response.json(WebhookWithSecret(webhook: webhook, secret: secret.text), headers: headers)
            }
        }
        api.post("v1/webhooks/:webhook/ping") { _, context in
            try requireAdmin(context)
            return try await problems { Response.json(try await webhooks.ping(try id(context))) }
        }
        api.get("v1/webhooks/:webhook/deliveries") { request, context in
            try requireAdmin(context)
            let status = try env.query(request, "status", "one of pending, delivered, failed, resend", WebhookDelivery.Status.init(rawValue:))
            let before = try env.query(request, "before", "a log position ≥ 0") { Int64($0).flatMap { $0 >= 0 ? $0 : nil } }
            let limit = try limitParameter(request, env)
            return try await problems {
                let deliveries = try await webhooks.store.deliveries(try id(context), status: status, before: before, limit: limit)
                return Response.json(DeliveryList(deliveries: deliveries, next: deliveries.count == limit ? deliveries.last?.position : nil))
            }
        }
        api.get("v1/webhooks/:webhook/deliveries/:notification") { _, context in
            try requireAdmin(context)
            return try await problems {
                Response.json(try await webhooks.store.delivery(try id(context), notification: context.parameters.get("notification") ?? ""))
            }
        }
        api.post("v1/webhooks/:webhook/deliveries/:notification/resend") { _, context in
            try requireAdmin(context)
            return try await problems {
                let delivery = try await webhooks.resend(try id(context), notification: context.parameters.get("notification") ?? "")
                return Response.json(delivery, status: .accepted)
            }
        }
    }

    @discardableResult
    static func requireAdmin(_ context: AccordRequestContext) throws -> Principal {
        let principal = try context.requirePrincipal()
        guard principal.account.role == .admin else {
            throw ServiceError.forbidden("the \(principal.account.role.rawValue) account '\(principal.account.name)' may not manage webhooks (admins only)")
        }
        return principal
    }

    static func id(_ context: AccordRequestContext) throws -> String {
        guard let id = context.parameters.get("webhook"), !id.isEmpty else { throw NotificationError.subscriptionNotFound("") }
        return id
    }

    static func limitParameter(_ request: Request, _ env: APIEnvironment) throws -> Int {
        try env.query(request, "limit", "between 1 and 1000") { Int($0).flatMap { (1...1000).contains($0) ? $0 : nil } } ?? 100
    }

    /// Runs `body`, answering notification errors with their problem type.
    static func problems(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as NotificationError {
            throw error.problem
        }
    }
}

extension NotificationError {
    /// The problem type a caller gets.
    public var problem: Problem {
        switch self {
        case .unknownType, .invalidValue:
            Problem("invalid-request", status: .unprocessableContent, detail: description)
        case .targetNotAllowed:
            Problem("webhook-target-not-allowed", status: .unprocessableContent, detail: description)
        case .subscriptionNotFound, .deliveryNotFound:
            Problem("not-found", status: .notFound, detail: description)
        case .notResendable:
            Problem("delivery-not-resendable", status: .conflict, detail: description)
        }
    }
}
