import AccordDomain
import AccordEventStore
import Foundation

/// The process a notification is about.
public struct ProcessReference: Codable, Sendable, Hashable {
    public var id: ProcessID
    public var title: String
    public var reference: String?
    public var template: TemplateID
    public var templateVersion: Int64

    init(_ process: ProcessState) {
        id = process.id
        title = process.title
        reference = process.reference
        template = process.template.id
        templateVersion = process.template.version
    }
}

/// A rule as a notification shows it: its status change (or standing) with the figures, who holds it back and
/// the entry that decided it.
public struct RuleNotice: Codable, Sendable, Hashable {
    public var id: RuleID
    public var label: String
    public var kind: RuleKind
    /// Whether this is the process's decision rule.
    public var decision: Bool
    /// The status last notified (transitions only).
    public var from: RuleStatus?
    public var status: RuleStatus
    public var headline: String
    public var figures: [RuleFigure]
    public var blockers: [RuleBlocker]
    /// The effective date on which the rule reached `status`.
    public var since: Instant?
    /// The entry whose effect brought `status` about (the deciding step, ballot or deadline).
    public var decidedBy: DecidingEntry?
    public var expectedAt: Instant?

    init(_ result: RuleResult, process: ProcessState, from: RuleStatus? = nil) {
        id = result.rule
        label = result.label
        kind = result.kind
        decision = result.rule == process.definition.decision
        self.from = from
        status = result.status
        headline = result.headline
        figures = result.figures
        blockers = result.blockers
        since = result.since
        decidedBy = result.decidedBy
        expectedAt = result.expectedAt
    }
}

public struct StepNotice: Codable, Sendable, Hashable {
    public var entry: EntryID
    public var party: PartyCode
    public var stage: StageID
    public var stageLabel: String
    public var details: StepDetails?
    public var source: String?
    public var note: String?
}

public struct BallotNotice: Codable, Sendable, Hashable {
    public var entry: EntryID
    public var party: PartyCode
    /// nil when the party withdrew its position.
    public var position: BallotPosition?
    public var statement: String?
    public var source: String?
    /// Why a position was withdrawn.
    public var reason: String?
}

/// A correction or retraction: the entry it concerns and why.
public struct AmendmentNotice: Codable, Sendable, Hashable {
    /// The correction's or retraction's own entry.
    public var entry: EntryID
    /// The entry corrected or retracted.
    public var concerns: EntryID
    /// The party of the entry concerned, when it is a step or a ballot.
    public var party: PartyCode?
    public var reason: String
}

public struct DeadlineNotice: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        /// A silence procedure's deadline passed with no standing objection.
        case deemedAdopted = "deemed-adopted"
        /// A silence procedure's deadline passed with a standing objection.
        case silenceBroken = "silence-broken"
        /// A deadline without a silence rule passed.
        case passed
    }

    public var id: DeadlineID
    public var label: String
    public var at: Instant
    public var timeZone: String
    public var localTime: String
    /// For `deadline.approaching`: the lead time it was announced with.
    public var leadSeconds: Int64?
    public var outcome: Outcome?
    /// Parties whose objection stood at the deadline.
    public var objections: [PartyCode]?
}

public struct ApprovalNotice: Codable, Sendable, Hashable {
    public var entry: EntryID
    public var party: PartyCode
    public var stage: StageID
    public var stageLabel: String
    public var chamber: String?
    /// The last day the mandate covers.
    public var endDate: CivilDate
    /// The instant the approval stops counting (the start of the day after `endDate`, UTC).
    public var lapsesAt: Instant
    public var leadSeconds: Int64?
    /// Rules satisfied now that the approval's end would take away (as known when notified).
    public var rulesAtRisk: [RuleID]
}

/// What a notification says: the `data` of its CloudEvent. One shape for every type; the part named after
/// the type is filled in (`rule` for rule transitions, `deadline` for deadlines…).
public struct NotificationPayload: Codable, Sendable, Hashable {
    public var notification: NotificationType
    /// The log position of the event that caused it (also the CloudEvent `sequence` and the SSE id).
    public var position: Int64
    /// Its place among the notifications of that position.
    public var ordinal: Int64
    /// When it took effect: the rule's effective date, the deadline, the step's effective date.
    public var effectiveAt: Instant
    /// When the causing event was recorded.
    public var recordedAt: Instant
    /// One line for people.
    public var summary: String
    public var process: ProcessReference
    /// Who recorded the causing event.
    public var actor: ActorRef?
    public var rule: RuleNotice?
    /// For `process.closed`: the decision rule as it stood when the process closed.
    public var decision: RuleNotice?
    public var step: StepNotice?
    public var ballot: BallotNotice?
    /// For `entry.corrected` and `entry.retracted`.
    public var amendment: AmendmentNotice?
    public var deadline: DeadlineNotice?
    public var approval: ApprovalNotice?
    /// For deadline notifications: the rules that depend on the deadline, as they stand.
    public var rules: [RuleNotice]?
}

/// A notification as stored in the outbox and sent: the row's keys and the CloudEvent body, bytes fixed once.
public struct StoredNotification: Sendable, Hashable {
    public var position: Int64
    public var ordinal: Int64
    public var id: UUID
    public var type: NotificationType
    public var process: ProcessID?
    public var effectiveAt: Instant
    public var recordedAt: Instant
    /// When the notifier produced it (wall clock; the retry horizon counts from here).
    public var createdAt: Instant
    /// The CloudEvent, JSON.
    public var body: [UInt8]

    public var webhookID: String { id.lowercaseText }

    /// Whether it comes after the cursor (position, ordinal).
    func isAfter(position: Int64, ordinal: Int64) -> Bool {
        (self.position, self.ordinal) > (position, ordinal)
    }

    static let columns = "position, ordinal, id, type, process, effective_at, recorded_at, created_at, body"

    init(position: Int64, ordinal: Int64, id: UUID, type: NotificationType, process: ProcessID?, effectiveAt: Instant,
         recordedAt: Instant, createdAt: Instant, body: [UInt8]) {
        self.position = position
        self.ordinal = ordinal
        self.id = id
        self.type = type
        self.process = process
        self.effectiveAt = effectiveAt
        self.recordedAt = recordedAt
        self.createdAt = createdAt
        self.body = body
    }

    /// Reads a row selected with `columns`.
    init(row: SQLRow) throws {
        let typeName = try row.string(3)
        let idText = try row.string(2)
        guard let type = NotificationType(rawValue: typeName), let id = UUID(text: idText) else {
            throw EventStoreError.database("unreadable notification \(idText) of type \(typeName)")
        }
        self.init(position: try row.int(0), ordinal: try row.int(1), id: id, type: type,
                  process: try row.optionalString(4).flatMap(ProcessID.init), effectiveAt: Instant(microsecondsSinceEpoch: try row.int(5)),
                  recordedAt: Instant(microsecondsSinceEpoch: try row.int(6)), createdAt: Instant(microsecondsSinceEpoch: try row.int(7)),
                  body: Array(try row.string(8).utf8))
    }

    var insertValues: [SQLValue] {
        [.integer(position), .integer(ordinal), .text(webhookID), .text(type.rawValue), SQLValue(process?.description),
         .integer(effectiveAt.microsecondsSinceEpoch), .integer(recordedAt.microsecondsSinceEpoch),
         .integer(createdAt.microsecondsSinceEpoch), .text(String(decoding: body, as: UTF8.self))]
    }
}
