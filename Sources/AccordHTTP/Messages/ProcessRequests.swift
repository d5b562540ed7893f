import AccordDomain

// The bodies of the process endpoints, as the server reads them and the CLI writes them: one definition for
// both sides of the wire. Field names are the API's; see schema/openapi.json.

public struct OpenProcessRequest: Codable, Sendable {
    public var id: ProcessID?
    public var title: String
    public var reference: String?
    public var template: TemplateID
    public var templateVersion: Int64?
    public var parameters: [String: JSONValue]?
    public var electorate: ElectorateSpec?
    public var occurredAt: Instant?

    public init(id: ProcessID? = nil, title: String, reference: String? = nil, template: TemplateID, templateVersion: Int64? = nil,
                parameters: [String: JSONValue]? = nil, electorate: ElectorateSpec? = nil, occurredAt: Instant? = nil) {
        self.id = id
        self.title = title
        self.reference = reference
        self.template = template
        self.templateVersion = templateVersion
        self.parameters = parameters
        self.electorate = electorate
        self.occurredAt = occurredAt
    }
}

/// A stage step, as `POST …/steps` and each item of `POST …/steps/batch` take it.
public struct StepRequest: Codable, Sendable {
    public var party: PartyCode
    public var stage: StageID
    public var details: StepDetails?
    public var source: String?
    public var note: String?
    public var occurredAt: Instant?

    public init(party: PartyCode, stage: StageID, details: StepDetails? = nil, source: String? = nil, note: String? = nil, occurredAt: Instant? = nil) {
        self.party = party
        self.stage = stage
        self.details = details
        self.source = source
        self.note = note
        self.occurredAt = occurredAt
    }

    var content: StepContent { StepContent(party: party, stage: stage, details: details, source: source, note: note) }
}

public struct StepBatchRequest: Codable, Sendable {
    public var steps: [StepRequest]

    public init(steps: [StepRequest]) {
        self.steps = steps
    }
}

public struct BallotRequest: Codable, Sendable {
    public var party: PartyCode
    public var position: BallotPosition
    public var statement: String?
    public var source: String?
    public var note: String?
    public var occurredAt: Instant?

    public init(party: PartyCode, position: BallotPosition, statement: String? = nil, source: String? = nil, note: String? = nil,
                occurredAt: Instant? = nil) {
        self.party = party
        self.position = position
        self.statement = statement
        self.source = source
        self.note = note
        self.occurredAt = occurredAt
    }

    var content: BallotContent { BallotContent(party: party, position: position, statement: statement, source: source, note: note) }
}

public struct BallotWithdrawalRequest: Codable, Sendable {
    public var party: PartyCode
    public var reason: String?
    public var occurredAt: Instant?

    public init(party: PartyCode, reason: String? = nil, occurredAt: Instant? = nil) {
        self.party = party
        self.reason = reason
        self.occurredAt = occurredAt
    }
}

/// A deadline's new value: local wall-clock time in a zone.
public struct DeadlineExtensionRequest: Codable, Sendable {
    public var localTime: String
    public var timeZone: String?
    public var reason: String?
    public var occurredAt: Instant?

    public init(localTime: String, timeZone: String? = nil, reason: String? = nil, occurredAt: Instant? = nil) {
        self.localTime = localTime
        self.timeZone = timeZone
        self.reason = reason
        self.occurredAt = occurredAt
    }
}

public struct DeadlineRequest: Codable, Sendable {
    public var deadline: DeadlineID
    public var localTime: String
    public var timeZone: String?
    public var reason: String?
    public var occurredAt: Instant?

    public init(deadline: DeadlineID, _ value: DeadlineExtensionRequest) {
        self.deadline = deadline
        localTime = value.localTime
        timeZone = value.timeZone
        reason = value.reason
        occurredAt = value.occurredAt
    }
}

public struct CloseRequest: Codable, Sendable {
    public var note: String?
    public var occurredAt: Instant?

    public init(note: String? = nil, occurredAt: Instant? = nil) {
        self.note = note
        self.occurredAt = occurredAt
    }
}

public struct RetractionRequest: Codable, Sendable {
    public var entry: EntryID
    public var reason: String

    public init(entry: EntryID, reason: String) {
        self.entry = entry
        self.reason = reason
    }
}

public struct CorrectionRequest: Codable, Sendable {
    public var entry: EntryID
    public var reason: String
    public var effectiveAt: Instant?
    public var step: StepContent?
    public var ballot: BallotContent?

    public init(entry: EntryID, reason: String, effectiveAt: Instant? = nil, step: StepContent? = nil, ballot: BallotContent? = nil) {
        self.entry = entry
        self.reason = reason
        self.effectiveAt = effectiveAt
        self.step = step
        self.ballot = ballot
    }
}

public struct WhatIfRequest: Codable, Sendable {
    public struct Hypothesis: Codable, Sendable {
        public enum Kind: String, Codable, Sendable { case step, ballot, ballotWithdrawal = "ballot-withdrawal" }
        public var kind: Kind
        public var party: PartyCode
        public var stage: StageID?
        public var details: StepDetails?
        public var position: BallotPosition?
        public var statement: String?
        public var occurredAt: Instant?

        public init(kind: Kind, party: PartyCode, stage: StageID? = nil, details: StepDetails? = nil, position: BallotPosition? = nil,
                    statement: String? = nil, occurredAt: Instant? = nil) {
            self.kind = kind
            self.party = party
            self.stage = stage
            self.details = details
            self.position = position
            self.statement = statement
            self.occurredAt = occurredAt
        }
    }

    public var asOf: Instant?
    public var hypotheses: [Hypothesis]

    public init(asOf: Instant? = nil, hypotheses: [Hypothesis]) {
        self.asOf = asOf
        self.hypotheses = hypotheses
    }
}
