import AccordDomain
import AccordEventStore
import AccordService
import Foundation

/// What shapes the notifications produced besides the log.
public struct NotifierSettings: Sendable, Hashable {
    /// How long before a deadline `deadline.approaching` goes out (0: never).
    public var deadlineLeadTime: Duration
    /// How long before a parliamentary mandate ends `approval.expiring` goes out (0: never).
    public var approvalLeadTime: Duration

    public init(deadlineLeadTime: Duration = .seconds(24 * 3600), approvalLeadTime: Duration = .seconds(30 * 86_400)) {
        self.deadlineLeadTime = deadlineLeadTime
        self.approvalLeadTime = approvalLeadTime
    }
}

extension Duration {
    /// Whole microseconds (the log's resolution), rounded down.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

/// The notifier's view of the log up to its checkpoint: the domain as known at that position, the rule
/// statuses last notified, and the timers. Kept in memory and mirrored in tables written with the checkpoint,
/// so that a restart resumes without replaying the log's evaluations.
struct NotifierState: Sendable {
    var position: Int64
    var registry: Registry
    var processes: [ProcessID: ProcessState]
    /// The status of each rule as last notified (absent: not yet, the baseline of a new process).
    var statuses: [ProcessID: [RuleID: RuleStatus]]
    /// Timers waiting to fire, by process.
    var scheduled: [ProcessID: [String: ScheduledTimer]]
    /// Timers fired or reported already: each reports at most once.
    var done: Set<String>
    /// Processes whose dependency rules name a process.
    var dependents: [ProcessID: Set<ProcessID>]

    static let checkpointName = "notifier"

    init(position: Int64, registry: Registry, processes: [ProcessID: ProcessState], statuses: [ProcessID: [RuleID: RuleStatus]],
         scheduled: [ScheduledTimer], done: Set<String>) {
        self.position = position
        self.registry = registry
        self.processes = processes
        self.statuses = statuses
        self.done = done
        self.scheduled = [:]
        for timer in scheduled { self.scheduled[timer.process, default: [:]][timer.id] = timer }
        dependents = [:]
        for process in processes.values { registerDependencies(of: process) }
    }

    mutating func registerDependencies(of process: ProcessState) {
        for rule in process.definition.rules {
            if case .dependency(let d) = rule.condition, d.process != process.id {
                dependents[d.process, default: []].insert(process.id)
            }
        }
    }

    /// `process` and every process that depends on it, directly or not, in a stable order.
    func affected(by process: ProcessID) -> [ProcessID] {
        var order = [process]
        var seen: Set<ProcessID> = [process]
        var index = 0
        while index < order.count {
            for next in (dependents[order[index]] ?? []).sorted() where seen.insert(next).inserted {
                order.append(next)
            }
            index += 1
        }
        return order
    }

    /// Loads the state at the notifier's checkpoint: its tables, and the domain folded from the in-memory log
    /// (which is read up to the checkpoint first).
    static func load(store: any EventStore, log: DomainLog) async throws -> NotifierState {
        let tables = try await store.database.read { conn in
            let position = try ProjectionRunner.checkpoint(of: checkpointName, in: conn)
            var statuses: [ProcessID: [RuleID: RuleStatus]] = [:]
            for row in try conn.query("SELECT process, rule, status FROM accord_notifier_rules") {
                guard let process = ProcessID(try row.string(0)), let rule = RuleID(try row.string(1)),
                      let status = RuleStatus(rawValue: try row.string(2)) else { continue }
                statuses[process, default: [:]][rule] = status
            }
            var scheduled: [ScheduledTimer] = []
            var done = Set<String>()
            for row in try conn.query("SELECT \(ScheduledTimer.columns), state FROM accord_notifier_timers") {
                if try row.string(7) == "done" {
                    done.insert(try row.string(0))
                } else {
                    scheduled.append(try ScheduledTimer(row: row))
                }
            }
            return (position, statuses, scheduled, done)
        }
        try await log.ingest(upTo: tables.0)
        let view = await log.view(knownAt: .position(tables.0))
        return NotifierState(position: tables.0, registry: view.registry, processes: view.processes, statuses: tables.1,
                             scheduled: tables.2, done: tables.3)
    }
}

/// What one page of the log changed, written in the transaction that moves the checkpoint.
struct NotifierChanges: Sendable {
    enum TimerChange: Sendable {
        case schedule(ScheduledTimer)
        case cancel(id: String)
        case done(ScheduledTimer, position: Int64)
    }

    var notifications: [StoredNotification] = []
    var statuses: [ProcessID: [RuleID: RuleStatus]] = [:]
    /// In the order they happened (a timer may be scheduled and cancelled within one page).
    var timers: [TimerChange] = []

    func write(in conn: any SQLConnection) throws {
        for notification in notifications {
            // A rebuild that kept the outbox produces the same rows again: they are already there.
            try conn.execute(
                "INSERT INTO accord_notifications (\(StoredNotification.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                notification.insertValues)
        }
        for (process, rules) in statuses.sorted(by: { $0.key < $1.key }) {
            for (rule, status) in rules.sorted(by: { $0.key < $1.key }) {
                try conn.execute(
                    """
                    INSERT INTO accord_notifier_rules (process, rule, status) VALUES ($1, $2, $3)
                    ON CONFLICT (process, rule) DO UPDATE SET status = excluded.status
                    """, [.text(process.description), .text(rule.rawValue), .text(status.rawValue)])
            }
        }
        for change in timers {
            switch change {
            case .schedule(let timer):
                try conn.execute(
                    """
                    INSERT INTO accord_notifier_timers (\(ScheduledTimer.columns), state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled')
                    ON CONFLICT (id) DO NOTHING
                    """, timer.rowValues)
            case .cancel(let id):
                try conn.execute("DELETE FROM accord_notifier_timers WHERE id = $1 AND state = 'scheduled'", [.text(id)])
            case let .done(timer, position):
                try conn.execute(
                    """
                    INSERT INTO accord_notifier_timers (\(ScheduledTimer.columns), state, done_position) VALUES ($1, $2, $3, $4, $5, $6, $7, 'done', $8)
                    ON CONFLICT (id) DO UPDATE SET state = 'done', done_position = excluded.done_position
                    """, timer.rowValues + [.integer(position)])
            }
        }
    }
}
