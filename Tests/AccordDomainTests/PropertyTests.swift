import AccordDomain
import PropertyBased
import Testing

@Suite("Properties of evaluation")
struct PropertyTests {
    static let positions: [BallotPosition] = [.yes, .yes, .yes, .no, .abstain, .absent, .notParticipating]

    static func council() throws -> World {
        var w = World()
        try w.loadParties()
        try w.loadBodies(["eu-council"])
        try w.loadEUPopulation()
        return w
    }

    @Test("ballots recorded in any order with the same effective dates give the same result")
    func orderIndependence() async throws {
        let base = try Self.council()
        await propertyCheck(count: 40, input: Gen<BallotPosition?>.element(of: Self.positions).array(of: 27),
                            Gen<[Int]>.shuffled(Array(0..<27))) { positions, order in
            var sorted = base
            var shuffled = base
            let id = ProcessID()
            let open = ProcessCommand.open(OpenProcess(process: id, title: "Property", template: TemplateID("eu-council-qualified-majority")!,
                                                       occurredAt: World.instant("2025-03-01")))
            do {
                for w in [0, 1] {
                    if w == 0 { try sorted.registerTemplate("eu-council-qualified-majority"); try sorted.run(open) }
                    else { try shuffled.registerTemplate("eu-council-qualified-majority"); try shuffled.run(open) }
                }
                let members = EUCouncilTests.members
                func cast(_ world: inout World, _ i: Int) throws {
                    guard let position = positions[i] else { return }
                    try world.vote(id, members[i], position, at: "2025-03-10T1\(i % 10):00:00Z")
                }
                for i in 0..<27 { try cast(&sorted, i) }
                for i in order { try cast(&shuffled, i) }
            } catch {
                Issue.record("setup failed: \(error)")
                return
            }
            let a = sorted.evaluate(id, asOf: "2025-03-11")
            let b = shuffled.evaluate(id, asOf: "2025-03-11")
            #expect(a.results.map(\.status) == b.results.map(\.status))
            #expect(a.results.map(\.figures) == b.results.map(\.figures))
            #expect(a.results.map(\.since) == b.results.map(\.since))
        }
    }

    /// An accession protocol opened among NATO's allies of 5 July 2022.
    static func accession() throws -> (World, ProcessID, [PartyCode]) {
        var base = World()
        try base.loadParties()
        try base.loadBodies(["nato"])
        let id = try base.open("alliance-accession-ratification", at: "2022-07-05")
        return (base, id, base.registry.bodies[BodyID("nato")!]!.members(at: World.instant("2022-07-05")))
    }

    static let accessionLadder = ["signed", "parliament-approved", "parliament-rejected", "instrument-deposited"]

    /// A random history of steps in the accession ladder, some of them invalid (refused and not recorded).
    static let stepGen = Gen<Int>.int(in: 0...29).array(of: 1...60)

    @Test("'as of' results never depend on events recorded after the 'as known at' point")
    func knownAtIsolation() async throws {
        let (base, id, allies) = try Self.accession()
        let ladder = Self.accessionLadder
        await propertyCheck(count: 40, input: Self.stepGen, Gen<Int>.int(in: 0...60)) { picks, cut in
            var world = base
            var day = 0
            for pick in picks {
                day += 1
                let party = allies[pick % allies.count].rawValue
                let stage = ladder[(pick / 7 + day) % ladder.count]
                // Effective dates jump around: some entries are back-dated.
                let date = CivilDate(iso8601: "2022-08-01")!.adding(days: Int64((pick * 37 + day * 11) % 400)).iso8601
                _ = try? world.step(id, party, stage, at: date)
            }
            let cutPosition = Int64(base.envelopes.count + min(cut, world.envelopes.count - base.envelopes.count))
            var truncated = world
            truncated.envelopes = Array(world.envelopes.prefix(Int(cutPosition)))
            for asOf in ["2022-09-01", "2023-03-01", "2024-01-01"] {
                let known = world.evaluate(id, asOf: asOf, knownAt: .position(cutPosition))
                let then = truncated.evaluate(id, asOf: asOf)
                #expect(known == then)
            }
        }
    }
}

@Suite("A process kept up to date event by event")
struct IncrementalProcessStateTests {
    /// Steps, back-dated ones among them, then corrections and retractions of some of them.
    static let historyGen = Gen<Int>.int(in: 0...59).array(of: 1...50)

