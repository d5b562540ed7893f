import AccordDomain
import AccordEventStore
import AccordService
import Foundation
import Logging

/// Turns log events into notifications, in log order, from the state known at each position: a pure function
/// of the log (and the lead times), so that a rebuild produces the same notifications with the same ids.
///
/// For each event it folds the event into the state, reports what the event itself says (a process opened, a
/// ballot cast…), evaluates the affected processes as known at that position and as of the event's recording
/// time, and reports every rule whose status differs from the one last reported. Timers are recomputed for
/// the process: a deadline, its lead time, a mandate's end, the next instant a rule may change by itself.
struct NotifierPass {
    let settings: NotifierSettings
    var state: NotifierState
    /// Wall-clock time of the pass (stored as `created_at`; never part of a notification's content).
    let now: Instant
    /// The domain log's decoded payloads.
    let decoded: DecodedEvents
    let logger: Logger
    var changes = NotifierChanges()
    private var cause = Cause(position: 0, occurredAt: .distantPast, recordedAt: .distantPast, actor: nil)
    private var ordinal: Int64 = 0
    private var ruleChanges: [(NotificationPayload, String, String)] = []
    /// Each process's results as of the current event's recording time, as known at it (reset per event):
    /// evaluated once for the rule changes, reused for the timers.
    private var currentResults: [ProcessID: [RuleResult]] = [:]

    /// The event being processed.
    struct Cause {
        var position: Int64
        var occurredAt: Instant
        var recordedAt: Instant
        var actor: ActorRef?
    }

    init(settings: NotifierSettings, state: consuming NotifierState, now: Instant, decoded: DecodedEvents, logger: Logger) {
        self.settings = settings
        self.state = state
        self.now = now
        self.decoded = decoded
        self.logger = logger
    }

    mutating func apply(_ events: [RecordedEvent]) {
        for event in events where event.position > state.position { apply(event) }
    }

    mutating func apply(_ event: RecordedEvent) {
        state.position = event.position
        cause = Cause(position: event.position, occurredAt: event.occurredAt, recordedAt: event.recordedAt,
                      actor: ActorRef(id: event.actor.id, name: event.actor.name))
        ordinal = 0
        currentResults.removeAll(keepingCapacity: true)
        do {
            if let timer = try ScheduledTimer.fired(by: event) {
                timerFired(timer)
                return
            }
            guard let envelope = try decoded.envelope(event) else { return }
            switch envelope.event.aggregate {
            case .process(let id):
                processEvent(envelope, process: id)
            default:
                referenceEvent(envelope)
            }
        } catch {
            // The domain log reports undecodable events; the notifier skips them rather than stop for ever.
            logger.error("notifier cannot read event", metadata: ["position": "\(event.position)", "type": "\(event.type)", "error": "\(error)"])
        }
    }

    // MARK: Events

