import AccordTime
import Foundation

/// Decoding events from binary results in the column order of `EventTable.columns`, and encoding appends as
/// the array arguments of `accord_append`.
extension PGResult {
    func recordedEvent(_ row: Int32, reusing strings: inout RecentStrings) throws(EventStoreError) -> RecordedEvent {
        let position = try int64(row, 0)
        guard let id = uuid(row, 1) else { throw .database("the event at position \(position) has no valid id") }
        return RecordedEvent(
            position: position, id: id, stream: StreamName(trusted: string(row, 2, reusing: &strings)),
            streamVersion: try int64(row, 3), type: string(row, 4, reusing: &strings), schemaVersion: try int32(row, 5),
            payload: JSONPayload(trustedCanonicalBytes: bytes(row, 6)),
            actor: EventActor(id: string(row, 7, reusing: &strings), name: string(row, 8, reusing: &strings)),
            correlationId: uuid(row, 9), causationId: uuid(row, 10),
            occurredAt: Instant(microsecondsSinceEpoch: try int64(row, 11)),
            recordedAt: Instant(microsecondsSinceEpoch: try int64(row, 12)),
            payloadHash: try hash(row, 13), previousChainHash: try hash(row, 14), chainHash: try hash(row, 15))
    }

    func recordedEvents() throws(EventStoreError) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        events.reserveCapacity(Int(rowCount))
        var strings = RecentStrings()
        for row in 0..<rowCount { events.append(try recordedEvent(row, reusing: &strings)) }
        return events
    }

    /// Decodes a row of `PostgresEventSQL.recordedIdentities`.
    func recordedIdentity(_ row: Int32) throws(EventStoreError) -> RecordedIdentity {
        guard let id = uuid(row, 0) else { throw .database("a stored event has an invalid id") }
        return RecordedIdentity(
            id: id, stream: StreamName(trusted: string(row, 1)), streamVersion: try int64(row, 2),
            position: try int64(row, 3), recordedAt: Instant(microsecondsSinceEpoch: try int64(row, 4)),
            type: string(row, 5), schemaVersion: try int32(row, 6), payloadHash: try hash(row, 7))
    }
}

extension PGParameters {
    /// The arguments of `accord_append` (see `schema/postgres/0001_event_store.pg.sql`) for the rows `planner`
    /// chained onto the head `head`/`headHash`, with the stream versions the database must check.
    static func appendArguments(
        planner: AppendPlanner, head: Int64, headHash: SHA256Hash, unverifiedVersions: [StreamName: Int64]
    ) -> PGParameters {
        let rows = planner.rows
        let streams = Array(unverifiedVersions.keys)
        var p = PGParameters(capacity: 256 + rows.count * 512)
        p.int64(head)
        p.bytea(headHash.bytes)
        p.textArray(streams) { $0.rawValue }
        p.int64Array(streams) { unverifiedVersions[$0] ?? -1 }
        p.uuidArray(rows) { $0.id }
        p.textArray(rows) { $0.stream.rawValue }
        p.int64Array(rows) { $0.streamVersion }
        p.textArray(rows) { $0.type }
        p.array(of: PGType.int4, arrayType: PGType.int4Array, count: rows.count) { a in
            for row in rows { a.int32(row.schemaVersion) }
        }
        // json's binary form is its text, so the canonical bytes arrive unchanged.
        p.array(of: PGType.json, arrayType: PGType.jsonArray, count: rows.count) { a in
            for row in rows { a.bytes(row.payload.bytes) }
        }
        p.textArray(rows) { $0.actor.id }
        p.textArray(rows) { $0.actor.name }
        p.uuidArray(rows) { $0.correlationId }
        p.uuidArray(rows) { $0.causationId }
        p.int64Array(rows) { $0.occurredAt.microsecondsSinceEpoch }
        p.int64Array(rows) { $0.recordedAt.microsecondsSinceEpoch }
        p.hashArray(rows) { $0.payloadHash }
        p.hashArray(rows) { $0.previousChainHash }
        p.hashArray(rows) { $0.chainHash }
        return p
    }

    static let appendCall = """
        SELECT accord_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
        """
}
