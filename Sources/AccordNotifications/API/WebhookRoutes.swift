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
            let body = try APICoding.decode(CreateWebhookRequest.self, from: try await RequestBody.json(request, env))
            return try await problems {
                let filter = NotificationFilter(types: try NotificationFilter.parseTypes(body.types ?? []),
                                                processes: try NotificationFilter.parseProcesses(body.processes ?? []))
                let secret = try body.secret.map { text throws(NotificationError) in try WebhookSecret(parsing: text) }
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
            let bytes = try await RequestBody.json(request, env, optional: true)
            let body = bytes.isEmpty ? RotateSecretRequest() : try APICoding.decode(RotateSecretRequest.self, from: bytes)
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
            let query = request.uri.queryParameters
            let status = try query["status"].map { text throws(Problem) -> WebhookDelivery.Status in
                guard let status = WebhookDelivery.Status(rawValue: String(text)) else {
                    throw Problem.badParameter("status", "one of pending, delivered, failed, resend")
                }
                return status
            }
            let before = try query["before"].map { text throws(Problem) -> Int64 in
                guard let value = Int64(String(text)), value >= 0 else { throw Problem.badParameter("before", "a log position ≥ 0") }
                return value
            }
            let limit = try limitParameter(request)
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

    static func id(_ context: AccordRequestContext) throws(NotificationError) -> String {
        guard let id = context.parameters.get("webhook"), !id.isEmpty else { throw .subscriptionNotFound("") }
        return id
    }

    static func limitParameter(_ request: Request) throws(Problem) -> Int {
        try request.uri.queryParameters["limit"].map { text throws(Problem) -> Int in
            guard let value = Int(String(text)), (1...1000).contains(value) else { throw Problem.badParameter("limit", "between 1 and 1000") }
            return value
        } ?? 100
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

/// Reading JSON request bodies for these routes, with the server's size limit.
enum RequestBody {
    static func json(_ request: Request, _ env: APIEnvironment, optional: Bool = false) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: env.configuration.maximumBodyBytes)
        if buffer.readableBytes == 0 && optional { return [] }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else { throw Problem.unsupportedMediaType(request.headers[.contentType]) }
        return Array(buffer.readableBytesView)
    }
}
