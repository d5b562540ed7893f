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

/// `schema/openapi.json` and the server cannot drift apart: the router and the document list the same
/// operations, the document's schemas are checkable, and its problem types are the catalogue's. (Every
/// router test also validates each response against the document: see `API.request`.)
@Suite("OpenAPI contract")
struct ContractTests {
    let contract = OpenAPIContract.shared

    @Test("every route registered through Endpoints is documented, and every documented operation is routed")
    func routesAndDocumentAgree() async throws {
        try await withTestStore(.sqlite) { store, database in
            let service = AccordService(store: store, clock: SystemWallClock())
            // The router as `accord serve` builds it: the core API plus the audit and notification routes.
            let modules = InstalledModules(service: service, database: database)
            _ = AccordServer.makeRouter(service: service, configuration: ServerConfiguration(), extraRoutes: modules.routes)
            await modules.close()
            let routed = RouteTable.all
            let documented = contract.operations
            #expect(routed.subtracting(documented).sorted() == [], "routes missing from schema/openapi.json")
            #expect(documented.subtracting(routed).sorted() == [], "operations in schema/openapi.json without a route")
            #expect(routed.count >= 65)
            for operation in ["GET /v1/audit/export", "POST /v1/webhooks", "GET /v1/stream", "POST /v1/processes/{process}/steps/batch"] {
                #expect(routed.contains(operation), "\(operation) is not routed")
            }
        }
    }

