
/// A rule of a template, as declarative data. Every kind in the domain notes' table is here; thresholds are
/// integers or exact ratios.
public struct RuleSpec: Hashable, Sendable, Codable {
    public var id: RuleID
    public var label: String
    public var description: String?
    public var condition: RuleCondition

    public init(id: RuleID, label: String, description: String? = nil, condition: RuleCondition) {
        self.id = id
        self.label = label
        self.description = description
        self.condition = condition
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, label, description, kind
        case stage, deadline, weights, memberShare, populationShare, minimumMembers, blockingMinority
        case minimumYes, permanentRole, minimum, required, quantity, filter, includeConditional
        case components, process, rule, status, rules, instruments, entryIntoForce
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(RuleID.self, forKey: .id)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? id.rawValue
        description = try c.decodeIfPresent(String.self, forKey: .description)
        let kind = try c.decode(RuleKind.self, forKey: .kind)
        switch kind {
        case .stageUnanimity:
            condition = .stageUnanimity(stage: try c.decode(StageID.self, forKey: .stage))
        case .consensus:
            condition = .consensus
        case .silenceProcedure:
            condition = .silenceProcedure(deadline: try c.decode(DeadlineID.self, forKey: .deadline))
        case .unanimity:
            condition = .unanimity
        case .constructiveAbstention:
            condition = .constructiveAbstention(ConstructiveAbstentionRule(
                weights: try c.decode(WeightSource.self, forKey: .weights),
                memberShare: try c.decodeIfPresent(Ratio.self, forKey: .memberShare) ?? .oneThird,
                populationShare: try c.decodeIfPresent(Ratio.self, forKey: .populationShare) ?? .oneThird))
        case .qualifiedMajority:
            condition = .qualifiedMajority(QualifiedMajorityRule(
                weights: try c.decode(WeightSource.self, forKey: .weights),
                memberShare: try c.decode(Ratio.self, forKey: .memberShare),
                populationShare: try c.decode(Ratio.self, forKey: .populationShare),
                minimumMembers: try c.decodeIfPresent(Int64.self, forKey: .minimumMembers),
                blockingMinority: try c.decodeIfPresent(Int64.self, forKey: .blockingMinority)))
        case .securityCouncil:
            condition = .securityCouncil(SecurityCouncilRule(
                minimumYes: try c.decode(Int64.self, forKey: .minimumYes),
                permanentRole: try c.decodeIfPresent(String.self, forKey: .permanentRole) ?? "permanent-member"))
        case .nOfM:
            condition = .nOfM(NOfMRule(
                stage: try c.decode(StageID.self, forKey: .stage),
                minimum: try c.decode(Int64.self, forKey: .minimum),
                required: try c.decodeIfPresent([PartyCode].self, forKey: .required) ?? []))
        case .weightedSum:
            condition = .weightedSum(WeightedSumRule(
                quantity: try c.decode(Quantity.self, forKey: .quantity),
                minimum: try c.decode(Int64.self, forKey: .minimum),
                filter: try c.decodeIfPresent(PartyFilter.self, forKey: .filter) ?? PartyFilter(),
                includeConditional: try c.decodeIfPresent(Bool.self, forKey: .includeConditional) ?? false))
        case .count:
            condition = .count(CountRule(
                minimum: try c.decode(Int64.self, forKey: .minimum),
                filter: try c.decode(PartyFilter.self, forKey: .filter)))
        case .roleCoverage:
            condition = .roleCoverage(components: try c.decode([CapabilityComponent].self, forKey: .components))
        case .dependency:
            condition = .dependency(DependencyRule(
                process: try c.decode(ProcessID.self, forKey: .process),
                rule: try c.decodeIfPresent(RuleID.self, forKey: .rule),
                status: try c.decodeIfPresent(RuleStatus.self, forKey: .status) ?? .satisfied))
        case .all:
            condition = .all(try c.decode([RuleID].self, forKey: .rules))
        case .any:
            condition = .any(try c.decode([RuleID].self, forKey: .rules))
        case .not:
            condition = .not(try c.decode(RuleID.self, forKey: .rule))
        case .entryIntoForce:
            condition = .entryIntoForce(EntryIntoForceRule(
                stage: try c.decode(StageID.self, forKey: .stage),
                instruments: try c.decodeIfPresent(Int64.self, forKey: .instruments),
                delay: try c.decode(DateRule.self, forKey: .entryIntoForce)))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(label, forKey: .label)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encode(condition.kind, forKey: .kind)
        switch condition {
        case .stageUnanimity(let stage):
            try c.encode(stage, forKey: .stage)
        case .consensus, .unanimity:
            break
        case .silenceProcedure(let deadline):
            try c.encode(deadline, forKey: .deadline)
        case .constructiveAbstention(let r):
            try c.encode(r.weights, forKey: .weights)
            try c.encode(r.memberShare, forKey: .memberShare)
            try c.encode(r.populationShare, forKey: .populationShare)
        case .qualifiedMajority(let r):
            try c.encode(r.weights, forKey: .weights)
            try c.encode(r.memberShare, forKey: .memberShare)
            try c.encode(r.populationShare, forKey: .populationShare)
            try c.encodeIfPresent(r.minimumMembers, forKey: .minimumMembers)
            try c.encodeIfPresent(r.blockingMinority, forKey: .blockingMinority)
        case .securityCouncil(let r):
            try c.encode(r.minimumYes, forKey: .minimumYes)
            try c.encode(r.permanentRole, forKey: .permanentRole)
        case .nOfM(let r):
            try c.encode(r.stage, forKey: .stage)
            try c.encode(r.minimum, forKey: .minimum)
            try c.encode(r.required, forKey: .required)
        case .weightedSum(let r):
            try c.encode(r.quantity, forKey: .quantity)
            try c.encode(r.minimum, forKey: .minimum)
            try c.encode(r.filter, forKey: .filter)
            try c.encode(r.includeConditional, forKey: .includeConditional)
        case .count(let r):
            try c.encode(r.minimum, forKey: .minimum)
            try c.encode(r.filter, forKey: .filter)
        case .roleCoverage(let components):
            try c.encode(components, forKey: .components)
        case .dependency(let r):
            try c.encode(r.process, forKey: .process)
            try c.encodeIfPresent(r.rule, forKey: .rule)
            try c.encode(r.status, forKey: .status)
        case .all(let rules), .any(let rules):
            try c.encode(rules, forKey: .rules)
        case .not(let rule):
            try c.encode(rule, forKey: .rule)
        case .entryIntoForce(let r):
            try c.encode(r.stage, forKey: .stage)
            try c.encodeIfPresent(r.instruments, forKey: .instruments)
            try c.encode(r.delay, forKey: .entryIntoForce)
        }
    }
}

public enum RuleKind: String, Hashable, Sendable, Codable, CaseIterable {
    case stageUnanimity = "stage-unanimity"
    case consensus
    case silenceProcedure = "silence-procedure"
    case unanimity
    case constructiveAbstention = "constructive-abstention"
    case qualifiedMajority = "qualified-majority"
    case securityCouncil = "security-council"
    case nOfM = "n-of-m"
    case weightedSum = "weighted-sum"
    case count
    case roleCoverage = "role-coverage"
    case dependency
    case all
    case any
    case not
    case entryIntoForce = "entry-into-force"
}

public indirect enum RuleCondition: Hashable, Sendable {
    /// Every elector holds the stage (all 32 allies deposited). The electorate may grow mid-process.
    case stageUnanimity(stage: StageID)
    /// NATO consensus: every elector has stated a position and none objects. There is no abstention; a
    /// footnote (yes with reservation) does not block.
    case consensus
    /// Adopted when the deadline passes with no standing objection; an objection may be withdrawn before it.
    case silenceProcedure(deadline: DeadlineID)
    /// EU unanimity: no member present votes against; abstention does not block.
    case unanimity
    /// Art. 31(1) TEU: as unanimity, but fails when qualified abstainers are at least a third of the members
    /// and hold at least a third of the population.
    case constructiveAbstention(ConstructiveAbstentionRule)
    /// EU qualified majority (Art. 16(4) TEU, Art. 238(3) TFEU), standard or reinforced.
    case qualifiedMajority(QualifiedMajorityRule)
    /// UN Security Council substantive decision (Art. 27(3) UN Charter).
    case securityCouncil(SecurityCouncilRule)
    /// At least N parties hold the stage, including each named one.
    case nOfM(NOfMRule)
    /// A quantity (pledged troops) summed over parties that meet a filter reaches a minimum.
    case weightedSum(WeightedSumRule)
    /// At least K parties meet a filter.
    case count(CountRule)
    /// Each component has a lead nation.
    case roleCoverage(components: [CapabilityComponent])
    /// Another process reached an outcome.
    case dependency(DependencyRule)
    case all([RuleID])
    case any([RuleID])
    case not(RuleID)
    /// N instruments deposited, then date arithmetic gives the date of entry into force.
    case entryIntoForce(EntryIntoForceRule)

    public var kind: RuleKind {
        switch self {
        case .stageUnanimity: .stageUnanimity
        case .consensus: .consensus
        case .silenceProcedure: .silenceProcedure
        case .unanimity: .unanimity
        case .constructiveAbstention: .constructiveAbstention
        case .qualifiedMajority: .qualifiedMajority
        case .securityCouncil: .securityCouncil
        case .nOfM: .nOfM
        case .weightedSum: .weightedSum
        case .count: .count
        case .roleCoverage: .roleCoverage
        case .dependency: .dependency
        case .all: .all
        case .any: .any
        case .not: .not
        case .entryIntoForce: .entryIntoForce
        }
    }

    /// Whether the rule reads ballots (and so needs the template to accept them).
    public var readsBallots: Bool {
        switch self {
        case .consensus, .silenceProcedure, .unanimity, .constructiveAbstention, .qualifiedMajority, .securityCouncil: true
        default: false
        }
    }

    /// Rules this one combines.
    public var children: [RuleID] {
        switch self {
        case .all(let ids), .any(let ids): ids
        case .not(let id): [id]
        default: []
        }
    }
}

/// Where a party's weight comes from: a published weight table (the EU Council's population table of the year)
/// or the party's own effective-dated population attribute.
public enum WeightSource: Hashable, Sendable, Codable {
    case table(WeightTableID)
    case populationAttribute

