import AccordDomain
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Testing

/// Each role against each write endpoint: allowed (the write is recorded) or refused (401 without a token,
/// 403 for a role that may not) with nothing written. The roles each operation admits are also what
/// `schema/openapi.json` says (`x-accord-permission`).
@Suite("Authorization")
struct AuthorizationMatrixTests {
    /// Who may: the permission an endpoint needs.
    enum Needs: String {
        case manageReferenceData = "manage-reference-data"
        case manageProcesses = "manage-processes"
        case manageAccounts = "manage-accounts"
        /// Recording for a party: delegates only for their own (the cases below name Germany, the delegate's).
        case record

        func allows(_ caller: Caller) -> Bool {
            switch (self, caller) {
            case (_, .admin): true
            case (.manageProcesses, .secretariat), (.record, .secretariat), (.record, .delegateDE): true
            default: false
            }
        }
    }

    /// A write endpoint, with what to set up (as the admin) before each attempt so that an allowed attempt
    /// is recorded: the request's path and body, made fresh for each caller.
    struct WriteCase: Sendable {
        var operation: String
        var needs: Needs
        var prepare: @Sendable (API, Caller) async throws -> (path: String, body: String?)
    }

    static func step(_ api: API, _ path: String, _ json: String) async throws -> String {
        let response = try await api.post(path, json)
        guard let entry = response.json["recorded"]?[0]?["entry"]?.string else { throw Failure("setup failed: \(response.text)") }
        return entry
    }

