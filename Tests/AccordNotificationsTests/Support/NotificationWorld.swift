import AccordDomain
import AccordEventStore
import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A wall clock the test moves: the store stamps `recordedAt` with it, commands judge "now" by it, and the
/// timers fire by it. Starts at the real time so that webhook timestamps are plausible.
final class TestClock: WallClock {
    private let current: Mutex<Instant>

    /// Starts at `start` rounded down to a whole second (deadlines are set to the second).
    init(_ start: Instant = TestClock.system()) {
        current = Mutex(Instant(secondsSinceEpoch: start.microsecondsSinceEpoch / 1_000_000))
    }

    func now() -> Instant { current.withLock { $0 } }

    func advance(seconds: Int64) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }

    func set(_ instant: Instant) {
        current.withLock { $0 = instant }
    }

    static func system() -> Instant { SystemWallClock().now() }
}

let officer = ActorRef(id: "acct-officer", name: "Secretariat Officer")
let systemActor = ActorRef(id: "acct-admin", name: "Test Admin")

/// Settings for tests: fast retries, short timeouts, private (loopback) targets allowed.
func testConfiguration(deadlineLead: Duration = .seconds(24 * 3600), approvalLead: Duration = .seconds(30 * 86_400),
                       retry: RetryPolicy = RetryPolicy(initialInterval: .milliseconds(50), maximumInterval: .milliseconds(200), horizon: .seconds(3 * 86_400)),
                       responseTimeout: Duration = .seconds(2), allowPrivate: Bool = true, heartbeat: Duration = .seconds(15)) -> NotificationConfiguration {
    NotificationConfiguration(
        notifier: NotifierSettings(deadlineLeadTime: deadlineLead, approvalLeadTime: approvalLead), retry: retry,
        client: WebhookClientSettings(connectTimeout: .seconds(1), responseTimeout: responseTimeout, allowPrivateTargets: allowPrivate),
        heartbeatInterval: heartbeat, leaderPollInterval: .milliseconds(200))
}

/// A started service on a fresh database of `backend`, its notification system, and the database (for
/// opening a second system, as a restart would).
struct World {
    let service: AccordService
    let system: NotificationSystem
    let database: TestDatabase
    let clock: any WallClock

    /// Opens a process from `template` with an explicit electorate.
    @discardableResult
    func open(_ template: String, title: String = "Test process", parties: [String], parameters: [String: JSONValue] = [:],
              at occurredAt: Instant? = nil) async throws -> ProcessID {
        let id = ProcessID()
        _ = try await service.commands.execute(
            .open(OpenProcess(process: id, title: title, template: TemplateID(template)!, parameters: parameters,
                              electorate: .parties(parties.map { PartyCode($0)! }), occurredAt: occurredAt)),
            context: CommandContext(actor: officer))
        return id
    }

    @discardableResult
    func vote(_ process: ProcessID, _ party: String, _ position: BallotPosition, statement: String? = nil, at: Instant? = nil) async throws -> CommandOutcome {
        try await service.commands.execute(
            .castBallot(process: process, ballot: BallotContent(party: PartyCode(party)!, position: position, statement: statement), occurredAt: at),
            context: CommandContext(actor: officer))
    }

