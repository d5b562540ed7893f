import AccordDomain
import Foundation
import Testing

/// An in-memory log for scenario tests: commands are decided against the folded state and their events are
/// appended with increasing positions, as the store would.
struct World {
    var envelopes: [DomainEnvelope] = []
    var now: Instant
    var actor = ActorRef(id: "test", name: "Test Secretariat")
    var recordedAt: Instant

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    init(now: String = "2026-11-25T10:00:00Z") {
        self.now = Instant(iso8601: now)!
        self.recordedAt = self.now
    }

    var registry: Registry { Registry(folding: envelopes) }

    func registry(knownAt cutoff: KnowledgeCutoff) -> Registry { Registry(folding: envelopes, knownAt: cutoff) }

    func process(_ id: ProcessID, knownAt cutoff: KnowledgeCutoff = .everything) -> ProcessState? {
        ProcessState.fold(envelopes.filter { $0.event.aggregate == .process(id) }, knownAt: cutoff)
    }

    var processIDs: Set<ProcessID> {
        Set(envelopes.compactMap { if case .processOpened(let e) = $0.event { e.process } else { nil } })
    }

    @discardableResult
    mutating func append(_ pending: [PendingEvent]) -> [DomainEnvelope] {
        var out: [DomainEnvelope] = []
        for p in pending {
            recordedAt = recordedAt.adding(seconds: 1)
            let e = DomainEnvelope(id: EntryID(), position: Int64(envelopes.count + 1), occurredAt: p.occurredAt,
                                   recordedAt: recordedAt, actor: actor, event: p.event)
            envelopes.append(e)
            out.append(e)
        }
        return out
    }

    @discardableResult
    mutating func run(_ command: RegistryCommand) throws -> [DomainEnvelope] {
        append(try command.decide(registry, now: now))
    }

    @discardableResult
    mutating func run(_ command: ProcessCommand) throws -> [DomainEnvelope] {
        append(try command.decide(process(command.process), registry: registry, now: now, knownProcesses: processIDs))
    }

    /// Runs a command that must record exactly one entry, and returns its id.
    @discardableResult
    mutating func entry(_ command: ProcessCommand) throws -> EntryID {
        let recorded = try run(command)
        return try #require(recorded.first).id
    }

    func evaluate(_ id: ProcessID, asOf: String? = nil, knownAt cutoff: KnowledgeCutoff = .everything,
                  dependencies: [ProcessID: DependencyTimeline] = [:]) -> ProcessEvaluation {
        let state = process(id, knownAt: cutoff)!
        return ProcessEvaluator.evaluate(state, registry: registry(knownAt: cutoff), asOf: asOf.map { World.instant($0) } ?? now,
                                         dependencies: dependencies)
    }

    static func instant(_ text: String) -> Instant {
        if let i = Instant(iso8601: text) { return i }
        if let d = CivilDate(iso8601: text) { return Instant(startOf: d).adding(seconds: 12 * 3600) }
        fatalError("bad instant \(text)")
    }

    static func party(_ code: String) -> PartyCode { PartyCode(code)! }
    static func stage(_ id: String) -> StageID { StageID(id)! }

    // MARK: Reference data from schema/

    mutating func loadParties() throws {
        let data = try Data(contentsOf: World.repository.appendingPathComponent("schema/reference/parties.json"))
        let file = try JSONDecoder().decode(PartiesFile.self, from: data)
        for p in file.parties {
            try run(.registerParty(party: World.party(p.party), name: p.name))
            if let kind = p.parliamentaryStep {
                try run(.setPartyAttribute(party: World.party(p.party), value: .parliamentaryStep(kind), effectiveFrom: World.instant("2000-01-01")))
            }
            if let needs = p.deploymentNeedsParliamentVote {
                try run(.setPartyAttribute(party: World.party(p.party), value: .deploymentNeedsParliamentVote(needs), effectiveFrom: World.instant("2000-01-01")))
            }
        }
    }