    private mutating func processEvent(_ envelope: DomainEnvelope, process id: ProcessID) {
        if case .processOpened(let opened) = envelope.event {
            guard state.processes[id] == nil else { return }
            let process = ProcessState(opening: envelope, opened)
            state.processes[id] = process
            state.registerDependencies(of: process)
        } else {
            guard state.processes[id] != nil else { return }
            state.processes[id]?.apply(envelope)
        }
        guard let process = state.processes[id] else { return }
        // Rules first (their reports wait), so that a closing can say how the decision stood. Reports go out in
        // the order: the event itself, deadlines and approvals it brings due, then the rule changes.
        let affected = state.affected(by: id)
        var decision: RuleNotice?
        for other in affected {
            let results = reevaluate(other)
            if other == id, let result = results.first(where: { $0.rule == process.definition.decision }) {
                decision = RuleNotice(result, process: process)
            }
        }
        switch envelope.event {
        case .processOpened:
            emit(payload(.processOpened, process: process, effectiveAt: envelope.occurredAt,
                         summary: "opened: \(process.title) (\(process.template.id) v\(process.template.version))"),
                 identity: "opened", subject: nil)
        case .stepRecorded(let e):
            let label = process.definition.stage(e.step.stage)?.label ?? e.step.stage.rawValue
            var payload = payload(.stepRecorded, process: process, effectiveAt: envelope.occurredAt, summary: "\(process.title): \(e.step.party) \(label)")
            payload.step = StepNotice(entry: envelope.id, party: e.step.party, stage: e.step.stage, stageLabel: label, details: e.step.details,
                                      source: e.step.source, note: e.step.note)
            emit(payload, identity: "step|\(envelope.id)", subject: "parties/\(e.step.party)")
        case .ballotCast(let e):
            var payload = payload(.ballotCast, process: process, effectiveAt: envelope.occurredAt,
                                  summary: "\(process.title): \(e.ballot.party) \(e.ballot.position.label)")
            payload.ballot = BallotNotice(entry: envelope.id, party: e.ballot.party, position: e.ballot.position, statement: e.ballot.statement,
                                          source: e.ballot.source, reason: nil)
            emit(payload, identity: "ballot|\(envelope.id)", subject: "parties/\(e.ballot.party)")
        case .ballotWithdrawn(let e):
            var payload = payload(.ballotWithdrawn, process: process, effectiveAt: envelope.occurredAt,
                                  summary: "\(process.title): \(e.party) withdrew its position")
            payload.ballot = BallotNotice(entry: envelope.id, party: e.party, position: nil, statement: nil, source: nil, reason: e.reason)
            emit(payload, identity: "ballot|\(envelope.id)", subject: "parties/\(e.party)")
        case .entryCorrected(let e):
            amendment(.entryCorrected, envelope, process: process, concerns: e.entry, reason: e.reason, done: "corrected")
        case .entryRetracted(let e):
            amendment(.entryRetracted, envelope, process: process, concerns: e.entry, reason: e.reason, done: "retracted")
        case .processClosed:
            var payload = payload(.processClosed, process: process, effectiveAt: envelope.occurredAt,
                                  summary: "closed: \(process.title)" + (decision.map { "; \($0.label): \($0.status.label)" } ?? ""))
            payload.decision = decision
            emit(payload, identity: "closed|\(envelope.id)", subject: nil)
        default:
            break
        }
        // Deadlines and approvals before the rule changes they bring.
        for other in affected { reschedule(other) }
        emitRuleChanges()
    }

    /// A correction or retraction, named after the entry it concerns.
    private mutating func amendment(_ type: NotificationType, _ envelope: DomainEnvelope, process: ProcessState, concerns entry: EntryID,
                                    reason: String, done: String) {
        let party = process.steps[entry]?.current.content.party ?? process.ballots[entry]?.current.content.party
        var payload = payload(type, process: process, effectiveAt: envelope.occurredAt,
                              summary: "\(process.title): entry \(entry.description.prefix(8)) \(done) (\(reason))")
        payload.amendment = AmendmentNotice(entry: envelope.id, concerns: entry, party: party, reason: reason)
        emit(payload, identity: "amend|\(envelope.id)", subject: party.map { "parties/\($0)" })
    }

    private mutating func referenceEvent(_ envelope: DomainEnvelope) {
        state.registry.apply(envelope)
        switch envelope.event {
        case .memberJoined, .memberLeft, .memberRolesChanged, .weightTablePublished, .partyAttributeSet:
            // Electorates and weights changed: every open process may change, now or on the effective date.
            let open = state.processes.keys.sorted().filter { state.processes[$0]?.closedAt(asOf: cause.recordedAt) == nil }
            for id in open { _ = reevaluate(id) }
            for id in open { reschedule(id) }
            emitRuleChanges()
        default:
            break
        }
    }

    private mutating func timerFired(_ timer: ScheduledTimer) {
        guard state.processes[timer.process] != nil else {
            markDone(timer)
            return
        }
        if !state.done.contains(timer.id) {
            // A timer still stands if the schedule, computed from what is known now, still contains it.
            if timer.kind == .reevaluate || desiredTimers(for: timer.process)[timer.id] != nil {
                fire(timer)
            } else {
                markDone(timer)
            }
        }
        let affected = state.affected(by: timer.process)
        for other in affected { _ = reevaluate(other) }
        for other in affected { reschedule(other) }
        emitRuleChanges()
    }

