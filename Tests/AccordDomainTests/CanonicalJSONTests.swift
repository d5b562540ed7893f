import AccordDomain
import Foundation
import Testing

/// `CanonicalJSON` must write exactly what Foundation's encoder writes with sorted keys and unescaped slashes:
/// stored payloads and notifications keep their bytes whichever wrote them.
@Suite("Canonical JSON")
struct CanonicalJSONTests {
    static func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func same(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try CanonicalJSON.encode(value)
        let theirs = try foundation(value)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self), sourceLocation: sourceLocation)
    }

    struct Nested: Codable {
        var name: String
        var count: Int64
        var flag: Bool
        var maybe: String?
        var list: [Int]
        var map: [String: [String]]
        var inner: Inner?
        struct Inner: Codable { var a: Int; var z: String? }
    }

    /// Written through nested containers and a super-encoder, as hand-written codings may.
    struct Handwritten: Encodable {
        enum Keys: String, CodingKey { case b, a, nested, list, parent }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("second", forKey: .b)
            try container.encodeNil(forKey: .a)
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
            try nested.encode(2, forKey: .b)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            try list.encodeNil()
            var deeper = list.nestedContainer(keyedBy: Keys.self)
            try deeper.encode(true, forKey: .a)
            try list.encode(["x": 1])
            let parent = container.superEncoder(forKey: .parent)
            var single = parent.singleValueContainer()
            try single.encode("from the super-encoder")
        }
    }

    struct Empty: Encodable { func encode(to encoder: any Encoder) throws {} }

    @Test("objects, arrays, optionals, dictionaries and nested containers are written as Foundation writes them")
    func structures() throws {
        try Self.same(Nested(name: "EUFOR/Althea", count: -42, flag: true, maybe: nil, list: [3, 1, 2],
                             map: ["b": ["x"], "a": [], "a10": ["y"], "a9": ["z"], "B": ["upper"]], inner: .init(a: 1, z: nil)))
        try Self.same(Handwritten())
        try Self.same(["empty": Empty()])
        try Self.same([1: "x", 2: "y"])
        try Self.same([String: Int]())
        try Self.same([[Int]]())
        try Self.same(Optional<Int>.none)
        try Self.same("a top-level string")
    }

    @Test("keys sort by code point, later duplicates win")
    func keyOrder() throws {
        try Self.same(["a10": 1, "a9": 2, "B": 3, "a": 4, "é": 5, "Z": 6, "_x": 7, "aa": 8, "A": 9, "a-": 11, "ä": 12, "1": 15, "10": 16, "2": 17])
    }

    @Test("strings: control characters, quotes, backslashes, slashes and non-ASCII text")
    func strings() throws {
        let controls = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined()
        try Self.same([controls + " \"quoted\" back\\slash /path/ \u{7f} \u{2028} é 😀 Ελλάδα 中文", "", "plain"])
        try Self.same(["rtl \u{202E}override", "zero\u{200B}width", "combining e\u{301}"])
    }

    @Test("numbers and Foundation's own types")
    func numbers() throws {
        try Self.same([Int64.max, Int64.min, 0, -1, 9])
        try Self.same([UInt64.max])
        try Self.same([1.0, 1.5, 0.1, -0.0, 123456789.125, 1e15])
        try Self.same([Date(timeIntervalSinceReferenceDate: 1.5)])
        try Self.same([URL(string: "https://example.org/a b?x=1")!])
        try Self.same([Data([1, 2, 3, 255])])
        try Self.same([Decimal(string: "1.25")!])
        try Self.same([UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!])
    }

    @Test("values Foundation refuses are refused: a top-level value that encodes nothing, a non-finite number")
    func refusals() {
        #expect(throws: EncodingError.self) { try CanonicalJSON.encode(Empty()) }
        #expect(throws: EncodingError.self) { try CanonicalJSON.encode([Double.nan]) }
    }

    @Test("the shape of a value names its keys, including those written as null")
    func shape() throws {
        let shape = try CanonicalJSON.shape(of: Handwritten())
        guard case .object(let members) = shape else { Issue.record("not an object: \(shape)"); return }
        #expect(Set(members.keys) == ["a", "b", "nested", "list", "parent"])
        #expect(members["a"] == .null)
        #expect(members["nested"] == .object(["b": .leaf]))
    }
}
