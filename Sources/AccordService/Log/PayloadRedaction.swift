import AccordDomain
import AccordEventStore
import Foundation

/// The payload of a `PayloadRedacted` event: an admin replaced text fields of an earlier event's payload by
/// `"[redacted]"` (who: the event's actor; why: `reason`).
///
/// Appending it replaces the target's payload in the same transaction (a trigger of migration 4), so every read
/// path serves the redacted payload from then on; the domain log, which holds decoded events in memory,
/// re-decodes the target from `redactedPayload` when it reads this event. The chain still verifies: it commits
/// to the original payload's hash, which stays. Design and limits in `docs/audit.md`.
public struct PayloadRedaction: Codable, Hashable, Sendable {
    public static let eventType = "PayloadRedacted"
    /// The stream all redaction events are appended to.
    public static let stream = StreamName(trusted: "audit-redactions")
    /// What replaces each redacted string.
    public static let marker = "[redacted]"

    /// The redacted event.
    public var event: UUID
    public var position: Int64
    public var type: String
    /// JSON Pointers (RFC 6901) of the string values replaced, e.g. `/step/note`.
    public var paths: [String]
    public var reason: String
    /// The canonical payload served from now on.
    public var redactedPayload: String
    /// SHA-256 of the original payload (what the chain commits to) and of the redacted one.
    public var originalPayloadHash: String
    public var redactedPayloadHash: String

    enum CodingKeys: String, CodingKey {
        case event, position, type, paths, reason, redactedPayload, originalPayloadHash, redactedPayloadHash
    }

    /// Ids are written in lower case, as everywhere in the log and its exports.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.lowercaseText, forKey: .event)
        try c.encode(position, forKey: .position)
        try c.encode(type, forKey: .type)
        try c.encode(paths, forKey: .paths)
        try c.encode(reason, forKey: .reason)
        try c.encode(redactedPayload, forKey: .redactedPayload)
        try c.encode(originalPayloadHash, forKey: .originalPayloadHash)
        try c.encode(redactedPayloadHash, forKey: .redactedPayloadHash)
    }

    public init(event: UUID, position: Int64, type: String, paths: [String], reason: String, redactedPayload: String,
                originalPayloadHash: String, redactedPayloadHash: String) {
        self.event = event
        self.position = position
        self.type = type
        self.paths = paths
        self.reason = reason
        self.redactedPayload = redactedPayload
        self.originalPayloadHash = originalPayloadHash
        self.redactedPayloadHash = redactedPayloadHash
    }
}
