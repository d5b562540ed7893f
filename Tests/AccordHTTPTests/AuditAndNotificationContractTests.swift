import AccordAudit
import AccordDomain
import AccordHTTP
import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Testing

/// The step batch, the audit routes and the notification routes against `schema/openapi.json`: every response
/// here is validated against the document by `API.request` (status, media type, body), and every accepted
/// request body against the documented request schema.
@Suite("OpenAPI contract: batch, audit and notification routes")
struct AuditAndNotificationContractTests {
    static let force = "/v1/processes/\(Demo.forceGeneration)"

    @Test("a step batch is recorded as one unit; a refused step is named by its index and nothing is recorded", arguments: Backend.allCases)
    func stepBatch(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let batch = "\(Self.force)/steps/batch"
            let steps = #"{"steps":[{"party":"DE","stage":"government-decision","note":"Cabinet"},{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1200}}}]}"#
            let recorded = try await api.post(batch, steps, as: .secretariat, headers: ["Idempotency-Key": "batch-1"])
            #expect(recorded.status == .created, "\(recorded.text)")
            #expect(recorded.json["recorded"]?.array?.count == 2)
            #expect(recorded["ETag"] != nil)
            let replayed = try await api.post(batch, steps, as: .secretariat, headers: ["Idempotency-Key": "batch-1"])
            #expect(replayed.status == .created)
            #expect(replayed["Idempotent-Replayed"] == "true")

            let head = try await api.logHead()
            let refused = try await api.post(batch, #"{"steps":[{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1300}}},{"party":"DE","stage":"no-such-stage"}]}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.problem == "unknown-stage")
            #expect(refused.json["index"] == .integer(1))
            #expect(refused.json["detail"]?.string?.hasPrefix("steps[1] (DE no-such-stage): ") == true, "\(refused.text)")

            let otherParty = try await api.post(batch, #"{"steps":[{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1300}}},{"party":"FR","stage":"ready"}]}"#,
                                                as: .delegateDE)
            #expect(otherParty.status == .forbidden)
            #expect(otherParty.json["index"] == .integer(1))

            #expect(try await api.post(batch, #"{"steps":[]}"#).problem == "malformed-request")
            #expect(try await api.post(batch, #"{"steps":[{"party":"DE","stage":"pledged","troops":3}]}"#).problem == "malformed-request")
            #expect(try await api.post(batch, steps, as: .observer).status == .forbidden)
            #expect(try await api.post(batch, steps, as: .anonymous).status == .unauthorized)
            #expect(try await api.post("/v1/processes/\(ProcessID())/steps/batch", steps).status == .notFound)
            #expect(try await api.logHead() == head, "a refused batch recorded something")
        }
    }