    @Test("the document is OpenAPI 3.1 and uses only JSON-Schema keywords the tests' validator checks")
    func documentIsCheckable() {
        #expect(contract.document["openapi"]?.string == "3.1.0")
        #expect(contract.validator.unsupportedKeywords() == [])
        var unresolved: [String] = []
        func walk(_ node: JSON) {
            switch node {
            case .object(let o):
                if let reference = o["$ref"]?.string, contract.validator.resolve(reference) == nil { unresolved.append(reference) }
                o.values.forEach(walk)
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(contract.document)
        #expect(unresolved == [])
    }

    @Test("every example in the document is valid by its own schema")
    func examplesAreValid() {
        var checked = 0
        for (path, item) in contract.document["paths"]?.object ?? [:] {
            for (method, operation) in item.object ?? [:] {
                guard let media = operation["requestBody"]?["content"]?["application/json"], let example = media["example"],
                      let schema = media["schema"] else { continue }
                checked += 1
                #expect(contract.validator.validate(example, against: schema) == [], "\(method.uppercased()) \(path)")
            }
        }
        for (name, parameter) in contract.document["components"]?["parameters"]?.object ?? [:] {
            guard let example = parameter["example"], let schema = parameter["schema"] else { continue }
            checked += 1
            #expect(contract.validator.validate(example, against: schema) == [], "parameter \(name)")
        }
        #expect(checked >= 20)
    }

    @Test("every operation says who may call it: security requirements, permission and roles")
    func operationsDocumentAuthorization() {
        for (path, item) in contract.document["paths"]?.object ?? [:] {
            for (method, operation) in item.object ?? [:] {
                let label = "\(method.uppercased()) \(path)"
                #expect(operation["security"]?.array != nil, "\(label) has no security requirement")
                #expect(operation["x-accord-permission"]?.string != nil, "\(label) has no x-accord-permission")
                #expect((operation["x-accord-roles"]?.array ?? []).isEmpty == false, "\(label) has no x-accord-roles")
                #expect(operation["operationId"]?.string != nil, "\(label) has no operationId")
                let writes = operation["x-accord-permission"]?.string.map { !["read", "none"].contains($0) } ?? false
                if writes {
                    #expect(operation["security"] == .array([.object(["bearerAuth": .array([])])]), "\(label) writes but does not require a token")
                    #expect(operation["responses"]?["401"] != nil && operation["responses"]?["403"] != nil || path == "/v1/me", "\(label) lacks 401/403")
                }
            }
        }
    }

    @Test("the documented problem types are exactly the catalogue's, and each is served at /problems/{code}")
    func problemTypesAreTheCatalogue() {
        let documented = contract.document["components"]?["schemas"]?["Problem"]?["properties"]?["type"]?["enum"]?.array?.compactMap(\.string) ?? []
        #expect(documented == ProblemCatalogue.all.map { "/problems/\($0.code)" })
        #expect(Set(ProblemCatalogue.all.map(\.code)).count == ProblemCatalogue.all.count, "duplicate codes in the catalogue")
    }

    @Test("docs/api.md lists every problem type with its status")
    func documentationListsProblems() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/api.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for entry in ProblemCatalogue.all {
            #expect(text.contains("| `\(entry.code)` | \(entry.status) |"), "docs/api.md does not list \(entry.code)")
        }
    }

    @Test("every domain error maps to a catalogued problem type with the catalogue's status")
    func domainErrorsAreCatalogued() {
        let instant = Instant(iso8601: "2025-04-10T12:00:00Z")!
        let party = PartyCode("DE")!
        let stage = StageID("signed")!
        let deadline = DeadlineValue(at: instant, timeZone: "Europe/Brussels", localTime: "2025-04-10T14:00")
        let errors: [DomainError] = [
            .unknownParty(party), .unknownBody(BodyID("nato")!), .unknownTemplate(TemplateID("x")!), .unknownTemplateVersion(TemplateID("x")!, version: 2),
            .unknownStage(stage, template: TemplateID("x")!, known: []), .unknownWeightTable(WeightTableID("w")!),
            .unknownDeadline(DeadlineID("silence")!, known: []), .unknownEntry(EntryID()), .unknownProcess(ProcessID()), .alreadyExists(what: "x"),
            .partyNotInElectorate(party, on: instant.utcDate, electorate: "nato"),
            .transitionNotAllowed(party: party, from: nil, to: stage, allowed: [], rule: "transitions"),
            .requirementNotMet(party: party, stage: stage, requires: stage, rule: "requires"), .partyIsOut(party, stage: stage),
            .processClosed(at: instant), .beforeProcessOpened(occurredAt: instant, openedAt: instant),
            .objectionAfterDeadline(deadline: deadline, occurredAt: instant), .ballotsNotAccepted(template: TemplateID("x")!),
            .positionNotAllowed(.veto, allowed: []), .statementRequired(.veto, what: "a justification"), .voteNotChangeable, .nothingToWithdraw(party),
            .detailsNotAllowed(stage: stage, kind: .plain, given: "pledge"), .detailsRequired(stage: stage, kind: .pledge),
            .invalidTroops(-1, reason: "negative"), .exceedsMandate(party: party, troops: 2, maximum: 1), .invalidValue(field: "note", reason: "x"),
            .occurredInFuture(occurredAt: instant, now: instant, allowanceSeconds: 300), .entryAlreadyRetracted(EntryID()),
            .entryNotCorrectable(EntryID(), kind: "deadline"), .deadlineNotExtendable(DeadlineID("silence")!, reason: "x"),
            .invalidTimeZone("Mars/Olympus"), .invalidLocalTime("x"), .invalidTemplate(["x"]), .invalidParameter(name: "x", reason: "y"),
            .notAMember(party, body: BodyID("nato")!), .alreadyAMember(party, body: BodyID("nato")!),
            .unsupportedSchemaVersion(type: "StepRecorded", version: 9),
        ]
        for error in errors {
            let problem = Problem.from(error, logger: .init(label: "test"))
            let entry = ProblemCatalogue.entry(problem.code)
            #expect(entry != nil, "\(error.code) is not in the problem catalogue")
            if let entry, problem.code != "unsupported-schema-version" {
                #expect(entry.status == Int(problem.httpStatus.code), "\(error.code): catalogue says \(entry.status), the server answers \(problem.httpStatus.code)")
            }
        }
    }

    @Test("the validator the contract tests rely on refuses what it should")
    func validatorRefusesViolations() throws {
        let document = try JSON.parse(#"{"components":{"schemas":{"P":{"type":"object","required":["a"],"additionalProperties":false,"properties":{"a":{"type":"integer","minimum":1},"b":{"type":"string","format":"uuid"},"c":{"oneOf":[{"type":"string","pattern":"^x"},{"type":"integer"}]}}}}}}"#)
        let validator = SchemaValidator(root: document)
        let schema = JSON.object(["$ref": .string("#/components/schemas/P")])
        #expect(validator.validate(try JSON.parse(#"{"a":1,"b":"6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01","c":"xy"}"#), against: schema) == [])
        #expect(validator.validate(try JSON.parse(#"{}"#), against: schema) == ["(root): required member 'a' is missing"])
        #expect(validator.validate(try JSON.parse(#"{"a":1,"z":2}"#), against: schema) == ["(root): member 'z' is not in the schema"])
        #expect(validator.validate(try JSON.parse(#"{"a":0}"#), against: schema) == ["/a: 0 is below the minimum 1"])
        #expect(validator.validate(try JSON.parse(#"{"a":1.5}"#), against: schema).count == 1)
        #expect(validator.validate(try JSON.parse(#"{"a":true}"#), against: schema).count == 1)
        #expect(validator.validate(try JSON.parse(#"{"a":1,"b":"nope"}"#), against: schema) == [#"/b: "nope" is not a uuid"#])
        #expect(validator.validate(try JSON.parse(#"{"a":1,"c":"y"}"#), against: schema).count == 1)
    }
}
