import AccordDomain
import Testing

@Suite("NATO silence procedure and consensus")
struct SilenceProcedureTests {
    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["nato"])
        let id = try w.open("nato-silence-procedure", title: "NAC decision: use of NATO command and control", at: "2025-11-20")
        try w.run(.setDeadline(process: id, deadline: DeadlineID("silence")!, localTime: "2025-12-05T12:00", timeZone: nil,
                               reason: nil, occurredAt: World.instant("2025-11-20")))
        return (w, id)
    }

    @Test("the deadline is set in Brussels time and compared as an instant")
    func brusselsTime() throws {
        let (w, id) = try world()
        let deadline = try #require(w.process(id)?.deadlines[DeadlineID("silence")!]?.changes.first?.value)
        #expect(deadline.at == Instant(iso8601: "2025-12-05T11:00:00Z"))  // CET, UTC+1
        #expect(deadline.localTime == "2025-12-05T12:00")
        #expect(deadline.timeZone == "Europe/Brussels")
        let summer = try ZonedTime.instant(local: "2025-06-03T12:00", zone: "Europe/Brussels")
        #expect(summer.at == Instant(iso8601: "2025-06-03T10:00:00Z"))  // CEST, UTC+2
    }

    @Test("deemed adopted when the deadline passes unbroken — which is not everyone saying yes")
    func deemedAdopted() throws {
        let (w, id) = try world()
        let before = w.evaluate(id, asOf: "2025-12-05T10:59:59Z").result(RuleID("silence")!)
        #expect(before?.status == .notYet)
        #expect(before?.expectedAt == Instant(iso8601: "2025-12-05T11:00:00Z"))
        let after = try #require(w.evaluate(id, asOf: "2025-12-05T11:00:00Z").result(RuleID("silence")!))
        #expect(after.status == .satisfied)
        #expect(after.since == Instant(iso8601: "2025-12-05T11:00:00Z"))
        #expect(after.decidedBy?.summary.hasPrefix("Silence deadline passed") == true)
        #expect(after.headline.contains("deemed adopted"))
    }

    @Test("an objection breaks silence; withdrawn before the deadline, the decision is adopted")
    func withdrawnObjection() throws {
        var (w, id) = try world()
        try w.vote(id, "HU", .objection, at: "2025-11-28")
        let broken = w.evaluate(id, asOf: "2025-11-29").result(RuleID("silence")!)
        #expect(broken?.status == .notYet)
        #expect(broken?.blockers.first?.party == PartyCode("HU"))
        #expect(broken?.blockers.first?.reason == .objection)
        try w.run(.withdrawBallot(process: id, party: PartyCode("HU")!, reason: "assurances received", occurredAt: World.instant("2025-12-01")))
        #expect(w.evaluate(id, asOf: "2025-12-06").status("silence") == .satisfied)
        // As of the day before the withdrawal, the objection stood.
        #expect(w.evaluate(id, asOf: "2025-11-30").result(RuleID("silence")!)?.blockers.contains { $0.party == PartyCode("HU") } == true)
    }

    @Test("an objection standing at the deadline fails the procedure for good")
    func standingObjection() throws {
        var (w, id) = try world()
        try w.vote(id, "TR", .objection, at: "2025-12-04")
        let result = try #require(w.evaluate(id, asOf: "2025-12-10").result(RuleID("silence")!))
        #expect(result.status == .failed)
        #expect(result.since == Instant(iso8601: "2025-12-05T11:00:00Z"))
        #expect(result.headline == "silence broken by TR")
    }

    @Test("an objection after the deadline has no effect and is refused, saying so")
    func lateObjection() throws {
        var (w, id) = try world()
        let error = domainError { try w.vote(id, "FR", .objection, at: "2025-12-05T11:00:01Z") }
        guard case .objectionAfterDeadline(let deadline, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(deadline.localTime == "2025-12-05T12:00")
        #expect(error?.description.contains("has no effect") == true)
        // A footnote after the deadline is not an objection.
        try w.vote(id, "FR", .yesWithReservation, at: "2025-12-05T11:30:00Z", statement: "France recalls its position on AWACS")
        #expect(w.evaluate(id, asOf: "2025-12-06").status("silence") == .satisfied)
    }

    @Test("a deadline can be extended before it passes, not after; an objection before the new deadline counts")
    func deadlineExtension() throws {
        var (w, id) = try world()
        try w.run(.extendDeadline(process: id, deadline: DeadlineID("silence")!, localTime: "2025-12-08T12:00", timeZone: nil,
                                  reason: "request from two allies", occurredAt: World.instant("2025-12-04")))
        try w.vote(id, "SK", .objection, at: "2025-12-06")
        #expect(w.evaluate(id, asOf: "2025-12-05T12:00:00Z").status("silence") == .notYet)
        #expect(w.evaluate(id, asOf: "2025-12-09").status("silence") == .failed)
        #expect(domainError {
            try w.run(.extendDeadline(process: id, deadline: DeadlineID("silence")!, localTime: "2025-12-10T12:00", timeZone: nil,
                                      reason: nil, occurredAt: World.instant("2025-12-09")))
        }?.code == "deadline-not-extendable")
        #expect(domainError {
            try w.run(.extendDeadline(process: id, deadline: DeadlineID("silence")!, localTime: "2025-12-07T12:00", timeZone: nil,
                                      reason: nil, occurredAt: World.instant("2025-12-06")))
        }?.code == "deadline-not-extendable")
    }

    @Test("without a deadline the silence rule does not apply yet")
    func noDeadline() throws {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["nato"])
        let id = try w.open("nato-silence-procedure", at: "2025-11-20")
        #expect(w.evaluate(id).status("silence") == .notApplicable)
    }

    @Test("NATO consensus has no abstention; a footnote does not block; a missing position keeps it open")
    func consensus() throws {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["nato"])
        let id = try w.open("nato-consensus", at: "2025-11-20")
        #expect(domainError { try w.vote(id, "HU", .abstain, at: "2025-11-21") }?.code == "position-not-allowed")
        let allies = w.registry.bodies[BodyID("nato")!]!.members(at: World.instant("2025-11-21"))
        for ally in allies where ally.rawValue != "HU" {
            try w.vote(id, ally.rawValue, ally.rawValue == "FR" ? .yesWithReservation : .yes, at: "2025-11-21",
                       statement: ally.rawValue == "FR" ? "footnote" : nil)
        }
        let open = try #require(w.evaluate(id).result(RuleID("consensus")!))
        #expect(open.status == .notYet)
        #expect(open.blockers.map(\.party) == [PartyCode("HU")])
        try w.vote(id, "HU", .objection, at: "2025-11-22")
        #expect(w.evaluate(id).result(RuleID("consensus")!)?.blockers.first?.reason == .objection)
        try w.vote(id, "HU", .yes, at: "2025-11-23")
        let agreed = try #require(w.evaluate(id).result(RuleID("consensus")!))
        #expect(agreed.status == .satisfied)
        #expect(agreed.figures.contains { $0.key == "footnotes" && $0.text == "footnotes by FR" })
    }
}

