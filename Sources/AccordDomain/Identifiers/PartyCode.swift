/// A nation, by its ISO 3166-1 alpha-2 code (Greece is `GR`, the United Kingdom `GB`).
public struct PartyCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts exactly two ASCII letters; lower case is normalised to upper case.
    public init?(_ text: String) {
        let upper = text.uppercased()
        guard upper.utf8.count == 2, upper.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
        rawValue = upper
    }

    public var description: String { rawValue }

    public static func < (lhs: PartyCode, rhs: PartyCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let code = PartyCode(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an ISO 3166-1 alpha-2 code such as DE or GB")
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