    @Test("the audit routes: keys, checkpoints, exports, redaction and the process report")
    func auditRoutes() async throws {
        try await withAPI(.sqlite, modules: true) { api in
            let audit = try #require(api.modules).audit
            try await audit.start()

            let keys = try await api.get("/v1/audit/keys", as: .anonymous)
            #expect(keys.status == .ok)
            #expect(keys.json["keys"]?.array?.count == 1)

            #expect(try await api.post("/v1/audit/checkpoints", nil, as: .anonymous).status == .unauthorized)
            #expect(try await api.post("/v1/audit/checkpoints", nil, as: .observer).status == .forbidden)
            let checkpoint = try await api.post("/v1/audit/checkpoints", nil, as: .auditor)
            #expect(checkpoint.status == .created, "\(checkpoint.text)")
            let checkpoints = try await api.get("/v1/audit/checkpoints?limit=1", as: .observer)
            #expect(checkpoints.json["checkpoints"]?.array?.count == 1)
            #expect(checkpoints.json["next"] != nil)
            #expect(try await api.get("/v1/audit/checkpoints?after=1").json["checkpoints"]?.array?.count == 0)
            #expect(try await api.get("/v1/audit/checkpoints?limit=0").problem == "invalid-parameter")

            let jsonLines = try await api.get("/v1/audit/export?from=1&to=5", as: .auditor)
            #expect(jsonLines.status == .ok)
            #expect(jsonLines.contentType == "application/x-ndjson")
            #expect(jsonLines.text.split(separator: "\n").count == 7, "header, five events, checkpoint")
            let csv = try await api.get("/v1/audit/export?format=csv&party=DE", as: .secretariat)
            #expect(csv.status == .ok)
            #expect(csv.text.hasPrefix("process_id,"))
            #expect(try await api.get("/v1/audit/export?format=xml", as: .auditor).problem == "invalid-parameter")
            #expect(try await api.get("/v1/audit/export?from=9&to=3", as: .auditor).problem == "invalid-parameter")
            #expect(try await api.get("/v1/audit/export", as: .observer).status == .forbidden)
            #expect(try await api.get("/v1/audit/export", as: .anonymous).status == .unauthorized)

            let report = try await api.get("\(Self.force)/report?asOf=2025-10-01", as: .anonymous)
            #expect(report.status == .ok)
            #expect(report.text.contains("<html"))
            #expect(try await api.get("/v1/processes/\(ProcessID())/report").status == .notFound)
            #expect(try await api.get("\(Self.force)/report?asOf=soon").problem == "invalid-parameter")

            let step = try await api.post("\(Self.force)/steps", #"{"party":"DE","stage":"government-decision","note":"Called Jane Roe"}"#)
            let position = try #require(step.json["recorded"]?[0]?["position"]?.int)
            let redaction = #"{"position":\#(position),"paths":["/step/note"],"reason":"names a private person"}"#
            #expect(try await api.post("/v1/audit/redactions", redaction, as: .secretariat).status == .forbidden)
            let redacted = try await api.post("/v1/audit/redactions", redaction)
            #expect(redacted.status == .created, "\(redacted.text)")
            #expect(redacted.json["position"]?.int == position)
            let again = try await api.post("/v1/audit/redactions", redaction)
            #expect(again.status == .unprocessableContent)
            #expect(try await api.post("/v1/audit/redactions", #"{"position":\#(position),"paths":["/step/party"],"reason":"x"}"#).problem == "invalid-request")
            #expect(try await api.post("/v1/audit/redactions", #"{"position":999999,"paths":["/step/note"],"reason":"x"}"#).status == .notFound)
            #expect(try await api.post("/v1/audit/redactions", #"{"position":1,"paths":["/step/note"],"reason":"x","why":"y"}"#).problem == "malformed-request")
        }
    }

    @Test("the notification routes: webhooks (admins only), deliveries, the outbox")
    func notificationRoutes() async throws {
        try await withAPI(.sqlite, modules: true) { api in
            let notifications = try #require(api.modules).notifications
            try await notifications.settle()

            let page = try await api.get("/v1/notifications?limit=1", as: .anonymous)
            #expect(page.status == .ok)
            #expect((page.json["notifications"]?.array?.count ?? 0) > 0, "the demo produces notifications")
            let next = try #require(page.json["next"]?.int)
            #expect(try await api.get("/v1/notifications?after=\(next)&types=*").status == .ok)
            #expect(try await api.get("/v1/notifications?types=rule.*&process=\(Demo.forceGeneration)").status == .ok)
            #expect(try await api.get("/v1/notifications?types=nonsense").problem == "invalid-parameter")
            #expect(try await api.get("/v1/stream?types=nonsense").problem == "invalid-parameter")
            let badQuery = try await api.get("/v1/stream?lastEventId=yesterday")
            #expect(badQuery.problem == "invalid-parameter")
            #expect(badQuery.json["parameter"]?.string == "lastEventId")
            let badHeader = try await api.get("/v1/stream", headers: ["Last-Event-ID": "yesterday"])
            #expect(badHeader.json["parameter"]?.string == "Last-Event-ID")

            let body = #"{"url":"http://127.0.0.1:9/hook","description":"Contract test","types":["rule.*","deadline.passed"],"processes":["\#(Demo.forceGeneration)"]}"#
            #expect(try await api.post("/v1/webhooks", body, as: .anonymous).status == .unauthorized)
            #expect(try await api.post("/v1/webhooks", body, as: .secretariat).status == .forbidden)
            let created = try await api.post("/v1/webhooks", body)
            #expect(created.status == .created, "\(created.text)")
            #expect(created["Cache-Control"] == "no-store")
            let id = try #require(created.json["webhook"]?["id"]?.string)
            #expect(created["Location"] == "/v1/webhooks/\(id)")

            #expect(try await api.post("/v1/webhooks", #"{"url":"http://user:secret@127.0.0.1:9/hook"}"#).problem == "webhook-target-not-allowed")
            #expect(try await api.post("/v1/webhooks", #"{"url":"ftp://127.0.0.1/hook"}"#).problem == "webhook-target-not-allowed")
            #expect(try await api.post("/v1/webhooks", #"{"url":"http://127.0.0.1:9/hook","types":["rule.won"]}"#).problem == "invalid-request")
            #expect(try await api.post("/v1/webhooks", #"{"url":"http://127.0.0.1:9/hook","colour":"red"}"#).problem == "malformed-request")

            #expect(try await api.get("/v1/webhooks").json["webhooks"]?.array?.count == 1)
            #expect(try await api.get("/v1/webhooks", as: .auditor).status == .forbidden)
            #expect(try await api.get("/v1/webhooks/\(id)").json["status"] == .string("active"))
            #expect(try await api.post("/v1/webhooks/\(id)/pause", nil).json["status"] == .string("paused"))
            #expect(try await api.post("/v1/webhooks/\(id)/resume", nil).json["status"] == .string("active"))
            let rotated = try await api.post("/v1/webhooks/\(id)/rotate-secret", nil)
            #expect(rotated.status == .ok)
            #expect(rotated.json["secret"]?.string?.hasPrefix("whsec_") == true)
            #expect(try await api.post("/v1/webhooks/\(id)/rotate-secret", #"{"graceSeconds":60}"#).status == .ok)
            #expect(try await api.post("/v1/webhooks/\(id)/rotate-secret", #"{"graceSeconds":99999999}"#).problem == "invalid-request")
            let ping = try await api.post("/v1/webhooks/\(id)/ping", nil)
            #expect(ping.status == .ok)
            #expect(ping.json["kind"] == .string("ping"))

            #expect(try await api.get("/v1/webhooks/\(id)/deliveries?status=failed&limit=10").json["deliveries"] == .array([]))
            #expect(try await api.get("/v1/webhooks/\(id)/deliveries?status=lost").problem == "invalid-parameter")
            #expect(try await api.get("/v1/webhooks/\(id)/deliveries/\(UUID())").status == .notFound)
            #expect(try await api.post("/v1/webhooks/\(id)/deliveries/\(UUID())/resend", nil).status == .notFound)

            #expect(try await api.request(.delete, "/v1/webhooks/\(id)").status == .noContent)
            #expect(try await api.get("/v1/webhooks/\(id)").status == .notFound)
            #expect(try await api.post("/v1/webhooks/\(id)/pause", nil).status == .notFound)
        }
    }
}
