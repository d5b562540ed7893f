/// A template fixes how a kind of process works: the stage ladder each party climbs, who the electorate is,
/// how ballots are cast, which deadlines exist, and the rules that decide the outcome. Templates are data
/// (`schema/templates/*.json`, validated against `schema/template.schema.json`); a process pins the resolved
/// template when it opens, so later template changes never alter it silently.
public struct ProcessTemplate: Hashable, Sendable, Codable {
    public var id: TemplateID
    public var name: String
    public var description: String
    /// Values a process supplies when it opens (a target, a body, another process); rules refer to them as
    /// `{"param": "name"}`.
    public var parameters: [TemplateParameter]
    public var electorate: ElectorateSpec
    public var stages: [StageDefinition]
    /// Allowed next stages, keyed by the current stage id or `start`. When absent, a party may move to any later
    /// stage of the ladder, to any negative outcome, or repeat a repeatable stage.
    public var transitions: [String: [StageID]]?
    public var ballot: BallotConfiguration?
    public var deadlines: [DeadlineDefinition]
    public var rules: [RuleSpec]
    /// The rule whose result is the process's outcome (what another process depends on).
    public var decision: RuleID

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, description, parameters, electorate, stages, transitions, ballot, deadlines, rules, decision
        case schema = "$schema"
    }

    public init(
        id: TemplateID, name: String, description: String = "", parameters: [TemplateParameter] = [],
        electorate: ElectorateSpec, stages: [StageDefinition] = [], transitions: [String: [StageID]]? = nil,
        ballot: BallotConfiguration? = nil, deadlines: [DeadlineDefinition] = [], rules: [RuleSpec], decision: RuleID
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.parameters = parameters
        self.electorate = electorate
        self.stages = stages
        self.transitions = transitions
        self.ballot = ballot
        self.deadlines = deadlines
        self.rules = rules
        self.decision = decision
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(TemplateID.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        parameters = try c.decodeIfPresent([TemplateParameter].self, forKey: .parameters) ?? []
        electorate = try c.decode(ElectorateSpec.self, forKey: .electorate)
        stages = try c.decodeIfPresent([StageDefinition].self, forKey: .stages) ?? []
        transitions = try c.decodeIfPresent([String: [StageID]].self, forKey: .transitions)
        ballot = try c.decodeIfPresent(BallotConfiguration.self, forKey: .ballot)
        deadlines = try c.decodeIfPresent([DeadlineDefinition].self, forKey: .deadlines) ?? []
        rules = try c.decode([RuleSpec].self, forKey: .rules)
        decision = try c.decode(RuleID.self, forKey: .decision)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(electorate, forKey: .electorate)
        try c.encode(stages, forKey: .stages)
        try c.encodeIfPresent(transitions, forKey: .transitions)
        try c.encodeIfPresent(ballot, forKey: .ballot)
        try c.encode(deadlines, forKey: .deadlines)
        try c.encode(rules, forKey: .rules)
        try c.encode(decision, forKey: .decision)
    }

    public func stage(_ id: StageID) -> StageDefinition? { stages.first { $0.id == id } }

    public func rule(_ id: RuleID) -> RuleSpec? { rules.first { $0.id == id } }

    public func deadline(_ id: DeadlineID) -> DeadlineDefinition? { deadlines.first { $0.id == id } }

    /// The 0-based place of a stage in the ladder.
    public func ladderIndex(of id: StageID) -> Int? { stages.firstIndex { $0.id == id } }

    /// The stages a party may move to from `current` (nil: no step yet).
    public func allowedNextStages(after current: StageID?) -> [StageID] {
        if let transitions {
            return transitions[current?.rawValue ?? "start"] ?? []
        }
        guard let current, let index = ladderIndex(of: current) else {
            return stages.map(\.id)
        }
        let here = stages[index]
        if here.terminal { return [] }
        return stages.enumerated().compactMap { offset, stage in
            if offset > index || stage.outcome == .negative || (offset == index && here.repeatable) { return stage.id }
            return nil
        }
    }

    /// The stages a progress stage stands for: itself, those it names in `implies`, and (by default) every
    /// progress stage before it in the ladder. A party that deposited has also signed.
    public func impliedStages(of id: StageID) -> [StageID] {
        guard let index = ladderIndex(of: id) else { return [id] }
        let stage = stages[index]
        if stage.outcome == .negative { return [] }
        if let implies = stage.implies { return [id] + implies }
        return stages[...index].filter { $0.outcome == .progress }.map(\.id)
    }

    /// The stages a negative outcome takes away: those it names in `negates`, or every progress stage.
    public func negatedStages(of id: StageID) -> [StageID] {
        guard let stage = stage(id), stage.outcome == .negative else { return [] }
        return stage.negates ?? stages.filter { $0.outcome == .progress }.map(\.id)
    }
}

