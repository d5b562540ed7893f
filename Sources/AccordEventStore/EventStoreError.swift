import Foundation

/// Every way an append or read can fail that a caller can act on. Nothing is written when an append throws.
public enum EventStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stream was not at the expected version. `actual` is nil when the stream does not exist.
    case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: Int64?)
    /// An event id was appended before with different content (stream, type, schema version or payload).
    case idempotencyConflict(eventId: UUID, reason: String)
    /// The same event id appears twice in one append.
    case duplicateEventInAppend(eventId: UUID)
    case invalidStreamName(String, reason: String)
    case invalidEventType(String, reason: String)
    /// The actor's id or name cannot be stored (e.g. it contains a NUL character, which PostgreSQL text refuses).
    case invalidActor(String, reason: String)
    case invalidPayload(reason: String)
    case payloadTooLarge(bytes: Int, limit: Int)
    case invalidExpectedVersion(String)
    case emptyAppend
    /// The same stream appears twice in one atomic append.
    case duplicateStreamInAppend(stream: String)
    /// The database was written by a newer Accord; this binary refuses to touch it.
    case databaseTooNew(databaseVersion: Int, supportedVersion: Int)
    /// A migration failed; the transaction was rolled back.
    case migrationFailed(version: Int, name: String, reason: String)
    /// The database cannot be reached (connection refused, server restarting, disk gone).
    case unavailable(String)
    /// Any other database error, with the engine's message.
    case database(String)

    public var description: String {
        switch self {
        case let .wrongExpectedVersion(stream, expected, actual):
            let actualText = actual.map { "is at version \($0)" } ?? "does not exist"
            return "stream '\(stream)' \(actualText), but the append expected \(expected)"
        case let .idempotencyConflict(id, reason):
            return "event \(id.uuidString.lowercased()) was already recorded with different content (\(reason))"
        case let .duplicateEventInAppend(id):
            return "event \(id.uuidString.lowercased()) appears more than once in the same append"
        case let .invalidStreamName(name, reason):
            return "invalid stream name '\(name)': \(reason)"
        case let .invalidEventType(type, reason):
            return "invalid event type '\(type)': \(reason)"
        case let .invalidActor(actor, reason):
            return "invalid actor '\(actor)': \(reason)"
        case let .invalidPayload(reason):
            return "invalid payload: \(reason)"
        case let .payloadTooLarge(bytes, limit):
            return "payload of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .invalidExpectedVersion(text):
            return "invalid expected version '\(text)': use 'any', 'no-stream' or a version number ≥ 0"
        case .emptyAppend:
            return "an append needs at least one event"
        case let .duplicateStreamInAppend(stream):
            return "stream '\(stream)' appears more than once in the same append"
        case let .databaseTooNew(databaseVersion, supportedVersion):
            return "the database is at schema version \(databaseVersion), written by a newer Accord; "
                + "this binary supports up to version \(supportedVersion). Upgrade Accord before using this database."
        case let .migrationFailed(version, name, reason):
            return "migration \(version) (\(name)) failed and was rolled back: \(reason)"
        case let .unavailable(reason):
            return "the database is unavailable: \(reason)"
        case let .database(message):
            return "database error: \(message)"
        }
    }
}
