import AccordDomain
import AccordService

// The JSON the client sends and the answers it reads that have no public type of their own. Read models
// (summaries, matrix, results) come from AccordService and AccordDomain, shared with the server.

struct OpenProcessBody: Encodable {
    var id: ProcessID?
    var title: String
    var reference: String?
    var template: TemplateID
    var templateVersion: Int64?
    var parameters: [String: JSONValue]?
    var electorate: ElectorateSpec?
    var occurredAt: Instant?
}

/// A stage step, as `POST …/steps` and each item of `POST …/steps/batch` take it.
struct StepBody: Encodable {
    var party: PartyCode
    var stage: StageID
    var details: StepDetails?
    var source: String?
    var note: String?
    var occurredAt: Instant?
}

struct StepBatchBody: Encodable {
    var steps: [StepBody]
}

struct BallotBody: Encodable {
    var party: PartyCode
    var position: BallotPosition
    var statement: String?
    var source: String?
    var note: String?
    var occurredAt: Instant?
}

struct BallotWithdrawalBody: Encodable {
    var party: PartyCode
    var reason: String?
    var occurredAt: Instant?
}

struct DeadlineBody: Encodable {
    var deadline: DeadlineID?
    var localTime: String
    var timeZone: String?
    var reason: String?
    var occurredAt: Instant?
}

struct CloseBody: Encodable {
    var note: String?
    var occurredAt: Instant?
}

struct RetractionBody: Encodable {
    var entry: EntryID
    var reason: String
}

struct CorrectionBody: Encodable {
    var entry: EntryID
    var reason: String
    var effectiveAt: Instant?
    var step: StepContent?
    var ballot: BallotContent?
}

struct WhatIfBody: Encodable {
    struct Hypothesis: Encodable {
        var kind: String
        var party: PartyCode
        var stage: StageID?
        var position: BallotPosition?
    }

    var asOf: Instant?
    var hypotheses: [Hypothesis]
}

/// What a write answers.
struct RecordedAnswer: Decodable {
    struct Entry: Decodable {
        var entry: EntryID
        var type: String
        var position: Int64
        var occurredAt: Instant
    }

    var stream: String
    var version: Int64?
    var alreadyRecorded: Bool
    var recorded: [Entry]
}

struct ProcessListAnswer: Decodable {
    var asOf: Instant
    var knownAtPosition: Int64
    var processes: [ProcessSummary]
}

struct WhatIfAnswer: Decodable {
    var asOf: Instant
    var before: [RuleResult]
    var after: [RuleResult]
    var changed: [RuleID]
}

struct LogPageAnswer: Decodable {
    struct Event: Decodable {
        var position: Int64
        var stream: String
        var type: String
        var payload: JSONValue
        var actor: ActorRef
        var occurredAt: Instant
        var recordedAt: Instant
    }

    var events: [Event]
    var next: Int64?
    var head: Int64
}
