import AccordDomain
import AccordService

// The answers the client reads that have no public type of their own. Request bodies come from AccordHTTP
// (`ProcessRequests.swift`), read models (summaries, matrix, results) from AccordService and AccordDomain:
// both shared with the server.

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
