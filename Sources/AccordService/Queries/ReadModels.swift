import AccordDomain

// What readers see: process summaries, the party × stage matrix, timelines and party views. Plain Codable
// values shared by the JSON API, the CLI and the web page.

public struct TemplateRef: Codable, Hashable, Sendable {
    public var id: TemplateID
    public var version: Int64
    public var name: String
    public var contentHash: String
}

public struct RuleSummary: Codable, Hashable, Sendable {
    public var rule: RuleID
    public var label: String
    public var status: RuleStatus
    public var headline: String
    public var since: Instant?
}

public struct ProcessSummary: Codable, Hashable, Sendable {
    public var id: ProcessID
    public var title: String
    public var reference: String?
    public var template: TemplateRef
    public var openedAt: Instant
    public var closedAt: Instant?
    /// The stream version: the process's ETag.
    public var version: Int64
    public var electorateSize: Int
    public var decision: RuleSummary?
    public var rules: [RuleSummary]
    public var asOf: Instant
}

public struct DeadlineView: Codable, Hashable, Sendable {
    public var id: DeadlineID
    public var label: String
    public var at: Instant
    public var timeZone: String
    public var localTime: String
    public var passed: Bool
    public var extensions: Int
}

public struct ProcessDetail: Codable, Hashable, Sendable {
    public var summary: ProcessSummary
    public var description: String
    public var parameters: [String: JSONValue]
    public var electorate: [PartyCode]
    public var electorateSpec: ElectorateSpec
    public var stages: [StageDefinition]
    public var ballotPositions: [BallotPosition]
    public var deadlines: [DeadlineView]
    public var rules: [RuleSpec]
    public var results: [RuleResult]
    public var knownAtPosition: Int64
}

/// One cell of the party × stage matrix.
public struct MatrixCell: Codable, Hashable, Sendable {
    public var stage: StageID
    public var held: Bool
    public var since: Instant?
    public var entry: EntryID?
    public var source: String?
    public var note: String?
    /// The last day an approval covered, when it lapsed.
    public var expired: CivilDate?
}

public struct BallotView: Codable, Hashable, Sendable {
    public var position: BallotPosition
    public var statement: String?
    public var since: Instant
    public var entry: EntryID
    public var source: String?
    public var changes: Int
}

public struct MatrixRow: Codable, Hashable, Sendable {
    public var party: PartyCode
    public var name: String
    public var inElectorate: Bool
    public var currentStage: StageID?
    public var currentSince: Instant?
    public var isOut: Bool
    public var cells: [MatrixCell]
    public var pledge: PledgeDetails?
    public var deployedTroops: Int64
    public var ballot: BallotView?
}

public struct StageColumn: Codable, Hashable, Sendable {
    public var id: StageID
    public var label: String
    public var outcome: StageDefinition.Outcome
}

public struct StatusMatrix: Codable, Hashable, Sendable {
    public var process: ProcessID
    public var title: String
    public var asOf: Instant
    public var knownAtPosition: Int64
    public var stages: [StageColumn]
    public var rows: [MatrixRow]
}

/// An entry of a process's timeline: what was recorded, by whom, effective when, and how it was amended.
public struct TimelineEntry: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        case opened, step, ballot, ballotWithdrawn = "ballot-withdrawn", deadlineSet = "deadline-set"
        case deadlineExtended = "deadline-extended", closed, retraction, correction
    }

    public var entry: EntryID
    public var kind: Kind
    public var party: PartyCode?
    public var summary: String
    public var effectiveAt: Instant
    public var recordedAt: Instant
    public var position: Int64
    public var actor: ActorRef
    public var source: String?
    public var note: String?
    /// For corrections and retractions: the entry they concern.
    public var concerns: EntryID?
    public var reason: String?
    /// For entries: retracted (and why), or corrected (by which entries).
    public var retractedBy: EntryID?
    public var correctedBy: [EntryID]
}

public struct PartyProcessView: Codable, Hashable, Sendable {
    public var process: ProcessSummary
    public var inElectorate: Bool
    public var currentStage: StageID?
    public var currentStageLabel: String?
    public var since: Instant?
    public var heldStages: [StageID]
    public var pledge: PledgeDetails?
    public var ballot: BallotView?
    /// Rules this party holds back, and why.
    public var blocking: [String]
}

public struct MembershipView: Codable, Hashable, Sendable {
    public var body: BodyID
    public var name: String
    public var joined: Instant
    public var left: Instant?
    public var roles: [String]
}

public struct PartyView: Codable, Hashable, Sendable {
    public var party: PartyCode
    public var name: String
    public var asOf: Instant
    public var population: Int64?
    public var parliamentaryStep: ParliamentaryStepKind?
    public var deploymentNeedsParliamentVote: Bool
    public var memberships: [MembershipView]
    public var processes: [PartyProcessView]
}

public struct PartyListItem: Codable, Hashable, Sendable {
    public var party: PartyCode
    public var name: String
    public var population: Int64?
    public var parliamentaryStep: ParliamentaryStepKind?
    public var deploymentNeedsParliamentVote: Bool
}

public struct BodyView: Codable, Hashable, Sendable {
    public var body: BodyID
    public var name: String
    public var kind: BodyKind
    public var asOf: Instant
    public var members: [MembershipView]
}

public struct WeightTableView: Codable, Hashable, Sendable {
    public struct Version: Codable, Hashable, Sendable {
        public var effectiveFrom: Instant
        public var name: String
        public var source: String?
        public var total: Int64
        public var weights: [String: Int64]
    }

    public var table: WeightTableID
    public var versions: [Version]
}

public struct TemplateView: Codable, Hashable, Sendable {
    public var id: TemplateID
    public var name: String
    public var version: Int64
    public var contentHash: String
    public var registeredAt: Instant
    public var definition: JSONValue
}
