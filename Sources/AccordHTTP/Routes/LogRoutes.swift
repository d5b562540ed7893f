import AccordDomain
import AccordEventStore
import AccordService
import Foundation
import HTTPTypes
import Hummingbird

/// One event of the global log, as the API shows it.
struct LogEvent: Codable, Sendable {
    var position: Int64
    var id: String
    var stream: String
    var streamVersion: Int64
    var type: String
    var schemaVersion: Int32
    var payload: JSONValue
    var actor: ActorRef
    var correlationId: String?
    var causationId: String?
    var occurredAt: Instant
    var recordedAt: Instant
    var payloadHash: String
    var previousHash: String
    var chainHash: String

    init(_ e: RecordedEvent) {
        position = e.position
        id = e.id.lowercaseText
        stream = e.stream.rawValue
        streamVersion = e.streamVersion
        type = e.type
        schemaVersion = e.schemaVersion
        payload = (try? APICoding.decode(JSONValue.self, from: e.payload.bytes)) ?? .object([:])
        actor = ActorRef(id: e.actor.id, name: e.actor.name)
        correlationId = e.correlationId?.lowercaseText
        causationId = e.causationId?.lowercaseText
        occurredAt = e.occurredAt
        recordedAt = e.recordedAt
        payloadHash = e.payloadHash.hex
        previousHash = e.previousChainHash.hex
        chainHash = e.chainHash.hex
    }
}

struct LogPage: Codable, Sendable {
    var events: [LogEvent]
    /// Pass as `after` for the next page; null when the page reached the head.
    var next: Int64?
    var head: Int64
}

/// The global log by position, in pages.
enum LogRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        Endpoints(router: router).get("v1/events") { request, context in
            _ = try env.reader(context)
            let after = try env.query(request, "after", "a log position ≥ 0") { Int64($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 0
            let limit = try env.query(request, "limit", "a number between 1 and 1000") { Int($0).flatMap { (1...1000).contains($0) ? $0 : nil } } ?? 100
            let events = try await env.service.store.readAll(after: after, limit: limit)
            let head = try await env.service.store.headPosition()
            let next = events.count == limit ? events.last?.position : nil
            return Response.json(LogPage(events: events.map(LogEvent.init), next: next, head: head))
        }
    }
}
