import AccordAudit
import AccordAuditHTTP
import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Audit API")
struct AuditRoutesTests {
    /// A bearer header for a new account of `role`.
    func token(_ audit: AuditService, _ role: Role) async throws -> HTTPFields {
        let actor = ActorRef(id: "test", name: "Test")
        let account = try await audit.service.accounts.createAccount(name: "\(role.rawValue) \(UUID())", role: role, parties: [], by: actor)
        let issued = try await audit.service.accounts.issueToken(for: account, name: "test", expiresAt: nil, by: actor)
        return [.authorization: "Bearer \(issued.secret)"]
    }

    func withApp(_ backend: Backend, _ body: @escaping @Sendable (AuditService, any TestClientProtocol) async throws -> Void) async throws {
        try await withAudit(backend) { audit in
            let router = AccordServer.makeRouter(service: audit.service, configuration: ServerConfiguration(), extraRoutes: [AuditRoutes.installer(audit)])
            try await Application(router: router).test(.router) { client in try await body(audit, client) }
        }
    }

    @Test("an auditor downloads a JSON Lines export that verifies; others may not", arguments: Backend.allCases)
    func export(_ backend: Backend) async throws {
        try await withApp(backend) { audit, client in
            let auditor = try await token(audit, .auditor)
            let bytes = try await client.execute(uri: "/v1/audit/export", method: .get, headers: auditor) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/x-ndjson")
                return Array(response.body.readableBytesView)
            }
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: bytes))
            let head = try await audit.service.store.headPosition()
            #expect(summary.events == head)

            let partial = try await client.execute(uri: "/v1/audit/export?from=5&to=9&format=jsonl", method: .get, headers: auditor) {
                Array($0.body.readableBytesView)
            }
            #expect(lines(partial).count == 5 + 2)

            try await client.execute(uri: "/v1/audit/export", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/audit/export", method: .get, headers: try await token(audit, .observer)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/audit/export?from=9&to=5", method: .get, headers: auditor) {
                #expect($0.status == .badRequest)
                #expect($0.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/v1/audit/export?process=nope", method: .get, headers: auditor) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/audit/export?format=xml", method: .get, headers: auditor) { #expect($0.status == .badRequest) }
            let csv = try await client.execute(uri: "/v1/audit/export?format=csv&party=GR", method: .get, headers: auditor) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                return String(buffer: response.body)
            }
            #expect(csv.hasPrefix("process_id,process_reference,"))
            #expect(csv.contains(",GR,Greece,"))
        }
    }

    @Test("checkpoints are signed on demand and listed; keys are listed", arguments: [Backend.sqlite])
    func checkpoints(_ backend: Backend) async throws {
        try await withApp(backend) { audit, client in
            let auditor = try await token(audit, .auditor)
            let stored = try await client.execute(uri: "/v1/audit/checkpoints", method: .post, headers: auditor) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(StoredCheckpoint.self, from: response.body)
            }
            let head = try await audit.service.store.headPosition()
            #expect(stored.position == head)
            try await client.execute(uri: "/v1/audit/checkpoints", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/audit/checkpoints", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("\"signature\":\"\(stored.signature.replacingOccurrences(of: "/", with: "\\/"))\"") || text.contains(stored.signature))
            }
            try await client.execute(uri: "/v1/audit/checkpoints?limit=0", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/audit/keys", method: .get) { response in
                #expect(String(buffer: response.body).contains(stored.keyId))
            }
        }
    }

    @Test("only an admin records a redaction through the API", arguments: [Backend.sqlite])
    func redaction(_ backend: Backend) async throws {
        try await withApp(backend) { audit, client in
            let p = try position(of: "Hesitating", in: try await audit.export())
            let body = ByteBuffer(string: "{\"position\":\(p),\"paths\":[\"/step/note\"],\"reason\":\"privacy\"}")
            var headers = try await token(audit, .auditor)
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: headers, body: body) { #expect($0.status == .forbidden) }
            headers = try await token(audit, .admin)
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: headers,
                                     body: ByteBuffer(string: "{\"position\":\(p),\"paths\":[\"/step/party\"],\"reason\":\"x\"}")) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let outcome = try JSONDecoder().decode(RedactionOutcome.self, from: response.body)
                #expect(outcome.position == p)
            }
            try await client.execute(uri: "/v1/events?after=\(p - 1)&limit=1", method: .get) { response in
                #expect(!String(buffer: response.body).contains("Hesitating"))
            }
        }
    }

    @Test("the report route serves the HTML page", arguments: [Backend.sqlite])
    func report(_ backend: Backend) async throws {
        try await withApp(backend) { _, client in
            try await client.execute(uri: "/v1/processes/\(DemoScenario.forceGeneration)/report?asOf=2025-12-31", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("Reassurance Force for Ukraine"))
            }
            try await client.execute(uri: "/v1/processes/\(ProcessID())/report", method: .get) { #expect($0.status == .notFound) }
        }
    }
}

extension JSONDecoder {
    func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try decode(type, from: Data(buffer.readableBytesView))
    }
}