@Suite("EU Council voting")
struct EUCouncilTests {
    static let members = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
                          "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"]

    func world(_ template: String) throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["eu-council"])
        try w.loadEUPopulation()
        let id = try w.open(template, at: "2025-03-01")
        return (w, id)
    }

    func castAll(_ w: inout World, _ id: ProcessID, except special: [String: BallotPosition], default position: BallotPosition = .yes) throws {
        for member in Self.members {
            let p = special[member] ?? position
            try w.vote(id, member, p, at: "2025-03-10", statement: p == .qualifiedAbstention ? "declaration under Art. 31(1) TEU" : nil)
        }
    }

    @Test("QMV fails when the no votes hold more than 35% of the population with at least four members")
    func populationBlocks() throws {
        var (w, id) = try world("eu-council-qualified-majority")
        try castAll(&w, id, except: ["DE": .no, "FR": .no, "IT": .no, "ES": .abstain])
        try w.run(.close(process: id, note: "vote closed", occurredAt: World.instant("2025-03-10T17:00:00Z")))
        let result = try #require(w.evaluate(id).result(RuleID("qualified-majority")!))
        #expect(result.status == .failed)
        let yesPopulation = try #require(result.figures.first { $0.key == "yes-population" })
        // 23 yes members hold 189,765,289 of 449,221,730 people.
        #expect(yesPopulation.value == .share(Ratio(189_765_289, 449_221_730)!))
        #expect(yesPopulation.text.hasPrefix("42.24% of population; needs 65.00%"))
        #expect(result.figures.first { $0.key == "yes-members" }?.met == true)
    }

    @Test("the blocking-minority clause: with fewer than four members not voting yes, the majority is deemed reached")
    func blockingMinorityClause() throws {
        var (w, id) = try world("eu-council-qualified-majority")
        try castAll(&w, id, except: ["DE": .no, "FR": .no, "IT": .no])
        let result = try #require(w.evaluate(id).result(RuleID("qualified-majority")!))
        #expect(result.figures.first { $0.key == "yes-population" }?.met == false)
        #expect(result.status == .satisfied)
        #expect(result.figures.first { $0.key == "not-yes-members" }?.text.hasSuffix("majority deemed reached") == true)
    }

    @Test("abstention counts as not yes; a member not participating leaves the count; absence is not abstention in the figures")
    func abstentionAndOptOut() throws {
        var (w, id) = try world("eu-council-qualified-majority")
        // 14 yes of 27 (51.85%) fails the member threshold...
        var special: [String: BallotPosition] = [:]
        for m in Self.members.suffix(13) { special[m] = .abstain }
        try castAll(&w, id, except: special)
        var result = try #require(w.evaluate(id).result(RuleID("qualified-majority")!))
        #expect(result.figures.first { $0.key == "yes-members" }?.met == false)
        // ...and an opt-out shrinks the electorate of the vote.
        try w.vote(id, "DK", .notParticipating, at: "2025-03-10")
        result = try #require(w.evaluate(id).result(RuleID("qualified-majority")!))
        #expect(result.figures.first { $0.key == "yes-members" }?.total == 26)
        #expect(result.figures.first { $0.key == "not-participating" }?.text == "not participating: DK")
    }

    @Test("a change of vote supersedes until the vote closes; a ballot after closing is refused")
    func changeOfVote() throws {
        var (w, id) = try world("eu-council-qualified-majority")
        try castAll(&w, id, except: ["DE": .no, "FR": .no, "IT": .no, "ES": .no])
        #expect(w.evaluate(id).status("qualified-majority") == .notYet)
        try w.vote(id, "ES", .yes, at: "2025-03-10T16:00:00Z")
        #expect(w.evaluate(id).status("qualified-majority") == .satisfied)
        try w.run(.close(process: id, note: nil, occurredAt: World.instant("2025-03-10T17:00:00Z")))
        #expect(domainError { try w.vote(id, "ES", .no, at: "2025-03-10T18:00:00Z") }?.code == "process-closed")
        #expect(domainError { try w.run(.close(process: id, note: nil, occurredAt: World.instant("2025-03-11"))) }?.code == "process-closed")
        #expect(w.process(id)!.orderedBallots.filter { $0.current.content.party == PartyCode("ES")! }.count == 2)
    }

    @Test("reinforced QMV needs 72% of members")
    func reinforced() throws {
        var (w, id) = try world("eu-council-reinforced-qualified-majority")
        var special: [String: BallotPosition] = [:]
        for m in ["MT", "LU", "CY", "EE", "LV", "SI", "LT", "HR"] { special[m] = .no }  // 19 yes of 27 = 70.37%
        try castAll(&w, id, except: special)
        #expect(w.evaluate(id).result(RuleID("reinforced-qualified-majority")!)?.figures.first?.met == false)
        try w.vote(id, "HR", .yes, at: "2025-03-10")  // 20 of 27 = 74.07%
        #expect(w.evaluate(id).status("reinforced-qualified-majority") == .satisfied)
    }

    @Test("constructive abstention blocks only with a third of members AND a third of the population")
    func constructiveAbstention() throws {
        var (w, id) = try world("eu-unanimity-constructive-abstention")
        // Nine small members abstain formally: a third of members, but far from a third of the population.
        let small = ["MT", "LU", "CY", "EE", "LV", "SI", "LT", "HR", "IE"]
        try castAll(&w, id, except: Dictionary(uniqueKeysWithValues: small.map { ($0, .qualifiedAbstention) }))
        var result = try #require(w.evaluate(id).result(RuleID("unanimity")!))
        #expect(result.status == .satisfied)
        #expect(result.figures.first { $0.key == "qualified-abstainers" }?.value == .share(Ratio(9, 27)!))
        // Swap one for Germany, France and Italy: 9 members with more than a third of the population.
        try w.vote(id, "DE", .qualifiedAbstention, at: "2025-03-11", statement: "declaration")
        try w.vote(id, "FR", .qualifiedAbstention, at: "2025-03-11", statement: "declaration")
        try w.vote(id, "IT", .qualifiedAbstention, at: "2025-03-11", statement: "declaration")
        for m in ["MT", "LU", "CY"] { try w.vote(id, m, .yes, at: "2025-03-11") }
        result = try #require(w.evaluate(id).result(RuleID("unanimity")!))
        #expect(result.status == .notYet)
        #expect(result.blockers.contains { $0.reason == .qualifiedAbstentions })
        // A qualified abstention needs its declaration.
        #expect(domainError { try w.vote(id, "PL", .qualifiedAbstention, at: "2025-03-11") }?.code == "statement-required")
    }

    @Test("plain abstention does not block unanimity; a vote against does")
    func abstentionIsNotAbsence() throws {
        var (w, id) = try world("eu-unanimity-constructive-abstention")
        try castAll(&w, id, except: ["HU": .abstain, "SK": .absent])
        #expect(w.evaluate(id).status("unanimity") == .satisfied)
        try w.vote(id, "HU", .veto, at: "2025-03-11", statement: "vital national interest")
        let result = try #require(w.evaluate(id).result(RuleID("unanimity")!))
        #expect(result.status == .notYet)
        #expect(result.blockers.first?.reason == .veto)
        try w.run(.close(process: id, note: nil, occurredAt: World.instant("2025-03-12")))
        #expect(w.evaluate(id).status("unanimity") == .failed)
    }
}

