import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordSchema
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Logging
import Testing

/// Health, readiness, metrics, the served contract and problem catalogue, request ids and logs, unknown
/// routes, and the rate limit on failed authentication.
@Suite("Operations")
struct OperationsTests {
    @Test("healthz answers; readyz reports the schema and log positions, and 503 once the database is gone", arguments: Backend.allCases)
    func healthAndReadiness(_ backend: Backend) async throws {
        try await withAPI(backend, demo: false) { api in
            let health = try await api.get("/healthz", as: .anonymous)
            #expect(health.status == .ok)
            #expect(health.text == "ok\n")
            let ready = try await api.get("/readyz", as: .anonymous)
            #expect(ready.status == .ok)
            #expect(ready.json["status"]?.string == "ready")
            #expect(ready.json["schemaVersion"]?.int == Int64(AccordSchema.migrations(for: backend == .sqlite ? .sqlite : .postgres).count))
            #expect(ready.json["headPosition"]?.int == (try await api.logHead()))
            await api.service.store.close()
            let gone = try await api.get("/readyz", as: .anonymous)
            #expect(gone.status == .serviceUnavailable)
            #expect(gone.problem == "unavailable")
            #expect(gone["Retry-After"] == "2")
        }
    }

    @Test("metrics in Prometheus format: requests by route and status with latencies, appends, projection lag")
    func metrics() async throws {
        try await withAPI(.sqlite) { api in
            _ = try await api.post("/v1/processes/\(Demo.forceGeneration)/steps", #"{"party":"DE","stage":"government-decision"}"#)
            _ = try await api.get("/v1/processes/\(Demo.forceGeneration)/results")
            _ = try await api.get("/v1/processes/\(ProcessID())/results")
            let response = try await api.get("/metrics", as: .anonymous)
            #expect(response.status == .ok)
            #expect(response.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.text
            let expected = [
                #"hb_requests{http_route="/v1/processes/{process}/steps",http_request_method="POST",http_response_status_code="201"}"#,
                #"hb_requests{http_route="/v1/processes/{process}/results",http_request_method="GET",http_response_status_code="404"}"#,
                #"http_server_request_duration_bucket{http_route="/v1/processes/{process}/results",http_request_method="GET",http_response_status_code="200",le="0.005"}"#,
                #"accord_appends_total{aggregate="process"}"#,
                #"accord_appended_events_total{aggregate="process"}"#,
                #"accord_append_duration_seconds_count{aggregate="process"}"#,
                #"accord_projection_lag_events{projection="domain-log"} 0"#,
                #"accord_projection_lag_events{projection="event-index"}"#,
                "accord_log_head_position \(try await api.logHead())",
            ]
            for line in expected { #expect(text.contains(line), "\(line) is missing from /metrics") }
        }
    }

    @Test("the served contract is the embedded document; the problem catalogue and each type are served")
    func contractAndCatalogue() async throws {
        try await withAPI(.sqlite, demo: false) { api in
            let document = try await api.get("/openapi.json", as: .anonymous)
            #expect(document.body == AccordSchema.openAPI)
            let list = try await api.get("/problems", as: .anonymous).json["items"]?.array ?? []
            #expect(list.count == ProblemCatalogue.all.count)
            for entry in ProblemCatalogue.all {
                let served = try await api.get("/problems/\(entry.code)", as: .anonymous)
                #expect(served.json["title"]?.string == entry.title)
                #expect(served.json["status"]?.int == Int64(entry.status))
            }
            #expect(try await api.get("/problems/no-such-problem").problem == "not-found")
        }
    }

    @Test("unknown paths are 404 problems; a known path with another method is 405 with Allow")
    func unknownRoutes() async throws {
        try await withAPI(.sqlite, demo: false) { api in
            let missing = try await api.get("/v2/processes")
            #expect(missing.status == .notFound)
            #expect(missing.json["instance"]?.string == "/v2/processes")
            let wrongMethod = try await api.request(.put, "/v1/processes/\(ProcessID())/steps", json: "{}")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod["Allow"] == "POST")
            #expect(try await api.request(.delete, "/v1/processes").headers[.allow] == "GET, POST")
        }
    }

    @Test("every response carries its request id, and the server logs each request under it")
    func requestIDsAndLogs() async throws {
        let capture = LogCapture()
        try await withAPI(.sqlite, logger: capture.logger) { api in
            let read = try await api.get("/v1/processes?status=open")
            let refused = try await api.post("/v1/processes/\(Demo.forceGeneration)/steps", #"{"party":"DE","stage":"ready"}"#)
            let readID = try #require(read["X-Request-Id"])
            let refusedID = try #require(refused["X-Request-Id"])
            #expect(readID != refusedID)
            #expect(refused.json["requestId"]?.string == refusedID)
            let lines = capture.lines.filter { $0.message == "request" }
            let readLine = lines.first { $0.metadata["hb.request.id"] == readID }
            #expect(readLine?.metadata["path"] == "/v1/processes")
            #expect(readLine?.metadata["method"] == "GET")
            #expect(readLine?.metadata["status"] == "200")
            #expect(readLine?.level == .info)
            #expect(Int(readLine?.metadata["durationUs"] ?? "") != nil)
            #expect(lines.first { $0.metadata["hb.request.id"] == refusedID }?.metadata["status"] == "422")
            #expect(capture.lines.contains { $0.message == "request refused" && $0.metadata["problem"] == "stage-out-of-order" })
            _ = try await api.get("/healthz", as: .anonymous)
            #expect(capture.lines.last { $0.message == "request" }?.level == .debug, "probes log at debug level")
        }
    }

    @Test("failed authentication is logged and, past the limit, answered 429 with Retry-After for that address", arguments: Backend.allCases)
    func failedAuthenticationIsRateLimited(_ backend: Backend) async throws {
        let capture = LogCapture()
        try await withAPI(backend, demo: false, configuration: ServerConfiguration(authenticationFailureLimit: 3), logger: capture.logger) { api in
            for _ in 0..<3 {
                let wrong = try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer accord_guessing"])
                #expect(wrong.status == .unauthorized)
            }
            #expect(capture.lines.filter { $0.message == "authentication failed" }.count == 3)
            #expect(capture.lines.first { $0.message == "authentication failed" }?.metadata["remote"] != nil)
            let blocked = try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer accord_guessing"])
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.problem == "too-many-requests")
            let wait = try #require(blocked["Retry-After"].flatMap(Int.init))
            #expect((1...60).contains(wait))
            #expect(blocked.json["retryAfter"]?.int == Int64(wait))
            // While blocked, even a valid token from that address waits; anonymous reads still answer.
            #expect(try await api.get("/v1/me", as: .admin).status == .tooManyRequests)
            #expect(try await api.get("/v1/parties", as: .anonymous).status == .ok)
        }
    }
}
