import AccordDomain
import AccordEventStore
import Foundation

/// Translates between the domain's events and the log's envelopes. The domain knows nothing of the store; this
/// is the only place where the two meet.
public enum EventCodec {
    public static func proposed(
        _ pending: PendingEvent, id: UUID, actor: ActorRef, correlationId: UUID?, causationId: UUID?, limits: EventStoreLimits
    ) throws -> ProposedEvent {
        let payload = try JSONPayload(canonicalizing: pending.event.encodePayload(), maximumBytes: limits.maximumPayloadBytes)
        return ProposedEvent(
            id: id, type: pending.event.typeName, schemaVersion: DomainEvent.schemaVersion, payload: payload,
            actor: EventActor(id: actor.id, name: actor.name), correlationId: correlationId, causationId: causationId,
            occurredAt: pending.occurredAt)
    }

    /// The domain envelope of a recorded event; nil for events that are not domain facts (audit, accounts).
    public static func envelope(_ event: RecordedEvent) throws -> DomainEnvelope? {
        try domainEvent(event).map { envelope(event, decoded: $0) }
    }

    /// The event's payload decoded; nil for events that are not domain events.
    static func domainEvent(_ event: RecordedEvent) throws -> DomainEvent? {
        try DomainEvent.decode(type: event.type, schemaVersion: event.schemaVersion, payload: Data(event.payload.bytes))
    }

    static func envelope(_ event: RecordedEvent, decoded: DomainEvent) -> DomainEnvelope {
        DomainEnvelope(
            id: EntryID(event.id), position: event.position, occurredAt: event.occurredAt, recordedAt: event.recordedAt,
            actor: ActorRef(id: event.actor.id, name: event.actor.name), event: decoded)
    }

    public static func streamName(_ aggregate: AggregateKey) -> StreamName {
        StreamName(trusted: aggregate.streamName)
    }

    /// A stable event id for a retried request: the same idempotency key and account always give the same ids,
    /// so a retry after a crash is recognised by the store even if the response was never saved.
    public static func deterministicID(namespace: String, index: Int) -> UUID {
        let digest = SHA256Hash.of(Array("\(namespace)#\(index)".utf8)).bytes
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5-style (name-based, SHA)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
