import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import Hummingbird

struct NotificationPage: Encodable, Sendable {
    /// The CloudEvents, as sent to webhooks.
    var notifications: [JSONValue]
    /// Pass as `after` for the next page; absent when the page reached the newest notification.
    var next: Int64?
    /// The log position up to which notifications have been produced.
    var producedThrough: Int64
}

/// `GET /v1/notifications`: the outbox by log position, with the stream's filters; for polling clients and
/// for checking what a subscription should have received.
enum NotificationRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment, hub: NotificationHub) {
        Endpoints(router: router).get("v1/notifications") { request, context in
            _ = try env.reader(context)
            let filter = try RequestFilters.filter(request)
            let after = try env.query(request, "after", "a log position ≥ 0") { Int64($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 0
            let limit = try WebhookRoutes.limitParameter(request, env)
            var cursor = NotificationHub.Cursor.after(position: after)
            var found: [StoredNotification] = []
            var reachedEnd = false
            // Whole groups, until `limit` notifications match or the outbox ends.
            while found.count < limit {
                let page = try await NotificationHub.completeGroups(hub.read(after: cursor, limit: 500), limit: 500, store: env.service.store)
                guard let last = page.last else {
                    reachedEnd = true
                    break
                }
                found += page.filter { filter.matches(type: $0.type, process: $0.process) }
                cursor = NotificationHub.Cursor(position: last.position, ordinal: last.ordinal)
            }
            var next: Int64? = reachedEnd ? nil : cursor.position
            if found.count > limit {
                // A page ends with a whole position, so that `next` loses nothing.
                let cut = found[limit - 1].position
                found = found.filter { $0.position <= cut }
                next = cut
            }
            let produced = try await ProjectionRunner.checkpoint(of: NotifierState.checkpointName, in: env.service.store.database)
            let events = found.compactMap { try? APICoding.decode(JSONValue.self, from: $0.body) }
            return Response.json(NotificationPage(notifications: events, next: next, producedThrough: produced))
        }
    }
}
