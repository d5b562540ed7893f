import AccordTime
import Foundation

/// Inserting and decoding events in the column order of `EventTable.columns`.
extension SQLiteStatement {
    /// Inserts `event` with the statement `EventTable.insert`. Its text and blob values are packed into
    /// `scratch` (kept by the caller across rows) and bound without copies, so a row costs no allocation.
    func insert(_ event: RecordedEvent, scratch: inout [UInt8]) throws {
        scratch.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: event.id.uuid) { scratch.append(contentsOf: $0) }
        let stream = Self.append(event.stream.rawValue, to: &scratch)
        let type = Self.append(event.type, to: &scratch)
        let payloadStart = scratch.count
        scratch.append(contentsOf: event.payload.bytes)
        let payload = payloadStart..<scratch.count
        let actorId = Self.append(event.actor.id, to: &scratch)
        let actorName = Self.append(event.actor.name, to: &scratch)
        let hashes = scratch.count
        event.payloadHash.withUnsafeBytes { scratch.append(contentsOf: $0) }
        event.previousChainHash.withUnsafeBytes { scratch.append(contentsOf: $0) }
        event.chainHash.withUnsafeBytes { scratch.append(contentsOf: $0) }
        let correlation = scratch.count
        if let id = event.correlationId { withUnsafeBytes(of: id.uuid) { scratch.append(contentsOf: $0) } }
        let causation = scratch.count
        if let id = event.causationId { withUnsafeBytes(of: id.uuid) { scratch.append(contentsOf: $0) } }

        defer { reset() }
        try scratch.withUnsafeBytes { buffer in
            func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[range]) }
            try bind(1, event.position)
            try bindUnretained(2, blob: slice(0..<16))
            try bindUnretained(3, text: slice(stream))
            try bind(4, event.streamVersion)
            try bindUnretained(5, text: slice(type))
            try bind(6, Int64(event.schemaVersion))
            try bindUnretained(7, text: slice(payload))
            try bindUnretained(8, text: slice(actorId))
            try bindUnretained(9, text: slice(actorName))
            if event.correlationId != nil { try bindUnretained(10, blob: slice(correlation..<(correlation + 16))) } else { try bindNull(10) }
            if event.causationId != nil { try bindUnretained(11, blob: slice(causation..<(causation + 16))) } else { try bindNull(11) }
            try bind(12, event.occurredAt.microsecondsSinceEpoch)
            try bind(13, event.recordedAt.microsecondsSinceEpoch)
            try bindUnretained(14, blob: slice(hashes..<(hashes + 32)))
            try bindUnretained(15, blob: slice((hashes + 32)..<(hashes + 64)))
            try bindUnretained(16, blob: slice((hashes + 64)..<(hashes + 96)))
            _ = try step()
        }
    }

    private static func append(_ text: String, to buffer: inout [UInt8]) -> Range<Int> {
        let start = buffer.count
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        return start..<buffer.count
    }

    func recordedEvent() throws(EventStoreError) -> RecordedEvent {
        var strings = RecentStrings()
        return try recordedEvent(reusing: &strings)
    }

    func recordedEvent(reusing strings: inout RecentStrings) throws(EventStoreError) -> RecordedEvent {
        let position = int64(0)
        guard let id = uuid(1) else { throw .database("the event at position \(position) has no valid id") }
        guard let schemaVersion = Int32(exactly: int64(5)) else {
            throw .database("the event at position \(position) has an out-of-range schema version")
        }
        return RecordedEvent(
            position: position, id: id, stream: StreamName(trusted: string(2, reusing: &strings)),
            streamVersion: int64(3), type: string(4, reusing: &strings), schemaVersion: schemaVersion,
            payload: JSONPayload(trustedCanonicalBytes: bytes(6)),
            actor: EventActor(id: string(7, reusing: &strings), name: string(8, reusing: &strings)),
            correlationId: uuid(9), causationId: uuid(10),
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
