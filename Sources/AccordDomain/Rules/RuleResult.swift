
/// Where a rule stands.
public enum RuleStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case satisfied
    case notYet = "not-yet"
    /// Cannot be satisfied any more: a veto, a rejection, a broken silence at the deadline.
    case failed
    /// The rule does not apply (no electorate, the silence deadline is not set).
    case notApplicable = "not-applicable"

    public var label: String {
        switch self {
        case .satisfied: "satisfied"
        case .notYet: "not yet"
        case .failed: "failed for good"
        case .notApplicable: "not applicable"
        }
    }
}

/// A number that decides a rule, with the threshold it is held against.
public struct RuleFigure: Hashable, Sendable, Codable {
    /// Encoded as an object with one member named after the case: `{"count": 29}`,
    /// `{"share": {"numerator": 2, "denominator": 3}}`, `{"date": "2025-04-10"}`, `{"instant": "…Z"}`.
    public enum Value: Hashable, Sendable, Codable {
        case count(Int64)
        case share(Ratio)
        case date(CivilDate)
        case instant(Instant)

        enum CodingKeys: String, CodingKey, CaseIterable { case count, share, date, instant }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard c.allKeys.count == 1, let key = c.allKeys.first else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "a figure has exactly one of count, share, date, instant"))
            }
            switch key {
            case .count: self = .count(try c.decode(Int64.self, forKey: .count))
            case .share: self = .share(try c.decode(Ratio.self, forKey: .share))
            case .date: self = .date(try c.decode(CivilDate.self, forKey: .date))
            case .instant: self = .instant(try c.decode(Instant.self, forKey: .instant))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .count(let v): try c.encode(v, forKey: .count)
            case .share(let v): try c.encode(v, forKey: .share)
            case .date(let v): try c.encode(v, forKey: .date)
            case .instant(let v): try c.encode(v, forKey: .instant)
            }
        }
    }

    /// A stable key: `deposited`, `yes-members`, `yes-population-share`, `troops`...
    public var key: String
    public var label: String
    public var value: Value
    /// Of how many (31 electors): rendered as "29 of 31".
    public var total: Int64?
    public var threshold: Value?
    /// Whether the figure meets its threshold (nil when it has none).
    public var met: Bool?
    /// For people: "29 of 31 deposited", "64.08% of population (needs 65.00%)".
    public var text: String

    public init(key: String, label: String, value: Value, total: Int64? = nil, threshold: Value? = nil, met: Bool? = nil, text: String) {
        self.key = key
        self.label = label
        self.value = value
        self.total = total
        self.threshold = threshold
        self.met = met
        self.text = text
    }
}

/// Who holds a rule back, and why.
public struct RuleBlocker: Hashable, Sendable, Codable {
    public enum Reason: String, Hashable, Sendable, Codable {
        case missingStage = "missing-stage"
        case negativeOutcome = "negative-outcome"
        case noPosition = "no-position"
        case objection
        case veto
        case votesAgainst = "votes-against"
        case thresholdNotMet = "threshold-not-met"
        case requiredPartyMissing = "required-party-missing"
        case missingLead = "missing-lead"
        case dependencyNotMet = "dependency-not-met"
        case deadlinePending = "deadline-pending"
        case qualifiedAbstentions = "qualified-abstentions"
        case waitingForDate = "waiting-for-date"
        case childRule = "child-rule"
    }

    public var party: PartyCode?
    public var reason: Reason
    public var detail: String

    public init(party: PartyCode? = nil, reason: Reason, detail: String) {
        self.party = party
        self.reason = reason
        self.detail = detail
    }
}

/// An entry that made a rule change status.
public struct DecidingEntry: Hashable, Sendable, Codable {
    public var entry: EntryID?
    public var party: PartyCode?
    /// What happened: "DE: instrument-deposited", "silence deadline passed", "HU joined the electorate".
    public var summary: String
    public var position: Int64?

    public init(entry: EntryID? = nil, party: PartyCode? = nil, summary: String, position: Int64? = nil) {
        self.entry = entry
        self.party = party
        self.summary = summary
        self.position = position
    }
}

/// A rule evaluated on one date, explained.
public struct RuleResult: Hashable, Sendable, Codable {
    public var rule: RuleID
    public var label: String
    public var kind: RuleKind
    public var status: RuleStatus
    /// One line: "29 of 31 deposited", "21,500 of 25,000 troops".
    public var headline: String
    public var figures: [RuleFigure]
    public var blockers: [RuleBlocker]
    /// The effective date on which the rule reached its current status (as known at the evaluation's cut-off).
    public var since: Instant?
    /// The entry whose effect brought the current status about.
    public var decidedBy: DecidingEntry?
    /// A date the rule foresees: the entry into force, the silence deadline.
    public var expectedAt: Instant?

    public init(rule: RuleID, label: String, kind: RuleKind, status: RuleStatus, headline: String,
                figures: [RuleFigure] = [], blockers: [RuleBlocker] = [], since: Instant? = nil,
                decidedBy: DecidingEntry? = nil, expectedAt: Instant? = nil) {
        self.rule = rule
        self.label = label
        self.kind = kind
        self.status = status
        self.headline = headline
        self.figures = figures
        self.blockers = blockers
        self.since = since
        self.decidedBy = decidedBy
        self.expectedAt = expectedAt
    }
}