    enum CodingKeys: String, CodingKey, CaseIterable { case table, attribute }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let table = try c.decodeIfPresent(WeightTableID.self, forKey: .table) {
            self = .table(table)
        } else if let attribute = try c.decodeIfPresent(String.self, forKey: .attribute), attribute == "population" {
            self = .populationAttribute
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .table, in: c, debugDescription: "weights come from a 'table' or from the attribute 'population'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .table(let id): try c.encode(id, forKey: .table)
        case .populationAttribute: try c.encode("population", forKey: .attribute)
        }
    }
}

public struct ConstructiveAbstentionRule: Hashable, Sendable {
    public var weights: WeightSource
    public var memberShare: Ratio
    public var populationShare: Ratio
}

public struct QualifiedMajorityRule: Hashable, Sendable {
    public var weights: WeightSource
    /// Share of participating members voting yes: 55/100 standard, 72/100 reinforced.
    public var memberShare: Ratio
    /// Share of the participating members' population voting yes: 65/100.
    public var populationShare: Ratio
    /// An absolute floor on yes members (15 in a Council of 27), applied when all members participate.
    public var minimumMembers: Int64?
    /// A blocking minority needs at least this many members (4), failing which the majority is deemed reached.
    public var blockingMinority: Int64?
}

public struct SecurityCouncilRule: Hashable, Sendable {
    public var minimumYes: Int64
    /// The member role whose "no" is a veto.
    public var permanentRole: String
}

