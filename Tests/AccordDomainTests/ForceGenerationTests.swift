import AccordDomain
import Testing

/// The reassurance force: per-nation ladders, parliamentary steps that differ in kind, pledges that are amended,
/// and the rules that decide whether the force is generated.
@Suite("Coalition force generation")
struct ForceGenerationTests {
    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["coalition-of-the-willing"])
        let id = try w.open("coalition-force-generation", title: "Reassurance force — force generation", at: "2025-03-15")
        return (w, id)
    }

    func pledge(_ troops: Int64, _ components: [CapabilityComponent], lead: [CapabilityComponent] = [], conditions: [String] = []) -> StepDetails {
        StepDetails(pledge: PledgeDetails(
            troops: troops, capabilities: components.map { CapabilityPledge(component: $0, lead: lead.contains($0)) }, conditions: conditions))
    }

    func vote(maxTroops: Int64? = nil, endDate: String? = nil) -> StepDetails {
        StepDetails(parliamentary: ParliamentaryDetails(chamber: "Bundestag", procedure: .vote, votesFor: 400, votesAgainst: 180, abstaining: 10,
                                                        mandate: Mandate(maxTroops: maxTroops, area: "Western Ukraine", endDate: endDate.flatMap { CivilDate(iso8601: $0) })))
    }

    @Test("a deployment before a required parliamentary vote is refused; a nation that only informs parliament may deploy")
    func deploymentNeedsVoteWhereTheLawSaysSo() throws {
        var (w, id) = try world()
        for party in ["DE", "NL"] {
            try w.step(id, party, "government-decision", at: "2025-04-01")
            try w.step(id, party, "pledged", at: "2025-04-02", details: pledge(1000, [.land]))
            try w.step(id, party, "ready", at: "2025-04-03")
        }
        let error = domainError {
            try w.step(id, "DE", "deployed", at: "2025-05-01", details: StepDetails(deployment: DeploymentDetails(troopsDeployed: 500, location: "Lviv")))
        }
        guard case let .requirementNotMet(party, stage, requires, rule)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(party == PartyCode("DE") && stage == StageID("deployed") && requires == StageID("parliamentary-approval"))
        #expect(rule.contains("deployments need a parliamentary vote"))
        try w.step(id, "NL", "deployed", at: "2025-05-01", details: StepDetails(deployment: DeploymentDetails(troopsDeployed: 500, location: "Odesa")))
        // With the Bundestag's approval Germany may deploy, within the mandate.
        try w.step(id, "DE", "parliamentary-approval", at: "2025-04-20", details: vote(maxTroops: 800))
        #expect(throws: DomainError.exceedsMandate(party: PartyCode("DE")!, troops: 900, maximum: 800)) {
            try w.step(id, "DE", "deployed", at: "2025-05-01", details: StepDetails(deployment: DeploymentDetails(troopsDeployed: 900, location: "Lviv")))
        }
        try w.step(id, "DE", "deployed", at: "2025-05-01", details: StepDetails(deployment: DeploymentDetails(troopsDeployed: 800, location: "Lviv")))
    }

    @Test("an approval lapses after its mandate's end date and can be revoked")
    func approvalExpiryAndRevocation() throws {
        var (w, id) = try world()
        try w.step(id, "DE", "government-decision", at: "2025-04-01")
        try w.step(id, "DE", "parliamentary-approval", at: "2025-04-20", details: vote(endDate: "2025-12-31"))
        let de = PartyCode("DE")!
        let approval = StageID("parliamentary-approval")!
        func standing(_ at: String) -> PartyStanding {
            ProcessSnapshot(process: w.process(id)!, registry: w.registry, asOf: World.instant(at)).standing(of: de)
        }
        #expect(standing("2025-12-31T23:59:59Z").holds(approval))
        #expect(!standing("2026-01-01T00:00:00Z").holds(approval))
        #expect(standing("2026-01-01").expired[approval] == CivilDate(iso8601: "2025-12-31"))
        // Renewed, then revoked.
        try w.step(id, "DE", "parliamentary-approval", at: "2026-01-15", details: vote(endDate: "2026-12-31"))
        #expect(standing("2026-02-01").holds(approval))
        try w.step(id, "DE", "approval-revoked", at: "2026-03-01")
        #expect(!standing("2026-03-02").holds(approval))
        #expect(standing("2026-03-02").currentStage == StageID("approval-revoked"))
    }

    @Test("an amended pledge supersedes the earlier one; the history stays")
    func pledgeAmendment() throws {
        var (w, id) = try world()
        try w.step(id, "GB", "government-decision", at: "2025-04-10")
        try w.step(id, "GB", "pledged", at: "2025-05-01", details: pledge(5000, [.land], lead: [.land]))
        try w.step(id, "GB", "pledged", at: "2025-09-04", details: pledge(7500, [.land, .air], lead: [.land], conditions: ["ceasefire in force"]))
        let evaluation = w.evaluate(id)
        #expect(evaluation.figure("troops-target", "troops")?.value == .count(7500))
        #expect(evaluation.figure("troops-target", "conditional-troops")?.text == "of which 7,500 on conditions (GB)")
        #expect(w.evaluate(id, asOf: "2025-06-01").figure("troops-target", "troops")?.value == .count(5000))
        #expect(w.process(id)!.orderedSteps.filter { $0.current.content.party == PartyCode("GB")! }.count == 3)
    }

    @Test("the force is generated when troops, land contributors and component leads are all there")
    func forceGenerated() throws {
        var (w, id) = try world()
        let contributions: [(String, Int64, [CapabilityComponent], [CapabilityComponent])] = [
            ("GB", 7500, [.land, .air], [.land]), ("FR", 7000, [.land, .air], [.land, .air]), ("TR", 2000, [.sea, .demining], [.sea]),
            ("NO", 700, [.land], []), ("SE", 800, [.land], []), ("FI", 600, [.land], []), ("DK", 500, [.land], []), ("EE", 300, [.land], []),
        ]
        for (party, troops, components, lead) in contributions {
            try w.step(id, party, "government-decision", at: "2025-04-10")
            try w.step(id, party, "pledged", at: "2025-05-01", details: pledge(troops, components, lead: lead, conditions: ["ceasefire in force"]))
        }
        var evaluation = w.evaluate(id)
        #expect(evaluation.status("troops-target") == .notYet)
        #expect(evaluation.result(RuleID("troops-target")!)?.headline == "19,400 of 25,000 troops pledged")
        #expect(evaluation.status("land-contributors") == .notYet)
        #expect(evaluation.figure("land-contributors", "parties")?.value == .count(7))
        #expect(evaluation.status("component-leads") == .satisfied)
        #expect(evaluation.status("force-generated") == .notYet)
        #expect(evaluation.result(RuleID("force-generated")!)?.blockers.count == 2)

        try w.step(id, "NL", "government-decision", at: "2025-06-01")
        try w.step(id, "NL", "pledged", at: "2025-06-02", details: pledge(1000, [.land, .isr], conditions: ["US backstop"]))
        try w.step(id, "PL", "government-decision", at: "2025-06-01")
        try w.step(id, "PL", "pledged", at: "2025-06-03", details: pledge(0, [.logistics]))
        try w.step(id, "DE", "government-decision", at: "2025-06-01")
        try w.step(id, "DE", "pledged", at: "2025-07-01", details: pledge(5000, [.land]))
        evaluation = w.evaluate(id)
        #expect(evaluation.status("force-generated") == .satisfied)
        let decision = try #require(evaluation.decisionResult)
        #expect(decision.since == World.instant("2025-07-01"))
        #expect(decision.decidedBy?.party == PartyCode("DE"))
        // The transition history answers "when, and by whose step?"
        let generated = evaluation.transitions.filter { $0.rule == RuleID("land-contributors") }
        #expect(generated.map(\.to) == [.notYet, .satisfied])
        #expect(generated.last?.cause.summary == "NL: Pledged")
    }

    @Test("a withdrawal takes the pledge away; declining is a negative outcome, not an absence")
    func withdrawalAndDecline() throws {
        var (w, id) = try world()
        try w.step(id, "IT", "government-decision", at: "2025-04-10")
        try w.step(id, "IT", "pledged", at: "2025-05-01", details: pledge(1500, [.land]))
        try w.step(id, "IT", "withdrawn", at: "2025-08-01", details: StepDetails(withdrawal: WithdrawalDetails(reason: "prefers a UN-led mission")))
        #expect(w.evaluate(id, asOf: "2025-07-01").figure("troops-target", "troops")?.value == .count(1500))
        #expect(w.evaluate(id).figure("troops-target", "troops")?.value == .count(0))
        try w.step(id, "GR", "declined", at: "2025-04-10")
        let snapshot = ProcessSnapshot(process: w.process(id)!, registry: w.registry, asOf: w.now)
        #expect(snapshot.standing(of: PartyCode("GR")!).currentStage == StageID("declined"))
        #expect(snapshot.standing(of: PartyCode("LU")!).currentStage == nil)
    }

    @Test("negative or absurd troop numbers are refused", arguments: [Int64(-1), 500_001, Int64.max])
    func absurdTroops(_ troops: Int64) throws {
        var (w, id) = try world()
        try w.step(id, "GB", "government-decision", at: "2025-04-10")
        let error = domainError { try w.step(id, "GB", "pledged", at: "2025-05-01", details: pledge(troops, [.land])) }
        #expect(error?.code == "invalid-troops")
        #expect(w.process(id)?.steps.count == 1)
    }

    @Test("details must match the stage's kind")
    func detailsMatchStage() throws {
        var (w, id) = try world()
        #expect(domainError { try w.step(id, "GB", "government-decision", at: "2025-04-10", details: pledge(10, [.land])) }?.code == "stage-details-mismatch")
        try w.step(id, "GB", "government-decision", at: "2025-04-10")
        #expect(domainError { try w.step(id, "GB", "pledged", at: "2025-05-01") } == .detailsRequired(stage: StageID("pledged")!, kind: .pledge))
    }

    @Test("control and bidirectional-override characters are refused in notes; other Unicode is kept")
    func unusualUnicode() throws {
        var (w, id) = try world()
        let bad = StepContent(party: PartyCode("GB")!, stage: StageID("government-decision")!, note: "approved \u{202E}evil")
        #expect(domainError { try w.run(.recordStep(process: id, step: bad, occurredAt: World.instant("2025-04-10"))) }?.code == "invalid-value")
        let good = StepContent(party: PartyCode("GB")!, stage: StageID("government-decision")!, note: "Décision du Conseil — Ukraine 🇺🇦\nsecond line")
        let entry = try w.entry(.recordStep(process: id, step: good, occurredAt: World.instant("2025-04-10")))
        #expect(w.process(id)?.steps[entry]?.current.content.note == "Décision du Conseil — Ukraine 🇺🇦\nsecond line")
    }
}
