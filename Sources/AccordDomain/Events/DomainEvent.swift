import Foundation

// The facts Accord records. Each is an immutable event; the effective date (`occurredAt`) and the recording
// metadata live in the envelope (`DomainEnvelope`), not in these payloads — except where a correction restates
// an entry's effective date.

public struct PartyRegistered: Hashable, Sendable, Codable {
    public var party: PartyCode
    public var name: String
}

/// An attribute value effective from the event's `occurredAt` (e.g. the population of 1 January 2025).
public struct PartyAttributeSet: Hashable, Sendable, Codable {
    public var party: PartyCode
    public var value: PartyAttributeValue
}

public enum BodyKind: String, Hashable, Sendable, Codable, CaseIterable {
    case alliance
    case unionCouncil = "union-council"
    case securityCouncil = "security-council"
    case coalition
    case other
}

public struct BodyDefined: Hashable, Sendable, Codable {
    public var body: BodyID
    public var name: String
    public var kind: BodyKind
}

/// Membership effective from the event's `occurredAt` (Finland joined NATO on 2023-04-04).
public struct MemberJoined: Hashable, Sendable, Codable {
    public var body: BodyID
    public var party: PartyCode
    /// e.g. `permanent-member` in the UN Security Council.
    public var roles: [String]
}

public struct MemberLeft: Hashable, Sendable, Codable {
    public var body: BodyID
    public var party: PartyCode
}

public struct MemberRolesChanged: Hashable, Sendable, Codable {
    public var body: BodyID
    public var party: PartyCode
    public var roles: [String]
}

/// A weight table version in force from the event's `occurredAt` (the EU Council's population table of a year).
public struct WeightTablePublished: Hashable, Sendable, Codable {
    public var table: WeightTableID
    public var name: String
    public var weights: [PartyCode: Int64]
    public var source: String?

    enum CodingKeys: String, CodingKey { case table, name, weights, source }

    public init(table: WeightTableID, name: String, weights: [PartyCode: Int64], source: String?) {
        self.table = table
        self.name = name
        self.weights = weights
        self.source = source
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        table = try c.decode(WeightTableID.self, forKey: .table)
        name = try c.decode(String.self, forKey: .name)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        let raw = try c.decode([String: Int64].self, forKey: .weights)
        var weights: [PartyCode: Int64] = [:]
        for (key, value) in raw {
            guard let code = PartyCode(key) else {
                throw DecodingError.dataCorruptedError(forKey: .weights, in: c, debugDescription: "'\(key)' is not a party code")
            }
            weights[code] = value
        }
        self.weights = weights
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(table, forKey: .table)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encode(Dictionary(uniqueKeysWithValues: weights.map { ($0.key.rawValue, $0.value) }), forKey: .weights)
    }
}

/// A template version: the definition as written (with `{"param": …}` placeholders) and its content hash.
public struct TemplateRegistered: Hashable, Sendable, Codable {
    public var template: TemplateID
    public var version: Int64
    public var definition: JSONValue
    /// SHA-256 of the canonical JSON of `definition`, computed by the service.
    public var contentHash: String
}

/// The template a process was opened from, pinned.
public struct PinnedTemplate: Hashable, Sendable, Codable {
    public var id: TemplateID
    public var version: Int64
    public var contentHash: String
}

public struct ProcessOpened: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var title: String
    /// An external reference: a Council file number, a NATO document id.
    public var reference: String?
    public var template: PinnedTemplate
    /// The template with the process's parameters substituted: what this process is evaluated with for ever.
    public var definition: ProcessTemplate
    public var parameters: [String: JSONValue]
    public var electorate: ElectorateSpec
    /// The body's members on the opening date, when the electorate is frozen at opening.
    public var frozenMembers: [PartyCode]?
}

/// What a stage step says.
public struct StepContent: Hashable, Sendable, Codable {
    public var party: PartyCode
    public var stage: StageID
    public var details: StepDetails?
    /// A URL or a document id (the parliamentary record, the note verbale).
    public var source: String?
    public var note: String?

