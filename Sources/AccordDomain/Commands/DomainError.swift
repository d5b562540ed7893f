/// Every way a command can be refused. Each has a stable `code` (the API's problem type) and a message in
/// words a secretariat officer understands; nothing is recorded when one is thrown.
public enum DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownParty(PartyCode)
    case unknownBody(BodyID)
    case unknownTemplate(TemplateID)
    case unknownTemplateVersion(TemplateID, version: Int64)
    case unknownStage(StageID, template: TemplateID, known: [StageID])
    case unknownWeightTable(WeightTableID)
    case unknownDeadline(DeadlineID, known: [DeadlineID])
    case unknownEntry(EntryID)
    case unknownProcess(ProcessID)
    case alreadyExists(what: String)
    case partyNotInElectorate(PartyCode, on: CivilDate, electorate: String)
    /// The template's ladder does not allow this step now. `rule` names the template rule that was broken.
    case transitionNotAllowed(party: PartyCode, from: StageID?, to: StageID, allowed: [StageID], rule: String)
    case requirementNotMet(party: PartyCode, stage: StageID, requires: StageID, rule: String)
    case partyIsOut(PartyCode, stage: StageID)
    case processClosed(at: Instant)
    case beforeProcessOpened(occurredAt: Instant, openedAt: Instant)
    /// An objection made after the silence deadline has no effect.
    case objectionAfterDeadline(deadline: DeadlineValue, occurredAt: Instant)
    case ballotsNotAccepted(template: TemplateID)
    case positionNotAllowed(BallotPosition, allowed: [BallotPosition])
    case statementRequired(BallotPosition, what: String)
    case voteNotChangeable
    case nothingToWithdraw(PartyCode)
    case detailsNotAllowed(stage: StageID, kind: StageDefinition.Kind, given: String)
    case detailsRequired(stage: StageID, kind: StageDefinition.Kind)
    case invalidTroops(Int64, reason: String)
    case exceedsMandate(party: PartyCode, troops: Int64, maximum: Int64)
    case invalidValue(field: String, reason: String)
    case occurredInFuture(occurredAt: Instant, now: Instant, allowanceSeconds: Int64)
    case entryAlreadyRetracted(EntryID)
    case entryNotCorrectable(EntryID, kind: String)
    case deadlineNotExtendable(DeadlineID, reason: String)
    case invalidTimeZone(String)
    case invalidLocalTime(String)
    case invalidTemplate([String])
    case invalidParameter(name: String, reason: String)
    case notAMember(PartyCode, body: BodyID)
    case alreadyAMember(PartyCode, body: BodyID)
    case unsupportedSchemaVersion(type: String, version: Int32)

    /// The stable problem type: `https://accord.example/problems/<code>` over HTTP.
    public var code: String {
        switch self {
        case .unknownParty: "unknown-party"
        case .unknownBody: "unknown-body"
        case .unknownTemplate, .unknownTemplateVersion: "unknown-template"
        case .unknownStage: "unknown-stage"
        case .unknownWeightTable: "unknown-weight-table"
        case .unknownDeadline: "unknown-deadline"
        case .unknownEntry: "unknown-entry"
        case .unknownProcess: "unknown-process"
        case .alreadyExists: "already-exists"
        case .partyNotInElectorate: "party-not-in-electorate"
        case .transitionNotAllowed: "stage-out-of-order"
        case .requirementNotMet: "stage-requirement-not-met"
        case .partyIsOut: "party-is-out"
        case .processClosed: "process-closed"
        case .beforeProcessOpened: "before-process-opened"
        case .objectionAfterDeadline: "objection-after-deadline"
        case .ballotsNotAccepted: "ballots-not-accepted"
        case .positionNotAllowed: "position-not-allowed"
        case .statementRequired: "statement-required"
        case .voteNotChangeable: "vote-not-changeable"
        case .nothingToWithdraw: "nothing-to-withdraw"
        case .detailsNotAllowed, .detailsRequired: "stage-details-mismatch"
        case .invalidTroops: "invalid-troops"
        case .exceedsMandate: "exceeds-mandate"
        case .invalidValue: "invalid-value"
        case .occurredInFuture: "occurred-in-future"
        case .entryAlreadyRetracted: "entry-already-retracted"
        case .entryNotCorrectable: "entry-not-correctable"
        case .deadlineNotExtendable: "deadline-not-extendable"
        case .invalidTimeZone: "invalid-time-zone"
        case .invalidLocalTime: "invalid-local-time"
        case .invalidTemplate: "invalid-template"
        case .invalidParameter: "invalid-template-parameter"
        case .notAMember: "not-a-member"
        case .alreadyAMember: "already-a-member"
        case .unsupportedSchemaVersion: "unsupported-schema-version"
        }
    }

    /// Whether the thing named does not exist (HTTP 404) rather than the request being invalid (422).
    public var isNotFound: Bool {
        switch self {
        case .unknownProcess, .unknownEntry: true
        default: false
        }
    }

    /// The template rule that was broken, when one was.
    public var templateRule: String? {
        switch self {
        case .transitionNotAllowed(_, _, _, _, let rule), .requirementNotMet(_, _, _, let rule): rule
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .unknownParty(let p): "\(p) is not a registered party"
        case .unknownBody(let b): "there is no body '\(b)'"
        case .unknownTemplate(let t): "there is no template '\(t)'"
        case .unknownTemplateVersion(let t, let v): "template '\(t)' has no version \(v)"
        case .unknownStage(let s, let t, let known):
            "template '\(t)' has no stage '\(s)'; its stages are: \(known.map(\.rawValue).joined(separator: ", "))"
        case .unknownWeightTable(let w): "there is no weight table '\(w)'"
        case .unknownDeadline(let d, let known):
            "this process has no deadline '\(d)'" + (known.isEmpty ? "" : "; its deadlines are: \(known.map(\.rawValue).joined(separator: ", "))")
        case .unknownEntry(let e): "there is no entry \(e) in this process"
        case .unknownProcess(let p): "there is no process \(p)"
        case .alreadyExists(let what): "\(what) already exists"
        case .partyNotInElectorate(let p, let date, let electorate):
            "\(p) is not part of this process's electorate (\(electorate)) on \(date)"
        case .transitionNotAllowed(let party, let from, let to, let allowed, _):
            "\(party) cannot go to '\(to)' " + (from.map { "after '\($0)'" } ?? "as a first step")
                + (allowed.isEmpty ? ": no further step is allowed" : "; allowed next: \(allowed.map(\.rawValue).joined(separator: ", "))")
        case .requirementNotMet(let party, let stage, let requires, _):
            "\(party) cannot record '\(stage)' before '\(requires)'"
        case .partyIsOut(let p, let stage): "\(p) reached the final outcome '\(stage)'; no further step can be recorded"
        case .processClosed(let at): "the process was closed on \(at.iso8601); nothing more can be recorded in it"
        case .beforeProcessOpened(let occurredAt, let openedAt):
            "\(occurredAt.iso8601) is before the process opened (\(openedAt.iso8601))"
        case .objectionAfterDeadline(let deadline, let occurredAt):
            "an objection at \(occurredAt.iso8601) has no effect: the silence deadline passed at \(deadline.display)"
        case .ballotsNotAccepted(let t): "processes of template '\(t)' take no ballots"
        case .positionNotAllowed(let p, let allowed):
            "'\(p.rawValue)' is not a position in this process; allowed: \(allowed.map(\.rawValue).joined(separator: ", "))"
        case .statementRequired(let p, let what): "a '\(p.rawValue)' needs \(what)"
        case .voteNotChangeable: "votes in this process cannot be changed once cast"
        case .nothingToWithdraw(let p): "\(p) has no position to withdraw"
        case .detailsNotAllowed(let s, let kind, let given): "stage '\(s)' is a \(kind.rawValue) step and takes no \(given) details"
        case .detailsRequired(let s, let kind): "stage '\(s)' needs its \(kind.rawValue) details"
        case .invalidTroops(let n, let reason): "\(n) troops: \(reason)"
        case .exceedsMandate(let p, let troops, let max):
            "\(p)'s parliamentary mandate allows at most \(groupedDigits(max)) troops; \(groupedDigits(troops)) were given"
        case .invalidValue(let field, let reason): "\(field): \(reason)"
        case .occurredInFuture(let at, let now, let allowance):
            "\(at.iso8601) lies in the future (now \(now.iso8601)); record facts when they have happened (allowance \(allowance) s)"
        case .entryAlreadyRetracted(let e): "entry \(e) was already retracted"
        case .entryNotCorrectable(let e, let kind): "entry \(e) is a \(kind) and cannot be corrected; retract it instead"
        case .deadlineNotExtendable(let d, let reason): "deadline '\(d)' cannot be extended: \(reason)"
        case .invalidTimeZone(let z): "'\(z)' is not a time zone name such as Europe/Brussels"
        case .invalidLocalTime(let t): "'\(t)' is not a local date and time such as 2025-06-03T12:00"
        case .invalidTemplate(let problems): "the template is not valid: " + problems.joined(separator: "; ")
        case .invalidParameter(let name, let reason): "parameter '\(name)': \(reason)"
        case .notAMember(let p, let b): "\(p) is not a member of \(b) on that date"
        case .alreadyAMember(let p, let b): "\(p) is already a member of \(b) on that date"
        case .unsupportedSchemaVersion(let type, let v): "event \(type) has schema version \(v), which this Accord cannot read"
        }
    }
}
