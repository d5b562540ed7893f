import AccordDomain
import Foundation

/// Constants of Accord's CloudEvents.
public enum CloudEventFormat {
    /// Every Accord event type starts with it: `org.accord.rule.satisfied`.
    public static let typePrefix = "org.accord."
    /// The structured content mode of the CloudEvents HTTP binding.
    public static let contentType = "application/cloudevents+json"
}

/// A CloudEvents 1.0 event in the structured JSON format: the body of every webhook request and the `data` of
/// every SSE message. The bytes are fixed when the notification is produced, so every attempt and every stream
/// sends the same document.
struct CloudEvent<Data: Encodable & Sendable>: Encodable, Sendable {

    var specversion = "1.0"
    var id: String
    /// The producer's context: the process (`/v1/processes/{id}`), or the subscription for a ping.
    var source: String
    var type: String
    /// When the occurrence took effect (RFC 3339).
    var time: Instant
    /// What in the source it is about: `rules/{rule}`, `deadlines/{id}`, `parties/{code}`.
    var subject: String?
    var datacontenttype = "application/json"
    /// The extension `sequence`: the log position that caused the event, zero-padded to 19 digits so that it
    /// orders lexicographically as the extension requires.
    var sequence: String
    /// The extension `recordedtime`: when the causing event was recorded in the log.
    var recordedtime: Instant
    var data: Data

    init(id: String, source: String, type: String, time: Instant, subject: String?, sequence: Int64, recordedtime: Instant, data: Data) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.sequence = Self.sequenceText(sequence)
        self.recordedtime = recordedtime
        self.data = data
    }

    static func sequenceText(_ position: Int64) -> String {
        let digits = String(max(0, position))
        return String(repeating: "0", count: max(0, 19 - digits.count)) + digits
    }

    /// Canonical bytes: keys sorted, no escaped slashes (Foundation's form, written by `CanonicalJSON`).
    func encoded() -> [UInt8] {
        // Notification payloads are built from domain values that always encode.
        (try? CanonicalJSON.encode(self)) ?? Array("{}".utf8)
    }
}

extension CloudEvent where Data == NotificationPayload {
    /// The CloudEvent of a notification.
    init(notification id: UUID, payload: NotificationPayload, subject: String?) {
        self.init(
            id: id.lowercaseText, source: "/v1/processes/\(payload.process.id)", type: payload.notification.cloudEventType,
            time: payload.effectiveAt, subject: subject, sequence: payload.position, recordedtime: payload.recordedAt, data: payload)
    }
}
