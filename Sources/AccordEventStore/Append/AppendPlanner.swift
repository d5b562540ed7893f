import AccordTime
import Foundation

/// What the log already holds for an event id: enough to acknowledge an idempotent retry with the original
/// placement, or to tell that the id was used for other content.
struct RecordedIdentity: Sendable, Hashable {
    var id: UUID
    var stream: StreamName
    var streamVersion: Int64
    var position: Int64
    var recordedAt: Instant
    var type: String
    var schemaVersion: Int32
    var payloadHash: SHA256Hash
}

/// Answers the planner's questions about the log. Engines answer inside their write transaction (SQLite, and
/// PostgreSQL under the append lock) or from what they assume (PostgreSQL's one-round-trip path, whose
/// assumptions the database re-checks).
protocol AppendStateReader {
    /// The stream's current version, -1 when it does not exist.
    mutating func currentVersion(of stream: StreamName) throws -> Int64
    /// The recorded events among `ids` (absent ids were never appended).
    mutating func recordedEvents(withIds ids: [UUID]) throws -> [UUID: RecordedIdentity]
}

/// Turns a group of append requests into the rows of one transaction.
///
/// Each request is checked on its own against the log plus the requests planned before it: a request that
/// fails gets its own error and adds nothing, the others go on. Positions continue from the head, stream
/// versions from each stream's version, and every row is chained to the one before.
struct AppendPlanner {
    private(set) var head: Int64
    private(set) var headHash: SHA256Hash
    let recordedAt: Instant
    /// The rows to insert, in position order.
    private(set) var rows: [RecordedEvent] = []
    /// Each stream's version once this group commits.
    private(set) var versions: [StreamName: Int64] = [:]
    private var plannedIds: [UUID: RecordedIdentity] = [:]

    init(head: Int64, headHash: SHA256Hash, recordedAt: Instant) {
        self.head = head
        self.headHash = headHash
        self.recordedAt = recordedAt
    }

    /// Plans one request. Returns its outcome (placements, or the error the caller gets); throws only when the
    /// reader fails (a database error, which fails the whole group).
    mutating func plan(
        _ appends: [StreamAppend], reader: inout some AppendStateReader
    ) throws -> Result<AppendResult, EventStoreError> {
        var payloadHashes: [SHA256Hash] = []
        var ids: [UUID] = []
        for append in appends {
            for event in append.events {
                ids.append(event.id)
                payloadHashes.append(SHA256Hash.of(event.payload.bytes))
            }
        }

        var recorded: [UUID: RecordedIdentity] = [:]
        let unplanned = ids.filter { id in
            guard let identity = plannedIds[id] else { return true }
            recorded[id] = identity
            return false
        }
        if !unplanned.isEmpty {
            recorded.merge(try reader.recordedEvents(withIds: unplanned)) { planned, _ in planned }
        }
        if !recorded.isEmpty {
            return Self.acknowledgeRetry(appends, payloadHashes: payloadHashes, recorded: recorded)
        }

        var found: [StreamName: Int64] = [:]
        for append in appends {
            let current: Int64
            if let version = versions[append.stream] {
                current = version
            } else {
                current = try reader.currentVersion(of: append.stream)
                found[append.stream] = current
            }
            guard append.expectedVersion.isSatisfied(byActualVersion: current < 0 ? nil : current) else {
                return .failure(.wrongExpectedVersion(
                    stream: append.stream.rawValue, expected: append.expectedVersion,
                    actual: current < 0 ? nil : current))
            }
        }

        var placements: [AppendResult.Placement] = []
        placements.reserveCapacity(ids.count)
        let firstRow = rows.count
        var eventIndex = 0
        for append in appends {
            var version = versions[append.stream] ?? found[append.stream] ?? -1
            for event in append.events {
                version += 1
                head += 1
                let payloadHash = payloadHashes[eventIndex]
                eventIndex += 1
                let chainHash = EventChain.chainHash(
                    previous: headHash, position: head, id: event.id, stream: append.stream.rawValue,
                    streamVersion: version, type: event.type, schemaVersion: event.schemaVersion,
                    actor: event.actor, correlationId: event.correlationId, causationId: event.causationId,
                    occurredAt: event.occurredAt, recordedAt: recordedAt, payloadHash: payloadHash)
                rows.append(RecordedEvent(
                    position: head, id: event.id, stream: append.stream, streamVersion: version, type: event.type,
                    schemaVersion: event.schemaVersion, payload: event.payload, actor: event.actor,
                    correlationId: event.correlationId, causationId: event.causationId,
                    occurredAt: event.occurredAt, recordedAt: recordedAt, payloadHash: payloadHash,
                    previousChainHash: headHash, chainHash: chainHash))
                headHash = chainHash
                plannedIds[event.id] = RecordedIdentity(
                    id: event.id, stream: append.stream, streamVersion: version, position: head,
                    recordedAt: recordedAt, type: event.type, schemaVersion: event.schemaVersion,
                    payloadHash: payloadHash)
                placements.append(AppendResult.Placement(
                    eventId: event.id, stream: append.stream, streamVersion: version, position: head,
                    recordedAt: recordedAt))
            }
            versions[append.stream] = version
        }
        return .success(AppendResult(placements: placements, wasAlreadyRecorded: false, events: Array(rows[firstRow...])))
    }

    /// Some ids of the request were recorded before: it is a retry of an earlier append, acknowledged with the
    /// original placements, or a misuse of ids, refused.
    private static func acknowledgeRetry(
        _ appends: [StreamAppend], payloadHashes: [SHA256Hash], recorded: [UUID: RecordedIdentity]
    ) -> Result<AppendResult, EventStoreError> {
        var placements: [AppendResult.Placement] = []
        var missing: UUID?
        var eventIndex = 0
        for append in appends {
            for event in append.events {
                defer { eventIndex += 1 }
                guard let identity = recorded[event.id] else {
                    missing = missing ?? event.id
                    continue
                }
                if let difference = difference(
                    identity, stream: append.stream, event: event, payloadHash: payloadHashes[eventIndex])
                {
                    return .failure(.idempotencyConflict(eventId: event.id, reason: difference))
                }
                placements.append(AppendResult.Placement(
                    eventId: event.id, stream: identity.stream, streamVersion: identity.streamVersion,
                    position: identity.position, recordedAt: identity.recordedAt))
            }
        }
        if let missing, let first = placements.first {
            return .failure(.idempotencyConflict(
                eventId: first.eventId,
                reason: "it was recorded by an earlier append that did not contain event "
                    + "\(missing.uuidString.lowercased()); resend the earlier append unchanged or use new ids"))
        }
        return .success(AppendResult(placements: placements, wasAlreadyRecorded: true))
    }

    private static func difference(
        _ identity: RecordedIdentity, stream: StreamName, event: ProposedEvent, payloadHash: SHA256Hash
    ) -> String? {
        if identity.stream != stream {
            return "it is in stream '\(identity.stream)', not '\(stream)'"
        }
        if identity.type != event.type {
            return "its type is '\(identity.type)', not '\(event.type)'"
        }
        if identity.schemaVersion != event.schemaVersion {
            return "its schema version is \(identity.schemaVersion), not \(event.schemaVersion)"
        }
        if identity.payloadHash != payloadHash {
            return "its payload differs (recorded payload hash \(identity.payloadHash.hex))"
        }
        return nil
    }
}
