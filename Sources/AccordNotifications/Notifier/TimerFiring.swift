import AccordDomain
import AccordEventStore
import Logging

/// Fires due timers on the leader: each becomes a `NotificationTimerFired` event in the log (effective at its
/// due time), which the notifier reads in order like any other event. A timer that fell due while no instance
/// was running fires at start-up with its real effective time. Its event id is derived from the timer, so two
/// instances firing the same timer record it once.
actor TimerFiring {
    let store: any EventStore
    let clock: any WallClock
    /// Wakes when the notifier committed a page (new timers may be due sooner).
    let signal: PositionSignal
    let logger: Logger
    /// Fired but not yet marked done by the notifier: not sent again meanwhile.
    private var inFlight: Set<String> = []

    init(store: any EventStore, clock: any WallClock, signal: PositionSignal, logger: Logger) {
        self.store = store
        self.clock = clock
        self.signal = signal
        self.logger = logger
    }

    /// Appends an event for every due timer; returns when the next one is due (nil: none scheduled).
    @discardableResult
    func fireDue() async throws -> Instant? {
        let now = clock.now()
        let (due, next) = try await store.database.read { conn -> ([ScheduledTimer], Instant?) in
            let due = try conn.query(
                "SELECT \(ScheduledTimer.columns) FROM accord_notifier_timers WHERE state = 'scheduled' AND due_at <= $1 ORDER BY due_at, id LIMIT 500",
                [.integer(now.microsecondsSinceEpoch)]).map(ScheduledTimer.init(row:))
            let next = try conn.query("SELECT min(due_at) FROM accord_notifier_timers WHERE state = 'scheduled' AND due_at > $1",
                                      [.integer(now.microsecondsSinceEpoch)]).first?.optionalInt(0)
            return (due, next.map(Instant.init(microsecondsSinceEpoch:)))
        }
        inFlight.formIntersection(due.map(\.id))
        let fresh = due.filter { !inFlight.contains($0.id) }
        // One append per timer: a timer another instance fired already is acknowledged on its own (its event
        // id is taken) without failing the others.
        for timer in fresh {
            let result = try await store.append(to: ScheduledTimer.stream, expectedVersion: .any, events: [try timer.firedEvent()])
            inFlight.insert(timer.id)
            logger.debug("timer fired", metadata: ["timer": "\(timer.id)", "kind": "\(timer.kind.rawValue)", "position": "\(result.lastPosition)",
                                                   "again": "\(result.wasAlreadyRecorded)"])
        }
        return due.count == 500 ? now : next
    }

    /// Fires timers until cancelled, sleeping until the next is due or the notifier scheduled new ones.
    func run() async {
        while !Task.isCancelled {
            do {
                // Taken before reading the timers, so that timers scheduled meanwhile wake the wait.
                let seen = signal.position
                let next = try await fireDue()
                let wait: Duration
                if let next {
                    let micros = max(0, next.microsecondsSinceEpoch - clock.now().microsecondsSinceEpoch)
                    wait = .microseconds(min(micros, 1_000_000))
                } else {
                    wait = .seconds(1)
                }
                if wait > .zero { await signal.wait(after: seen, timeout: wait) }
            } catch {
                if Task.isCancelled { return }
                logger.warning("firing timers failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
