import AccordDomain
import AccordEventStore
import Foundation
import Logging
import Synchronization

/// The domain's view of the log, held in memory: every reference event and every process's events, decoded
/// once. It follows the store (a wake-up, then a read by position), so several server instances on one
/// PostgreSQL database each see every write. It is a projection like any other: rebuilt from the log at start.
///
/// Queries take value copies (copy-on-write) and evaluate outside the actor, so reads never queue behind
/// each other.
public actor DomainLog {
    public let store: any EventStore
    let logger: Logger
    /// The payloads this log decodes, kept a while for the notifier and the event index (`DecodedEvents`).
    public nonisolated let decoded = DecodedEvents()

    /// The last log position ingested.
    public private(set) var position: Int64 = 0
    private var reference: [DomainEnvelope] = []
    private var processEvents: [ProcessID: [DomainEnvelope]] = [:]
    private var currentRegistry = Registry()
    private var currentProcesses: [ProcessID: ProcessState] = [:]
    private var waiters: [(position: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    private var follower: Task<Void, Never>?
    /// (position, recordedAt) of every event, in log order, for "as known at" a time.
    private var recordedAtIndex: [(position: Int64, recordedAt: Instant)] = []
    /// Every event by id, for recognising a retried request whose events are already in the log.
    private var placements: [EntryID: Placement] = [:]
    /// Each stream's version (its last event's), as ingested: a command's expected version, without asking the
    /// store (the append checks it against the store anyway).
    private var streamVersions: [String: Int64] = [:]

    public struct Placement: Sendable, Hashable {
        public var stream: String
        public var streamVersion: Int64
        public var position: Int64
        public var type: String
        public var occurredAt: Instant
        public var recordedAt: Instant
    }
    /// Events whose payload could not be decoded: reported by `/readyz` and the logs, never silently dropped.
    public private(set) var undecodable: [Int64: String] = [:]

    public init(store: any EventStore, logger: Logger = Logger(label: "accord.domain-log")) {
        self.store = store
        self.logger = logger
    }

    /// Reads the log up to its current head.
    public func catchUp() async throws {
        while true {
            let page = try await store.readAll(after: position, limit: 2000)
            if page.isEmpty { return }
            ingest(page)
        }
    }

    /// Starts following the log in the background.
    public func startFollowing() {
        guard follower == nil else { return }
        following.store(true, ordering: .relaxed)
        follower = Task { [weak self] in
            var lastRead = ContinuousClock.now
            while !Task.isCancelled {
                guard let self else { return }
                do {
                    let after = await self.position
                    // This instance's own appends are ingested by the commands that made them: a wake-up for
                    // them finds nothing to read (one read per commit was 1–2 % of a recorded step). Read when
                    // the store has seen a later head, and at least every second for writers it cannot see (a
                    // lost notification, another process on the same SQLite file).
                    if self.store.knownHead <= after && lastRead.duration(to: .now) < Self.followerPoll {
                        await self.store.waitForEvents(after: after, timeout: Self.followerPoll)
                        continue
                    }
                    lastRead = .now
                    let page = try await self.store.readAll(after: after, limit: 2000)
                    if page.isEmpty {
                        await self.store.waitForEvents(after: after, timeout: Self.followerPoll)
                    } else {
                        await self.ingest(page)
                    }
                } catch {
                    self.logger.warning("following the log failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
    }

    /// How often the follower reads the store when no head past its position was reported.
    static let followerPoll: Duration = .seconds(1)

    public func stop() {
        follower?.cancel()
        follower = nil
        following.store(false, ordering: .relaxed)
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
    }

    /// Ingests events in log order; events already seen are skipped, so overlapping reads are harmless.
    func ingest(_ events: [RecordedEvent]) {
        for event in events where event.position > position {
            guard event.position == position + 1 else {
                // A gap means a page was skipped; the next read starts again from `position`.
                logger.error("log gap", metadata: ["expected": "\(position + 1)", "found": "\(event.position)"])
                break
            }
            position = event.position
            recordedAtIndex.append((event.position, event.recordedAt))
            streamVersions[event.stream.rawValue] = event.streamVersion
            placements[EntryID(event.id)] = Placement(stream: event.stream.rawValue, streamVersion: event.streamVersion, position: event.position,
                                                      type: event.type, occurredAt: event.occurredAt, recordedAt: event.recordedAt)
            if event.type == PayloadRedaction.eventType {
                applyRedaction(event)
                continue
            }
            do {
                guard let envelope = try decoded.decode(event) else { continue }
                apply(envelope)
            } catch {
                undecodable[event.position] = "\(event.type): \(error)"
                logger.error("cannot decode event", metadata: ["position": "\(event.position)", "type": "\(event.type)", "error": "\(error)"])
            }
        }
        if !waiters.isEmpty {
            let ready = waiters.filter { $0.position <= position }
            waiters.removeAll { $0.position <= position }
            for waiter in ready { waiter.continuation.resume() }
        }
    }

    private func apply(_ envelope: DomainEnvelope) {
        switch envelope.event.aggregate {
        case .process(let id):
            processEvents[id, default: []].append(envelope)
            if currentProcesses[id] != nil {
                // In place: a copy taken out of the dictionary would copy the process's entries at every event.
                currentProcesses[id]?.apply(envelope)
            } else if case .processOpened(let opened) = envelope.event {
                currentProcesses[id] = ProcessState(opening: envelope, opened)
            }
        default:
            reference.append(envelope)
            currentRegistry.apply(envelope)
        }
    }

    /// Replaces the redacted event's decoded form by its redacted payload and folds its aggregate again, so no
    /// view keeps the original text in memory (the store already serves the redacted payload).
    private func applyRedaction(_ event: RecordedEvent) {
        do {
            let redaction = try JSONDecoder().decode(PayloadRedaction.self, from: Data(event.payload.bytes))
            guard let domainEvent = try DomainEvent.decode(type: redaction.type, schemaVersion: DomainEvent.schemaVersion,
                                                           payload: Data(redaction.redactedPayload.utf8)) else { return }
            let target = EntryID(redaction.event)
            if case .process(let id) = domainEvent.aggregate, var events = processEvents[id],
               let index = events.firstIndex(where: { $0.id == target }) {
                events[index].event = domainEvent
                processEvents[id] = events
                currentProcesses[id] = ProcessState.fold(events)
            } else if let index = reference.firstIndex(where: { $0.id == target }) {
                reference[index].event = domainEvent
                currentRegistry = Registry(folding: reference)
            }
        } catch {
            undecodable[event.position] = "\(event.type): \(error)"
            logger.error("cannot apply a redaction", metadata: ["position": "\(event.position)", "error": "\(error)"])
        }
    }

    /// Waits until the log has been ingested up to `target` (read-your-writes after an append).
    public func waitUntil(_ target: Int64) async {
        if position >= target { return }
        await withCheckedContinuation { continuation in
            if position >= target {
                continuation.resume()
            } else {
                waiters.append((target, continuation))
            }
        }
    }

    /// Reads the log until `target` is ingested (read-your-writes after an append, whether or not the follower
    /// runs).
    public func ingest(upTo target: Int64) async throws {
        while position < target {
            let page = try await store.readAll(after: position, limit: 2000)
            if page.isEmpty { return }
            ingest(page)
        }
    }

    /// Ingests the events an append of this instance wrote (read-your-writes without reading them back). Events
    /// of other writers committed before them are read from the store first; those already ingested (by the
    /// follower, or another command of the same group commit) are skipped.
    public func ingest(appended events: [RecordedEvent], upTo target: Int64) async throws {
        if let first = events.first, first.position > position + 1 {
            try await ingest(upTo: first.position - 1)
        }
        if let first = events.first, first.position <= position + 1 {
            ingest(events)
        }
        try await ingest(upTo: target)
    }

    /// True while the log follows the store in the background (it then hears of other writers' events within
    /// milliseconds). Readable without a hop onto the actor.
    public nonisolated var isFollowing: Bool { following.load(ordering: .relaxed) }
    private nonisolated let following = Atomic<Bool>(false)

    /// What a command on `stream` is decided on, in one step; `requests` are the idempotency namespaces of the
    /// commands to decide, whose events may already be in the log (then `replays` tells their first outcome).
    func decisionInputs(stream: String, process id: ProcessID?, requests: [String]) -> DecisionInputs {
        var inputs = DecisionInputs(registry: currentRegistry, process: id.flatMap { currentProcesses[$0] },
                                    streamVersion: streamVersions[stream], position: position)
        for request in requests {
            var found: [(EntryID, Placement)] = []
            while true {
                let entry = EntryID(EventCodec.deterministicID(namespace: request, index: found.count))
                guard let placement = placements[entry] else { break }
                found.append((entry, placement))
            }
            if let last = found.last?.1 {
                inputs.replays[request] = CommandOutcome(
                    stream: last.stream,
                    recorded: found.map { .init(entry: $0.0, type: $0.1.type, position: $0.1.position, occurredAt: $0.1.occurredAt, recordedAt: $0.1.recordedAt) },
                    version: last.streamVersion, wasAlreadyRecorded: true)
            }
        }
        return inputs
    }

    /// Reads the store's head and waits until it is ingested: the state commands are decided on.
    public func synchronize() async throws {
        let head = try await store.headPosition()
        if head > position { try await catchUp() }
    }

    public func registry(knownAt cutoff: KnowledgeCutoff = .everything) -> Registry {
        if cutoff == .everything { return currentRegistry }
        return Registry(folding: reference, knownAt: cutoff)
    }

    public func process(_ id: ProcessID, knownAt cutoff: KnowledgeCutoff = .everything) -> ProcessState? {
        if cutoff == .everything { return currentProcesses[id] }
        return ProcessState.fold(processEvents[id] ?? [], knownAt: cutoff)
    }

    public func placement(of id: EntryID) -> Placement? { placements[id] }

    public func envelopes(of id: ProcessID) -> [DomainEnvelope] {
        processEvents[id] ?? []
    }

    public var processIDs: Set<ProcessID> { Set(currentProcesses.keys) }

    /// Every process as known now (value copies).
    public var processes: [ProcessState] { Array(currentProcesses.values) }

    /// A consistent view for one query: the registry, the processes and the position they reflect.
    public func view(knownAt cutoff: KnowledgeCutoff) -> LogView {
        if cutoff == .everything {
            return LogView(position: position, registry: currentRegistry, processes: currentProcesses)
        }
        // A view "as known at" folds the whole log again; one page asks for it several times (matrix, results,
        // timeline, charts), and an auditor asks for the same point again and again. Kept until the next event:
        // a new one may be known at a recorded time (clocks of several instances differ), a redaction changes one.
        if cutoffViewsPosition != position {
            cutoffViews.removeAll()
            cutoffViewsPosition = position
        }
        if let kept = cutoffViews[cutoff] { return kept }
        var processes: [ProcessID: ProcessState] = [:]
        for (id, events) in processEvents {
            if let state = ProcessState.fold(events, knownAt: cutoff) { processes[id] = state }
        }
        let view = LogView(position: knownPosition(cutoff), registry: Registry(folding: reference, knownAt: cutoff), processes: processes)
        if cutoffViews.count >= Self.keptCutoffViews { cutoffViews.removeAll() }
        cutoffViews[cutoff] = view
        return view
    }

    private var cutoffViews: [KnowledgeCutoff: LogView] = [:]
    private var cutoffViewsPosition: Int64 = -1
    /// Each is a copy of the log's state as then known: a few only.
    static let keptCutoffViews = 4

    /// The last log position a cut-off includes: what a reader "as known at" it has seen.
    public func knownPosition(_ cutoff: KnowledgeCutoff) -> Int64 {
        switch cutoff {
        case .everything: return position
        case .position(let p): return min(p, position)
        case .recordedAt(let t):
            // Clocks of several instances may disagree slightly, so look at every event, not the last one before t.
            return recordedAtIndex.reduce(0) { $1.recordedAt <= t ? max($0, $1.position) : $0 }
        }
    }
}

/// The registry and the processes as known at one cut-off.
public struct LogView: Sendable {
    public var position: Int64
    public var registry: Registry
    public var processes: [ProcessID: ProcessState]
}