@Suite("UN Security Council")
struct SecurityCouncilTests {
    func world() throws -> (World, ProcessID) {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["unsc"])
        let id = try w.open("un-security-council-resolution", at: "2025-02-20")
        return (w, id)
    }

    static let members2025 = ["CN", "FR", "RU", "GB", "US", "DZ", "GY", "KR", "SL", "SI", "DK", "GR", "PK", "PA", "SO"]

    @Test("nine yes with a permanent member abstaining is adopted: abstention is not a veto")
    func permanentAbstention() throws {
        var (w, id) = try world()
        for (i, m) in Self.members2025.enumerated() {
            let position: BallotPosition = m == "RU" || m == "CN" ? .abstain : (i < 12 ? .yes : .no)
            try w.vote(id, m, position, at: "2025-02-24")
        }
        // Evaluated on the day of the vote: by 2026 the elected members have changed.
        let result = try #require(w.evaluate(id, asOf: "2025-02-24T18:00:00Z").result(RuleID("adopted")!))
        #expect(result.status == .satisfied)
        #expect(result.figures.first { $0.key == "permanent-abstentions" }?.text == "not a veto: CN, RU abstaining or absent")
    }

    @Test("a permanent member's no is a veto, whatever the count")
    func veto() throws {
        var (w, id) = try world()
        for m in Self.members2025 { try w.vote(id, m, m == "RU" ? .no : .yes, at: "2025-02-24") }
        let result = try #require(w.evaluate(id).result(RuleID("adopted")!))
        #expect(result.status == .notYet)
        #expect(result.blockers.first == RuleBlocker(party: PartyCode("RU"), reason: .veto, detail: "RU, a permanent member, no"))
        try w.run(.close(process: id, note: nil, occurredAt: World.instant("2025-02-24T18:00:00Z")))
        #expect(w.evaluate(id).status("adopted") == .failed)
    }

    @Test("eight yes is not enough; an elected member's no is not a veto; a party to the dispute abstains")
    func countsAndObligatoryAbstention() throws {
        var (w, id) = try world()
        for (i, m) in Self.members2025.enumerated() {
            try w.vote(id, m, i < 8 ? .yes : (m == "PA" ? .obligatoryAbstention : .no), at: "2025-02-24")
        }
        let result = try #require(w.evaluate(id).result(RuleID("adopted")!))
        #expect(result.figures.first { $0.key == "yes" }?.met == false)
        // CN, FR, RU, GB, US are indices 0...4 and vote yes here.
        #expect(result.figures.first { $0.key == "permanent-vetoes" }?.met == true)
    }

    @Test("the council of 2026 is not the council of 2025")
    func membershipByDate() throws {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["unsc"])
        let id = try w.open("un-security-council-resolution", at: "2026-03-01")
        #expect(domainError { try w.vote(id, "DZ", .yes, at: "2026-03-02") }?.code == "party-not-in-electorate")
        try w.vote(id, "LV", .yes, at: "2026-03-02")
    }
}