    public init(party: PartyCode, stage: StageID, details: StepDetails? = nil, source: String? = nil, note: String? = nil) {
        self.party = party
        self.stage = stage
        self.details = details
        self.source = source
        self.note = note
    }
}

/// What a ballot says.
public struct BallotContent: Hashable, Sendable, Codable {
    public var party: PartyCode
    public var position: BallotPosition
    /// The declaration (qualified abstention), justification (veto), condition (conditional yes) or
    /// reservation (yes with reservation).
    public var statement: String?
    public var source: String?
    public var note: String?

    public init(party: PartyCode, position: BallotPosition, statement: String? = nil, source: String? = nil, note: String? = nil) {
        self.party = party
        self.position = position
        self.statement = statement
        self.source = source
        self.note = note
    }
}

public struct StepRecorded: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var step: StepContent
}

public struct BallotCast: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var ballot: BallotContent
}

/// A party takes back its standing position (an objection withdrawn before the silence deadline).
public struct BallotWithdrawn: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var party: PartyCode
    public var reason: String?
}

/// A deadline instant, set in a named time zone. Both are kept: instants are compared, the local time is shown.
public struct DeadlineValue: Hashable, Sendable, Codable {
    public var at: Instant
    public var timeZone: String
    /// The wall-clock time in `timeZone`, e.g. `2025-06-03T12:00`.
    public var localTime: String

    public init(at: Instant, timeZone: String, localTime: String) {
        self.at = at
        self.timeZone = timeZone
        self.localTime = localTime
    }

    public var display: String { "\(localTime) \(timeZone) (\(at.iso8601))" }
}

public struct DeadlineSet: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var deadline: DeadlineID
    public var value: DeadlineValue
    public var reason: String?
}

public struct DeadlineExtended: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var deadline: DeadlineID
    public var value: DeadlineValue
    public var reason: String?
}

public struct ProcessClosed: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var note: String?
}

/// An entry recorded by mistake: it counts on no date any more (as known from now on). Nothing is deleted.
public struct EntryRetracted: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var entry: EntryID
    public var reason: String
}

/// The corrected content of an entry (a step or a ballot), which replaces what it said — including when it
/// took effect — as known from now on. The original stays in the log.
public struct EntryCorrected: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var entry: EntryID
    public var reason: String
    public var effectiveAt: Instant
    public var step: StepContent?
    public var ballot: BallotContent?
}

/// Everything Accord records about parties, bodies, weights, templates and processes.
public enum DomainEvent: Hashable, Sendable {
    case partyRegistered(PartyRegistered)
    case partyAttributeSet(PartyAttributeSet)
    case bodyDefined(BodyDefined)
    case memberJoined(MemberJoined)
    case memberLeft(MemberLeft)
    case memberRolesChanged(MemberRolesChanged)
    case weightTablePublished(WeightTablePublished)
    case templateRegistered(TemplateRegistered)
    case processOpened(ProcessOpened)
    case stepRecorded(StepRecorded)
    case ballotCast(BallotCast)
    case ballotWithdrawn(BallotWithdrawn)
    case deadlineSet(DeadlineSet)
    case deadlineExtended(DeadlineExtended)
    case processClosed(ProcessClosed)
    case entryRetracted(EntryRetracted)
    case entryCorrected(EntryCorrected)

    /// The event type stored in the log.
    public var typeName: String {
        switch self {
        case .partyRegistered: "PartyRegistered"
        case .partyAttributeSet: "PartyAttributeSet"
        case .bodyDefined: "BodyDefined"
        case .memberJoined: "MemberJoined"
        case .memberLeft: "MemberLeft"
        case .memberRolesChanged: "MemberRolesChanged"
        case .weightTablePublished: "WeightTablePublished"
        case .templateRegistered: "TemplateRegistered"
        case .processOpened: "ProcessOpened"
        case .stepRecorded: "StepRecorded"
        case .ballotCast: "BallotCast"
        case .ballotWithdrawn: "BallotWithdrawn"
        case .deadlineSet: "DeadlineSet"
        case .deadlineExtended: "DeadlineExtended"
        case .processClosed: "ProcessClosed"
        case .entryRetracted: "EntryRetracted"
        case .entryCorrected: "EntryCorrected"
        }
    }

