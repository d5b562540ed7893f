/// The components of a force that a nation can offer.
public enum CapabilityComponent: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case land, air, sea, isr, logistics, training, demining

    public static func < (lhs: CapabilityComponent, rhs: CapabilityComponent) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Bounds that catch typing errors without second-guessing real figures: no nation deploys half a million
/// troops to one mission, and no chamber has more than a few thousand members.
public enum DomainLimits {
    public static let maximumTroops: Int64 = 500_000
    public static let maximumVotes: Int64 = 5_000
    public static let maximumNoteLength = 4_000
    public static let maximumShortTextLength = 500
    public static let maximumSourceLength = 2_000
    public static let maximumListItems = 50
    /// How far in the future an `occurredAt` may lie, for clocks that disagree.
    public static let clockSkewAllowanceSeconds: Int64 = 300
}

/// A parliament's part in a party's path.
public struct ParliamentaryDetails: Hashable, Sendable, Codable {
    public enum Procedure: String, Hashable, Sendable, Codable, CaseIterable {
        case vote
        case consent
        case authorisation
        /// Parliament was informed; no vote.
        case information
        /// Deemed approved after a period without a demand for a vote (Germany's simplified procedure).
        case deemedApproval = "deemed-approval"
    }

    public var chamber: String
    public var procedure: Procedure
    public var votesFor: Int64?
    public var votesAgainst: Int64?
    public var abstaining: Int64?
    public var mandate: Mandate?

    public init(chamber: String, procedure: Procedure, votesFor: Int64? = nil, votesAgainst: Int64? = nil,
                abstaining: Int64? = nil, mandate: Mandate? = nil) {
        self.chamber = chamber
        self.procedure = procedure
        self.votesFor = votesFor
        self.votesAgainst = votesAgainst
        self.abstaining = abstaining
        self.mandate = mandate
    }
}

/// The limits a parliament set on a deployment.
public struct Mandate: Hashable, Sendable, Codable {
    public var maxTroops: Int64?
    public var area: String?
    /// The last day the approval covers; afterwards it has expired unless renewed.
    public var endDate: CivilDate?

    public init(maxTroops: Int64? = nil, area: String? = nil, endDate: CivilDate? = nil) {
        self.maxTroops = maxTroops
        self.area = area
        self.endDate = endDate
    }
}

public struct CapabilityPledge: Hashable, Sendable, Codable {
    public var component: CapabilityComponent
    public var description: String?
    /// This nation leads the component (the UK and France lead land; Turkey leads sea).
    public var lead: Bool

    public init(component: CapabilityComponent, description: String? = nil, lead: Bool = false) {
        self.component = component
        self.description = description
        self.lead = lead
    }

    enum CodingKeys: String, CodingKey { case component, description, lead }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        component = try c.decode(CapabilityComponent.self, forKey: .component)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        lead = try c.decodeIfPresent(Bool.self, forKey: .lead) ?? false
    }
}

/// What a nation offers. Recording a pledge again amends it: the newest stands, the history stays.
public struct PledgeDetails: Hashable, Sendable, Codable {
    public var troops: Int64
    public var capabilities: [CapabilityPledge]
    /// Conditions such as "ceasefire in force", "US backstop", "invitation from Ukraine".
    public var conditions: [String]
    /// Limits on use.
    public var caveats: [String]

    public init(troops: Int64, capabilities: [CapabilityPledge] = [], conditions: [String] = [], caveats: [String] = []) {
        self.troops = troops
        self.capabilities = capabilities
        self.conditions = conditions
        self.caveats = caveats
    }

    enum CodingKeys: String, CodingKey { case troops, capabilities, conditions, caveats }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        troops = try c.decodeIfPresent(Int64.self, forKey: .troops) ?? 0
        capabilities = try c.decodeIfPresent([CapabilityPledge].self, forKey: .capabilities) ?? []
        conditions = try c.decodeIfPresent([String].self, forKey: .conditions) ?? []
        caveats = try c.decodeIfPresent([String].self, forKey: .caveats) ?? []
    }

    public var isUnconditional: Bool { conditions.isEmpty }

    public func offers(_ component: CapabilityComponent) -> Bool {
        capabilities.contains { $0.component == component }
    }

    public func leads(_ component: CapabilityComponent) -> Bool {
        capabilities.contains { $0.component == component && $0.lead }
    }
}

public struct DeploymentDetails: Hashable, Sendable, Codable {
    public var troopsDeployed: Int64
    public var location: String

    public init(troopsDeployed: Int64, location: String) {
        self.troopsDeployed = troopsDeployed
        self.location = location
    }
}

public struct WithdrawalDetails: Hashable, Sendable, Codable {
    public var troopsWithdrawn: Int64?
    public var reason: String?

    public init(troopsWithdrawn: Int64? = nil, reason: String? = nil) {
        self.troopsWithdrawn = troopsWithdrawn
        self.reason = reason
    }
}

/// The kind-specific part of a stage step; which one is allowed is fixed by the stage's kind.
public struct StepDetails: Hashable, Sendable, Codable {
    public var parliamentary: ParliamentaryDetails?
    public var pledge: PledgeDetails?
    public var deployment: DeploymentDetails?
    public var withdrawal: WithdrawalDetails?

    public init(parliamentary: ParliamentaryDetails? = nil, pledge: PledgeDetails? = nil,
                deployment: DeploymentDetails? = nil, withdrawal: WithdrawalDetails? = nil) {
        self.parliamentary = parliamentary
        self.pledge = pledge
        self.deployment = deployment
        self.withdrawal = withdrawal
    }

    public static let none = StepDetails()

    public var isEmpty: Bool { parliamentary == nil && pledge == nil && deployment == nil && withdrawal == nil }
}
