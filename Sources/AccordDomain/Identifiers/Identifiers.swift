import Foundation

/// A slug-like identifier: 1...64 characters of lower-case letters, digits and `-`, starting with a letter or
/// digit. Used for bodies (`nato`), templates, stages, rules, weight tables and deadlines, so that they read
/// well in URLs, CSV columns and stream names.
public protocol SlugIdentifier: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    var rawValue: String { get }
    init(uncheckedRawValue: String)
}

extension SlugIdentifier {
    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.init(uncheckedRawValue: text)
    }

    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard Self.isValid(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a valid identifier (1–64 lower-case letters, digits and '-')")
        }
        self.init(uncheckedRawValue: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A deciding body: `nato`, `eu-council`, `unsc`, `coalition-of-the-willing`.
public struct BodyID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

public struct TemplateID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

public struct StageID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

public struct RuleID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

public struct WeightTableID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

/// A named deadline of a process, e.g. `silence`.
public struct DeadlineID: SlugIdentifier {
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

/// An identifier that is a UUID, written in lower case: unguessable, and minted offline by anyone.
public protocol UUIDIdentifier: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    var uuid: UUID { get }
    init(_ uuid: UUID)
    /// What a decoding error calls it, with its article: "a process id".
    static var kind: String { get }
}

extension UUIDIdentifier {
    public init?(_ text: String) {
        guard let uuid = UUID(text: text) else { return nil }
        self.init(uuid)
    }

    public var description: String { uuid.lowercaseText }

    /// The order of the lower-case texts.
    public static func < (lhs: Self, rhs: Self) -> Bool { UUID.textOrder(lhs.uuid, rhs.uuid) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not \(Self.kind) (UUID)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A process (a tracked matter).
public struct ProcessID: UUIDIdentifier {
    public let uuid: UUID
    public init(_ uuid: UUID = UUID()) { self.uuid = uuid }
    public static var kind: String { "a process id" }
}

/// An entry of a process (a stage step, a ballot, a deadline...): the id of the event that recorded it.
/// Corrections and retractions point at entries by this id.
public struct EntryID: UUIDIdentifier {
    public let uuid: UUID
    public init(_ uuid: UUID = UUID()) { self.uuid = uuid }
    public static var kind: String { "an entry id" }
}

/// Who did something: an account id and its display name, as stamped by the server.
public struct ActorRef: Hashable, Sendable, Codable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}
