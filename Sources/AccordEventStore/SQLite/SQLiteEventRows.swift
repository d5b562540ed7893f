import AccordTime
import Foundation

/// Binding and decoding events in the column order of `EventTable.columns`.
extension SQLiteStatement {
    func bind(_ event: RecordedEvent) throws(EventStoreError) {
        try bind(1, event.position)
        try bind(2, event.id)
        try bind(3, event.stream.rawValue)
        try bind(4, event.streamVersion)
        try bind(5, event.type)
        try bind(6, Int64(event.schemaVersion))
        try bind(7, utf8: event.payload.bytes)
        try bind(8, event.actor.id)
        try bind(9, event.actor.name)
        try bind(10, event.correlationId)
        try bind(11, event.causationId)
        try bind(12, event.occurredAt.microsecondsSinceEpoch)
        try bind(13, event.recordedAt.microsecondsSinceEpoch)
        try bind(14, bytes: event.payloadHash.bytes)
        try bind(15, bytes: event.previousChainHash.bytes)
        try bind(16, bytes: event.chainHash.bytes)
    }

    func recordedEvent() throws(EventStoreError) -> RecordedEvent {
        let position = int64(0)
        guard let id = uuid(1) else { throw .database("the event at position \(position) has no valid id") }
        guard let schemaVersion = Int32(exactly: int64(5)) else {
            throw .database("the event at position \(position) has an out-of-range schema version")
        }
        return RecordedEvent(
            position: position, id: id, stream: StreamName(trusted: string(2)), streamVersion: int64(3),
            type: string(4), schemaVersion: schemaVersion, payload: JSONPayload(trustedCanonicalBytes: bytes(6)),
            actor: EventActor(id: string(7), name: string(8)), correlationId: uuid(9), causationId: uuid(10),
            occurredAt: Instant(microsecondsSinceEpoch: int64(11)),
            recordedAt: Instant(microsecondsSinceEpoch: int64(12)),
            payloadHash: try hash(13), previousChainHash: try hash(14), chainHash: try hash(15))
    }

    /// Decodes a row of `EventTable.recordedIdentity`.
    func recordedIdentity() throws(EventStoreError) -> RecordedIdentity {
        guard let id = uuid(0), let schemaVersion = Int32(exactly: int64(6)) else {
            throw .database("a stored event has an invalid id or schema version")
        }
        return RecordedIdentity(
            id: id, stream: StreamName(trusted: string(1)), streamVersion: int64(2), position: int64(3),
            recordedAt: Instant(microsecondsSinceEpoch: int64(4)), type: string(5), schemaVersion: schemaVersion,
            payloadHash: try hash(7))
    }
}
