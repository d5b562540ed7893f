import Foundation

/// Encodes `Encodable` values to the bytes Foundation's `JSONEncoder` writes with `[.sortedKeys,
/// .withoutEscapingSlashes]` and default strategies: keys in Unicode scalar order, slashes as they are, the
/// control characters escaped as Foundation does.
///
/// Written by hand because Foundation's encoder on Linux was a tenth of the CPU of a recorded step (the event
/// payload, the notification, the response): it boxes every value and keeps a coding path per value. This one
/// builds a small tree of the values (objects and arrays by reference, so nested containers can fill them
/// later, as the `Encoder` protocol allows) and writes it once. Tests compare its bytes with Foundation's on values
/// of every coding shape and on every event and notification of the demo.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        guard let node = try root(value) else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        var output: [UInt8] = []
        output.reserveCapacity(512)
        write(node, into: &output)
        return output
    }

    /// Which keys `value` writes, and where: what a decoder understood of a request, to tell the fields it did
    /// not (`APICoding`), without writing and parsing the JSON again.
    public static func shape<T: Encodable>(of value: T) throws -> JSONShape {
        try root(value).map(shape) ?? .leaf
    }

    /// The tree of `value`; nil when it encoded nothing.
    static func root<T: Encodable>(_ value: T) throws -> JSONNode? {
        let encoder = CanonicalJSONEncoder(parent: nil, key: nil)
        if let special = try encoder.special(value, key: nil) { return special }
        try value.encode(to: encoder)
        return encoder.node
    }

    static func shape(_ node: JSONNode) -> JSONShape {
        switch node {
        case .object(let object):
            var members: [String: JSONShape] = [:]
            for index in object.sortedIndices() { members[object.keys[index]] = shape(object.values[index]) }
            return .object(members)
        case .array(let array): return .array(array.items.map(shape))
        case .deferred(let encoder): return encoder.node.map(shape) ?? .object([:])
        case .null: return .null
        default: return .leaf
        }
    }

    static func write(_ node: JSONNode, into output: inout [UInt8]) {
        switch node {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let b): output.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .integer(let n): appendInteger(n, to: &output)
        case .unsigned(let n): output.append(contentsOf: String(n).utf8)
        case .double(let d): output.append(contentsOf: format(d).utf8)
        case .number(let text): output.append(contentsOf: text.utf8)
        case .string(let s): appendString(s, to: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, item) in array.items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(item, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for index in object.sortedIndices() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                appendString(object.keys[index], to: &output)
                output.append(UInt8(ascii: ":"))
                write(object.values[index], into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .deferred(let encoder):
            write(encoder.node ?? .object(JSONObjectNode()), into: &output)
        }
    }

    static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        if value >= 0 && value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        output.append(contentsOf: String(value).utf8)
    }

    /// Foundation's form: integral values without a fraction (`1`, `-0`), others as Swift prints them (`0.1`,
    /// `1e+20`, `1e-07`). Accord's own types carry no floating point; this is for completeness.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e16 {
            let integral = Int64(value)
            return integral == 0 && value.sign == .minus ? "-0" : String(integral)
        }
        return "\(value)"
    }

    static func appendString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case 0x08: output.append(contentsOf: #"\b"#.utf8)
                case 0x09: output.append(contentsOf: #"\t"#.utf8)
                case 0x0A: output.append(contentsOf: #"\n"#.utf8)
                case 0x0C: output.append(contentsOf: #"\f"#.utf8)
                case 0x0D: output.append(contentsOf: #"\r"#.utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: #"\u00"#.utf8)
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0x0F)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// A value being encoded. Objects and arrays are references: a container handed out earlier keeps filling the
/// same one.
enum JSONNode {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    /// A number's text as it is (a `Decimal`).
    case number(String)
    case string(String)
    case array(JSONArrayNode)
    case object(JSONObjectNode)
    /// What a super-encoder will have produced by the time the tree is written.
    case deferred(CanonicalJSONEncoder)
}

final class JSONObjectNode {
    var keys: [String] = []
    var values: [JSONNode] = []

    func set(_ key: String, _ value: JSONNode) {
        keys.append(key)
        values.append(value)
    }

    /// The entries in key order; of a key set twice, the last (as Foundation keeps).
    func sortedIndices() -> [Int] {
        let order = keys.indices.sorted { a, b in
            let (x, y) = (keys[a], keys[b])
            return x == y ? a < b : x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        var result: [Int] = []
        result.reserveCapacity(order.count)
        for index in order {
            if let last = result.last, keys[last] == keys[index] {
                result[result.count - 1] = index
            } else {
                result.append(index)
            }
        }
        return result
    }
}

final class JSONArrayNode {
    var items: [JSONNode] = []
}

/// One value's encoder. Its coding path is found through its parents, only when a type asks for it.
final class CanonicalJSONEncoder: Encoder {
    let parent: CanonicalJSONEncoder?
    let key: (any CodingKey)?
    /// What this encoder's value encoded to (nil: nothing yet).
    var node: JSONNode?

    init(parent: CanonicalJSONEncoder?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var current: CanonicalJSONEncoder? = self
        while let encoder = current {
            if let key = encoder.key { path.append(key) }
            current = encoder.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: JSONObjectNode
        if case .object(let existing)? = node {
            object = existing
        } else {
            object = JSONObjectNode()
            node = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: JSONArrayNode
        if case .array(let existing)? = node {
            array = existing
        } else {
            array = JSONArrayNode()
            node = .array(array)
        }
        return UnkeyedContainer(encoder: self, array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    /// The node of `value`: primitives directly, anything else through its own `encode(to:)`.
    func box<T: Encodable>(_ value: T, key: (any CodingKey)? = nil) throws -> JSONNode {
        if let special = try special(value, key: key) { return special }
        let child = CanonicalJSONEncoder(parent: self, key: key)
        try value.encode(to: child)
        return child.node ?? .object(JSONObjectNode())
    }

    /// Primitives met as generic values, and Foundation's special forms for its own types; nil for any other.
    /// Compared by type, not cast: a failed dynamic cast per type per value cost more than the encoding.
    func special<T: Encodable>(_ value: T, key: (any CodingKey)?) throws -> JSONNode? {
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .integer(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == Int64.self { return .integer(unsafeBitCast(value, to: Int64.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Int32.self { return .integer(Int64(unsafeBitCast(value, to: Int32.self))) }
        if T.self == UInt64.self { return .unsigned(unsafeBitCast(value, to: UInt64.self)) }
        if T.self == Double.self { return try number(unsafeBitCast(value, to: Double.self), key: key) }
        if T.self == Date.self { return try number(unsafeBitCast(value, to: Date.self).timeIntervalSinceReferenceDate, key: key) }
        if T.self == URL.self, let url = value as? URL { return .string(url.absoluteString) }
        if T.self == Data.self, let data = value as? Data { return .string(data.base64EncodedString()) }
        if T.self == Decimal.self, let decimal = value as? Decimal { return .number(decimal.description) }
        return nil
    }

    func number(_ value: Double, key: (any CodingKey)?) throws -> JSONNode {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: codingPath + (key.map { [$0] } ?? []), debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        return .double(value)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: CanonicalJSONEncoder
    let object: JSONObjectNode

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws { object.set(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { object.set(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { object.set(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { object.set(key.stringValue, try encoder.number(value, key: key)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { object.set(key.stringValue, try encoder.number(Double("\(value)") ?? 0, key: key)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { object.set(key.stringValue, .integer(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { object.set(key.stringValue, .integer(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { object.set(key.stringValue, .integer(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { object.set(key.stringValue, .integer(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { object.set(key.stringValue, .integer(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { object.set(key.stringValue, .unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { object.set(key.stringValue, .unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { object.set(key.stringValue, .unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { object.set(key.stringValue, .unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { object.set(key.stringValue, .unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        object.set(key.stringValue, try encoder.box(value, key: key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = JSONObjectNode()
        object.set(key.stringValue, .object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: CanonicalJSONEncoder(parent: encoder, key: key), object: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = JSONArrayNode()
        object.set(key.stringValue, .array(nested))
        return UnkeyedContainer(encoder: CanonicalJSONEncoder(parent: encoder, key: key), array: nested)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue, key: key) }

    private func superEncoder(named name: String, key: (any CodingKey)? = nil) -> any Encoder {
        let child = CanonicalJSONEncoder(parent: encoder, key: key ?? IndexKey(stringValue: name))
        object.set(name, .deferred(child))
        return child
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: CanonicalJSONEncoder
    let array: JSONArrayNode

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { array.items.count }

    private var nextKey: IndexKey { IndexKey(intValue: array.items.count) }

    mutating func encodeNil() throws { array.items.append(.null) }
    mutating func encode(_ value: Bool) throws { array.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { array.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws { array.items.append(try encoder.number(value, key: nextKey)) }
    mutating func encode(_ value: Float) throws { array.items.append(try encoder.number(Double("\(value)") ?? 0, key: nextKey)) }
    mutating func encode(_ value: Int) throws { array.items.append(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { array.items.append(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { array.items.append(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { array.items.append(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { array.items.append(.integer(value)) }
    mutating func encode(_ value: UInt) throws { array.items.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { array.items.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { array.items.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { array.items.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { array.items.append(.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        array.items.append(try encoder.box(value, key: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = JSONObjectNode()
        let key = nextKey
        array.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: CanonicalJSONEncoder(parent: encoder, key: key), object: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = JSONArrayNode()
        let key = nextKey
        array.items.append(.array(nested))
        return UnkeyedContainer(encoder: CanonicalJSONEncoder(parent: encoder, key: key), array: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let child = CanonicalJSONEncoder(parent: encoder, key: nextKey)
        array.items.append(.deferred(child))
        return child
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: CanonicalJSONEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    func encodeNil() throws { encoder.node = .null }
    func encode(_ value: Bool) throws { encoder.node = .bool(value) }
    func encode(_ value: String) throws { encoder.node = .string(value) }
    func encode(_ value: Double) throws { encoder.node = try encoder.number(value, key: nil) }
    func encode(_ value: Float) throws { encoder.node = try encoder.number(Double("\(value)") ?? 0, key: nil) }
    func encode(_ value: Int) throws { encoder.node = .integer(Int64(value)) }
    func encode(_ value: Int8) throws { encoder.node = .integer(Int64(value)) }
    func encode(_ value: Int16) throws { encoder.node = .integer(Int64(value)) }
    func encode(_ value: Int32) throws { encoder.node = .integer(Int64(value)) }
    func encode(_ value: Int64) throws { encoder.node = .integer(value) }
    func encode(_ value: UInt) throws { encoder.node = .unsigned(UInt64(value)) }
    func encode(_ value: UInt8) throws { encoder.node = .unsigned(UInt64(value)) }
    func encode(_ value: UInt16) throws { encoder.node = .unsigned(UInt64(value)) }
    func encode(_ value: UInt32) throws { encoder.node = .unsigned(UInt64(value)) }
    func encode(_ value: UInt64) throws { encoder.node = .unsigned(value) }
    func encode<T: Encodable>(_ value: T) throws { encoder.node = try encoder.box(value) }
}

/// An array index or a super-encoder's name as a coding key.
private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}