public struct TemplateParameter: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case integer, string, party, parties, body, process, ratio, stage
    }

    public var name: String
    public var kind: Kind
    public var label: String
    public var defaultValue: JSONValue?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, kind, label
        case defaultValue = "default"
    }

    public init(name: String, kind: Kind, label: String, defaultValue: JSONValue? = nil) {
        self.name = name
        self.kind = kind
        self.label = label
        self.defaultValue = defaultValue
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(Kind.self, forKey: .kind)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? name
        defaultValue = try c.decodeIfPresent(JSONValue.self, forKey: .defaultValue)
    }
}

/// Who counts: a body's members (frozen when the process opens, or following joins and leaves), or an explicit
/// list of parties.
public enum ElectorateSpec: Hashable, Sendable, Codable {
    case body(BodyID, membership: MembershipMode)
    case parties([PartyCode])

    public enum MembershipMode: String, Hashable, Sendable, Codable {
        /// The members on the day the process opened, whoever joins or leaves later.
        case frozenAtOpening = "frozen-at-opening"
        /// The members on each date: a party that joins mid-process takes part from the day it joins.
        case following
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case body, membership, parties }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let body = try c.decodeIfPresent(BodyID.self, forKey: .body) {
            let mode = try c.decodeIfPresent(MembershipMode.self, forKey: .membership) ?? .following
            self = .body(body, membership: mode)
        } else if let parties = try c.decodeIfPresent([PartyCode].self, forKey: .parties) {
            self = .parties(parties)
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .body, in: c, debugDescription: "an electorate names a 'body' or lists 'parties'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .body(body, mode):
            try c.encode(body, forKey: .body)
            try c.encode(mode, forKey: .membership)
        case let .parties(parties):
            try c.encode(parties, forKey: .parties)
        }
    }
}

public struct StageDefinition: Hashable, Sendable, Codable {
    /// What a step at this stage carries besides date, source and note.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case plain
        /// A vote, consent, authorisation or information of parliament (chamber, votes, mandate limits).
        case parliamentary
        /// Troops, capabilities per component, conditions, caveats. Recording it again amends the pledge.
        case pledge
        /// Troops deployed and location.
        case deployment
        /// Troops withdrawn, reason.
        case withdrawal
    }

    public enum Outcome: String, Hashable, Sendable, Codable {
        case progress
        /// Rejected, declined, withdrawn, revoked, expired: takes away stages the party held.
        case negative
    }

    public var id: StageID
    public var label: String
    public var kind: Kind
    public var outcome: Outcome
    /// No step may follow (a final refusal).
    public var terminal: Bool
    /// May be recorded again (amended pledges, further deployments).
    public var repeatable: Bool
    public var implies: [StageID]?
    public var negates: [StageID]?
    public var requires: [StageRequirement]
    public var description: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, label, kind, outcome, terminal, repeatable, implies, negates, requires, description
    }

    public init(
        id: StageID, label: String, kind: Kind = .plain, outcome: Outcome = .progress, terminal: Bool = false,
        repeatable: Bool = false, implies: [StageID]? = nil, negates: [StageID]? = nil,
        requires: [StageRequirement] = [], description: String? = nil
    ) {
        self.id = id
        self.label = label
        self.kind = kind
        self.outcome = outcome
        self.terminal = terminal
        self.repeatable = repeatable
        self.implies = implies
        self.negates = negates
        self.requires = requires
        self.description = description
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(StageID.self, forKey: .id)
        label = try c.decode(String.self, forKey: .label)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .plain
        outcome = try c.decodeIfPresent(Outcome.self, forKey: .outcome) ?? .progress
        terminal = try c.decodeIfPresent(Bool.self, forKey: .terminal) ?? false
        repeatable = try c.decodeIfPresent(Bool.self, forKey: .repeatable) ?? false
        implies = try c.decodeIfPresent([StageID].self, forKey: .implies)
        negates = try c.decodeIfPresent([StageID].self, forKey: .negates)
        requires = try c.decodeIfPresent([StageRequirement].self, forKey: .requires) ?? []
        description = try c.decodeIfPresent(String.self, forKey: .description)
    }
}

