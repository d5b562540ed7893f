import AccordTime
import Foundation

/// A stream's name: the unit of optimistic concurrency (e.g. `process-6f1c…`, `party-DE`).
///
/// Names are 1...200 bytes of UTF-8 without control characters, so they are safe in logs, URLs and CSV.
public struct StreamName: Hashable, Sendable, CustomStringConvertible, Comparable {
    public static let maximumUTF8Length = 200

    public let rawValue: String

    public init(_ rawValue: String) throws(EventStoreError) {
        let length = rawValue.utf8.count
        guard length > 0 else { throw .invalidStreamName(rawValue, reason: "a stream name cannot be empty") }
        guard length <= Self.maximumUTF8Length else {
            throw .invalidStreamName(
                String(rawValue.prefix(40)) + "…",
                reason: "a stream name is at most \(Self.maximumUTF8Length) bytes; this one has \(length)")
        }
        if rawValue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidStreamName(rawValue, reason: "a stream name cannot contain control characters")
        }
        self.rawValue = rawValue
    }

    /// For names read back from the database, which were validated when they were written.
    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: StreamName, rhs: StreamName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What the writer believes about the stream before appending. Stream versions count from 0: a stream whose
/// last event has version `n` holds `n + 1` events.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// Append whatever the stream holds (no concurrency check).
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have exactly this version.
    case exactly(Int64)

    /// Parses the textual forms used by the API and the CLI: `any`, `no-stream`, or a version number ≥ 0.
    public init(parsing text: String) throws(EventStoreError) {
        switch text {
        case "any": self = .any
        case "no-stream", "no_stream", "-1": self = .noStream
        default:
            guard let n = Int64(text), n >= 0, text.allSatisfy(\.isASCII) else {
                throw .invalidExpectedVersion(text)
            }
            self = .exactly(n)
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no-stream"
        case .exactly(let n): String(n)
        }
    }

    /// Whether a stream currently at `actual` (nil: no stream) satisfies the expectation.
    public func isSatisfied(byActualVersion actual: Int64?) -> Bool {
        switch self {
        case .any: true
        case .noStream: actual == nil
        case .exactly(let n): actual == n
        }
    }
}

/// Who recorded an event: the acting account. Set by the server from the authenticated caller, never by the
/// caller's payload.
public struct EventActor: Hashable, Sendable, Codable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    public static let system = EventActor(id: "system", name: "Accord")
}

/// An event the caller wants to append.
public struct ProposedEvent: Sendable, Hashable {
    public var id: UUID
    public var type: String
    public var schemaVersion: Int32
    public var payload: JSONPayload
    public var actor: EventActor
    public var correlationId: UUID?
    public var causationId: UUID?
    /// When the fact took effect; chosen by the person recording it and may lie in the past.
    public var occurredAt: Instant

    public init(
        id: UUID = .timeOrdered(), type: String, schemaVersion: Int32 = 1, payload: JSONPayload,
        actor: EventActor, correlationId: UUID? = nil, causationId: UUID? = nil, occurredAt: Instant
    ) {
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.occurredAt = occurredAt
    }
}

/// An event as the log holds it.
public struct RecordedEvent: Sendable, Hashable {
    /// 1-based, dense, gap-free position in the global log.
    public var position: Int64
    public var id: UUID
    public var stream: StreamName
    public var streamVersion: Int64
    public var type: String
    public var schemaVersion: Int32
    public var payload: JSONPayload
    public var actor: EventActor
    public var correlationId: UUID?
    public var causationId: UUID?
    public var occurredAt: Instant
    /// The server clock (UTC, microseconds) when the event was committed to the log.
    public var recordedAt: Instant
    public var payloadHash: SHA256Hash
    public var previousChainHash: SHA256Hash
    public var chainHash: SHA256Hash

    public init(
        position: Int64, id: UUID, stream: StreamName, streamVersion: Int64, type: String, schemaVersion: Int32,
        payload: JSONPayload, actor: EventActor, correlationId: UUID?, causationId: UUID?,
        occurredAt: Instant, recordedAt: Instant, payloadHash: SHA256Hash, previousChainHash: SHA256Hash,
        chainHash: SHA256Hash
    ) {
        self.position = position
        self.id = id
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.payloadHash = payloadHash
        self.previousChainHash = previousChainHash
        self.chainHash = chainHash
    }
}

/// One stream's part of an atomic append.
public struct StreamAppend: Sendable, Hashable {
    public var stream: StreamName
    public var expectedVersion: ExpectedVersion
    public var events: [ProposedEvent]

    public init(stream: StreamName, expectedVersion: ExpectedVersion, events: [ProposedEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// Where an append's events landed.
public struct AppendResult: Sendable, Hashable {
    public struct Placement: Sendable, Hashable {
        public var eventId: UUID
        public var stream: StreamName
        public var streamVersion: Int64
        public var position: Int64
        public var recordedAt: Instant
    }

    /// One entry per proposed event, in the order given.
    public var placements: [Placement]
    /// True when every event had been appended before (an idempotent retry): nothing new was written.
    public var wasAlreadyRecorded: Bool
    /// The events as written by this append, in position order (empty for an idempotent retry): what a reader
    /// of the log will find at those positions, so the writer's own projections need not read them back.
    public var events: [RecordedEvent]

    public init(placements: [Placement], wasAlreadyRecorded: Bool, events: [RecordedEvent] = []) {
        self.placements = placements
        self.wasAlreadyRecorded = wasAlreadyRecorded
        self.events = events
    }

    public var lastPosition: Int64 { placements.last?.position ?? 0 }

    /// The version of `stream` after the append.
    public func version(of stream: StreamName) -> Int64? {
        placements.last(where: { $0.stream == stream })?.streamVersion
    }
}
