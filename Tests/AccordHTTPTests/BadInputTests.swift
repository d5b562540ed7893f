import AccordDomain
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Testing

/// Bad input of every kind: each answered with its status and problem type, never a 500, and nothing written
/// (the log's head does not move).
@Suite("Bad input")
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var method: HTTPRequest.Method = .post
        var path: String
        var caller: Caller = .admin
        var body: [UInt8]?
        var contentType: String? = "application/json"
        var headers: [String: String] = [:]
        var status: Int
        var problem: String
        /// A further check of the problem body.
        var check: (@Sendable (JSON) -> Bool)?

        init(_ description: String, _ path: String, method: HTTPRequest.Method = .post, caller: Caller = .admin, json: String?,
             contentType: String? = "application/json", headers: [String: String] = [:], status: Int, problem: String,
             check: (@Sendable (JSON) -> Bool)? = nil) {
            self.description = description
            self.method = method
            self.path = path
            self.caller = caller
            self.body = json.map { Array($0.utf8) }
            self.contentType = contentType
            self.headers = headers
            self.status = status
            self.problem = problem
            self.check = check
        }
    }

    static let force = "/v1/processes/\(Demo.forceGeneration)"
    static let steps = "\(force)/steps"

    static var cases: [Case] {
        let bidi = "Pledge \u{202E}000,01 spoorT"
        var list: [Case] = [
            // Not JSON, not an object, wrong types, missing, unknown and null fields: 400 with the field's path.
            Case("malformed JSON", steps, json: #"{"party":"DE","#, status: 400, problem: "malformed-request"),
            Case("an empty body", steps, json: "", status: 400, problem: "malformed-request"),
            Case("an array instead of an object", steps, json: #"[{"party":"DE","stage":"ready"}]"#, status: 400, problem: "malformed-request"),
            Case("a bare string instead of an object", steps, json: #""DE signed""#, status: 400, problem: "malformed-request") {
                $0["detail"]?.string == "the body must be a JSON object"
            },
            Case("an unpaired surrogate", steps, json: #"{"party":"DE","stage":"government-decision","note":"\ud83d alone"}"#, status: 400,
                 problem: "malformed-request") { $0["detail"]?.string?.hasPrefix("the body is not valid JSON") == true },
            Case("a wrong type", steps, json: #"{"party":"DE","stage":7}"#, status: 400, problem: "malformed-request") {
                $0["detail"]?.string == "stage: expected a string"
            },
            Case("a wrong nested type", steps, json: #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":"many"}}}"#, status: 400,
                 problem: "malformed-request") { $0["detail"]?.string?.hasPrefix("details.pledge.troops") == true },
            Case("a missing field", steps, json: #"{"party":"DE"}"#, status: 400, problem: "malformed-request") {
                $0["detail"]?.string == "stage: required field missing"
            },
            Case("null for a required field", steps, json: #"{"party":null,"stage":"ready"}"#, status: 400, problem: "malformed-request"),
            Case("an unknown (misspelt) field", steps, json: #"{"party":"DE","stage":"government-decision","occuredAt":"2025-10-01T00:00:00Z"}"#,
                 status: 400, problem: "malformed-request") { $0["errors"] == .array([.string("occuredAt: unknown field")]) },
            Case("an unknown nested field", steps, json: #"{"party":"DE","stage":"pledged","details":{"pledge":{"troop":5}}}"#, status: 400,
                 problem: "malformed-request") { $0["errors"] == .array([.string("details.pledge.troop: unknown field")]) },
            Case("not a party code", steps, json: #"{"party":"Germany","stage":"government-decision"}"#, status: 400, problem: "malformed-request"),
            Case("not a date-time", steps, json: #"{"party":"DE","stage":"government-decision","occurredAt":"2025-02-30T00:00:00Z"}"#, status: 400,
                 problem: "malformed-request"),
            Case("not UTF-8", steps, json: nil, status: 400, problem: "malformed-request"),
            Case("nesting 10,000 deep", "\(force)/what-if", json: #"{"hypotheses":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}",
                 status: 400, problem: "malformed-request"),
            // Huge and impossible numbers.
            Case("a number beyond 64 bits", steps, json: #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":99999999999999999999999}}}"#,
                 status: 400, problem: "malformed-request"),
            Case("an exponent", steps, json: #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1e400}}}"#, status: 400,
                 problem: "malformed-request"),
            Case("a fraction of a soldier", steps, json: #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":2.5}}}"#, status: 400,
                 problem: "malformed-request"),
            Case("the largest 64-bit troop number", "\(force)/what-if",
                 json: #"{"hypotheses":[{"kind":"step","party":"FR","stage":"pledged","details":{"pledge":{"troops":9223372036854775807}}}]}"#,
                 status: 422, problem: "invalid-troops"),
            Case("negative troops", "\(force)/what-if",
                 json: #"{"hypotheses":[{"kind":"step","party":"FR","stage":"pledged","details":{"pledge":{"troops":-5}}}]}"#, status: 422,
                 problem: "invalid-troops"),
            Case("a population beyond any nation", "/v1/parties/DE/attributes",
                 json: #"{"attribute":"population","value":9000000000000,"effectiveFrom":"2026-01-01T00:00:00Z"}"#, status: 422, problem: "invalid-value"),
            Case("a negative population", "/v1/parties/DE/attributes", json: #"{"attribute":"population","value":-1,"effectiveFrom":"2026-01-01T00:00:00Z"}"#,
                 status: 422, problem: "invalid-value"),
            Case("an unknown attribute", "/v1/parties/DE/attributes", json: #"{"attribute":"capital","value":"Berlin","effectiveFrom":"2026-01-01T00:00:00Z"}"#,
                 status: 400, problem: "malformed-request"),
            // Unknown things and stages out of order: 404 for what the path names, 422 for what the body names.
            Case("an unknown process", "/v1/processes/\(ProcessID())/steps", json: #"{"party":"DE","stage":"government-decision"}"#, status: 404,
                 problem: "unknown-process"),
            Case("an unknown party", steps, json: #"{"party":"QQ","stage":"interest"}"#, status: 422, problem: "unknown-party"),
            Case("an unknown stage", steps, json: #"{"party":"DE","stage":"promoted"}"#, status: 422, problem: "unknown-stage"),
            Case("a stage out of order", steps, json: #"{"party":"DE","stage":"ready"}"#, status: 422, problem: "stage-out-of-order") {
                $0["rule"]?.string?.isEmpty == false
            },
            Case("an unknown template", "/v1/processes", json: #"{"title":"x","template":"no-such-template"}"#, status: 422, problem: "unknown-template"),
            Case("a date in the future", steps, json: #"{"party":"DE","stage":"government-decision","occurredAt":"2099-01-01T00:00:00Z"}"#, status: 422,
                 problem: "occurred-in-future"),
            Case("pledge details on a plain stage", steps, json: #"{"party":"DE","stage":"government-decision","details":{"pledge":{"troops":5}}}"#,
                 status: 422, problem: "stage-details-mismatch"),
            Case("a position the template does not allow", "/v1/processes/\(Demo.natoC2)/ballots", json: #"{"party":"DE","position":"veto"}"#,
                 status: 422, problem: "position-not-allowed"),
            // Unusual Unicode: bidirectional overrides and control characters refused wherever text is stored.
            Case("a bidi override in a note", steps, json: #"{"party":"DE","stage":"government-decision","note":"\#(bidi)"}"#, status: 422,
                 problem: "invalid-value") { $0["detail"]?.string?.contains("U+202E") == true },
            Case("a bidi isolate in a source", steps, json: #"{"party":"DE","stage":"government-decision","source":"ab\u2066cd"}"#, status: 422,
                 problem: "invalid-value"),
            Case("a control character in a note", steps, json: #"{"party":"DE","stage":"government-decision","note":"bell \u0007"}"#, status: 422,
                 problem: "invalid-value"),
            Case("a bidi override in a party name", "/v1/parties", json: #"{"party":"XX","name":"\#(bidi)"}"#, status: 422, problem: "invalid-value"),
            Case("a bidi override in an account name", "/v1/accounts", json: #"{"name":"Admin \u202Enimda","role":"observer"}"#, status: 422,
                 problem: "invalid-request"),
            Case("an empty party name", "/v1/parties", json: #"{"party":"XX","name":"   "}"#, status: 422, problem: "invalid-value"),
            Case("a note of 4,001 characters", steps, json: #"{"party":"DE","stage":"government-decision","note":"\#(String(repeating: "é", count: 4001))"}"#,
                 status: 422, problem: "invalid-value"),
            // Media types and sizes.
            Case("text/plain", steps, json: #"{"party":"DE","stage":"government-decision"}"#, contentType: "text/plain", status: 415,
                 problem: "unsupported-media-type"),
            Case("no content type", steps, json: #"{"party":"DE","stage":"government-decision"}"#, contentType: nil, status: 415,
                 problem: "unsupported-media-type"),
            Case("a form", steps, json: "party=DE&stage=government-decision", contentType: "application/x-www-form-urlencoded", status: 415,
                 problem: "unsupported-media-type"),
            Case("a body over the limit", steps, json: #"{"party":"DE","stage":"government-decision","note":""# + String(repeating: "x", count: 1 << 20) + #""}"#,
                 status: 413, problem: "body-too-large") { $0["limit"]?.int == Int64(1 << 20) },
            // Headers.
            Case("an If-Match that is not a version", steps, json: #"{"party":"DE","stage":"government-decision"}"#, headers: ["If-Match": "\"abc\""],
                 status: 400, problem: "invalid-parameter") { $0["parameter"]?.string == "If-Match" },
            Case("a stale If-Match", steps, json: #"{"party":"DE","stage":"government-decision"}"#, headers: ["If-Match": "\"1\""], status: 412,
                 problem: "precondition-failed") { $0["currentVersion"]?.int ?? 0 > 1 },
            Case("an Idempotency-Key with a space", steps, json: #"{"party":"DE","stage":"government-decision"}"#, headers: ["Idempotency-Key": "a b"],
                 status: 400, problem: "invalid-parameter"),
            Case("an Idempotency-Key of 256 characters", steps, json: #"{"party":"DE","stage":"government-decision"}"#,
                 headers: ["Idempotency-Key": String(repeating: "k", count: 256)], status: 400, problem: "invalid-parameter"),
            Case("an Idempotency-Key used before for another body", steps, json: #"{"party":"IT","stage":"government-decision"}"#,
                 headers: ["Idempotency-Key": "used-once"], status: 422, problem: "idempotency-key-reused"),
            Case("an X-Correlation-Id that is not a UUID", steps, json: #"{"party":"DE","stage":"government-decision"}"#,
                 headers: ["X-Correlation-Id": "batch-7"], status: 400, problem: "invalid-parameter"),
            // Query parameters.
            Case("a bad asOf", "\(force)/results?asOf=tomorrow", method: .get, json: nil, status: 400, problem: "invalid-parameter") {
                $0["parameter"]?.string == "asOf"
            },
            Case("a bad knownAt", "\(force)/matrix?knownAt=2025-13-40", method: .get, json: nil, status: 400, problem: "invalid-parameter") {
                $0["parameter"]?.string == "knownAt"
            },
            Case("a knownAt beyond 64 bits", "\(force)/matrix?knownAt=99999999999999999999999", method: .get, json: nil, status: 400, problem: "invalid-parameter"),
            // Paths and methods.
            Case("an unknown path", "/v1/nothing-here", method: .get, json: nil, status: 404, problem: "not-found"),
            Case("a method the path does not take", force, method: .delete, json: nil, status: 405, problem: "method-not-allowed"),
        ]
        list[list.firstIndex { $0.description == "not UTF-8" }!].body = Array(#"{"party":"DE","stage":"government-decision","note":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        return list
    }

    @Test("every kind of bad input: its status and problem type, never a 500, nothing written", arguments: Backend.allCases)
    func badInput(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            // The key used once, for the case that reuses it with another body.
            #expect(try await api.post(Self.steps, #"{"party":"DE","stage":"government-decision"}"#, headers: ["Idempotency-Key": "used-once"]).status == .created)
            for item in Self.cases {
                let head = try await api.logHead()
                let response = try await api.send(item.method, item.path, as: item.caller, bytes: item.body, contentType: item.contentType,
                                                  headers: item.headers)
                #expect(Int(response.status.code) == item.status, "\(item): \(response.status.code) \(response.text.prefix(300))")
                #expect(response.problem == item.problem, "\(item): \(response.text.prefix(300))")
                #expect(response.contentType == "application/problem+json", "\(item)")
                if let check = item.check { #expect(check(response.json), "\(item): \(response.text.prefix(300))") }
                #expect(try await api.logHead() == head, "\(item) wrote to the log")
            }
        }
    }

    @Test("emoji, accents and scripts are kept exactly as sent", arguments: Backend.allCases)
    func unicodeIsKept(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let note = "Zustimmung des Bundestages ✅ — Ελλάδα 🇬🇷, Türkiye, Åland, 日本, e\u{301}te\u{301} (decomposed), \"quoted\"\nsecond line"
            let noteJSON = String(decoding: try JSONEncoder().encode(note), as: UTF8.self)
            let response = try await api.post(Self.steps, #"{"party":"DE","stage":"government-decision","note":\#(noteJSON),"source":"https://bundestag.de/drucksache/21/1234"}"#)
            #expect(response.status == .created)
            let entry = response.json["recorded"]?[0]?["entry"]
            let timeline = try await api.get("\(Self.force)/timeline").json["items"]?.array ?? []
            let stored = timeline.first { $0["entry"] == entry }
            #expect(stored?["note"]?.string == note)
            #expect(stored?["note"]?.string?.unicodeScalars.elementsEqual(note.unicodeScalars) == true, "not normalised")
            #expect(stored?["source"]?.string == "https://bundestag.de/drucksache/21/1234")
            let party = try await api.post("/v1/parties", #"{"party":"AX","name":"Åland — Ahvenanmaa 🏝️"}"#)
            #expect(party.status == .created)
            #expect(try await api.get("/v1/parties/AX").json["name"]?.string == "Åland — Ahvenanmaa 🏝️")
        }
    }

    @Test("NUL and other control characters inside free-form JSON (template texts, parameters) are stored or refused, never a 500", arguments: Backend.allCases)
    func controlCharactersInFreeFormJSON(_ backend: Backend) async throws {
        try await withAPI(backend, demo: false) { api in
            guard case .object(var definition)? = try await api.get("/v1/templates/nato-consensus").json["definition"] else {
                Issue.record("no template")
                return
            }
            definition["id"] = .string("nul-test")
            definition["description"] = .string("before\u{0}after \u{7} bell")
            let template = try await api.post("/v1/templates", definition.jsonText)
            #expect([201, 422].contains(template.status.code), "\(template.text)")
            if template.status == .created {
                #expect(try await api.get("/v1/templates/nul-test").json["definition"]?["description"]?.string == "before\u{0}after \u{7} bell")
            }
            let head = try await api.logHead()
            let opened = try await api.post("/v1/processes", #"{"title":"x","template":"nato-consensus","parameters":{"body":"nato\u0000"}}"#)
            #expect(opened.status.code == 422, "\(opened.text)")
            #expect(try await api.logHead() == head)
        }
    }

    @Test("bodies over a configured limit are refused whether or not they announce their length")
    func configuredLimit() async throws {
        try await withAPI(.sqlite, configuration: ServerConfiguration(maximumBodyBytes: 2048)) { api in
            let head = try await api.logHead()
            let big = #"{"party":"DE","stage":"government-decision","note":""# + String(repeating: "n", count: 3000) + #""}"#
            let response = try await api.post(Self.steps, big)
            #expect(response.status == .contentTooLarge)
            #expect(response.json["limit"]?.int == 2048)
            #expect(try await api.logHead() == head)
            #expect(try await api.post(Self.steps, #"{"party":"DE","stage":"government-decision","note":"fits"}"#).status == .created)
        }
    }
}
