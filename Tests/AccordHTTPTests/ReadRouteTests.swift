import AccordDomain
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Testing

/// Every read endpoint on the demo: status, headers and bodies, `asOf` and `knownAt`, filters, 404s.
@Suite("Reads")
struct ReadRouteTests {
    @Test("parties: the list with attributes as of a date, one party across bodies and processes, unknown parties", arguments: Backend.allCases)
    func parties(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let list = try await api.get("/v1/parties?asOf=2025-06-30", as: .anonymous)
            #expect(list.status == .ok)
            let items = list.json["items"]?.array ?? []
            #expect(items.count >= 30)
            #expect(items.contains { $0["party"]?.string == "DE" && $0["name"]?.string == "Germany" })

            let germany = try await api.get("/v1/parties/DE", as: .observer)
            #expect(germany.status == .ok)
            #expect(germany.json["memberships"]?.array?.contains { $0["body"]?.string == "nato" } == true)
            let processes = germany.json["processes"]?.array ?? []
            let force = processes.first { $0["process"]?["id"]?.string == Demo.forceGeneration }
            #expect(force?["currentStage"]?.string == "interest")
            // Lower case is accepted for party codes.
            #expect(try await api.get("/v1/parties/de").json["party"]?.string == "DE")

            #expect(try await api.get("/v1/parties/QQ").problem == "not-found")
            #expect(try await api.get("/v1/parties/DEU").status == .notFound)
        }
    }

    @Test("bodies with members as of a date; weight tables; templates by id and version", arguments: Backend.allCases)
    func referenceData(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let nato = try await api.get("/v1/bodies/nato?asOf=2020-01-01")
            #expect(nato.status == .ok)
            let members = Set(nato.json["members"]?.array?.compactMap { $0["body"]?.string == "nato" ? nil : $0["name"]?.string } ?? [])
            #expect(members.isEmpty)
            let codes2020 = nato.json["members"]?.array?.count ?? 0
            let codesNow = try await api.get("/v1/bodies/nato").json["members"]?.array?.count ?? 0
            #expect(codes2020 < codesNow, "Finland and Sweden joined NATO after 2020")
            #expect(try await api.get("/v1/bodies").json["items"]?.array?.contains { $0["body"]?.string == "eu-council" } == true)
            #expect(try await api.get("/v1/bodies/atlantis").problem == "not-found")
            #expect(try await api.get("/v1/bodies/Not_A_Slug").status == .notFound)

            let tables = try await api.get("/v1/weight-tables").json["items"]?.array ?? []
            #expect(tables.contains { $0["table"]?.string == "eu-council-population" })

            let templates = try await api.get("/v1/templates").json["items"]?.array ?? []
            #expect(templates.count == 10)
            let silence = try await api.get("/v1/templates/nato-silence-procedure?version=1")
            #expect(silence.json["version"]?.int == 1)
            #expect(silence.json["definition"]?["id"]?.string == "nato-silence-procedure")
            #expect(try await api.get("/v1/templates/nato-silence-procedure?version=9").problem == "not-found")
            #expect(try await api.get("/v1/templates/nato-silence-procedure?version=0").problem == "invalid-parameter")
            #expect(try await api.get("/v1/templates/nope").status == .notFound)
        }
    }

    @Test("processes: the list with filters, one process with its ETag, matrix, results, history, timeline", arguments: Backend.allCases)
    func processes(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let all = try await api.get("/v1/processes")
            #expect(all.json["processes"]?.array?.count == 3)
            #expect(try await api.get("/v1/processes?template=nato-silence-procedure").json["processes"]?.array?.count == 1)
            #expect(try await api.get("/v1/processes?party=GR&status=open").json["processes"]?.array?.count ?? 0 >= 1)
            #expect(try await api.get("/v1/processes?status=closed").problem == "invalid-parameter")
            #expect(try await api.get("/v1/processes?template=Not%20A%20Slug").problem == "invalid-parameter")
            #expect(try await api.get("/v1/processes?party=Germany").problem == "invalid-parameter")

            let detail = try await api.get("/v1/processes/\(Demo.forceGeneration)")
            #expect(detail.status == .ok)
            let version = try #require(detail.json["summary"]?["version"]?.int)
            #expect(detail["ETag"] == "\"\(version)\"")
            #expect(detail.json["stages"]?.array?.isEmpty == false)

            let matrix = try await api.get("/v1/processes/\(Demo.forceGeneration)/matrix")
            let greece = matrix.json["rows"]?.array?.first { $0["party"]?.string == "GR" }
            #expect(greece?["currentStage"]?.string == "declined")
            #expect(greece?["cells"]?.array?.contains { $0["stage"]?.string == "declined" && $0["held"]?.bool == true } == true)

            let results = try await api.get("/v1/processes/\(Demo.forceGeneration)/results")
            let troops = results.json["results"]?.array?.first { $0["rule"]?.string == "troops-target" }
            #expect(troops?["headline"]?.string == "21,500 of 25,000 troops pledged")
            #expect(troops?["figures"]?[0]?["value"] == .object(["count": .integer(21_500)]))
            #expect(troops?["figures"]?[0]?["threshold"] == .object(["count": .integer(25_000)]))

            let history = try await api.get("/v1/processes/\(Demo.forceGeneration)/history?rule=land-contributors")
            let transitions = history.json["transitions"]?.array ?? []
            #expect(!transitions.isEmpty && transitions.allSatisfy { $0["rule"]?.string == "land-contributors" })
            #expect(try await api.get("/v1/processes/\(Demo.forceGeneration)/history?rule=Bad_Rule").problem == "invalid-parameter")

            let timeline = try await api.get("/v1/processes/\(Demo.forceGeneration)/timeline")
            let entries = timeline.json["items"]?.array ?? []
            #expect(entries.first?["kind"]?.string == "opened")
            #expect(entries.contains { $0["kind"]?.string == "step" && $0["party"]?.string == "GR" })

            for suffix in ["", "/matrix", "/results", "/history", "/timeline"] {
                #expect(try await api.get("/v1/processes/\(ProcessID())\(suffix)").status == .notFound)
                #expect(try await api.get("/v1/processes/not-a-uuid\(suffix)").problem == "not-found")
            }
        }
    }

    @Test("asOf and knownAt: an earlier date shows the earlier state; a log position or recorded time hides later entries", arguments: Backend.allCases)
    func asOfAndKnownAt(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let path = "/v1/processes/\(Demo.forceGeneration)"
            // Before 10 April 2025 Greece had not declined.
            let april = try await api.get("\(path)/matrix?asOf=2025-04-09")
            #expect(april.json["rows"]?.array?.first { $0["party"]?.string == "GR" }?["currentStage"] == nil)
            #expect(april.json["asOf"]?.string == "2025-04-09T23:59:59.999999Z")
            let exact = try await api.get("\(path)/results?asOf=2025-04-10T12:00:00Z")
            #expect(exact.json["asOf"]?.string == "2025-04-10T12:00:00.000000Z")

            let before = try await api.logHead()
            let recorded = try await api.post("\(path)/steps", #"{"party":"DE","stage":"government-decision","occurredAt":"2025-10-01T09:00:00Z","source":"Bundesregierung"}"#)
            #expect(recorded.status == .created)
            let position = try #require(recorded.json["recorded"]?[0]?["position"]?.int)
            #expect(position > before)

            func germany(_ query: String) async throws -> String? {
                try await api.get("\(path)/matrix?\(query)").json["rows"]?.array?.first { $0["party"]?.string == "DE" }?["currentStage"]?.string
            }
            #expect(try await germany("") == "government-decision")
            #expect(try await germany("knownAt=\(before)") == "interest")
            #expect(try await germany("knownAt=\(position)") == "government-decision")
            #expect(try await germany("asOf=2025-09-30") == "interest")
            #expect(try await germany("knownAt=2025-01-01") == nil, "nothing was recorded by 2025 (the demo was loaded today)")
            #expect(try await api.get("\(path)/timeline?knownAt=\(before)").json["items"]?.array?.contains { $0["entry"] == recorded.json["recorded"]?[0]?["entry"] } == false)
            let list = try await api.get("/v1/processes?knownAt=\(before)")
            #expect(list.json["knownAtPosition"]?.int ?? 0 >= before)

            for bad in ["asOf=yesterday", "asOf=2025-02-30", "knownAt=-1", "knownAt=soon", "asOf=2025-13-01T00:00:00Z"] {
                let response = try await api.get("\(path)/results?\(bad)")
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.problem == "invalid-parameter", "\(bad)")
            }
        }
    }

    @Test("rule results served from the rendered cache are the results as of each request, and a write is seen at once")
    func renderedResults() async throws {
        try await withAPI(.sqlite) { api in
            let path = "/v1/processes/\(Demo.forceGeneration)/results"
            let first = try await api.get("\(path)?asOf=2026-01-01T00:00:00Z")
            let second = try await api.get("\(path)?asOf=2026-02-01T00:00:00Z")
            #expect(first.json["asOf"]?.string == "2026-01-01T00:00:00.000000Z")
            #expect(second.json["asOf"]?.string == "2026-02-01T00:00:00.000000Z")
            var a = first.json.object ?? [:]
            var b = second.json.object ?? [:]
            a["asOf"] = nil
            b["asOf"] = nil
            #expect(!a.isEmpty && a == b)
            // The same bytes as encoding the evaluation afresh.
            let asOf = Instant(iso8601: "2026-02-01T00:00:00Z")!
            let fresh = try await api.service.queries.results(DemoScenario.forceGeneration, asOf: asOf, cutoff: .everything)
            #expect(second.body == APICoding.encode(fresh))

            let head = try await api.logHead()
            _ = try await api.post("/v1/processes/\(Demo.forceGeneration)/steps",
                                   #"{"party":"DE","stage":"government-decision","occurredAt":"2025-12-01T00:00:00Z"}"#)
            _ = try await api.post("/v1/processes/\(Demo.forceGeneration)/steps",
                                   #"{"party":"DE","stage":"pledged","occurredAt":"2025-12-02T00:00:00Z","details":{"pledge":{"troops":4000}}}"#)
            let after = try await api.get("\(path)?asOf=2026-02-01T00:00:00Z")
            let troops = { (r: APIResponse) in r.json["results"]?.array?.first { $0["rule"]?.string == "troops-target" }?["status"]?.string }
            #expect(troops(second) == "not-yet")
            #expect(troops(after) == "satisfied")
            #expect(troops(try await api.get("\(path)?asOf=2026-02-01T00:00:00Z&knownAt=\(head)")) == "not-yet")
            #expect(troops(try await api.get("\(path)?asOf=2025-12-01T12:00:00Z")) == "not-yet")
        }
    }

    @Test("what-if evaluates hypotheses without recording them", arguments: Backend.allCases)
    func whatIf(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let head = try await api.logHead()
            let body = #"{"hypotheses":[{"kind":"step","party":"DE","stage":"government-decision"},{"kind":"step","party":"DE","stage":"pledged","details":{"pledge":{"troops":4000,"capabilities":[{"component":"air","lead":true}]}}}]}"#
            let response = try await api.post("/v1/processes/\(Demo.forceGeneration)/what-if", body, as: .observer)
            #expect(response.status == .ok)
            #expect(response.json["changed"]?.array?.compactMap(\.string).contains("troops-target") == true)
            let after = response.json["after"]?.array?.first { $0["rule"]?.string == "troops-target" }
            #expect(after?["status"]?.string == "satisfied")
            #expect(try await api.logHead() == head)
            #expect(try await api.post("/v1/processes/\(Demo.forceGeneration)/what-if", #"{"hypotheses":[{"kind":"step","party":"DE"}]}"#).problem == "malformed-request")
            #expect(try await api.post("/v1/processes/\(Demo.forceGeneration)/what-if", #"{"hypotheses":[{"kind":"ballot","party":"DE","position":"yes"}]}"#).problem == "ballots-not-accepted")
            #expect(try await api.post("/v1/processes/\(ProcessID())/what-if", #"{"hypotheses":[]}"#).status == .notFound)
        }
    }

    @Test("the event log in pages: next points at the following page, head at the last event", arguments: Backend.allCases)
    func eventLog(_ backend: Backend) async throws {
        try await withAPI(backend) { api in
            let head = try await api.logHead()
            let first = try await api.get("/v1/events?limit=50", as: .auditor)
            #expect(first.json["events"]?.array?.count == 50)
            #expect(first.json["head"]?.int == head)
            let next = try #require(first.json["next"]?.int)
            #expect(next == 50)
            let second = try await api.get("/v1/events?after=\(next)&limit=1000")
            #expect(second.json["events"]?[0]?["position"]?.int == 51)
            #expect(second.json["next"] == nil)
            let event = try #require(first.json["events"]?[1])
            #expect(event["previousHash"] == first.json["events"]?[0]?["chainHash"])
            for bad in ["limit=0", "limit=1001", "after=-1", "limit=ten"] {
                #expect(try await api.get("/v1/events?\(bad)").problem == "invalid-parameter", "\(bad)")
            }
        }
    }

    @Test("who am I; reads with a bad token are 401 even where anonymous reads are allowed")
    func identity() async throws {
        try await withAPI(.sqlite) { api in
            let me = try await api.get("/v1/me", as: .delegateDE)
            #expect(me.json["account"]?["role"]?.string == "delegate")
            #expect(me.json["account"]?["parties"] == .array([.string("DE")]))
            #expect(try await api.get("/v1/me", as: .anonymous).problem == "unauthenticated")
            let wrong = try await api.get("/v1/processes", as: .anonymous, headers: ["Authorization": "Bearer accord_wrong"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong["WWW-Authenticate"] == "Bearer realm=\"accord\"")
            #expect(try await api.get("/v1/processes", as: .anonymous, headers: ["Authorization": "Basic dXNlcjpwdw=="]).status == .unauthorized)
        }
    }
}
