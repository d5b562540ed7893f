import AccordDomain
import AccordEventStore
import AccordService
import Foundation

/// What an admin asks to redact.
public struct RedactionRequest: Codable, Sendable, Hashable {
    /// The event, by id or by log position (one of them; both must agree when both are given).
    public var event: UUID?
    public var position: Int64?
    /// JSON Pointers of the text fields to replace, e.g. `["/step/note"]`.
    public var paths: [String]
    /// Why (kept in the log with the redaction).
    public var reason: String

    public init(event: UUID? = nil, position: Int64? = nil, paths: [String], reason: String) {
        self.event = event
        self.position = position
        self.paths = paths
        self.reason = reason
    }
}

/// What a redaction recorded.
public struct RedactionOutcome: Codable, Sendable, Hashable {
    /// The `PayloadRedacted` event.
    public var redaction: UUID
    public var redactionPosition: Int64
    public var event: UUID
    public var position: Int64
    public var paths: [String]
    public var originalPayloadHash: String
    public var redactedPayloadHash: String
}

/// Records redactions: checks the request against the event, builds the redacted payload and appends a
/// `PayloadRedacted` event, whose trigger replaces the payload in the same transaction (`docs/audit.md`).
public struct Redactor: Sendable {
    public let service: AccordService
    static let maximumAttempts = 5

    public init(service: AccordService) { self.service = service }

    public func redact(_ request: RedactionRequest, actor: ActorRef) async throws(ServiceError) -> RedactionOutcome {
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .invalidRequest("reason: say why the text is redacted") }
        guard reason.count <= 1000 else { throw .invalidRequest("reason: at most 1000 characters") }
        guard !request.paths.isEmpty else { throw .invalidRequest("paths: name at least one field, e.g. /step/note") }
        guard request.paths.count <= 20 else { throw .invalidRequest("paths: at most 20 fields at once") }
        guard Set(request.paths).count == request.paths.count else { throw .invalidRequest("paths: a field is named twice") }
        for path in request.paths {
            if let problem = RedactionPaths.validate(path) { throw .invalidRequest("paths: \(problem)") }
        }
        let store = service.store
        var attempt = 0
        while true {
            attempt += 1
            do {
                let position = try await resolvePosition(request)
                let version = try await store.streamVersion(PayloadRedaction.stream)
                guard let target = try await store.readAll(after: position - 1, limit: 1).first, target.position == position else {
                    throw ServiceError.notFound("event at position \(position)")
                }
                if let id = request.event, id != target.id {
                    throw ServiceError.invalidRequest("event \(id.lowercaseText) is not at position \(position)")
                }
                guard target.type != PayloadRedaction.eventType else { throw ServiceError.invalidRequest("a redaction event cannot itself be redacted") }
                let redacted = try RedactionPaths.redact(target.payload.bytes, paths: request.paths)
                if target.schemaVersion == DomainEvent.schemaVersion {
                    do {
                        _ = try DomainEvent.decode(type: target.type, schemaVersion: target.schemaVersion, payload: Data(redacted))
                    } catch {
                        throw ServiceError.invalidRequest("redacting \(request.paths.joined(separator: ", ")) would leave a \(target.type) event the domain cannot read (an identifier or a code cannot be redacted)")
                    }
                }
                let record = PayloadRedaction(
                    event: target.id, position: target.position, type: target.type, paths: request.paths, reason: reason,
                    redactedPayload: String(decoding: redacted, as: UTF8.self), originalPayloadHash: target.payloadHash.hex,
                    redactedPayloadHash: SHA256Hash.of(redacted).hex)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let payload = try JSONPayload(canonicalizing: [UInt8](try encoder.encode(record)), maximumBytes: store.limits.maximumPayloadBytes)
                let event = ProposedEvent(type: PayloadRedaction.eventType, schemaVersion: DomainEvent.schemaVersion, payload: payload,
                                          actor: EventActor(id: actor.id, name: actor.name), causationId: target.id,
                                          occurredAt: service.clock.now())
                let result = try await store.append(to: PayloadRedaction.stream, expectedVersion: version.map { .exactly($0) } ?? .noStream, events: [event])
                try await service.log.ingest(upTo: result.lastPosition)
                return RedactionOutcome(redaction: event.id, redactionPosition: result.lastPosition, event: target.id, position: target.position,
                                        paths: request.paths, originalPayloadHash: record.originalPayloadHash,
                                        redactedPayloadHash: record.redactedPayloadHash)
            } catch let error as EventStoreError {
                // Another redaction was recorded meanwhile: redact again from the payload it left.
                if case .wrongExpectedVersion = error, attempt < Self.maximumAttempts { continue }
                throw .store(error)
            } catch {
                throw ServiceError.wrap(error)
            }
        }
    }

    func resolvePosition(_ request: RedactionRequest) async throws(ServiceError) -> Int64 {
        if let position = request.position {
            guard position >= 1 else { throw .invalidRequest("position: a log position is 1 or more") }
            return position
        }
        guard let id = request.event else { throw .invalidRequest("name the event by 'event' (its id) or 'position'") }
        if let placement = await service.log.placement(of: EntryID(id)) { return placement.position }
        throw .notFound("event \(id.lowercaseText) (give its log position instead)")
    }
}
