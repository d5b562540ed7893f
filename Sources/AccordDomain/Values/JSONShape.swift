/// The structure of a JSON value: its objects' keys and its arrays' items, the rest left out. What a request
/// body holds is compared with what its decoded value writes back (`CanonicalJSON.shape(of:)`) to name the
/// fields that were not understood.
public indirect enum JSONShape: Sendable, Hashable {
    case object([String: JSONShape])
    case array([JSONShape])
    case null
    /// A string, number or boolean.
    case leaf

    /// The keys present in `self` (with a value other than null) that `known` does not have, as paths
    /// (`details.pledge.troopz`, `steps[2].stage`).
    public func unknownKeys(comparedWith known: JSONShape, path: String = "") -> [String] {
        switch (self, known) {
        case (.object(let given), .object(let knownMembers)):
            return given.keys.sorted().flatMap { key -> [String] in
                guard let value = given[key], value != .null else { return [] }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let knownValue = knownMembers[key] else { return [childPath] }
                return value.unknownKeys(comparedWith: knownValue, path: childPath)
            }
        case (.array(let given), .array(let knownItems)):
            return zip(given, knownItems).enumerated().flatMap { index, pair in
                pair.0.unknownKeys(comparedWith: pair.1, path: "\(path)[\(index)]")
            }
        default:
            // The type took an object and wrote back something else (a custom coding): nothing to compare.
            return []
        }
    }

    /// The shape of JSON text, checked against JSON's grammar (RFC 8259) on the way; nil when it is not JSON
    /// (not UTF-8 included), or nested deeper than `maximumDepth`. Strings are checked, not decoded, except object keys.
    public init?(parsing bytes: [UInt8], maximumDepth: Int = 512) {
        if bytes.contains(where: { $0 >= 0x80 }) {
            var parser = Unicode.UTF8.ForwardParser()
            var iterator = bytes.makeIterator()
            scalars: while true {
                switch parser.parseScalar(from: &iterator) {
                case .valid: continue
                case .emptyInput: break scalars
                case .error: return nil
                }
            }
        }
        var scanner = Scanner(bytes: bytes, maximumDepth: maximumDepth)
        guard let shape = scanner.value(depth: 0) else { return nil }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { return nil }
        self = shape
    }

    private struct Scanner {
        let bytes: [UInt8]
        let maximumDepth: Int
        var index = 0

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func value(depth: Int) -> JSONShape? {
            guard depth <= maximumDepth else { return nil }
            skipWhitespace()
            switch current {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string() == nil ? nil : .leaf
            case UInt8(ascii: "t"): return literal("true") ? .leaf : nil
            case UInt8(ascii: "f"): return literal("false") ? .leaf : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number() ? .leaf : nil
            }
        }

        mutating func object(depth: Int) -> JSONShape? {
            index += 1
            var members: [String: JSONShape] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1) else { return nil }
                members[key] = member
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return .object(members)
                default: return nil
                }
            }
        }

        mutating func array(depth: Int) -> JSONShape? {
            index += 1
            var items: [JSONShape] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return .array(items)
                default: return nil
                }
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func number() -> Bool {
            let isDigit = { (byte: UInt8?) in byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else {
                guard isDigit(current) else { return false }
                while isDigit(current) { index += 1 }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard isDigit(current) else { return false }
                while isDigit(current) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard isDigit(current) else { return false }
                while isDigit(current) { index += 1 }
            }
            return true
        }

        /// Reads a string, checking its escapes; returns its text (decoded when it has escapes).
        mutating func string() -> String? {
            index += 1
            let start = index
            var escaped = false
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    let raw = bytes[start..<index - 1]
                    return escaped ? Self.unescape(raw) : String(decoding: raw, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    escaped = true
                    index += 1
                    guard let next = current else { return nil }
                    if next == UInt8(ascii: "u") {
                        guard let code = hex4(at: index + 1) else { return nil }
                        index += 5
                        // A surrogate stands only in a pair, high then low (as Foundation's parser requires).
                        if (0xDC00..<0xE000).contains(code) { return nil }
                        if (0xD800..<0xDC00).contains(code) {
                            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u"),
                                  let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low) else { return nil }
                            index += 6
                        }
                    } else {
                        guard Array(#""\/bfnrt"#.utf8).contains(next) else { return nil }
                        index += 1
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    index += 1
                }
            }
            return nil
        }

        /// The value of four hex digits at `at`, nil when they are not.
        func hex4(at start: Int) -> UInt32? {
            guard start + 4 <= bytes.count, bytes[start..<start + 4].allSatisfy(Self.isHex) else { return nil }
            return Self.value(ofHex: bytes[start..<start + 4])
        }

        static func value(ofHex digits: ArraySlice<UInt8>) -> UInt32 {
            digits.reduce(0) { value, byte in
                let digit: UInt8 = byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10
                return value << 4 | UInt32(digit)
            }
        }

        static func isHex(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
        }

        /// The text of a string's content with its (already checked) escapes resolved.
        static func unescape(_ raw: ArraySlice<UInt8>) -> String {
            var scalars = String.UnicodeScalarView()
            var bytes: [UInt8] = []
            var index = raw.startIndex
            func flush() {
                scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
                bytes.removeAll(keepingCapacity: true)
            }
            func hex4(_ at: Int) -> UInt32 { value(ofHex: raw[at..<at + 4]) }
            while index < raw.endIndex {
                let byte = raw[index]
                guard byte == UInt8(ascii: "\\") else {
                    bytes.append(byte)
                    index += 1
                    continue
                }
                flush()
                let kind = raw[index + 1]
                index += 2
                switch kind {
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = hex4(index)
                    index += 4
                    if (0xD800..<0xDC00).contains(code), index + 6 <= raw.endIndex, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") {
                        let low = hex4(index + 2)
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            index += 6
                        }
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(kind))
                }
            }
            flush()
            return String(scalars)
        }
    }
}
