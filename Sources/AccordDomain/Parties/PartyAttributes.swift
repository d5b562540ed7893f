/// How a nation's parliament takes part in sending troops abroad. It differs in kind, not only in timing.
public enum ParliamentaryStepKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// A vote before deployment (Germany's Bundestag on an unamendable request; Sweden and Denmark's consent).
    case voteRequired = "vote-required"
    /// The government informs parliament (the Netherlands, France before its 4-month vote).
    case informOnly = "inform-only"
    /// Parliament authorises missions per year (Italy).
    case annualAuthorisation = "annual-authorisation"
    /// A vote held by convention only (the United Kingdom).
    case convention
    /// No parliamentary step.
    case none
}

/// A party's attributes in force on one date.
public struct PartyAttributes: Hashable, Sendable {
    public var population: Int64?
    public var parliamentaryStep: ParliamentaryStepKind?
    public var deploymentNeedsParliamentVote: Bool

    public init(population: Int64? = nil, parliamentaryStep: ParliamentaryStepKind? = nil, deploymentNeedsParliamentVote: Bool = false) {
        self.population = population
        self.parliamentaryStep = parliamentaryStep
        self.deploymentNeedsParliamentVote = deploymentNeedsParliamentVote
    }
}

/// One attribute value, effective from a date.
public enum PartyAttributeValue: Hashable, Sendable, Codable {
    case population(Int64)
    case parliamentaryStep(ParliamentaryStepKind)
    case deploymentNeedsParliamentVote(Bool)

    enum CodingKeys: String, CodingKey, CaseIterable { case attribute, value }

    public var attributeName: String {
        switch self {
        case .population: "population"
        case .parliamentaryStep: "parliamentaryStep"
        case .deploymentNeedsParliamentVote: "deploymentNeedsParliamentVote"
        }
    }

    public static let attributeNames = ["population", "parliamentaryStep", "deploymentNeedsParliamentVote"]

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .attribute)
        switch name {
        case "population":
            let value = try c.decode(Int64.self, forKey: .value)
            guard value >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .value, in: c, debugDescription: "a population cannot be negative")
            }
            self = .population(value)
        case "parliamentaryStep":
            self = .parliamentaryStep(try c.decode(ParliamentaryStepKind.self, forKey: .value))
        case "deploymentNeedsParliamentVote":
            self = .deploymentNeedsParliamentVote(try c.decode(Bool.self, forKey: .value))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .attribute, in: c,
                debugDescription: "unknown attribute '\(name)'; known: \(Self.attributeNames.joined(separator: ", "))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attributeName, forKey: .attribute)
        switch self {
        case .population(let v): try c.encode(v, forKey: .value)
        case .parliamentaryStep(let v): try c.encode(v, forKey: .value)
        case .deploymentNeedsParliamentVote(let v): try c.encode(v, forKey: .value)
        }
    }
}
