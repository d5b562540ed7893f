import AccordDomain
import Foundation
import Testing

@Suite("Treaty entry into force")
struct EntryIntoForceTests {
    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        let id = try w.open("treaty-entry-into-force", at: "2025-01-05",
                            parameters: ["signatories": .array(["FR", "DE", "IT"].map { .string($0) }), "instruments": .integer(2), "days": .integer(30)])
        return (w, id)
    }

    func ratify(_ w: inout World, _ id: ProcessID, _ party: String, deposited: String) throws {
        try w.step(id, party, "signed", at: "2025-01-05")
        try w.step(id, party, "parliament-approved", at: "2025-01-06")
        try w.step(id, party, "instrument-deposited", at: deposited)
    }

    @Test("N instruments, then date arithmetic; later ratifiers get their own date")
    func dates() throws {
        var (w, id) = try world()
        try ratify(&w, id, "FR", deposited: "2025-01-10")
        try ratify(&w, id, "DE", deposited: "2025-02-15")
        let pending = try #require(w.evaluate(id, asOf: "2025-03-16T23:59:59Z").result(RuleID("entry-into-force")!))
        #expect(pending.status == .notYet)
        #expect(pending.headline == "2 instruments; enters into force on 2025-03-17")
        #expect(pending.expectedAt == Instant(iso8601: "2025-03-17T00:00:00Z"))
        let inForce = try #require(w.evaluate(id, asOf: "2025-03-17T00:00:00Z").result(RuleID("entry-into-force")!))
        #expect(inForce.status == .satisfied)
        #expect(inForce.since == Instant(iso8601: "2025-03-17T00:00:00Z"))
        #expect(inForce.decidedBy?.summary == "date reached: 2025-03-17")
        try ratify(&w, id, "IT", deposited: "2025-05-01")
        let later = w.evaluate(id, asOf: "2025-06-01").figure("entry-into-force", "entry-into-force-IT")
        #expect(later?.value == .date(CivilDate(iso8601: "2025-05-31")!))
    }

    @Test("a withdrawn signature that makes the threshold impossible fails the rule for good")
    func impossible() throws {
        var w = World()
        try w.loadParties()
        let id = try w.open("treaty-entry-into-force", at: "2025-01-05",
                            parameters: ["signatories": .array(["FR", "DE"].map { .string($0) }), "instruments": .integer(2)])
        try w.step(id, "DE", "signature-withdrawn", at: "2025-02-01")
        #expect(w.evaluate(id).status("entry-into-force") == .failed)
        #expect(domainError { try w.step(id, "DE", "signed", at: "2025-03-01") }?.code == "party-is-out")
    }

    @Test("first day of the month after a period", arguments: [
        ("2025-01-10", 60, "2025-04-01"), ("2024-12-31", 60, "2025-04-01"), ("2025-01-31", 0, "2025-02-01"),
    ])
    func firstDayOfMonth(_ deposit: String, _ days: Int64, _ expected: String) {
        #expect(DateRule.firstDayOfMonthAfter(days: days).apply(to: CivilDate(iso8601: deposit)!).iso8601 == expected)
    }
}