    // MARK: Rules

    /// Evaluates `id` as known now and as of the cause's recording time; every rule whose status differs from the
    /// one last reported is queued for `emitRuleChanges`. Returns the results.
    private mutating func reevaluate(_ id: ProcessID) -> [RuleResult] {
        guard let process = state.processes[id] else { return [] }
        let asOf = cause.recordedAt
        var cache: [ProcessID: DependencyTimeline] = [:]
        let dependencies = dependencyTimelines(of: process, asOf: asOf, visiting: [id], cache: &cache)
        let results = RuleEvaluator(snapshot: ProcessSnapshot(process: process, registry: state.registry, asOf: asOf),
                                    dependencies: dependencies).evaluateAll()
        currentResults[id] = results
        let last = state.statuses[id] ?? [:]
        let changed = results.filter { $0.status != (last[$0.rule] ?? .notYet) }
        guard !changed.isEmpty else { return results }
        // Only a change needs the history: when the rule reached its status, and by which entry.
        let evaluation = ProcessEvaluator.evaluate(process, registry: state.registry, asOf: asOf, dependencies: dependencies)
        for result in changed {
            let from = last[result.rule] ?? .notYet
            state.statuses[id, default: [:]][result.rule] = result.status
            changes.statuses[id, default: [:]][result.rule] = result.status
            guard let type = Self.transitionType(from: from, to: result.status) else { continue }
            let explained = evaluation.result(result.rule) ?? result
            let notice = RuleNotice(explained, process: process, from: from)
            var summary = "\(process.title): \(notice.label) \(notice.status.label) — \(notice.headline)"
            if let decidedBy = notice.decidedBy { summary += " (\(decidedBy.summary))" }
            var payload = payload(type, process: process, effectiveAt: notice.since ?? asOf, summary: summary)
            payload.rule = notice
            ruleChanges.append((payload, "rule|\(id)|\(result.rule)|\(result.status.rawValue)", "rules/\(result.rule)"))
        }
        return results
    }

    private mutating func emitRuleChanges() {
        let queued = ruleChanges
        ruleChanges.removeAll()
        for (payload, identity, subject) in queued { emit(payload, identity: identity, subject: subject) }
    }

    static func transitionType(from: RuleStatus, to: RuleStatus) -> NotificationType? {
        if to == .satisfied { return .ruleSatisfied }
        if to == .failed { return .ruleFailed }
        if from == .satisfied { return .ruleLost }
        return nil
    }

    /// The outcomes of the processes `process` depends on, evaluated the same way (cycles cut).
    private func dependencyTimelines(of process: ProcessState, asOf: Instant, visiting: Set<ProcessID>,
                                     cache: inout [ProcessID: DependencyTimeline]) -> [ProcessID: DependencyTimeline] {
        var timelines: [ProcessID: DependencyTimeline] = [:]
        for rule in process.definition.rules {
            guard case .dependency(let d) = rule.condition, !visiting.contains(d.process), let other = state.processes[d.process] else { continue }
            if let cached = cache[d.process] {
                timelines[d.process] = cached
                continue
            }
            let theirs = dependencyTimelines(of: other, asOf: asOf, visiting: visiting.union([d.process]), cache: &cache)
            let timeline = ProcessEvaluator.evaluate(other, registry: state.registry, asOf: asOf, dependencies: theirs).dependencyTimeline
            cache[d.process] = timeline
            timelines[d.process] = timeline
        }
        return timelines
    }

    private func results(of process: ProcessState, asOf: Instant) -> [RuleResult] {
        if asOf == cause.recordedAt, let known = currentResults[process.id] { return known }
        var cache: [ProcessID: DependencyTimeline] = [:]
        let dependencies = dependencyTimelines(of: process, asOf: asOf, visiting: [process.id], cache: &cache)
        return RuleEvaluator(snapshot: ProcessSnapshot(process: process, registry: state.registry, asOf: asOf), dependencies: dependencies).evaluateAll()
    }