    @discardableResult
    func step(_ process: ProcessID, _ party: String, _ stage: String, details: StepDetails? = nil, at: Instant? = nil) async throws -> CommandOutcome {
        try await service.commands.execute(
            .recordStep(process: process, step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!, details: details), occurredAt: at),
            context: CommandContext(actor: officer))
    }

    @discardableResult
    func setDeadline(_ process: ProcessID, _ deadline: String = "silence", at instant: Instant) async throws -> CommandOutcome {
        try await service.commands.execute(
            .setDeadline(process: process, deadline: DeadlineID(deadline)!, localTime: Self.utcLocal(instant), timeZone: "UTC", reason: nil, occurredAt: nil),
            context: CommandContext(actor: officer))
    }

    @discardableResult
    func extendDeadline(_ process: ProcessID, _ deadline: String = "silence", to instant: Instant) async throws -> CommandOutcome {
        try await service.commands.execute(
            .extendDeadline(process: process, deadline: DeadlineID(deadline)!, localTime: Self.utcLocal(instant), timeZone: "UTC", reason: nil,
                            occurredAt: nil),
            context: CommandContext(actor: officer))
    }

    /// `2025-06-03T12:00:05` for an instant (whole seconds), as deadlines are set.
    static func utcLocal(_ instant: Instant) -> String { String(instant.iso8601.prefix(19)) }

    /// The outbox as a default subscriber sees it (no steps or ballots), in order.
    func notices() async throws -> [Outboxed] {
        try await outbox().filter { NotificationType(rawValue: $0.type)?.isOnRequest == false }
    }

    /// The outbox, in order.
    func outbox() async throws -> [Outboxed] {
        try await service.store.database.read { conn in
            try conn.query("SELECT position, ordinal, id, type, process, body FROM accord_notifications ORDER BY position, ordinal").map {
                Outboxed(position: try $0.int(0), ordinal: try $0.int(1), id: try $0.string(2), type: try $0.string(3),
                         process: try $0.optionalString(4), body: try $0.string(5))
            }
        }
    }

    /// A second notification system on the same service (a restart of the notification side).
    func restartedSystem(_ configuration: NotificationConfiguration) -> NotificationSystem {
        NotificationSystem(service: service, lock: Leadership.lock(for: database.location), configuration: configuration, logger: quietLogger)
    }
}

struct Outboxed: Hashable, Sendable {
    var position: Int64
    var ordinal: Int64
    var id: String
    var type: String
    var process: String?
    var body: String

    var event: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    var data: [String: Any] { event["data"] as? [String: Any] ?? [:] }
    var rule: [String: Any] { data["rule"] as? [String: Any] ?? [:] }

    /// The value at a path of keys in the CloudEvent (`"data", "deadline", "at"`), as text.
    func text(_ path: String...) -> String? { JSONPath.text(event, path) }
}

/// Reading values out of decoded JSON by a path of keys, as text (numbers and booleans too).
enum JSONPath {
    static func text(_ object: [String: Any], _ path: [String]) -> String? {
        var current: Any = object
        for key in path {
            guard let dictionary = current as? [String: Any], let next = dictionary[key] else { return nil }
            current = next
        }
        switch current {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        case let list as [Any]: return list.map { "\($0)" }.joined(separator: ",")
        default: return nil
        }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test.notifications")
    logger.logLevel = .error
    return logger
}()

/// Runs `body` with a started service (reference data loaded) and a notification system on a fresh database.
func withWorld(_ backend: Backend, clock: any WallClock = SystemWallClock(), configuration: NotificationConfiguration = testConfiguration(),
               _ body: (World) async throws -> Void) async throws {
    try await withTestStore(backend, clock: clock) { store, database in
        let service = AccordService(store: store, clock: clock, logger: quietLogger)
        try await service.start()
        try await service.loadReferenceData()
        let system = NotificationSystem(service: service, lock: Leadership.lock(for: database.location), configuration: configuration,
                                        logger: quietLogger)
        let world = World(service: service, system: system, database: database, clock: clock)
        do {
            try await body(world)
        } catch {
            await system.close()
            await service.log.stop()
            await service.eventIndex.stop()
            throw error
        }
        await system.close()
        await service.log.stop()
        await service.eventIndex.stop()
    }
}

/// Runs the leader's work and the SSE hub in the background for the duration of `body`.
func whileRunning<T>(_ system: NotificationSystem, _ body: () async throws -> T) async throws -> T {
    let leader = Task { try await system.leader.run() }
    let hub = Task { try await system.hub.run() }
    do {
        let result = try await body()
        leader.cancel()
        hub.cancel()
        _ = try? await leader.value
        _ = try? await hub.value
        return result
    } catch {
        leader.cancel()
        hub.cancel()
        _ = try? await leader.value
        _ = try? await hub.value
        throw error
    }
}

/// Polls `condition` until it holds or `limit` passes.
func eventually(_ limit: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)")
    throw TimedOut(what: what)
}

struct TimedOut: Error {
    var what: String
}