    mutating func loadBodies(_ only: Set<String>? = nil) throws {
        let data = try Data(contentsOf: World.repository.appendingPathComponent("schema/reference/bodies.json"))
        let file = try JSONDecoder().decode(BodiesFile.self, from: data)
        for body in file.bodies where only?.contains(body.body) ?? true {
            let id = BodyID(body.body)!
            try run(.defineBody(body: id, name: body.name, kind: body.kind))
            for m in body.members {
                try run(.admitMember(body: id, party: World.party(m.party), roles: m.roles ?? [], effectiveFrom: Instant(startOf: CivilDate(iso8601: m.joined)!)))
                if let left = m.left {
                    try run(.removeMember(body: id, party: World.party(m.party), effectiveFrom: Instant(startOf: CivilDate(iso8601: left)!)))
                }
            }
        }
    }

    mutating func loadEUPopulation() throws {
        let data = try Data(contentsOf: World.repository.appendingPathComponent("schema/reference/eu-council-population-2025.json"))
        let file = try JSONDecoder().decode(WeightsFile.self, from: data)
        try run(.publishWeightTable(table: WeightTableID(file.table)!, name: file.name,
                                    weights: Dictionary(uniqueKeysWithValues: file.weights.map { (World.party($0.key), $0.value) }),
                                    source: file.source, effectiveFrom: Instant(startOf: CivilDate(iso8601: file.effectiveFrom)!)))
    }

    static func templateDefinition(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: repository.appendingPathComponent("schema/templates/\(name).json"))
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    mutating func registerTemplate(_ name: String) throws {
        try run(.registerTemplate(definition: World.templateDefinition(name), contentHash: "hash-of-\(name)"))
    }

    /// Opens a process from a template and returns its id.
    mutating func open(_ template: String, title: String = "Test process", at: String = "2025-01-10",
                       parameters: [String: JSONValue] = [:], electorate: ElectorateSpec? = nil) throws -> ProcessID {
        if registry.templates[TemplateID(template)!] == nil { try registerTemplate(template) }
        let id = ProcessID()
        try run(.open(OpenProcess(process: id, title: title, template: TemplateID(template)!, parameters: parameters,
                                  electorate: electorate, occurredAt: World.instant(at))))
        return id
    }

    mutating func step(_ process: ProcessID, _ party: String, _ stage: String, at: String, details: StepDetails? = nil,
                       source: String? = nil) throws -> EntryID {
        try entry(.recordStep(process: process, step: StepContent(party: World.party(party), stage: World.stage(stage), details: details, source: source),
                              occurredAt: World.instant(at)))
    }

    mutating func vote(_ process: ProcessID, _ party: String, _ position: BallotPosition, at: String, statement: String? = nil) throws -> EntryID {
        try entry(.castBallot(process: process, ballot: BallotContent(party: World.party(party), position: position, statement: statement),
                              occurredAt: World.instant(at)))
    }
}

struct PartiesFile: Decodable {
    struct Party: Decodable {
        var party: String
        var name: String
        var parliamentaryStep: ParliamentaryStepKind?
        var deploymentNeedsParliamentVote: Bool?
    }
    var parties: [Party]
}

struct BodiesFile: Decodable {
    struct Member: Decodable {
        var party: String
        var joined: String
        var left: String?
        var roles: [String]?
    }
    struct Body: Decodable {
        var body: String
        var name: String
        var kind: BodyKind
        var members: [Member]
    }
    var bodies: [Body]
}

struct WeightsFile: Decodable {
    var table: String
    var name: String
    var effectiveFrom: String
    var source: String?
    var weights: [String: Int64]
}

extension ProcessEvaluation {
    func status(_ rule: String) -> RuleStatus? { result(RuleID(rule)!)?.status }
    func figure(_ rule: String, _ key: String) -> RuleFigure? { result(RuleID(rule)!)?.figures.first { $0.key == key } }
}

/// The domain error a closure throws (nil when it succeeds or throws something else).
func domainError(_ body: () throws -> Void) -> DomainError? {
    do {
        try body()
        return nil
    } catch {
        return error as? DomainError
    }
}
