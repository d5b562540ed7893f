import AccordDomain
import Foundation
import Testing

@Suite("Templates")
struct TemplateTests {
    static let shipped = try! FileManager.default.contentsOfDirectory(atPath: World.repository.appendingPathComponent("schema/templates").path)
        .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

    @Test("every shipped template is valid", arguments: shipped)
    func shippedTemplatesAreValid(_ name: String) throws {
        let template = try TemplateCompiler.validate(try World.templateDefinition(name))
        #expect(template.id.rawValue == name)
        #expect(template.rule(template.decision) != nil)
    }

    @Test("the catalogue covers every kind of process the brief names")
    func catalogue() {
        for required in ["coalition-force-generation", "alliance-accession-ratification", "nato-silence-procedure",
                         "eu-council-qualified-majority", "eu-unanimity-constructive-abstention", "un-security-council-resolution",
                         "treaty-entry-into-force"] {
            #expect(Self.shipped.contains(required))
        }
    }

    func definition(_ mutate: (inout [String: JSONValue]) -> Void) throws -> JSONValue {
        guard case .object(var object) = try World.templateDefinition("alliance-accession-ratification") else { throw CancellationError() }
        mutate(&object)
        return .object(object)
    }

    @Test("a misspelt key is an error, not ignored")
    func unknownKey() throws {
        let bad = try definition { $0["rulez"] = .array([]) }
        #expect(throws: DomainError.self) { try TemplateCompiler.validate(bad) }
    }

    @Test("a rule naming an unknown stage is refused with the rule named")
    func unknownStage() throws {
        let bad = try definition {
            $0["rules"] = .array([.object(["id": .string("all-ratified"), "kind": .string("stage-unanimity"), "stage": .string("ratifyed")])])
        }
        let error = domainError { _ = try TemplateCompiler.validate(bad) }
        guard case .invalidTemplate(let problems)? = error else { Issue.record("expected invalidTemplate, got \(String(describing: error))"); return }
        #expect(problems.contains { $0.contains("all-ratified") && $0.contains("ratifyed") })
    }

    @Test("combined rules must not form a cycle")
    func cycles() throws {
        let bad = try definition {
            $0["rules"] = .array([
                .object(["id": .string("a"), "kind": .string("all"), "rules": .array([.string("b")])]),
                .object(["id": .string("b"), "kind": .string("not"), "rule": .string("a")]),
            ])
            $0["decision"] = .string("a")
        }
        #expect(throws: DomainError.self) { try TemplateCompiler.validate(bad) }
    }

    @Test("a ballot rule needs the template to accept ballots")
    func ballotRuleWithoutBallot() throws {
        let bad = try definition {
            $0["rules"] = .array([.object(["id": .string("c"), "kind": .string("consensus")])])
            $0["decision"] = .string("c")
        }
        #expect(throws: DomainError.self) { try TemplateCompiler.validate(bad) }
    }

    @Test("parameters are substituted, checked and required when they have no default")
    func parameters() throws {
        let definition = try World.templateDefinition("treaty-entry-into-force")
        #expect(throws: DomainError.invalidParameter(name: "signatories", reason: "required (The signatory states)")) {
            try TemplateCompiler.resolve(definition, parameters: [:])
        }
        #expect(throws: DomainError.self) {
            try TemplateCompiler.resolve(definition, parameters: ["signatories": .array([.string("not a party")])])
        }
        #expect(throws: DomainError.self) {
            try TemplateCompiler.resolve(definition, parameters: ["signatories": .array([.string("FR")]), "nonsense": .integer(1)])
        }
        let (template, values) = try TemplateCompiler.resolve(definition, parameters: ["signatories": .array([.string("FR"), .string("DE")]), "instruments": .integer(2)])
        #expect(template.electorate == .parties([PartyCode("FR")!, PartyCode("DE")!]))
        #expect(values["days"] == .integer(30))
    }

    @Test("the shipped templates satisfy the JSON Schema's rule catalogue: every rule kind is used or documented")
    func everyRuleKindIsKnown() throws {
        var used = Set<RuleKind>()
        for name in Self.shipped {
            let template = try TemplateCompiler.validate(try World.templateDefinition(name))
            for rule in template.rules { used.insert(rule.condition.kind) }
        }
        #expect(used.isSuperset(of: [.stageUnanimity, .consensus, .silenceProcedure, .constructiveAbstention, .qualifiedMajority,
                                     .securityCouncil, .weightedSum, .count, .roleCoverage, .dependency, .all, .entryIntoForce]))
    }
}