public struct NOfMRule: Hashable, Sendable {
    public var stage: StageID
    public var minimum: Int64
    public var required: [PartyCode]
}

public enum Quantity: String, Hashable, Sendable, Codable {
    /// Troops in each party's standing pledge.
    case pledgedTroops = "pledged-troops"
    /// Troops each party has deployed and not withdrawn.
    case deployedTroops = "deployed-troops"
}

public struct WeightedSumRule: Hashable, Sendable {
    public var quantity: Quantity
    public var minimum: Int64
    public var filter: PartyFilter
    /// Whether pledges with conditions count towards the minimum; either way they are shown apart.
    public var includeConditional: Bool
}

public struct CountRule: Hashable, Sendable {
    public var minimum: Int64
    public var filter: PartyFilter
}

public struct DependencyRule: Hashable, Sendable {
    public var process: ProcessID
    /// The rule of the other process; its decision rule when absent.
    public var rule: RuleID?
    public var status: RuleStatus
}

public struct EntryIntoForceRule: Hashable, Sendable {
    public var stage: StageID
    /// Instruments needed; every elector when absent.
    public var instruments: Int64?
    public var delay: DateRule
}

/// Treaty date arithmetic, on calendar days.
public enum DateRule: Hashable, Sendable, Codable {
    /// "on the thirtieth day following the deposit": the date of the deposit plus `days`.
    case daysAfter(Int64)
    /// "on the first day of the month following the expiry of a period of `days` days after the deposit".
    case firstDayOfMonthAfter(days: Int64)

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, days }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let days = try c.decode(Int64.self, forKey: .days)
        guard (0...3660).contains(days) else {
            throw DecodingError.dataCorruptedError(forKey: .days, in: c, debugDescription: "days must be between 0 and 3660")
        }
        switch kind {
        case "days-after": self = .daysAfter(days)
        case "first-day-of-month-after": self = .firstDayOfMonthAfter(days: days)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "date rule kind is 'days-after' or 'first-day-of-month-after'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .daysAfter(let d):
            try c.encode("days-after", forKey: .kind)
            try c.encode(d, forKey: .days)
        case .firstDayOfMonthAfter(let d):
            try c.encode("first-day-of-month-after", forKey: .kind)
            try c.encode(d, forKey: .days)
        }
    }

    public func apply(to date: CivilDate) -> CivilDate {
        switch self {
        case .daysAfter(let days): date.adding(days: days)
        case .firstDayOfMonthAfter(let days): date.adding(days: days).firstDayOfNextMonth
        }
    }

    public var summary: String {
        switch self {
        case .daysAfter(let d): "\(d) days after"
        case .firstDayOfMonthAfter(let d): "first day of the month after \(d) days"
        }
    }
}

/// Which parties a count or sum looks at.
public struct PartyFilter: Hashable, Sendable, Codable {
    /// The party holds this stage.
    public var stage: StageID?
    /// The party's standing pledge offers this component.
    public var component: CapabilityComponent?
    /// The party's standing pledge has no conditions.
    public var unconditional: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable { case stage, component, unconditional }

    public init(stage: StageID? = nil, component: CapabilityComponent? = nil, unconditional: Bool? = nil) {
        self.stage = stage
        self.component = component
        self.unconditional = unconditional
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stage = try c.decodeIfPresent(StageID.self, forKey: .stage)
        component = try c.decodeIfPresent(CapabilityComponent.self, forKey: .component)
        unconditional = try c.decodeIfPresent(Bool.self, forKey: .unconditional)
    }

    public var summary: String {
        var parts: [String] = []
        if let stage { parts.append("at stage \(stage)") }
        if let component { parts.append("pledging \(component.rawValue)") }
        if unconditional == true { parts.append("without conditions") }
        return parts.isEmpty ? "all parties" : parts.joined(separator: ", ")
    }
}