    public static let allTypeNames: [String] = [
        "PartyRegistered", "PartyAttributeSet", "BodyDefined", "MemberJoined", "MemberLeft", "MemberRolesChanged",
        "WeightTablePublished", "TemplateRegistered", "ProcessOpened", "StepRecorded", "BallotCast",
        "BallotWithdrawn", "DeadlineSet", "DeadlineExtended", "ProcessClosed", "EntryRetracted", "EntryCorrected",
    ]

    /// The payload schema version written today. Readers accept this version; an upcaster goes here when a
    /// payload changes shape.
    public static let schemaVersion: Int32 = 1

    /// The stream the event belongs to.
    public var aggregate: AggregateKey {
        switch self {
        case .partyRegistered(let e): .party(e.party)
        case .partyAttributeSet(let e): .party(e.party)
        case .bodyDefined(let e): .body(e.body)
        case .memberJoined(let e): .body(e.body)
        case .memberLeft(let e): .body(e.body)
        case .memberRolesChanged(let e): .body(e.body)
        case .weightTablePublished(let e): .weightTable(e.table)
        case .templateRegistered(let e): .template(e.template)
        case .processOpened(let e): .process(e.process)
        case .stepRecorded(let e): .process(e.process)
        case .ballotCast(let e): .process(e.process)
        case .ballotWithdrawn(let e): .process(e.process)
        case .deadlineSet(let e): .process(e.process)
        case .deadlineExtended(let e): .process(e.process)
        case .processClosed(let e): .process(e.process)
        case .entryRetracted(let e): .process(e.process)
        case .entryCorrected(let e): .process(e.process)
        }
    }

    /// Encodes the payload as JSON (keys sorted; the store canonicalises it further).
    public func encodePayload() throws -> [UInt8] {
        try CanonicalJSON.encode(payload)
    }

    /// The payload as a value of its own: the event's fields, without the type (which the log keeps beside it).
    public var payload: Payload { Payload(event: self) }

    public struct Payload: Encodable, Sendable {
        let event: DomainEvent

        public func encode(to encoder: any Encoder) throws {
            switch event {
            case .partyRegistered(let e): try e.encode(to: encoder)
            case .partyAttributeSet(let e): try e.encode(to: encoder)
            case .bodyDefined(let e): try e.encode(to: encoder)
            case .memberJoined(let e): try e.encode(to: encoder)
            case .memberLeft(let e): try e.encode(to: encoder)
            case .memberRolesChanged(let e): try e.encode(to: encoder)
            case .weightTablePublished(let e): try e.encode(to: encoder)
            case .templateRegistered(let e): try e.encode(to: encoder)
            case .processOpened(let e): try e.encode(to: encoder)
            case .stepRecorded(let e): try e.encode(to: encoder)
            case .ballotCast(let e): try e.encode(to: encoder)
            case .ballotWithdrawn(let e): try e.encode(to: encoder)
            case .deadlineSet(let e): try e.encode(to: encoder)
            case .deadlineExtended(let e): try e.encode(to: encoder)
            case .processClosed(let e): try e.encode(to: encoder)
            case .entryRetracted(let e): try e.encode(to: encoder)
            case .entryCorrected(let e): try e.encode(to: encoder)
            }
        }
    }