    @Test("answers every date exactly as a fold of its whole stream: steps out of effective order, corrections, retractions; the next instant of change is the first candidate; a walk over the dates gives the same snapshots")
    func incrementalEqualsFold() async throws {
        let (base, id, allies) = try PropertyTests.accession()
        let ladder = PropertyTests.accessionLadder
        await propertyCheck(count: 60, input: Self.historyGen) { picks in
            var world = base
            var recorded: [EntryID] = []
            for (day, pick) in picks.enumerated() {
                let party = allies[pick % allies.count].rawValue
                let date = CivilDate(iso8601: "2022-08-01")!.adding(days: Int64((pick * 37 + day * 11) % 400)).iso8601
                switch pick % 10 {
                case 8 where !recorded.isEmpty:
                    let entry = recorded[pick % recorded.count]
                    _ = try? world.run(.correct(process: id, entry: entry, reason: "date from the depositary", effectiveAt: World.instant(date),
                                                step: nil, ballot: nil))
                case 9 where !recorded.isEmpty:
                    _ = try? world.run(.retract(process: id, entry: recorded[pick % recorded.count], reason: "recorded by mistake"))
                default:
                    if let entry = try? world.step(id, party, ladder[(pick / 7 + day) % ladder.count], at: date) { recorded.append(entry) }
                }
            }
            let stream = world.envelopes.filter { $0.event.aggregate == .process(id) }
            guard case .processOpened(let opened) = stream[0].event else { Issue.record("no opening"); return }
            var live = ProcessState(opening: stream[0], opened)
            for envelope in stream.dropFirst() { live.apply(envelope) }
            guard let folded = ProcessState.fold(stream) else { Issue.record("no fold"); return }
            #expect(live == folded)

            // The reference: the active steps sorted by effective date, then log position, folded from scratch.
            let active = live.steps.values.filter(\.isActive).sorted { ($0.effectiveAt, $0.position) < ($1.effectiveAt, $1.position) }
            #expect(live.orderedSteps.map(\.id) == active.map(\.id))
            #expect(live.standingsAfterAllSteps == ProcessSnapshot.standings(folding: active, template: live.definition))
            var walk = SnapshotWalk(process: live, registry: world.registry)
            for asOf in ["2022-07-01", "2022-09-01", "2023-01-15", "2023-06-01", "2024-01-01", "2022-10-01"].map(World.instant) {
                let registry = world.registry
                #expect(ProcessEvaluator.firstCandidate(after: asOf, live, registry: registry, dependencies: [:])
                    == ProcessEvaluator.candidateInstants(live, registry: registry, dependencies: [:]).filter { $0 > asOf }.min())
                let snapshot = ProcessSnapshot(process: live, registry: registry, asOf: asOf)
                let effective = active.filter { $0.effectiveAt <= asOf }
                #expect(snapshot.standings == ProcessSnapshot.standings(folding: effective, template: live.definition))
                // Walking the dates in order (and once back) gives the same snapshots.
                let walked = walk.snapshot(at: asOf)
                #expect(walked.standings == snapshot.standings && walked.electorate == snapshot.electorate)
                for party in allies {
                    let own = effective.filter { $0.current.content.party == party }
                    #expect(snapshot.standing(of: party).current?.id == own.last?.id)
                    for stage in ladder.map(World.stage) {
                        #expect(snapshot.standing(of: party).lastStep(at: stage)?.id == own.last { $0.current.content.stage == stage }?.id)
                    }
                }
            }
        }
    }
}

@Suite("Commands decided on their party alone")
struct PartyAloneDecisionTests {
    /// Steps of the accession ladder on random dates, valid or not, then one more command for another party.
    static let historyGen = Gen<Int>.int(in: 0...59).array(of: 1...40)

    /// A step, a ballot or a withdrawal for `party`, picked by `pick`.
    static func command(_ pick: Int, _ id: ProcessID, party: PartyCode, stages: [String], ballots: Bool) -> ProcessCommand {
        let at = World.instant(CivilDate(iso8601: "2022-08-01")!.adding(days: Int64((pick * 37) % 400)).iso8601)
        switch ballots ? pick % 3 : 0 {
        case 1: return .castBallot(process: id, ballot: BallotContent(party: party, position: PropertyTests.positions[pick % PropertyTests.positions.count]), occurredAt: at)
        case 2: return .withdrawBallot(process: id, party: party, reason: "changed its mind", occurredAt: at)
        default:
            // Every other one is the ladder's first stage, so that many are accepted.
            let stage = pick % 2 == 0 ? stages[0] : stages[(pick / 3) % stages.count]
            return .recordStep(process: id, step: StepContent(party: party, stage: World.stage(stage)), occurredAt: at)
        }
    }

    static func decision(_ command: ProcessCommand, in world: World) -> Result<[PendingEvent], DomainError> {
        Result { () throws(DomainError) in try command.decide(world.process(command.process), registry: world.registry, now: world.now) }
    }

    @Test("a step, ballot or withdrawal is decided the same whether or not another party's was recorded just before it")
    func independentOfOtherParties() async throws {
        let (accession, accessionID, allies) = try PropertyTests.accession()
        var council = try PropertyTests.council()
        let councilID = try council.open("eu-council-qualified-majority", at: "2022-07-05")
        let members = EUCouncilTests.members.map(World.party)
        await propertyCheck(count: 200, input: Self.historyGen, Gen<Int>.int(in: 0...999), Gen<Int>.int(in: 0...999)) { picks, first, second in
            for ballots in [false, true] {
                var world = ballots ? council : accession
                let id = ballots ? councilID : accessionID
                let parties = ballots ? members : allies
                let stages = ballots ? ["yes"] : PropertyTests.accessionLadder
                if !ballots {
                    for pick in picks { _ = try? world.run(Self.command(pick, id, party: parties[pick % parties.count], stages: stages, ballots: false)) }
                } else {
                    for pick in picks { _ = try? world.run(Self.command(pick * 3 + 1, id, party: parties[pick % parties.count], stages: stages, ballots: true)) }
                }
                let a = Self.command(first, id, party: parties[first % parties.count], stages: stages, ballots: ballots)
                var otherParty = parties[second % parties.count]
                if otherParty == a.decidedOnPartyAlone { otherParty = parties[(second + 1) % parties.count] }
                let b = Self.command(second, id, party: otherParty, stages: stages, ballots: ballots)
                #expect(a.decidedOnPartyAlone != nil && b.decidedOnPartyAlone != nil && a.decidedOnPartyAlone != b.decidedOnPartyAlone)
                var after = world
                guard (try? after.run(a)) != nil else { continue }
                let alone = Self.decision(b, in: world)
                let afterOther = Self.decision(b, in: after)
                switch (alone, afterOther) {
                case (.success(let x), .success(let y)): #expect(x == y, "\(a) then \(b)")
                case (.failure(let x), .failure(let y)): #expect(x == y, "\(a) then \(b)")
                default: Issue.record("\(b) decided differently after \(a): \(alone) / \(afterOther)")
                }
            }
        }
    }
}
