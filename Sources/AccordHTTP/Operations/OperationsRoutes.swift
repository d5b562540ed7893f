import AccordEventStore
import AccordSchema
import AccordService
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

struct ReadinessReply: Codable, Sendable {
    var status: String
    var database: String
    var schemaVersion: Int
    var logPosition: Int64
    var headPosition: Int64
    var undecodableEvents: Int
}

/// Health, readiness, metrics, the API contract and the problem catalogue.
enum OperationsRoutes {
    static let paths: Set<String> = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/problems"]

    /// The endpoints that never look at a token.
    static func isOperationsPath(_ path: String) -> Bool {
        paths.contains(path) || path.hasPrefix("/problems/")
    }

    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        let api = Endpoints(router: router)
        api.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }

        api.get("readyz") { _, _ in
            do {
                let head = try await env.service.store.headPosition()
                let version = try await env.service.store.database.read { conn in
                    try conn.query("SELECT max(version) FROM accord_schema_migrations").first?.optionalInt(0) ?? 0
                }
                let supported = AccordSchema.migrations(for: env.service.store.database.dialect == .sqlite ? .sqlite : .postgres).count
                let undecodable = await env.service.log.undecodable.count
                let ready = Int(version) == supported && undecodable == 0
                return Response.json(
                    ReadinessReply(status: ready ? "ready" : "not ready", database: "reachable", schemaVersion: Int(version),
                                   logPosition: await env.service.log.position, headPosition: head, undecodableEvents: undecodable),
                    status: ready ? .ok : .serviceUnavailable)
            } catch {
                throw Problem("unavailable", status: .serviceUnavailable, detail: "the database is not reachable: \(error)", headers: [.retryAfter: "2"])
            }
        }

        api.get("metrics") { _, _ in
            let head = (try? await env.service.store.headPosition()) ?? 0
            let registry = env.metrics.registry
            registry.makeGauge(name: "accord_log_head_position", help: "Position of the last event in the log").set(Int64(head))
            registry.makeGauge(name: "accord_projection_lag_events", labels: [("projection", "domain-log")], help: "Events a projection is behind the log")
                .set(Int64(head - (await env.service.log.position)))
            registry.makeGauge(name: "accord_projection_lag_events", labels: [("projection", "event-index")], help: "Events a projection is behind the log")
                .set(Int64(head - (await env.service.eventIndex.position)))
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }

        api.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: AccordSchema.openAPI)))
        }

        api.get("problems") { _, _ in Response.json(ListReply(items: ProblemCatalogue.all)) }
        api.get("problems/:code") { _, context in
            guard let entry = ProblemCatalogue.entry(context.parameters.get("code") ?? "") else {
                throw Problem("not-found", status: .notFound, detail: "no such problem type")
            }
            return Response.json(entry)
        }
    }
}