    /// Decodes a stored payload. Unknown types return nil (events of other modules share the log).
    public static func decode(type: String, schemaVersion: Int32, payload: Data) throws -> DomainEvent? {
        guard schemaVersion == Self.schemaVersion else {
            throw DomainError.unsupportedSchemaVersion(type: type, version: schemaVersion)
        }
        let d = JSONDecoder()
        switch type {
        case "PartyRegistered": return .partyRegistered(try d.decode(PartyRegistered.self, from: payload))
        case "PartyAttributeSet": return .partyAttributeSet(try d.decode(PartyAttributeSet.self, from: payload))
        case "BodyDefined": return .bodyDefined(try d.decode(BodyDefined.self, from: payload))
        case "MemberJoined": return .memberJoined(try d.decode(MemberJoined.self, from: payload))
        case "MemberLeft": return .memberLeft(try d.decode(MemberLeft.self, from: payload))
        case "MemberRolesChanged": return .memberRolesChanged(try d.decode(MemberRolesChanged.self, from: payload))
        case "WeightTablePublished": return .weightTablePublished(try d.decode(WeightTablePublished.self, from: payload))
        case "TemplateRegistered": return .templateRegistered(try d.decode(TemplateRegistered.self, from: payload))
        case "ProcessOpened": return .processOpened(try d.decode(ProcessOpened.self, from: payload))
        case "StepRecorded": return .stepRecorded(try d.decode(StepRecorded.self, from: payload))
        case "BallotCast": return .ballotCast(try d.decode(BallotCast.self, from: payload))
        case "BallotWithdrawn": return .ballotWithdrawn(try d.decode(BallotWithdrawn.self, from: payload))
        case "DeadlineSet": return .deadlineSet(try d.decode(DeadlineSet.self, from: payload))
        case "DeadlineExtended": return .deadlineExtended(try d.decode(DeadlineExtended.self, from: payload))
        case "ProcessClosed": return .processClosed(try d.decode(ProcessClosed.self, from: payload))
        case "EntryRetracted": return .entryRetracted(try d.decode(EntryRetracted.self, from: payload))
        case "EntryCorrected": return .entryCorrected(try d.decode(EntryCorrected.self, from: payload))
        default: return nil
        }
    }
}

/// The aggregate (and so the stream) an event belongs to.
public enum AggregateKey: Hashable, Sendable, CustomStringConvertible {
    case party(PartyCode)
    case body(BodyID)
    case weightTable(WeightTableID)
    case template(TemplateID)
    case process(ProcessID)

    /// The stream name: `party-DE`, `body-nato`, `weights-eu-council-population`, `template-…`, `process-<uuid>`.
    public var streamName: String {
        switch self {
        case .party(let p): "party-\(p.rawValue)"
        case .body(let b): "body-\(b.rawValue)"
        case .weightTable(let w): "weights-\(w.rawValue)"
        case .template(let t): "template-\(t.rawValue)"
        case .process(let p): "process-\(p.description)"
        }
    }

    public var description: String { streamName }

    public var isReferenceData: Bool {
        if case .process = self { return false }
        return true
    }
}

/// A domain event with what the log says about it.
public struct DomainEnvelope: Hashable, Sendable {
    /// The event id; for process entries also the entry id.
    public var id: EntryID
    public var position: Int64
    public var occurredAt: Instant
    public var recordedAt: Instant
    public var actor: ActorRef
    public var event: DomainEvent

    public init(id: EntryID, position: Int64, occurredAt: Instant, recordedAt: Instant, actor: ActorRef, event: DomainEvent) {
        self.id = id
        self.position = position
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.actor = actor
        self.event = event
    }
}

/// What a reader knew: everything, everything up to a log position, or everything recorded by a time.
public enum KnowledgeCutoff: Hashable, Sendable {
    case everything
    case position(Int64)
    case recordedAt(Instant)

    public func includes(position: Int64, recordedAt: Instant) -> Bool {
        switch self {
        case .everything: true
        case .position(let p): position <= p
        case .recordedAt(let t): recordedAt <= t
        }
    }

    public func includes(_ envelope: DomainEnvelope) -> Bool {
        includes(position: envelope.position, recordedAt: envelope.recordedAt)
    }
}
