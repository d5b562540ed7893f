import AccordDomain
import AccordEventStore
import Synchronization

/// The decoded payloads of the most recent events, kept by the domain log (which decodes every event first) for
/// the notifier and the event index, which read the same events from the store moments later. Decoding a payload
/// with Foundation's JSONDecoder was the largest single cost they shared (three decodings per recorded step).
///
/// A payload is reused only for the same position with the same type, schema version and payload bytes: a
/// redacted event (the store then serves other bytes) or an event the domain log has not seen is decoded anew.
public final class DecodedEvents: Sendable {
    private struct Slot {
        var position: Int64
        var type: String
        var schemaVersion: Int32
        var payload: [UInt8]
        var event: DomainEvent?
    }

    private let capacity: Int
    private let slots: Mutex<[Slot?]>

    /// `capacity`: how many of the latest positions are kept (a reader further behind decodes for itself).
    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
        slots = Mutex(Array(repeating: nil, count: max(1, capacity)))
    }

    /// The event's envelope: its payload decoded here before if it is among the latest, else decoded now.
    /// Nil for events that are not domain events (e.g. the notifier's timers).
    public func envelope(_ event: RecordedEvent) throws -> DomainEnvelope? {
        guard let kept = kept(event) else { return try decode(event) }
        return kept.map { EventCodec.envelope(event, decoded: $0) }
    }

    /// The kept payload of exactly this event (`.some(nil)`: kept as not a domain event), or nil.
    func kept(_ event: RecordedEvent) -> DomainEvent?? {
        let index = slot(of: event.position)
        return slots.withLock { slots in
            guard let slot = slots[index], slot.position == event.position, slot.type == event.type,
                  slot.schemaVersion == event.schemaVersion, slot.payload == event.payload.bytes else { return nil }
            return .some(slot.event)
        }
    }

    /// Decodes the event and keeps its payload for the readers that follow.
    func decode(_ event: RecordedEvent) throws -> DomainEnvelope? {
        let decoded = try EventCodec.domainEvent(event)
        let index = slot(of: event.position)
        let kept = Slot(position: event.position, type: event.type, schemaVersion: event.schemaVersion,
                        payload: event.payload.bytes, event: decoded)
        slots.withLock { slots in
            if (slots[index]?.position ?? .min) <= event.position { slots[index] = kept }
        }
        return decoded.map { EventCodec.envelope(event, decoded: $0) }
    }

    private func slot(of position: Int64) -> Int {
        Int(position.magnitude % UInt64(capacity))
    }
}
