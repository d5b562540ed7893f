import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

/// Runs `body` with a started service on a fresh database of `backend`.
func withService(_ backend: Backend, clock: any WallClock = SystemWallClock(), _ body: (AccordService) async throws -> Void) async throws {
    try await withTestStore(backend, clock: clock) { store, _ in
        let service = AccordService(store: store, clock: clock)
        try await service.start()
        do {
            try await body(service)
        } catch {
            await service.log.stop()
            await service.eventIndex.stop()
            throw error
        }
        await service.log.stop()
        await service.eventIndex.stop()
    }
}

let officer = ActorRef(id: "acct-officer", name: "Secretariat Officer")

/// Opens Sweden's accession protocol (5 July 2022) through `service`; returns its id and the opening version.
func openAccession(_ service: AccordService) async throws -> (ProcessID, Int64) {
    let id = ProcessID()
    let opened = try await service.commands.execute(
        .open(OpenProcess(process: id, title: "Sweden", template: TemplateID("alliance-accession-ratification")!,
                          occurredAt: Instant(iso8601: "2022-07-05T10:00:00Z"))),
        context: CommandContext(actor: officer))
    return (id, try #require(opened.version))
}

/// A step of `party` at `stage` on the accession protocol `id` (signed, on 5 July 2022, unless said).
func accessionStep(_ id: ProcessID, _ party: String, _ stage: String = "signed", at instant: String = "2022-07-05T12:00:00Z") -> ProcessCommand {
    .recordStep(process: id, step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!), occurredAt: Instant(iso8601: instant))
}

/// Sixteen allies sign the accession protocol `id` all at once, through `services` in turn.
let signingAllies = ["BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FR", "DE", "GR", "HU", "IS", "IT", "LV", "LT", "LU"]
func signAllAtOnce(_ id: ProcessID, through services: [AccordService]) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (index, ally) in signingAllies.enumerated() {
            let service = services[index % services.count]
            group.addTask { _ = try await service.commands.execute(accessionStep(id, ally), context: CommandContext(actor: officer)) }
        }
        try await group.waitForAll()
    }
}

/// Runs `body` with two started services on one fresh database of `backend`: two server instances, each with its
/// own store connection and domain log (the second registers no templates: the first did).
func withTwoInstances(_ backend: Backend, _ body: (AccordService, AccordService) async throws -> Void) async throws {
    let database = try await TestDatabase.fresh(backend)
    let first = AccordService(store: try await database.open(), clock: SystemWallClock())
    let second = AccordService(store: try await database.open(), clock: SystemWallClock())
    let result: Result<Void, any Error>
    do {
        try await first.start()
        try await second.start(registerTemplates: false)
        try await body(first, second)
        result = .success(())
    } catch {
        result = .failure(error)
    }
    await first.shutdown()
    await second.shutdown()
    await database.cleanUp()
    try result.get()
}