    // MARK: Timers

    /// The timers `id` should have, as known now: its deadlines (with their lead time), its parliamentary
    /// approvals' ends (with their lead time) and the next instant a rule may change by itself.
    private func desiredTimers(for id: ProcessID) -> [String: ScheduledTimer] {
        guard let process = state.processes[id], process.closedAt(asOf: cause.recordedAt) == nil else { return [:] }
        var timers: [ScheduledTimer] = []
        for deadlineID in process.deadlines.keys.sorted() {
            guard let change = process.deadlines[deadlineID]?.value(asOf: .distantFuture) else { continue }
            let at = change.value.at
            let basis = change.recorded.position
            if settings.deadlineLeadTime > .zero {
                timers.append(ScheduledTimer(process: id, kind: .deadlineApproaching, subject: deadlineID.rawValue, targetAt: at,
                                             dueAt: at.adding(microseconds: -settings.deadlineLeadTime.microseconds), basis: basis))
            }
            timers.append(ScheduledTimer(process: id, kind: .deadlinePassed, subject: deadlineID.rawValue, targetAt: at, dueAt: at, basis: basis))
        }
        for approval in approvals(of: process, asOf: cause.recordedAt) {
            let basis = approval.step.current.recorded.position
            let subject = approval.step.id.description
            if approval.lapsesAt > cause.recordedAt && settings.approvalLeadTime > .zero {
                timers.append(ScheduledTimer(process: id, kind: .approvalExpiring, subject: subject, targetAt: approval.lapsesAt,
                                             dueAt: approval.lapsesAt.adding(microseconds: -settings.approvalLeadTime.microseconds), basis: basis))
            }
            timers.append(ScheduledTimer(process: id, kind: .approvalExpired, subject: subject, targetAt: approval.lapsesAt,
                                         dueAt: approval.lapsesAt, basis: basis))
        }
        if let next = nextChange(of: process), !timers.contains(where: { $0.dueAt == next && !state.done.contains($0.id) }) {
            timers.append(ScheduledTimer(process: id, kind: .reevaluate, subject: "", targetAt: next, dueAt: next, basis: 0))
        }
        return Dictionary(timers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The first instant after now at which a rule of `process` may change without anything being recorded.
    private func nextChange(of process: ProcessState) -> Instant? {
        let asOf = cause.recordedAt
        var cache: [ProcessID: DependencyTimeline] = [:]
        let dependencies = dependencyTimelines(of: process, asOf: asOf, visiting: [process.id], cache: &cache)
        var next = ProcessEvaluator.firstCandidate(after: asOf, process, registry: state.registry, dependencies: dependencies) ?? .distantFuture
        for result in results(of: process, asOf: asOf) {
            if let t = result.expectedAt, t > asOf, t < next { next = t }
        }
        return next < Instant.distantFuture ? next : nil
    }

    struct Approval {
        var step: StepEntry
        var party: PartyCode
        var stage: StageID
        var endDate: CivilDate
        var lapsesAt: Instant
    }

    /// Parliamentary approvals with a mandate end that count (or counted until they lapsed) as of `asOf`.
    private func approvals(of process: ProcessState, asOf: Instant) -> [Approval] {
        // Most templates have no parliamentary stage: no snapshot to build at every event for them.
        guard process.definition.stages.contains(where: { $0.kind == .parliamentary }) else { return [] }
        let snapshot = ProcessSnapshot(process: process, registry: state.registry, asOf: asOf)
        var approvals: [Approval] = []
        for party in snapshot.standings.keys.sorted() {
            guard let standing = snapshot.standings[party] else { continue }
            let stages = Set(standing.held.keys).union(standing.expired.keys).sorted()
            for stage in stages where process.definition.stage(stage)?.kind == .parliamentary {
                guard let step = standing.lastStep(at: stage),
                      let end = step.current.content.details?.parliamentary?.mandate?.endDate else { continue }
                approvals.append(Approval(step: step, party: party, stage: stage, endDate: end, lapsesAt: Instant(startOf: end.adding(days: 1))))
            }
        }
        return approvals
    }

    /// Brings `id`'s scheduled timers in line with what it should have; timers already due fire now.
    private mutating func reschedule(_ id: ProcessID) {
        let desired = desiredTimers(for: id)
        let existing = state.scheduled[id] ?? [:]
        for timerID in existing.keys.sorted() where desired[timerID] == nil {
            state.scheduled[id]?[timerID] = nil
            changes.timers.append(.cancel(id: timerID))
        }
        for timer in desired.values.sorted(by: { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }) where !state.done.contains(timer.id) {
            if timer.dueAt <= cause.recordedAt {
                // Due by now, whether or not its own event is in the log yet (a restart after a while fires
                // every due timer; the first event to be read reports them all, in due order).
                fire(timer)
            } else if existing[timer.id] == nil {
                state.scheduled[id, default: [:]][timer.id] = timer
                changes.timers.append(.schedule(timer))
            }
        }
    }

    private mutating func markDone(_ timer: ScheduledTimer) {
        state.scheduled[timer.process]?[timer.id] = nil
        state.done.insert(timer.id)
        changes.timers.append(.done(timer, position: cause.position))
    }

    /// Reports what a due timer stands for (once), unless it came too late to mean anything: an approaching
    /// deadline that has passed, an expiring approval that has ended, an approval recorded after its end.
    private mutating func fire(_ timer: ScheduledTimer) {
        markDone(timer)
        guard let process = state.processes[timer.process] else { return }
        switch timer.kind {
        case .reevaluate:
            return
        case .deadlineApproaching, .deadlinePassed:
            guard let deadlineID = DeadlineID(timer.subject), let change = process.deadlines[deadlineID]?.value(asOf: .distantFuture) else { return }
            if timer.kind == .deadlineApproaching && timer.targetAt <= cause.recordedAt { return }
            deadlineNotice(timer, process: process, deadline: deadlineID, value: change.value)
        case .approvalExpiring, .approvalExpired:
            guard let approval = approvals(of: process, asOf: cause.recordedAt).first(where: { $0.step.id.description == timer.subject }) else { return }
            if timer.kind == .approvalExpiring && timer.targetAt <= cause.recordedAt { return }
            if timer.kind == .approvalExpired && approval.lapsesAt <= approval.step.current.recorded.recordedAt { return }
            approvalNotice(timer, process: process, approval: approval)
        }
    }

    private mutating func deadlineNotice(_ timer: ScheduledTimer, process: ProcessState, deadline id: DeadlineID, value: DeadlineValue) {
        let label = process.definition.deadline(id)?.label ?? id.rawValue
        let silenceRules = Set(process.definition.rules.compactMap { rule -> RuleID? in
            if case .silenceProcedure(let d) = rule.condition, d == id { return rule.id }
            return nil
        })
        let passed = timer.kind == .deadlinePassed
        // A passed deadline is judged as of the deadline; an approaching one as things stand.
        let asOf = passed ? timer.targetAt : cause.recordedAt
        let ruleResults = results(of: process, asOf: asOf).filter { silenceRules.contains($0.rule) }
        var notice = DeadlineNotice(id: id, label: label, at: value.at, timeZone: value.timeZone, localTime: value.localTime,
                                    leadSeconds: passed ? nil : timer.leadSeconds, outcome: nil, objections: nil)
        var summary: String
        if passed {
            let objections = Set(ruleResults.flatMap { $0.blockers.compactMap(\.party) }).sorted()
            if ruleResults.isEmpty {
                notice.outcome = .passed
                summary = "\(process.title): \(label) passed (\(value.display))"
            } else if ruleResults.allSatisfy({ $0.status == .satisfied }) {
                notice.outcome = .deemedAdopted
                summary = "\(process.title): \(label) passed (\(value.display)) — deemed adopted, silence not broken"
            } else {
                notice.outcome = .silenceBroken
                notice.objections = objections
                summary = "\(process.title): \(label) passed (\(value.display)) — silence broken by \(objections.map(\.rawValue).joined(separator: ", "))"
            }
        } else {
            let hours = (timer.targetAt.microsecondsSinceEpoch - max(timer.dueAt, cause.occurredAt).microsecondsSinceEpoch) / 3_600_000_000
            summary = "\(process.title): \(label) at \(value.display), in \(hours) h"
        }
        var payload = payload(passed ? .deadlinePassed : .deadlineApproaching, process: process,
                              effectiveAt: passed ? timer.targetAt : max(timer.dueAt, cause.occurredAt), summary: summary)
        payload.deadline = notice
        payload.rules = ruleResults.map { RuleNotice($0, process: process) }
        emit(payload, identity: "timer|\(timer.id)", subject: "deadlines/\(id)")
    }

    private mutating func approvalNotice(_ timer: ScheduledTimer, process: ProcessState, approval: Approval) {
        let expired = timer.kind == .approvalExpired
        let stageLabel = process.definition.stage(approval.stage)?.label ?? approval.stage.rawValue
        // Rules that hold now (or just before the end) and would not once the approval has ended.
        let before = results(of: process, asOf: expired ? approval.lapsesAt.adding(microseconds: -1) : cause.recordedAt)
        let after = results(of: process, asOf: approval.lapsesAt)
        let atRisk = before.filter { b in b.status == .satisfied && after.first(where: { $0.rule == b.rule })?.status != .satisfied }.map(\.rule)
        let chamber = approval.step.current.content.details?.parliamentary?.chamber
        var payload = payload(
            expired ? .approvalExpired : .approvalExpiring, process: process,
            effectiveAt: expired ? approval.lapsesAt : max(timer.dueAt, cause.occurredAt),
            summary: "\(process.title): \(approval.party) \(stageLabel)\(chamber.map { " (\($0))" } ?? "") " + (expired ? "ended" : "ends")
                + " on \(approval.endDate)" + (atRisk.isEmpty ? "" : "; at risk: \(atRisk.map(\.rawValue).joined(separator: ", "))"))
        payload.approval = ApprovalNotice(entry: approval.step.id, party: approval.party, stage: approval.stage, stageLabel: stageLabel,
                                          chamber: chamber, endDate: approval.endDate, lapsesAt: approval.lapsesAt,
                                          leadSeconds: expired ? nil : timer.leadSeconds, rulesAtRisk: atRisk)
        emit(payload, identity: "timer|\(timer.id)", subject: "parties/\(approval.party)/stages/\(approval.stage)")
    }

    // MARK: Emitting

    private func payload(_ type: NotificationType, process: ProcessState, effectiveAt: Instant, summary: String) -> NotificationPayload {
        NotificationPayload(notification: type, position: cause.position, ordinal: 0, effectiveAt: effectiveAt, recordedAt: cause.recordedAt,
                            summary: summary, process: ProcessReference(process), actor: cause.actor)
    }

    /// Adds a notification. Its id depends only on the causing position and what it is about.
    private mutating func emit(_ payload: NotificationPayload, identity: String, subject: String?) {
        var payload = payload
        payload.ordinal = ordinal
        ordinal += 1
        let id = EventCodec.deterministicID(
            namespace: "accord-notification|\(cause.position)|\(payload.notification.rawValue)|\(payload.process.id)|\(identity)", index: 0)
        changes.notifications.append(stored(payload, id: id, subject: subject))
    }

    private func stored(_ payload: NotificationPayload, id: UUID, subject: String?) -> StoredNotification {
        StoredNotification(position: payload.position, ordinal: payload.ordinal, id: id, type: payload.notification, process: payload.process.id,
                           effectiveAt: payload.effectiveAt, recordedAt: payload.recordedAt, createdAt: now,
                           body: CloudEvent(notification: id, payload: payload, subject: subject).encoded())
    }
}
