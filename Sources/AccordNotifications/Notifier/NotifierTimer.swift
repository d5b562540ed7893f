import AccordDomain
import AccordEventStore
import AccordService
import Foundation

/// What a durable timer is for.
enum TimerKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// A deadline is within the lead time.
    case deadlineApproaching = "deadline-approaching"
    /// A deadline passed.
    case deadlinePassed = "deadline-passed"
    /// A parliamentary mandate ends within the lead time.
    case approvalExpiring = "approval-expiring"
    /// A parliamentary mandate ended.
    case approvalExpired = "approval-expired"
    /// A rule may change status by itself (an entry into force, a future membership change): evaluate again.
    case reevaluate
}

/// A timer the notifier scheduled: when it is due, the leader records a `NotificationTimerFired` event in the
/// log, and the notifier, reading it in log order, reports what it stands for. The log thus holds every
/// firing, with its real effective time (`occurredAt` is the due time), so a rebuild replays the same
/// notifications and a timer fires once however many instances race to fire it (the event id is derived from
/// the timer's id).
struct ScheduledTimer: Codable, Sendable, Hashable {
    /// Derived from what the timer stands for and the entry that set it up, so that recomputing the schedule
    /// finds the same timers.
    var id: String
    var process: ProcessID
    var kind: TimerKind
    /// The deadline id, the approval's step entry id, or empty.
    var subject: String
    /// The instant the timer is about: the deadline, the mandate's lapse.
    var targetAt: Instant
    var dueAt: Instant
    /// The log position of the entry that set the target (the deadline setting, the approval step), so that a
    /// deadline set again to the same instant is a new timer.
    var basis: Int64

    init(process: ProcessID, kind: TimerKind, subject: String, targetAt: Instant, dueAt: Instant, basis: Int64) {
        self.process = process
        self.kind = kind
        self.subject = subject
        self.targetAt = targetAt
        self.dueAt = dueAt
        self.basis = basis
        let identity = [kind.rawValue, process.description, subject, String(targetAt.microsecondsSinceEpoch),
                        String(dueAt.microsecondsSinceEpoch), String(basis)].joined(separator: "|")
        id = SHA256Hash.of(Array(identity.utf8)).hex.prefix(32).description
    }

    var leadSeconds: Int64 { (targetAt.microsecondsSinceEpoch - dueAt.microsecondsSinceEpoch) / 1_000_000 }

    /// The log event that records this timer's firing.
    static let eventType = "NotificationTimerFired"
    static let stream = StreamName(trusted: "notifier-timers")

    func firedEvent() throws -> ProposedEvent {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try JSONPayload(canonicalizing: Array(encoder.encode(self)))
        return ProposedEvent(
            id: EventCodec.deterministicID(namespace: "accord-timer|\(id)", index: 0), type: Self.eventType, schemaVersion: 1,
            payload: payload, actor: EventActor(id: AccordService.systemActor.id, name: AccordService.systemActor.name),
            occurredAt: dueAt)
    }

    /// The timer a `NotificationTimerFired` event fired; nil for other events.
    static func fired(by event: RecordedEvent) throws -> ScheduledTimer? {
        guard event.type == eventType else { return nil }
        return try JSONDecoder().decode(ScheduledTimer.self, from: Data(event.payload.bytes))
    }

    // MARK: Storage (`accord_notifier_timers`)

    static let columns = "id, process, kind, subject, target_at, due_at, basis"

    init(row: SQLRow) throws {
        let processText = try row.string(1)
        let kindText = try row.string(2)
        guard let process = ProcessID(processText), let kind = TimerKind(rawValue: kindText) else {
            throw EventStoreError.database("unreadable notifier timer \(try row.string(0))")
        }
        self.init(process: process, kind: kind, subject: try row.string(3), targetAt: Instant(microsecondsSinceEpoch: try row.int(4)),
                  dueAt: Instant(microsecondsSinceEpoch: try row.int(5)), basis: try row.int(6))
        id = try row.string(0)
    }

    var rowValues: [SQLValue] {
        [.text(id), .text(process.description), .text(kind.rawValue), .text(subject), .integer(targetAt.microsecondsSinceEpoch),
         .integer(dueAt.microsecondsSinceEpoch), .integer(basis)]
    }
}