@Suite("Service")
struct ServiceTests {
    @Test("the demo loads once; a second load records nothing", arguments: Backend.allCases)
    func demo(_ backend: Backend) async throws {
        try await withService(backend) { service in
            let first = try await service.loadDemo()
            #expect(first > 100)
            #expect(try await service.loadDemo() == 0)
            let now = service.clock.now()
            let force = try await service.queries.results(DemoScenario.forceGeneration, asOf: now, cutoff: .everything)
            #expect(force.result(RuleID("troops-target")!)?.headline == "21,500 of 25,000 troops pledged")
            #expect(force.result(RuleID("land-contributors")!)?.status == .satisfied)
            #expect(force.result(RuleID("component-leads")!)?.blockers.map(\.detail) == ["no lead nation for air"])
            let silence = try await service.queries.results(DemoScenario.natoC2, asOf: now, cutoff: .everything)
            #expect(silence.decisionResult?.status == .notYet)
            let deployment = try await service.queries.results(DemoScenario.deployment, asOf: now, cutoff: .everything)
            #expect(deployment.decisionResult?.status == .notYet)
            // The silence deadline passing with no objection adopts the NATO decision; deployment still waits for the force.
            let later = now.adding(seconds: 4 * 86_400)
            #expect(try await service.queries.results(DemoScenario.natoC2, asOf: later, cutoff: .everything).decisionResult?.status == .satisfied)
            let after = try await service.queries.results(DemoScenario.deployment, asOf: later, cutoff: .everything)
            #expect(after.result(RuleID("alliance-agreed")!)?.status == .satisfied)
            #expect(after.result(RuleID("force-generated")!)?.status == .notYet)
            let matrix = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: now, cutoff: .everything)
            #expect(matrix.rows.count == 30)
            let greece = try #require(matrix.rows.first { $0.party == PartyCode("GR") })
            #expect(greece.currentStage == StageID("declined"))
        }
    }

    @Test("every event of the demo is written as Foundation writes it, and canonicalises to the stored payload", arguments: [Backend.sqlite])
    func payloadsAsFoundationWrites(_ backend: Backend) async throws {
        try await withService(backend) { service in
            _ = try await service.loadDemo()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var compared = 0
            var types = Set<String>()
            var after: Int64 = 0
            while true {
                let page = try await service.store.readAll(after: after, limit: 500)
                guard let last = page.last else { break }
                after = last.position
                for event in page {
                    guard let domain = try DomainEvent.decode(type: event.type, schemaVersion: event.schemaVersion, payload: Data(event.payload.bytes))
                    else { continue }
                    let ours = try domain.encodePayload()
                    #expect(ours == Array(try encoder.encode(domain.payload)), "\(event.type) at \(event.position)")
                    #expect(try JSONPayload(canonicalizing: ours) == event.payload, "\(event.type) at \(event.position)")
                    compared += 1
                    types.insert(event.type)
                }
            }
            #expect(compared > 100)
            #expect(types.count >= 10)
        }
    }

    @Test("concurrent commands on one process are all recorded: conflicts are decided again", arguments: Backend.allCases)
    func concurrentCommands(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let (id, _) = try await openAccession(service)
            let allies = signingAllies
            try await signAllAtOnce(id, through: [service])
            let state = try #require(await service.log.process(id))
            #expect(state.steps.count == allies.count)
            #expect(state.streamVersion == Int64(allies.count))
        }
    }

    @Test("commands queued on one process: a refusal stops no other, each caller gets the version its step made, a pinned version holds once",
          arguments: Backend.allCases)
    func queuedCommandsOnOneProcess(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let (id, openingVersion) = try await openAccession(service)
            func step(_ party: String) -> ProcessCommand { accessionStep(id, party) }
            enum Kind { case plain, unknownParty, pinned }
            let requests: [(String, Kind)] = ["BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FR", "DE", "GR", "HU", "IS"].map { ($0, .plain) }
                + ["ZZ", "ZY", "ZX"].map { ($0, .unknownParty) } + ["US", "GB"].map { ($0, .pinned) }
            let outcomes = await withTaskGroup(of: (String, Kind, Result<CommandOutcome, ServiceError>).self) { group in
                for (party, kind) in requests {
                    group.addTask {
                        let context = CommandContext(actor: officer, expectedVersion: kind == .pinned ? openingVersion : nil)
                        do {
                            return (party, kind, .success(try await service.commands.execute(step(party), context: context)))
                        } catch {
                            return (party, kind, .failure(ServiceError.wrap(error)))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var versions: [Int64] = []
            var pinnedRecorded = 0
            for (party, kind, outcome) in outcomes {
                switch (kind, outcome) {
                case (.plain, .success(let recorded)), (.pinned, .success(let recorded)):
                    // Each caller gets the version its own step made (its next If-Match) and its own entry.
                    #expect(recorded.recorded.count == 1 && !recorded.wasAlreadyRecorded)
                    let version = try #require(recorded.version)
                    let placed = try #require(await service.log.placement(of: recorded.recorded[0].entry))
                    #expect(placed.streamVersion == version, "\(party)")
                    versions.append(version)
                    if kind == .pinned { pinnedRecorded += 1 }
                case (.plain, .failure(let error)):
                    Issue.record("\(party) was refused: \(error)")
                case (.unknownParty, .failure(let error)):
                    guard case .domain = error else { Issue.record("\(party): \(error)"); break }
                case (.unknownParty, .success):
                    Issue.record("\(party) was recorded")
                case (.pinned, .failure(let error)):
                    guard case .versionMismatch(let expected, _) = error else { Issue.record("\(party): \(error)"); break }
                    #expect(expected == openingVersion)
                }
            }
            // A pinned command holds only if it came before every other step.
            #expect(pinnedRecorded <= 1)
            #expect(versions.sorted() == Array(openingVersion + 1...openingVersion + Int64(12 + pinnedRecorded)))
            let state = try #require(await service.log.process(id))
            #expect(state.steps.count == 12 + pinnedRecorded)
            #expect(state.streamVersion == openingVersion + Int64(12 + pinnedRecorded))
        }
    }

    @Test("a command refused on what one instance had ingested is decided again on what another instance recorded", arguments: Backend.allCases)
    func staleInstanceDecidesAgain(_ backend: Backend) async throws {
        try await withTwoInstances(backend) { first, second in
            let kosovo = PartyCode("XK")!
            _ = try await second.commands.execute(.registerParty(party: kosovo, name: "Kosovo"), context: CommandContext(actor: officer))
            // The first instance decides on what it has ingested; on SQLite its follower hears only of its own
            // store's appends at once (others' within a second), so it has not seen the party yet.
            let outcome = try await first.commands.execute(
                .setPartyAttribute(party: kosovo, value: .population(1_600_000), effectiveFrom: first.clock.now()),
                context: CommandContext(actor: officer))
            #expect(outcome.version == 1)
            #expect(outcome.recorded.count == 1)
            #expect(await first.log.registry().parties[kosovo] != nil)
            // A refusal that stands after reading the head is still a refusal.
            await #expect(throws: ServiceError.self) {
                try await first.commands.execute(.setPartyAttribute(party: PartyCode("QQ")!, value: .population(1), effectiveFrom: first.clock.now()),
                                                 context: CommandContext(actor: officer))
            }
        }
    }

    @Test("two instances recording on one process at once: every step is recorded once, conflicts decided again on the other's events",
          arguments: Backend.allCases)
    func twoInstancesOnOneProcess(_ backend: Backend) async throws {
        try await withTwoInstances(backend) { first, second in
            try await first.loadReferenceData()
            let (id, _) = try await openAccession(first)
            try await second.log.synchronize()
            let allies = signingAllies
            try await signAllAtOnce(id, through: [first, second])
            for service in [first, second] {
                try await service.log.synchronize()
                let state = try #require(await service.log.process(id))
                #expect(state.steps.count == allies.count)
                #expect(Set(state.steps.values.map(\.current.content.party.rawValue)) == Set(allies))
                #expect(state.streamVersion == Int64(allies.count))
            }
        }
    }

    @Test("a following log takes in another instance's events without being asked: on PostgreSQL by its notification, on SQLite by its poll each second",
          arguments: Backend.allCases)
    func followsAnotherInstance(_ backend: Backend) async throws {
        try await withTwoInstances(backend) { first, second in
            try await first.loadReferenceData()
            let (id, _) = try await openAccession(first)
            try await signAllAtOnce(id, through: [first])
            let head = try await first.store.headPosition()
            let clock = ContinuousClock()
            let start = clock.now
            while await second.log.position < head, clock.now - start < .seconds(20) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await second.log.position == head)
            #expect(await second.log.process(id)?.steps.count == signingAllies.count)
        }
    }

    @Test("If-Match with a stale version is refused and records nothing", arguments: Backend.allCases)
    func ifMatch(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let id = ProcessID()
            let opened = try await service.commands.execute(
                .open(OpenProcess(process: id, title: "Vote", template: TemplateID("eu-council-qualified-majority")!)), context: CommandContext(actor: officer))
            #expect(opened.version == 0)
            let vote = ProcessCommand.castBallot(process: id, ballot: BallotContent(party: PartyCode("DE")!, position: .yes), occurredAt: nil)
            let first = try await service.commands.execute(vote, context: CommandContext(actor: officer, expectedVersion: 0))
            #expect(first.version == 1)
            await #expect(throws: ServiceError.versionMismatch(expected: 0, current: 1)) {
                try await service.commands.execute(vote, context: CommandContext(actor: officer, expectedVersion: 0))
            }
            #expect(await service.log.process(id)?.streamVersion == 1)
        }
    }

    @Test("a retried request with the same idempotency namespace records once and answers as the first time", arguments: Backend.allCases)
    func idempotentCommands(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let id = ProcessID()
            _ = try await service.commands.execute(
                .open(OpenProcess(process: id, title: "Vote", template: TemplateID("eu-council-qualified-majority")!)), context: CommandContext(actor: officer))
            let vote = ProcessCommand.castBallot(process: id, ballot: BallotContent(party: PartyCode("FR")!, position: .no), occurredAt: nil)
            let context = CommandContext(actor: officer, idempotencyNamespace: "acct-officer:key-1")
            let first = try await service.commands.execute(vote, context: context)
            let second = try await service.commands.execute(vote, context: context)
            #expect(!first.wasAlreadyRecorded)
            #expect(second.wasAlreadyRecorded)
            #expect(first.recorded.map(\.entry) == second.recorded.map(\.entry))
            #expect(await service.log.process(id)?.ballots.count == 1)
        }
    }

    @Test("idempotency keys replay the stored answer and refuse reuse with another request", arguments: Backend.allCases)
    func idempotencyKeys(_ backend: Backend) async throws {
        try await withService(backend) { service in
            let keys = service.idempotency
            let value1 = try await keys.claim(account: "a", key: "k1", requestHash: [1, 2, 3])
            #expect(value1 == .proceed)
            await #expect(throws: ServiceError.idempotencyInProgress) { try await keys.claim(account: "a", key: "k1", requestHash: [1, 2, 3]) }
            let response = IdempotencyStore.StoredResponse(status: 201, contentType: "application/json", headers: ["ETag": "\"3\""], body: Array("{}".utf8))
            await keys.complete(account: "a", key: "k1", response: response)
            let value2 = try await keys.claim(account: "a", key: "k1", requestHash: [1, 2, 3])
            #expect(value2 == .replay(response))
            await #expect(throws: ServiceError.idempotencyKeyReused) { try await keys.claim(account: "a", key: "k1", requestHash: [9]) }
            // Keys are per account.
            let value3 = try await keys.claim(account: "b", key: "k1", requestHash: [9])
            #expect(value3 == .proceed)
            await keys.release(account: "b", key: "k1")
            let value4 = try await keys.claim(account: "b", key: "k1", requestHash: [7])
            #expect(value4 == .proceed)
        }
    }

    @Test("tokens are shown once, stored as hashes, and stop working when revoked or expired", arguments: Backend.allCases)
    func tokens(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await withService(backend, clock: clock) { service in
            let accounts = service.accounts
            let value5 = try await accounts.hasActiveAdmin()
            #expect(value5 == false)
            let admin = try await accounts.createAccount(name: "First Admin", role: .admin, parties: [], by: AccordService.systemActor)
            let issued = try await accounts.issueToken(for: admin, name: "laptop", expiresAt: nil, by: AccordService.systemActor)
            #expect(issued.secret.hasPrefix("accord_") && issued.secret.count > 40)
            #expect(try await accounts.hasActiveAdmin())
            let principal = try #require(try await accounts.authenticate(issued.secret))
            #expect(principal.account.id == admin.id)
            let value6 = try await accounts.authenticate(issued.secret + "x")
            #expect(value6 == nil)
            // The secret is not in the database.
            let stored = try await service.store.database.read { conn in try conn.query("SELECT secret_hash FROM accord_tokens").first?.blob(0) }
            #expect(stored != Array(issued.secret.utf8))
            try await accounts.revokeToken(issued.token.id, by: admin.actor)
            let value7 = try await accounts.authenticate(issued.secret)
            #expect(value7 == nil)
            await #expect(throws: ServiceError.self) { try await accounts.revokeToken(issued.token.id, by: admin.actor) }
            let delegate = try await accounts.createAccount(name: "German delegation", role: .delegate, parties: [PartyCode("DE")!], by: admin.actor)
            let short = try await accounts.issueToken(for: delegate, name: "short", expiresAt: service.clock.now().adding(seconds: 60), by: admin.actor)
            let p = try #require(try await accounts.authenticate(short.secret))
            #expect(p.may(.record(PartyCode("DE"))))
            #expect(!p.may(.record(PartyCode("FR"))))
            #expect(!p.may(.manageProcesses))
            clock.advance(seconds: 61)
            let value8 = try await accounts.authenticate(short.secret)
            #expect(value8 == nil)
            await #expect(throws: ServiceError.self) { try await accounts.createAccount(name: "x", role: .delegate, parties: [], by: admin.actor) }
            // Account changes are in the log, without secrets.
            let log = try await service.store.readStream(StreamName(trusted: "accounts"))
            #expect(log.map(\.type) == ["AccountCreated", "TokenIssued", "TokenRevoked", "AccountCreated", "TokenIssued"])
            #expect(!log.contains { $0.payload.string.contains(issued.secret) })
        }
    }

    @Test("the event index follows the log and rebuilds to the same rows", arguments: Backend.allCases)
    func eventIndex(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let head = try await service.store.headPosition()
            #expect(try await service.eventIndex.catchUp() == head)
            let count = { try await service.store.database.read { conn in
                try conn.query("SELECT count(*), count(DISTINCT process) FROM accord_event_index").first.map { [try $0.int(0), try $0.int(1)] } ?? []
            } }
            let before = try await count()
            #expect(before[1] == 3)
            await service.eventIndex.stop()
            try await service.eventIndex.reset()
            try await service.eventIndex.catchUp()
            #expect(try await count() == before)
        }
    }

    @Test("'as known at' a position ignores what was recorded later", arguments: Backend.allCases)
    func knownAt(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let before = try await service.store.headPosition()
            _ = try await service.commands.execute(
                .recordStep(process: DemoScenario.forceGeneration, step: StepContent(
                    party: PartyCode("DE")!, stage: StageID("government-decision")!, source: "Bundestag printed paper"), occurredAt: nil),
                context: CommandContext(actor: officer))
            let now = service.clock.now()
            let then = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: now, cutoff: .position(before))
            let today = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: now, cutoff: .everything)
            #expect(then.rows.first { $0.party == PartyCode("DE") }?.currentStage == StageID("interest"))
            #expect(today.rows.first { $0.party == PartyCode("DE") }?.currentStage == StageID("government-decision"))
            let timeline = try await service.queries.timeline(DemoScenario.forceGeneration, cutoff: .everything)
            #expect(timeline.last?.actor == officer)
            #expect(timeline.last?.summary == "DE: Government decision")
        }
    }

    @Test("a view 'as known at' a time that includes the future sees each new event, asked again after it", arguments: [Backend.sqlite])
    func knownAtSeesNewEvents(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let tomorrow = service.clock.now().adding(seconds: 86_400)
            let first = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: tomorrow, cutoff: .recordedAt(tomorrow))
            #expect(first.rows.first { $0.party == PartyCode("DE") }?.currentStage == StageID("interest"))
            _ = try await service.commands.execute(
                .recordStep(process: DemoScenario.forceGeneration, step: StepContent(party: PartyCode("DE")!, stage: StageID("government-decision")!),
                            occurredAt: nil),
                context: CommandContext(actor: officer))
            let second = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: tomorrow, cutoff: .recordedAt(tomorrow))
            #expect(second.rows.first { $0.party == PartyCode("DE") }?.currentStage == StageID("government-decision"))
            #expect(second.knownAtPosition == first.knownAtPosition + 1)
        }
    }
}
