import AccordDomain
import Testing

/// Stage unanimity over an electorate that grows: an accession protocol every ally ratifies, with a new ally
/// (Finland) joining while it is pending. Dates are illustrative except the accession dates.
@Suite("Accession protocol ratification (stage unanimity)")
struct AccessionTests {
    static let alliesIn2022 = ["AL", "BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FR", "DE", "GR", "HU", "IS", "IT", "LV", "LT", "LU",
                               "ME", "NL", "MK", "NO", "PL", "PT", "RO", "SK", "SI", "ES", "TR", "GB", "US"]

    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["nato"])
        let id = try w.open("alliance-accession-ratification", title: "Accession protocol for Sweden", at: "2022-07-05",
                            parameters: ["candidate": .string("SE")])
        return (w, id)
    }

    func ratify(_ w: inout World, _ id: ProcessID, _ party: String, signed: String, approved: String, deposited: String) throws {
        try w.step(id, party, "signed", at: signed)
        try w.step(id, party, "parliament-approved", at: approved)
        try w.step(id, party, "instrument-deposited", at: deposited)
    }

    @Test("the electorate grows when an ally joins mid-process, and unanimity waits for it")
    func memberJoiningMidProcess() throws {
        var (w, id) = try world()
        #expect(w.evaluate(id, asOf: "2022-07-06").result(RuleID("all-ratified")!)?.headline == "0 of 30 Instrument deposited")
        for party in Self.alliesIn2022 where party != "HU" && party != "TR" {
            try ratify(&w, id, party, signed: "2022-07-05", approved: "2022-09-01", deposited: "2022-10-01")
        }
        try ratify(&w, id, "TR", signed: "2022-07-05", approved: "2024-01-23", deposited: "2024-01-26")
        try ratify(&w, id, "HU", signed: "2022-07-05", approved: "2024-02-26", deposited: "2024-03-05")

        // Before Finland joined, all 30 allies of the day had deposited? Not until Hungary did, in 2024 — by then
        // Finland (a member since 2023-04-04) was part of the electorate too.
        let beforeFinland = w.evaluate(id, asOf: "2023-04-03")
        #expect(beforeFinland.result(RuleID("all-ratified")!)?.headline == "28 of 30 Instrument deposited")
        let afterHungary = w.evaluate(id, asOf: "2024-03-06")
        let rule = try #require(afterHungary.result(RuleID("all-ratified")!))
        #expect(rule.status == .notYet)
        #expect(rule.headline == "30 of 31 Instrument deposited")
        #expect(rule.blockers.map(\.party) == [PartyCode("FI")])

        try ratify(&w, id, "FI", signed: "2023-04-04", approved: "2023-05-01", deposited: "2024-03-06")
        let done = w.evaluate(id, asOf: "2024-03-06T18:00:00Z")
        let satisfied = try #require(done.result(RuleID("all-ratified")!))
        #expect(satisfied.status == .satisfied)
        #expect(satisfied.since == World.instant("2024-03-06"))
        #expect(satisfied.decidedBy?.party == PartyCode("FI"))
        #expect(satisfied.decidedBy?.summary == "FI: Instrument deposited")
    }

    @Test("a deposit before the parliament's approval is refused, naming the template rule")
    func depositBeforeApproval() throws {
        var (w, id) = try world()
        try w.step(id, "HU", "signed", at: "2022-07-05")
        let error = domainError { try w.step(id, "HU", "instrument-deposited", at: "2022-08-01") }
        guard case let .transitionNotAllowed(party, from, to, allowed, rule)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(party == PartyCode("HU"))
        #expect(from == StageID("signed"))
        #expect(to == StageID("instrument-deposited"))
        #expect(allowed == [StageID("parliament-approved")!, StageID("parliament-rejected")!])
        #expect(rule == "transitions.signed")
        #expect(error?.code == "stage-out-of-order")
        #expect(w.process(id)?.steps.count == 1)
    }

    @Test("a party outside the electorate cannot record a step")
    func partyOutsideElectorate() throws {
        var (w, id) = try world()
        #expect(throws: DomainError.partyNotInElectorate(PartyCode("JP")!, on: CivilDate(iso8601: "2022-08-01")!, electorate: "members of NATO (North Atlantic Council)")) {
            try w.step(id, "JP", "signed", at: "2022-08-01")
        }
        // Finland is not yet a member in 2022.
        #expect(throws: DomainError.self) { try w.step(id, "FI", "signed", at: "2022-08-01") }
        // An unknown party is its own error.
        #expect(throws: DomainError.unknownParty(PartyCode("ZZ")!)) { try w.step(id, "ZZ", "signed", at: "2022-08-01") }
    }

    @Test("a parliament's rejection takes the approval away; a second vote can still approve")
    func rejectionThenApproval() throws {
        var (w, id) = try world()
        try w.step(id, "TR", "signed", at: "2022-07-05")
        try w.step(id, "TR", "parliament-rejected", at: "2023-01-10")
        #expect(throws: DomainError.self) { try w.step(id, "TR", "instrument-deposited", at: "2023-01-11") }
        try w.step(id, "TR", "parliament-approved", at: "2024-01-23")
        try w.step(id, "TR", "instrument-deposited", at: "2024-01-26")
        let snapshot = ProcessSnapshot(process: w.process(id)!, registry: w.registry, asOf: World.instant("2024-02-01"))
        #expect(snapshot.standing(of: PartyCode("TR")!).holds(StageID("instrument-deposited")!))
        #expect(!snapshot.standing(of: PartyCode("TR")!).holds(StageID("parliament-rejected")!))
    }

    @Test("a back-dated correction changes the past as seen now, not as known then")
    func backDatedCorrection() throws {
        var (w, id) = try world()
        for party in Self.alliesIn2022 where party != "HU" {
            try ratify(&w, id, party, signed: "2022-07-05", approved: "2022-09-01", deposited: "2022-10-01")
        }
        try w.step(id, "HU", "signed", at: "2022-07-05")
        try w.step(id, "HU", "parliament-approved", at: "2023-02-01")
        let deposit = try w.step(id, "HU", "instrument-deposited", at: "2023-03-01")
        let knownBefore = Int64(w.envelopes.count)
        let asRecorded = w.evaluate(id, asOf: "2023-03-31")
        #expect(asRecorded.status("all-ratified") == .satisfied)
        #expect(asRecorded.result(RuleID("all-ratified")!)?.since == World.instant("2023-03-01"))

        // The deposit actually happened on 20 March: corrected later, with a reason.
        try w.run(.correct(process: id, entry: deposit, reason: "date taken from the depositary's notification", effectiveAt: World.instant("2023-03-20"),
                           step: StepContent(party: PartyCode("HU")!, stage: StageID("instrument-deposited")!, source: "depositary notification"), ballot: nil))
        let now = w.evaluate(id, asOf: "2023-03-31")
        #expect(now.result(RuleID("all-ratified")!)?.since == World.instant("2023-03-20"))
        #expect(w.evaluate(id, asOf: "2023-03-10").status("all-ratified") == .notYet)
        // What we knew before the correction is unchanged.
        let then = w.evaluate(id, asOf: "2023-03-10", knownAt: .position(knownBefore))
        #expect(then.status("all-ratified") == .satisfied)
        // The entry keeps its history.
        let entry = try #require(w.process(id)?.steps[deposit])
        #expect(entry.corrections.count == 1)
        #expect(entry.original.effectiveAt == World.instant("2023-03-01"))
    }

    @Test("a retracted entry counts on no date any more, and cannot be retracted twice")
    func retraction() throws {
        var (w, id) = try world()
        try w.step(id, "NO", "signed", at: "2022-07-05")
        let approval = try w.step(id, "NO", "parliament-approved", at: "2022-08-05")
        try w.run(.retract(process: id, entry: approval, reason: "recorded for the wrong country"))
        let snapshot = ProcessSnapshot(process: w.process(id)!, registry: w.registry, asOf: World.instant("2022-09-01"))
        #expect(snapshot.standing(of: PartyCode("NO")!).currentStage == StageID("signed"))
        #expect(throws: DomainError.entryAlreadyRetracted(approval)) {
            try w.run(.retract(process: id, entry: approval, reason: "again"))
        }
        let missing = EntryID()
        #expect(throws: DomainError.unknownEntry(missing)) { try w.run(.retract(process: id, entry: missing, reason: "no such entry")) }
    }

    @Test("an occurredAt in the future beyond the clock-skew allowance is refused")
    func futureDate() throws {
        var (w, id) = try world()
        #expect(throws: DomainError.self) { try w.step(id, "NO", "signed", at: "2026-11-26") }
        // Within the allowance it is accepted.
        try w.step(id, "NO", "signed", at: "2026-11-25T10:04:00Z")
    }

    @Test("after the process closes, no step can be recorded and later joins do not change it")
    func closing() throws {
        var (w, id) = try world()
        try w.run(.close(process: id, note: "protocol entered into force", occurredAt: World.instant("2023-01-01")))
        #expect(throws: DomainError.processClosed(at: World.instant("2023-01-01"))) { try w.step(id, "NO", "signed", at: "2023-02-01") }
        #expect(w.evaluate(id, asOf: "2024-06-01").result(RuleID("all-ratified")!)?.headline == "0 of 30 Instrument deposited")
        // A step that took effect before the closing can still be recorded late.
        try w.step(id, "NO", "signed", at: "2022-12-01")
    }
}