/// A stage that must be held before another may be recorded, possibly only for some parties (a deployment
/// needs a parliamentary approval only where the law asks for a vote).
public struct StageRequirement: Hashable, Sendable, Codable {
    public var stage: StageID
    public var when: PartyCondition?
    public var reason: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case stage, when, reason }

    public init(stage: StageID, when: PartyCondition? = nil, reason: String? = nil) {
        self.stage = stage
        self.when = when
        self.reason = reason
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stage = try c.decode(StageID.self, forKey: .stage)
        when = try c.decodeIfPresent(PartyCondition.self, forKey: .when)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }
}

/// A condition on a party's effective-dated attributes.
public struct PartyCondition: Hashable, Sendable, Codable {
    public var deploymentNeedsParliamentVote: Bool?
    public var parliamentaryStepIn: [ParliamentaryStepKind]?

    enum CodingKeys: String, CodingKey, CaseIterable { case deploymentNeedsParliamentVote, parliamentaryStepIn }

    public init(deploymentNeedsParliamentVote: Bool? = nil, parliamentaryStepIn: [ParliamentaryStepKind]? = nil) {
        self.deploymentNeedsParliamentVote = deploymentNeedsParliamentVote
        self.parliamentaryStepIn = parliamentaryStepIn
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deploymentNeedsParliamentVote = try c.decodeIfPresent(Bool.self, forKey: .deploymentNeedsParliamentVote)
        parliamentaryStepIn = try c.decodeIfPresent([ParliamentaryStepKind].self, forKey: .parliamentaryStepIn)
    }

    public func holds(for attributes: PartyAttributes) -> Bool {
        if let wanted = deploymentNeedsParliamentVote, attributes.deploymentNeedsParliamentVote != wanted { return false }
        if let kinds = parliamentaryStepIn {
            guard let kind = attributes.parliamentaryStep, kinds.contains(kind) else { return false }
        }
        return true
    }

    public var summary: String {
        var parts: [String] = []
        if let v = deploymentNeedsParliamentVote { parts.append(v ? "deployments need a parliamentary vote" : "deployments need no parliamentary vote") }
        if let kinds = parliamentaryStepIn { parts.append("parliamentary step is " + kinds.map(\.rawValue).joined(separator: " or ")) }
        return parts.joined(separator: " and ")
    }
}

public struct BallotConfiguration: Hashable, Sendable, Codable {
    public var positions: [BallotPosition]
    /// Until the process closes a party may change its vote; every change is kept.
    public var changeable: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case positions, changeable }

    public init(positions: [BallotPosition], changeable: Bool = true) {
        self.positions = positions
        self.changeable = changeable
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        positions = try c.decode([BallotPosition].self, forKey: .positions)
        changeable = try c.decodeIfPresent(Bool.self, forKey: .changeable) ?? true
    }
}

public struct DeadlineDefinition: Hashable, Sendable, Codable {
    public var id: DeadlineID
    public var label: String
    /// The IANA zone deadlines are set in, e.g. `Europe/Brussels` for a NATO silence procedure.
    public var timeZone: String

    enum CodingKeys: String, CodingKey, CaseIterable { case id, label, timeZone }

    public init(id: DeadlineID, label: String, timeZone: String) {
        self.id = id
        self.label = label
        self.timeZone = timeZone
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(DeadlineID.self, forKey: .id)
        label = try c.decode(String.self, forKey: .label)
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC"
    }
}
