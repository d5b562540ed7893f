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

    /// A random history of steps in the accession ladder, some of them invalid (refused and not recorded).
    static let stepGen = Gen<Int>.int(in: 0...29).array(of: 1...60)

    @Test("'as of' results never depend on events recorded after the 'as known at' point")
    func knownAtIsolation() async throws {
        var base = World()
        try base.loadParties()
        try base.loadBodies(["nato"])
        let id = try base.open("alliance-accession-ratification", at: "2022-07-05")
        let allies = base.registry.bodies[BodyID("nato")!]!.members(at: World.instant("2022-07-05"))
        let ladder = ["signed", "parliament-approved", "parliament-rejected", "instrument-deposited"]
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