@Suite("Counting, combining and depending rules")
struct CombinationTests {
    /// A template written inline: the rule kinds that templates combine.
    static let definition: JSONValue = {
        let text = """
        {"id": "capitals", "name": "Capitals", "electorate": {"parties": ["GB", "FR", "DE", "PL", "IT"]},
         "stages": [{"id": "agreed", "label": "Agreed"}, {"id": "refused", "label": "Refused", "outcome": "negative", "terminal": true}],
         "rules": [
           {"id": "three-with-uk-and-france", "kind": "n-of-m", "stage": "agreed", "minimum": 3, "required": ["GB", "FR"]},
           {"id": "nobody-refused", "kind": "not", "rule": "someone-refused"},
           {"id": "someone-refused", "kind": "count", "minimum": 1, "filter": {"stage": "refused"}},
           {"id": "either", "kind": "any", "rules": ["three-with-uk-and-france", "someone-refused"]},
           {"id": "go", "kind": "all", "rules": ["three-with-uk-and-france", "nobody-refused"]}
         ],
         "decision": "go"}
        """
        return try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }()

    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.run(.registerTemplate(definition: Self.definition, contentHash: "capitals-1"))
        let id = try w.open("capitals", at: "2025-01-01")
        return (w, id)
    }

    @Test("n of m names the party that blocks it")
    func namedPartyBlocks() throws {
        var (w, id) = try world()
        for p in ["GB", "DE", "PL"] { try w.step(id, p, "agreed", at: "2025-02-01") }
        let result = try #require(w.evaluate(id).result(RuleID("three-with-uk-and-france")!))
        #expect(result.status == .notYet)
        #expect(result.blockers.map(\.detail) == ["blocked by FR: no step recorded, needs Agreed"])
        try w.step(id, "FR", "agreed", at: "2025-02-02")
        #expect(w.evaluate(id).status("go") == .satisfied)
    }

    @Test("a required party's final refusal fails n-of-m for good, and 'not' and 'any' follow")
    func refusal() throws {
        var (w, id) = try world()
        try w.step(id, "FR", "refused", at: "2025-02-01")
        let e = w.evaluate(id)
        #expect(e.status("three-with-uk-and-france") == .failed)
        #expect(e.status("someone-refused") == .satisfied)
        #expect(e.status("nobody-refused") == .notYet)
        #expect(e.status("either") == .satisfied)
        #expect(e.status("go") == .failed)
    }

    @Test("registering the same template again changes nothing; a changed one gets the next version, and open processes keep theirs")
    func templateVersions() throws {
        var (w, id) = try world()
        #expect(try w.run(.registerTemplate(definition: Self.definition, contentHash: "capitals-1")).isEmpty)
        guard case .object(var changed) = Self.definition else { return }
        changed["name"] = .string("Capitals, revised")
        try w.run(.registerTemplate(definition: .object(changed), contentHash: "capitals-2"))
        #expect(w.registry.latestTemplate(TemplateID("capitals")!)?.version == 2)
        #expect(w.process(id)?.template.version == 1)
        #expect(w.process(id)?.definition.name == "Capitals")
    }

    @Test("a dependency follows the other process's outcome over time")
    func dependency() throws {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["nato", "coalition-of-the-willing"])
        let nato = try w.open("nato-silence-procedure", title: "NAC: NATO C2", at: "2025-11-20")
        try w.run(.setDeadline(process: nato, deadline: DeadlineID("silence")!, localTime: "2025-12-05T12:00", timeZone: nil, reason: nil,
                               occurredAt: World.instant("2025-11-20")))
        let force = try w.open("coalition-force-generation", title: "Force generation", at: "2025-03-15", parameters: ["targetTroops": .integer(100), "landContributors": .integer(1)])
        try w.step(force, "GB", "government-decision", at: "2025-04-10")
        try w.step(force, "GB", "pledged", at: "2025-05-01", details: StepDetails(pledge: PledgeDetails(troops: 7500, capabilities: [
            CapabilityPledge(component: .land, lead: true), CapabilityPledge(component: .air, lead: true), CapabilityPledge(component: .sea, lead: true)])))
        let decision = try w.open("coalition-deployment-decision", title: "Deploy", at: "2025-11-21",
                                  parameters: ["forceGeneration": .string(force.description), "allianceDecision": .string(nato.description)])
        #expect(domainError {
            _ = try w.open("coalition-deployment-decision", at: "2025-11-21",
                           parameters: ["forceGeneration": .string(ProcessID().description), "allianceDecision": .string(nato.description)])
        }?.code == "unknown-process")

        let dependencies = [nato: w.evaluate(nato).dependencyTimeline, force: w.evaluate(force).dependencyTimeline]
        let before = w.evaluate(decision, asOf: "2025-12-01", dependencies: dependencies)
        #expect(before.status("force-generated") == .satisfied)
        #expect(before.status("alliance-agreed") == .notYet)
        let after = w.evaluate(decision, asOf: "2025-12-06", dependencies: dependencies)
        #expect(after.status("may-deploy") == .satisfied)
        #expect(after.decisionResult?.since == Instant(iso8601: "2025-12-05T11:00:00Z"))
    }

    @Test("what-if evaluates hypothetical ballots and writes nothing")
    func whatIf() throws {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["eu-council"])
        try w.loadEUPopulation()
        let id = try w.open("eu-council-qualified-majority", at: "2025-03-01")
        for m in EUCouncilTests.members where !["HU", "PL", "DE", "FR"].contains(m) { try w.vote(id, m, .yes, at: "2025-03-10") }
        try w.vote(id, "DE", .no, at: "2025-03-10")
        try w.vote(id, "FR", .no, at: "2025-03-10")
        let count = w.envelopes.count
        let outcome = try WhatIf.evaluate(
            w.process(id)!, registry: w.registry,
            hypotheses: [.castBallot(process: id, ballot: BallotContent(party: PartyCode("HU")!, position: .abstain), occurredAt: nil),
                         .castBallot(process: id, ballot: BallotContent(party: PartyCode("PL")!, position: .notParticipating), occurredAt: nil)],
            asOf: w.now, now: w.now)
        #expect(w.envelopes.count == count)
        #expect(outcome.after.result(RuleID("qualified-majority")!)?.figures.first { $0.key == "yes-members" }?.total == 26)
        #expect(outcome.before.result(RuleID("qualified-majority")!)?.figures.first { $0.key == "yes-members" }?.total == 27)
        // An impossible hypothesis is refused like a real command.
        #expect(throws: DomainError.self) {
            try WhatIf.evaluate(w.process(id)!, registry: w.registry,
                                hypotheses: [.castBallot(process: id, ballot: BallotContent(party: PartyCode("US")!, position: .yes), occurredAt: nil)],
                                asOf: w.now, now: w.now)
        }
    }
}
