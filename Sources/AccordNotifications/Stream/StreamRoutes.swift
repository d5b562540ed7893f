import AccordEventStore
import AccordHTTP
import AccordService
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /v1/stream`: notifications as Server-Sent Events, with the webhook filters (`types`, `process`).
/// Each event is `event: <type>` and `data: <CloudEvent>`; the last event of a log position carries
/// `id: <position>`, so a reconnecting client's `Last-Event-ID` (header, or `?lastEventId=`) resumes after the
/// last position it received completely. Comments (`: heartbeat`) keep the connection open.
enum StreamRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment, hub: NotificationHub) {
        Endpoints(router: router).get("v1/stream") { request, context in
            _ = try env.reader(context)
            let filter = try RequestFilters.filter(request)
            var start = try await hub.head()
            // No typed-throws closures in async handlers: swift-frontend 6.3.1 crashes splitting them in -O.
            let header = request.headers[.lastEventID]
            if let text = header ?? request.uri.queryParameters["lastEventId"].map(String.init) {
                guard let position = Int64(text.trimmingCharacters(in: .whitespaces)), position >= 0 else {
                    throw Problem.badParameter(header == nil ? "lastEventId" : "Last-Event-ID", "'\(text)' is not a log position")
                }
                start = NotificationHub.Cursor.after(position: position)
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-store"
            // Tells nginx (and compatible proxies) not to buffer the stream.
            headers[.xAccelBuffering] = "no"
            let cursor = start
            let retry = env.configuration.requestTimeout
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                // A server shutting down ends every stream, so that the HTTP server's graceful shutdown does not
                // wait for them for ever. A client that left is noticed at the next write (an event or the next
                // heartbeat): watching the inbound side as well costs three tasks per client, a third of its memory.
                try await withGracefulShutdownHandler {
                    var stream = EventStreamWriter(hub: hub, store: env.service.store, filter: filter, cursor: cursor)
                    try await stream.run(&writer, retryMilliseconds: min(Int64(retry.components.seconds) * 1000, 3000))
                } onGracefulShutdown: {
                    hub.close()
                }
                try await writer.finish(nil)
            })
        }
    }
}

/// One client's stream: catch up from its cursor (from the hub's memory, or the database when it is older),
/// then wait on the hub.
struct EventStreamWriter {
    let hub: NotificationHub
    let store: any EventStore
    let filter: NotificationFilter
    var cursor: NotificationHub.Cursor

    init(hub: NotificationHub, store: any EventStore, filter: NotificationFilter, cursor: NotificationHub.Cursor) {
        self.hub = hub
        self.store = store
        self.filter = filter
        self.cursor = cursor
    }

    mutating func run(_ writer: inout any ResponseBodyWriter, retryMilliseconds: Int64) async throws {
        try await writer.write(ByteBuffer(string: "retry: \(retryMilliseconds)\n: accord notifications\n\n"))
        while !Task.isCancelled {
            switch hub.next(after: cursor, limit: 200) {
            case .closed:
                return
            case .notifications(let batch):
                try await send(batch, to: &writer)
            case .behind:
                let page = try await NotificationHub.completeGroups(hub.read(after: cursor, limit: 200), limit: 200, store: store)
                if page.isEmpty {
                    // Nothing newer in the database than the hub's floor: the hub will have it.
                    cursor = max(cursor, try await hub.head())
                } else {
                    try await send(page, to: &writer)
                }
            case .upToDate:
                switch await hub.wait(after: cursor) {
                case .closed: return
                case .heartbeat: try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                case .news: break
                }
            }
        }
    }

    /// Writes the notifications the filter lets through; the last one of each position carries the position
    /// as its id. Groups are whole (the hub never splits one), so "last in this batch" is "last of the position".
    private mutating func send(_ batch: [StoredNotification], to writer: inout any ResponseBodyWriter) async throws {
        let wanted = batch.filter { filter.matches(type: $0.type, process: $0.process) }
        var buffer = ByteBuffer()
        for (index, notification) in wanted.enumerated() {
            buffer.writeString("event: \(notification.type.rawValue)\ndata: ")
            buffer.writeBytes(notification.body)
            buffer.writeString("\n")
            if index == wanted.count - 1 || wanted[index + 1].position != notification.position {
                buffer.writeString("id: \(notification.position)\n")
            }
            buffer.writeString("\n")
        }
        if buffer.readableBytes > 0 { try await writer.write(buffer) }
        if let last = batch.last { cursor = NotificationHub.Cursor(position: last.position, ordinal: last.ordinal) }
    }
}

/// The `types` and `process` query parameters shared by the stream and the notification list.
enum RequestFilters {
    static func filter(_ request: Request) throws -> NotificationFilter {
        let query = request.uri.queryParameters
        do {
            let types = try NotificationFilter.parseTypes(query[values: "types"].map(String.init))
            let processes = try NotificationFilter.parseProcesses(query[values: "process"].map(String.init))
            return NotificationFilter(types: types, processes: processes)
        } catch {
            throw Problem.badParameter(error.isAboutProcess ? "process" : "types", error.description)
        }
    }
}

extension NotificationError {
    var isAboutProcess: Bool {
        if case .invalidValue(let field, _) = self { return field == "process" }
        return false
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