    static func openProcess(_ api: API, template: String) async throws -> String {
        let id = ProcessID().description
        let response = try await api.post("/v1/processes", #"{"id":"\#(id)","title":"Matrix","template":"\#(template)"}"#)
        guard response.status == .created else { throw Failure("setup failed: \(response.text)") }
        return id
    }

    static let force = "/v1/processes/\(Demo.forceGeneration)"
    static let natoC2 = "/v1/processes/\(Demo.natoC2)"
    static let pledge = #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1200}}}"#

    static let cases: [WriteCase] = [
        WriteCase(operation: "POST /v1/parties", needs: .manageReferenceData) { _, caller in
            ("/v1/parties", #"{"party":"X\#(letter(caller))","name":"Party \#(caller.rawValue)"}"#)
        },
        WriteCase(operation: "POST /v1/parties/{party}/attributes", needs: .manageReferenceData) { _, _ in
            ("/v1/parties/DE/attributes", #"{"attribute":"population","value":83000000,"effectiveFrom":"2026-01-01T00:00:00Z"}"#)
        },
        WriteCase(operation: "POST /v1/bodies", needs: .manageReferenceData) { _, caller in
            ("/v1/bodies", #"{"body":"body-\#(caller.rawValue.lowercased())","name":"Body","kind":"other"}"#)
        },
        WriteCase(operation: "POST /v1/bodies/{body}/members", needs: .manageReferenceData) { _, caller in
            ("/v1/bodies/nato/members", #"{"party":"X\#(letter(caller))","effectiveFrom":"2026-01-01T00:00:00Z"}"#)
        },
        WriteCase(operation: "POST /v1/bodies/{body}/departures", needs: .manageReferenceData) { api, caller in
            _ = try await api.post("/v1/parties", #"{"party":"Y\#(letter(caller))","name":"Leaving"}"#)
            _ = try await api.post("/v1/bodies/nato/members", #"{"party":"Y\#(letter(caller))","effectiveFrom":"2026-01-01T00:00:00Z"}"#)
            return ("/v1/bodies/nato/departures", #"{"party":"Y\#(letter(caller))","effectiveFrom":"2026-02-01T00:00:00Z"}"#)
        },
        WriteCase(operation: "POST /v1/bodies/{body}/roles", needs: .manageReferenceData) { _, _ in
            ("/v1/bodies/nato/roles", #"{"party":"DE","roles":["framework-nation"],"effectiveFrom":"2026-01-01T00:00:00Z"}"#)
        },
        WriteCase(operation: "POST /v1/weight-tables", needs: .manageReferenceData) { _, caller in
            ("/v1/weight-tables", #"{"table":"t-\#(caller.rawValue.lowercased())","name":"T","weights":{"DE":1},"effectiveFrom":"2026-01-01T00:00:00Z"}"#)
        },
        WriteCase(operation: "POST /v1/templates", needs: .manageReferenceData) { api, caller in
            guard case .object(var definition)? = try await api.get("/v1/templates/nato-consensus").json["definition"] else { throw Failure("no template") }
            definition["id"] = .string("matrix-\(caller.rawValue.lowercased())")
            return ("/v1/templates", definition.jsonText)
        },
        WriteCase(operation: "POST /v1/processes", needs: .manageProcesses) { _, _ in
            ("/v1/processes", #"{"title":"Opened in the matrix","template":"nato-consensus"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/steps", needs: .record) { _, _ in ("\(force)/steps", pledge) },
        WriteCase(operation: "POST /v1/processes/{process}/steps/batch", needs: .record) { _, _ in
            ("\(force)/steps/batch", #"{"steps":[\#(pledge)]}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/ballots", needs: .record) { _, _ in
            ("\(natoC2)/ballots", #"{"party":"DE","position":"yes"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/ballot-withdrawals", needs: .record) { api, _ in
            _ = try await api.post("\(natoC2)/ballots", #"{"party":"DE","position":"yes"}"#)
            return ("\(natoC2)/ballot-withdrawals", #"{"party":"DE","reason":"instructions"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/deadlines", needs: .manageProcesses) { api, _ in
            let id = try await openProcess(api, template: "nato-silence-procedure")
            return ("/v1/processes/\(id)/deadlines", #"{"deadline":"silence","localTime":"2099-01-01T12:00"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/deadlines/{deadline}/extensions", needs: .manageProcesses) { api, _ in
            let id = try await openProcess(api, template: "nato-silence-procedure")
            _ = try await api.post("/v1/processes/\(id)/deadlines", #"{"deadline":"silence","localTime":"2099-01-01T12:00"}"#)
            return ("/v1/processes/\(id)/deadlines/silence/extensions", #"{"localTime":"2099-01-02T12:00"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/close", needs: .manageProcesses) { api, _ in
            ("/v1/processes/\(try await openProcess(api, template: "nato-consensus"))/close", #"{"note":"done"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/retractions", needs: .record) { api, _ in
            ("\(force)/retractions", #"{"entry":"\#(try await step(api, "\(force)/steps", pledge))","reason":"error"}"#)
        },
        WriteCase(operation: "POST /v1/processes/{process}/corrections", needs: .record) { api, _ in
            let entry = try await step(api, "\(force)/steps", pledge)
            return ("\(force)/corrections",
                    #"{"entry":"\#(entry)","reason":"figure","step":{"party":"DE","stage":"pledged","details":{"pledge":{"troops":1300}}}}"#)
        },
        WriteCase(operation: "POST /v1/accounts", needs: .manageAccounts) { _, caller in
            ("/v1/accounts", #"{"name":"Created by \#(caller.rawValue)","role":"observer"}"#)
        },
        WriteCase(operation: "POST /v1/accounts/{account}/tokens", needs: .manageAccounts) { api, _ in
            ("/v1/accounts/\(api.accounts[.observer]?.id ?? "")/tokens", #"{"name":"another"}"#)
        },
        WriteCase(operation: "POST /v1/accounts/{account}/disable", needs: .manageAccounts) { api, caller in
            let account = try await api.post("/v1/accounts", #"{"name":"To disable \#(caller.rawValue)","role":"observer"}"#)
            return ("/v1/accounts/\(account.json["id"]?.string ?? "")/disable", nil)
        },
        WriteCase(operation: "POST /v1/tokens/{token}/revoke", needs: .manageAccounts) { api, _ in
            let issued = try await api.post("/v1/accounts/\(api.accounts[.observer]?.id ?? "")/tokens", #"{"name":"to revoke"}"#)
            return ("/v1/tokens/\(issued.json["token"]?["id"]?.string ?? "")/revoke", nil)
        },
    ]

    /// The audit and notification routes are not in `withAPI`'s router (they are installed by `accord serve`
    /// through `extraRoutes`); `AuditAndNotificationContractTests` checks their roles.
    static func isCore(_ operation: String) -> Bool {
        !["/v1/audit/", "/v1/webhooks", "/v1/notifications", "/v1/stream", "/report"].contains { operation.contains($0) }
    }

    static func letter(_ caller: Caller) -> String {
        ["A", "B", "C", "D", "E", "F"][Caller.allCases.firstIndex(of: caller) ?? 0]
    }

    @Test("each role against each write endpoint: allowed, or 401/403 with nothing written", arguments: Backend.allCases)
    func matrix(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            // DE holds a pledge, so that pledge amendments (repeatable) are valid steps for every attempt.
            _ = try await api.post("\(Self.force)/steps", #"{"party":"DE","stage":"government-decision"}"#)
            _ = try await api.post("\(Self.force)/steps", Self.pledge)
            let writes = OpenAPIContract.shared.operations.filter { $0.hasPrefix("POST") && !$0.hasSuffix("/what-if") && Self.isCore($0) }
            #expect(Set(Self.cases.map(\.operation)) == writes, "the matrix covers every write endpoint")

            for write in Self.cases {
                let path = write.operation.split(separator: " ")[1]
                let documented = OpenAPIContract.shared.document["paths"]?[String(path)]?["post"]?["x-accord-permission"]?.string
                #expect(documented == write.needs.rawValue, "\(write.operation): the document says \(documented ?? "nothing")")
                for caller in Caller.allCases {
                    let (uri, body) = try await write.prepare(api, caller)
                    let head = try await api.logHead()
                    let response = try await api.post(uri, body, as: caller)
                    let label = "\(caller.rawValue) → \(write.operation)"
                    if write.needs.allows(caller) {
                        #expect((200..<300).contains(response.status.code), "\(label): \(response.status.code) \(response.text)")
                    } else {
                        let expected: HTTPResponse.Status = caller == .anonymous ? .unauthorized : .forbidden
                        #expect(response.status == expected, "\(label): \(response.status.code) \(response.text)")
                        #expect(response.problem == (caller == .anonymous ? "unauthenticated" : "forbidden"), "\(label)")
                        #expect(try await api.logHead() == head, "\(label) wrote something")
                    }
                }
            }
        }
    }

    @Test("a delegate cannot record, correct or retract for another party, nor move an entry to another party", arguments: Backend.allCases)
    func delegateScope(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let force = Self.force
            let head = try await api.logHead()
            for (path, body) in [
                ("\(force)/steps", #"{"party":"FR","stage":"ready"}"#),
                ("\(Self.natoC2)/ballots", #"{"party":"FR","position":"objection"}"#),
                ("\(Self.natoC2)/ballot-withdrawals", #"{"party":"FR"}"#),
            ] {
                let response = try await api.post(path, body, as: .delegateDE)
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.json["detail"]?.string?.contains("delegate for DE") == true)
            }
            #expect(try await api.logHead() == head)

            let french = try await Self.step(api, "\(force)/steps", #"{"party":"FR","stage":"ready"}"#)
            let german = try await Self.step(api, "\(force)/steps", #"{"party":"DE","stage":"government-decision"}"#)
            let afterSetup = try await api.logHead()
            let attempts = [
                ("\(force)/retractions", #"{"entry":"\#(french)","reason":"not mine"}"#),
                ("\(force)/corrections", #"{"entry":"\#(french)","reason":"not mine","effectiveAt":"2025-09-05T00:00:00Z"}"#),
                ("\(force)/corrections", #"{"entry":"\#(german)","reason":"move it","step":{"party":"FR","stage":"government-decision"}}"#),
                ("\(force)/retractions", #"{"entry":"\#(UUID().uuidString)","reason":"unknown entries are the secretariat's"}"#),
            ]
            for (path, body) in attempts {
                #expect(try await api.post(path, body, as: .delegateDE).status == .forbidden, "\(body)")
            }
            #expect(try await api.logHead() == afterSetup)
            #expect(try await api.post("\(force)/retractions", #"{"entry":"\#(german)","reason":"mine"}"#, as: .delegateDE).status == .created)
        }
    }

    @Test("with readsRequireToken, every read is 401 without a token and answers with any role's token")
    func readsRequireToken() async throws {
        try await withAPI(.sqlite, configuration: ServerConfiguration(readsRequireToken: true)) { api in
            let reads = [
                "/v1/parties", "/v1/parties/DE", "/v1/bodies", "/v1/bodies/nato", "/v1/weight-tables", "/v1/templates", "/v1/templates/nato-consensus",
                "/v1/processes", "/v1/processes/\(Demo.forceGeneration)", "/v1/processes/\(Demo.forceGeneration)/matrix",
                "/v1/processes/\(Demo.forceGeneration)/results", "/v1/processes/\(Demo.forceGeneration)/history",
                "/v1/processes/\(Demo.forceGeneration)/timeline", "/v1/events",
            ]
            let documentedReads = OpenAPIContract.shared.operations.filter {
                $0.hasPrefix("GET /v1/") && !$0.hasPrefix("GET /v1/accounts") && $0 != "GET /v1/me" && Self.isCore($0)
            }
            #expect(documentedReads.count == reads.count, "every read endpoint is in this list")
            for path in reads {
                let anonymous = try await api.get(path, as: .anonymous)
                #expect(anonymous.status == .unauthorized, "\(path)")
                #expect(anonymous.problem == "unauthenticated")
                #expect(try await api.get(path, as: .observer).status == .ok, "\(path)")
            }
            let whatIf = "/v1/processes/\(Demo.forceGeneration)/what-if"
            #expect(try await api.post(whatIf, #"{"hypotheses":[]}"#, as: .anonymous).status == .unauthorized)
            #expect(try await api.post(whatIf, #"{"hypotheses":[]}"#, as: .auditor).status == .ok)
            // Operations endpoints stay open for probes and scrapers.
            #expect(try await api.get("/healthz", as: .anonymous).status == .ok)
            #expect(try await api.get("/readyz", as: .anonymous).status == .ok)
        }
    }

    @Test("account management reads are the admin's")
    func accountReads() async throws {
        try await withAPI(.sqlite, demo: false) { (api: API) async throws in
            for caller in Caller.allCases {
                let expected: HTTPResponse.Status = caller == .admin ? .ok : (caller == .anonymous ? .unauthorized : .forbidden)
                #expect(try await api.get("/v1/accounts", as: caller).status == expected, "\(caller)")
                #expect(try await api.get("/v1/accounts/\(api.accounts[.observer]?.id ?? "")", as: caller).status == expected, "\(caller)")
            }
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
