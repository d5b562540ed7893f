import AccordDomain
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Testing

/// Every write endpoint: status, ETag and Location headers, the recorded entries, and that the reads see them.
@Suite("Writes")
struct WriteRouteTests {
    @Test("opening a process: 201 with Location and ETag; ballots, a changed ballot and its withdrawal; closing", arguments: Backend.allCases)
    func processLifecycle(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let id = ProcessID().description
            let opened = try await api.post("/v1/processes", #"{"id":"\#(id)","title":"Consensus on a NATO statement","template":"nato-consensus","reference":"PO(2025)0001"}"#,
                                            as: .secretariat)
            #expect(opened.status == .created)
            #expect(opened["Location"] == "/v1/processes/\(id)")
            #expect(opened["ETag"] == "\"\(opened.json["version"]?.int ?? -1)\"")
            #expect(opened.json["stream"]?.string == "process-\(id)")
            #expect(opened.json["recorded"]?[0]?["type"]?.string == "ProcessOpened")
            // Opening it again with the same id changes nothing and says so.
            let again = try await api.post("/v1/processes", #"{"id":"\#(id)","title":"Consensus on a NATO statement","template":"nato-consensus"}"#)
            #expect(again.problem == "already-exists")

            let yes = try await api.post("/v1/processes/\(id)/ballots", #"{"party":"DE","position":"yes","source":"Note verbale 12/2025"}"#, as: .delegateDE)
            #expect(yes.status == .created)
            #expect(yes.json["recorded"]?[0]?["type"]?.string == "BallotCast")
            let reservation = try await api.post("/v1/processes/\(id)/ballots",
                                                 #"{"party":"FR","position":"yes-with-reservation","statement":"Footnote on paragraph 3"}"#)
            #expect(reservation.status == .created)
            let withdrawn = try await api.post("/v1/processes/\(id)/ballot-withdrawals", #"{"party":"DE","reason":"New instructions from Berlin"}"#,
                                               as: .delegateDE)
            #expect(withdrawn.status == .created)
            #expect(withdrawn.json["recorded"]?[0]?["type"]?.string == "BallotWithdrawn")
            #expect(try await api.post("/v1/processes/\(id)/ballot-withdrawals", #"{"party":"DE"}"#).problem == "nothing-to-withdraw")

            let matrix = try await api.get("/v1/processes/\(id)/matrix")
            let france = matrix.json["rows"]?.array?.first { $0["party"]?.string == "FR" }
            #expect(france?["ballot"]?["position"]?.string == "yes-with-reservation")
            #expect(matrix.json["rows"]?.array?.first { $0["party"]?.string == "DE" }?["ballot"] == nil)

            let closed = try await api.post("/v1/processes/\(id)/close", #"{"note":"Overtaken by events"}"#, as: .secretariat)
            #expect(closed.status == .created)
            #expect(try await api.get("/v1/processes/\(id)").json["summary"]?["closedAt"] != nil)
            #expect(try await api.get("/v1/processes?status=open").json["processes"]?.array?.contains { $0["id"]?.string == id } == false)
            let late = try await api.post("/v1/processes/\(id)/ballots", #"{"party":"IT","position":"yes"}"#)
            #expect(late.problem == "process-closed")
        }
    }

    @Test("stage steps, a correction and a retraction; the timeline links them", arguments: Backend.allCases)
    func stepsCorrectionsRetractions(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let path = "/v1/processes/\(Demo.forceGeneration)"
            let decision = try await api.post("\(path)/steps", #"{"party":"DE","stage":"government-decision","occurredAt":"2025-10-01T09:00:00Z","note":"Kabinettsbeschluss"}"#,
                                              as: .delegateDE)
            #expect(decision.status == .created)
            let entry = try #require(decision.json["recorded"]?[0]?["entry"]?.string)
            let pledge = try await api.post("\(path)/steps",
                                            #"{"party":"DE","stage":"pledged","details":{"pledge":{"troops":3500,"capabilities":[{"component":"air","lead":true}],"conditions":["Bundestag mandate"]}}}"#,
                                            as: .secretariat)
            #expect(pledge.status == .created)
            let results = try await api.get("\(path)/results")
            #expect(results.json["results"]?.array?.first { $0["rule"]?.string == "troops-target" }?["status"]?.string == "satisfied")
            #expect(results.json["results"]?.array?.first { $0["rule"]?.string == "component-leads" }?["status"]?.string == "satisfied")

            let corrected = try await api.post("\(path)/corrections",
                                               #"{"entry":"\#(entry)","reason":"The cabinet met on 30 September","effectiveAt":"2025-09-30T09:00:00Z","step":{"party":"DE","stage":"government-decision","note":"Kabinettsbeschluss"}}"#,
                                               as: .delegateDE)
            #expect(corrected.status == .created)
            #expect(corrected.json["recorded"]?[0]?["type"]?.string == "EntryCorrected")
            let pledgeEntry = try #require(pledge.json["recorded"]?[0]?["entry"]?.string)
            let retracted = try await api.post("\(path)/retractions", #"{"entry":"\#(pledgeEntry)","reason":"Recorded for the wrong nation"}"#)
            #expect(retracted.status == .created)
            #expect(try await api.post("\(path)/retractions", #"{"entry":"\#(pledgeEntry)","reason":"twice"}"#).problem == "entry-already-retracted")
            #expect(try await api.post("\(path)/retractions", #"{"entry":"\#(UUID().uuidString)","reason":"no such entry"}"#).problem == "unknown-entry")

            let timeline = try await api.get("\(path)/timeline").json["items"]?.array ?? []
            let original = timeline.first { $0["entry"]?.string == entry }
            #expect(original?["correctedBy"]?.array?.count == 1)
            #expect(timeline.first { $0["entry"]?.string == pledgeEntry }?["retractedBy"] != nil)
            let germany = try await api.get("\(path)/matrix").json["rows"]?.array?.first { $0["party"]?.string == "DE" }
            #expect(germany?["currentStage"]?.string == "government-decision")
            #expect(germany?["currentSince"]?.string == "2025-09-30T09:00:00.000000Z")
        }
    }

    @Test("deadlines: setting one, extending it before it passes", arguments: Backend.allCases)
    func deadlines(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let id = ProcessID().description
            _ = try await api.post("/v1/processes", #"{"id":"\#(id)","title":"Silence on a statement","template":"nato-silence-procedure"}"#)
            let future = Date().addingTimeInterval(3 * 86_400)
            let day = ISO8601DateFormatter.string(from: future, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            let set = try await api.post("/v1/processes/\(id)/deadlines", #"{"deadline":"silence","localTime":"\#(day)T12:00","reason":"Standard silence"}"#,
                                         as: .secretariat)
            #expect(set.status == .created)
            let extended = try await api.post("/v1/processes/\(id)/deadlines/silence/extensions",
                                              #"{"localTime":"\#(day)T18:00","timeZone":"Europe/Brussels","reason":"Requested by two allies"}"#)
            #expect(extended.status == .created)
            let detail = try await api.get("/v1/processes/\(id)")
            #expect(detail.json["deadlines"]?[0]?["localTime"]?.string == "\(day)T18:00")
            #expect(detail.json["deadlines"]?[0]?["extensions"]?.int == 1)
            #expect(try await api.post("/v1/processes/\(id)/deadlines/silence/extensions", #"{"localTime":"\#(day)T10:00"}"#).problem == "deadline-not-extendable")
            #expect(try await api.post("/v1/processes/\(id)/deadlines/quiet/extensions", #"{"localTime":"\#(day)T20:00"}"#).problem == "unknown-deadline")
            #expect(try await api.post("/v1/processes/\(id)/deadlines/Not_Slug/extensions", #"{"localTime":"\#(day)T20:00"}"#).status == .notFound)
            #expect(try await api.post("/v1/processes/\(id)/deadlines", #"{"deadline":"silence","localTime":"\#(day)T12:00","timeZone":"Mars/Olympus"}"#).problem == "invalid-time-zone")
        }
    }

    @Test("If-Match: the current version records, a stale one is 412 with the current version, * matches any", arguments: Backend.allCases)
    func ifMatch(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let path = "/v1/processes/\(Demo.forceGeneration)"
            let etag = try #require(try await api.get(path)["ETag"])
            let first = try await api.post("\(path)/steps", #"{"party":"DE","stage":"government-decision"}"#, headers: ["If-Match": etag])
            #expect(first.status == .created)
            let newTag = try #require(first["ETag"])
            #expect(newTag != etag)
            let head = try await api.logHead()
            let stale = try await api.post("\(path)/steps", #"{"party":"IT","stage":"government-decision"}"#, headers: ["If-Match": etag])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.problem == "precondition-failed")
            #expect(stale["ETag"] == newTag)
            #expect("\"\(stale.json["currentVersion"]?.int ?? -1)\"" == newTag)
            #expect(try await api.logHead() == head)
            #expect(try await api.post("\(path)/steps", #"{"party":"IT","stage":"government-decision"}"#, headers: ["If-Match": "W/\(newTag)"]).status == .created)
            #expect(try await api.post("\(path)/steps", #"{"party":"NO","stage":"ready"}"#, headers: ["If-Match": "*"]).status == .created)
        }
    }

    @Test("Idempotency-Key: a retry is recorded once and answered as the first time; another body with the key is 422", arguments: Backend.allCases)
    func idempotencyKeys(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let path = "/v1/processes/\(Demo.forceGeneration)/steps"
            let body = #"{"party":"DE","stage":"government-decision","note":"retry me"}"#
            let key = ["Idempotency-Key": "step-de-2025-10-01", "X-Correlation-Id": "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b99"]
            let first = try await api.post(path, body, as: .secretariat, headers: key)
            #expect(first.status == .created)
            #expect(first["Idempotent-Replayed"] == nil)
            let head = try await api.logHead()
            let retry = try await api.post(path, body, as: .secretariat, headers: key)
            #expect(retry.status == .created)
            #expect(retry["Idempotent-Replayed"] == "true")
            #expect(retry.body == first.body)
            #expect(retry["ETag"] == first["ETag"])
            #expect(try await api.logHead() == head)
            let event = try await api.get("/v1/events?after=\(head - 1)&limit=1").json["events"]?[0]
            #expect(event?["correlationId"]?.string == "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b99")
            #expect(event?["actor"]?["name"]?.string == "Test secretariat")

            let other = try await api.post(path, #"{"party":"IT","stage":"government-decision"}"#, as: .secretariat, headers: key)
            #expect(other.status == .unprocessableContent)
            #expect(other.problem == "idempotency-key-reused")
            #expect(try await api.logHead() == head)
            // Keys belong to an account: the admin's identical key is a request of its own.
            #expect(try await api.post(path, #"{"party":"IT","stage":"government-decision"}"#, as: .admin, headers: key).status == .created)
            // A refused request frees its key: correcting the body and retrying with the same key records it.
            let refusedKey = ["Idempotency-Key": "retry-after-fixing"]
            #expect(try await api.post(path, #"{"party":"NO","stage":"nope"}"#, headers: refusedKey).problem == "unknown-stage")
            #expect(try await api.post(path, #"{"party":"NO","stage":"ready"}"#, headers: refusedKey).status == .created)
        }
    }

    @Test("reference data: parties and attributes, bodies and memberships, weight tables, templates", arguments: Backend.allCases)
    func referenceData(_ backend: Backend) async throws {
        try await withAPI(backend, demo: false) { api in
            let party = try await api.post("/v1/parties", #"{"party":"XK","name":"Kosovo"}"#)
            #expect(party.status == .created)
            #expect(party.json["stream"]?.string == "party-XK")
            #expect(try await api.post("/v1/parties", #"{"party":"XK","name":"Kosovo"}"#).problem == "already-exists")
            #expect(try await api.post("/v1/parties/XK/attributes", #"{"attribute":"population","value":1760000,"effectiveFrom":"2024-01-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/parties/XK/attributes", #"{"attribute":"parliamentaryStep","value":"vote-required","effectiveFrom":"2024-01-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/parties/XK/attributes", #"{"attribute":"deploymentNeedsParliamentVote","value":true,"effectiveFrom":"2024-01-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/parties/QQ/attributes", #"{"attribute":"population","value":1,"effectiveFrom":"2024-01-01T00:00:00Z"}"#).problem == "unknown-party")
            let view = try await api.get("/v1/parties/XK")
            #expect(view.json["population"]?.int == 1_760_000)
            #expect(view.json["parliamentaryStep"]?.string == "vote-required")
            #expect(view.json["deploymentNeedsParliamentVote"]?.bool == true)

            #expect(try await api.post("/v1/bodies", #"{"body":"balkan-forum","name":"Balkan Forum","kind":"other"}"#).status == .created)
            #expect(try await api.post("/v1/bodies/balkan-forum/members", #"{"party":"XK","roles":["chair"],"effectiveFrom":"2024-02-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/bodies/balkan-forum/members", #"{"party":"AL","effectiveFrom":"2024-02-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/bodies/balkan-forum/roles", #"{"party":"XK","roles":[],"effectiveFrom":"2024-06-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/bodies/balkan-forum/departures", #"{"party":"AL","effectiveFrom":"2024-09-01T00:00:00Z"}"#).status == .created)
            #expect(try await api.post("/v1/bodies/balkan-forum/departures", #"{"party":"AL","effectiveFrom":"2024-10-01T00:00:00Z"}"#).problem == "not-a-member")
            #expect(try await api.post("/v1/bodies/atlantis/members", #"{"party":"XK","effectiveFrom":"2024-02-01T00:00:00Z"}"#).problem == "unknown-body")
            #expect(try await api.get("/v1/bodies/balkan-forum?asOf=2024-03-01").json["members"]?.array?.count == 2)
            #expect(try await api.get("/v1/parties/XK?asOf=2024-03-01").json["memberships"]?[0]?["roles"] == .array([.string("chair")]))
            #expect(try await api.get("/v1/parties/XK?asOf=2024-07-01").json["memberships"]?[0]?["roles"] == .array([]))
            #expect(try await api.get("/v1/bodies/balkan-forum?asOf=2024-12-01").json["members"]?.array?.count == 1)

            let table = try await api.post("/v1/weight-tables", #"{"table":"balkan-population","name":"Population 2024","weights":{"XK":1760000,"AL":2400000},"source":"Census","effectiveFrom":"2024-01-01T00:00:00Z"}"#)
            #expect(table.status == .created)
            let tables = try await api.get("/v1/weight-tables").json["items"]?.array ?? []
            #expect(tables.first { $0["table"]?.string == "balkan-population" }?["versions"]?[0]?["total"]?.int == 4_160_000)
            #expect(try await api.post("/v1/weight-tables", #"{"table":"t","name":"n","weights":{"Kosovo":1},"effectiveFrom":"2024-01-01T00:00:00Z"}"#).problem == "malformed-request")

            // A template registered again unchanged records nothing; a changed one is a new version.
            let bundled = try await api.get("/v1/templates/nato-consensus").json["definition"]
            guard case .object(var definition)? = bundled else { Issue.record("no definition"); return }
            let unchanged = try await api.post("/v1/templates", definition.jsonText)
            #expect(unchanged.status == .created || unchanged.status == .ok)
            #expect(unchanged.json["recorded"]?.array?.isEmpty == true)
            definition["name"] = .string("NATO consensus (amended)")
            let amended = try await api.post("/v1/templates", definition.jsonText)
            #expect(amended.status == .created)
            #expect(try await api.get("/v1/templates/nato-consensus").json["version"]?.int == 2)
            definition["rules"] = .array([])
            #expect(try await api.post("/v1/templates", definition.jsonText).problem == "invalid-template")
        }
    }

    @Test("accounts and tokens: create, list, issue (the secret once), use, revoke, disable", arguments: Backend.allCases)
    func accounts(_ backend: Backend) async throws {
        try await withAPI(backend, demo: false) { api in
            let created = try await api.post("/v1/accounts", #"{"name":"Ana Delegada, España","role":"delegate","parties":["ES"]}"#)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.string)
            #expect(created["Location"] == "/v1/accounts/\(id)")
            #expect(try await api.get("/v1/accounts/\(id)").json["parties"] == .array([.string("ES")]))
            #expect(try await api.get("/v1/accounts/acct-none").problem == "not-found")

            let issued = try await api.post("/v1/accounts/\(id)/tokens", #"{"name":"laptop","expiresAt":"2099-01-01T00:00:00Z"}"#)
            #expect(issued.status == .created)
            #expect(issued["Cache-Control"] == "no-store")
            let secret = try #require(issued.json["secret"]?.string)
            let tokenID = try #require(issued.json["token"]?["id"]?.string)
            let me = try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer \(secret)"])
            #expect(me.json["account"]?["id"]?.string == id)
            let list = try await api.get("/v1/accounts")
            #expect(list.json["tokens"]?.array?.contains { $0["id"]?.string == tokenID } == true)
            #expect(!list.text.contains(secret), "secrets are never listed")

            #expect(try await api.post("/v1/tokens/\(tokenID)/revoke", nil).status == .noContent)
            #expect(try await api.post("/v1/tokens/\(tokenID)/revoke", nil).problem == "not-found")
            // The principal cache remembers a token for a few seconds; revocation through the API clears it.
            #expect(try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer \(secret)"]).status == .unauthorized)

            let second = try #require(try await api.post("/v1/accounts/\(id)/tokens", #"{"name":"phone"}"#).json["secret"]?.string)
            #expect(try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer \(second)"]).status == .ok)
            #expect(try await api.post("/v1/accounts/\(id)/disable", nil).status == .noContent)
            #expect(try await api.get("/v1/me", as: .anonymous, headers: ["Authorization": "Bearer \(second)"]).status == .unauthorized)
            #expect(try await api.post("/v1/accounts/acct-none/disable", nil).problem == "not-found")

            #expect(try await api.post("/v1/accounts", #"{"name":"No parties","role":"delegate"}"#).problem == "invalid-request")
            #expect(try await api.post("/v1/accounts", #"{"name":"Scoped","role":"observer","parties":["DE"]}"#).problem == "invalid-request")
            #expect(try await api.post("/v1/accounts/\(id)/tokens", #"{"name":"past","expiresAt":"2000-01-01T00:00:00Z"}"#).problem == "invalid-request")
        }
    }
}

extension [String: JSON] {
    /// Back to JSON text, for sending an edited document.
    var jsonText: String { JSON.object(self).jsonText }
}

extension JSON {
    var jsonText: String {
        switch self {
        case .string(let s):
            let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { JSON.string($0.key).jsonText + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        default: return description
        }
    }
}
