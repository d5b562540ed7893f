/// An event payload: a JSON object held in Accord's canonical form.
///
/// The payload hash in the chain is computed over these exact bytes, so two payloads that mean the same thing
/// must be byte-identical. The canonical form (see `docs/event-store.md`):
/// - no insignificant whitespace;
/// - object members sorted by the UTF-8 bytes of their keys; duplicate keys are refused;
/// - strings escape only `"`, `\` and control characters (`\b \f \n \r \t`, others as `\u00xx`), everything
///   else is literal UTF-8; invalid UTF-8 and unpaired surrogates are refused;
/// - numbers are kept exactly as written (the JSON grammar is checked), so no precision is ever lost;
/// - `true`, `false`, `null` as literals; nesting at most 64 deep.
///
/// Canonicalising canonical bytes returns them unchanged, which is what lets `accord verify` recompute a
/// payload hash from an exported line.
public struct JSONPayload: Sendable, Hashable, CustomStringConvertible {
    public static let defaultMaximumBytes = 64 * 1024

    /// Canonical UTF-8 bytes of a JSON object.
    public let bytes: [UInt8]

    /// Validates and canonicalises `input`. Throws `invalidPayload` (with the byte offset) or `payloadTooLarge`.
    public init(canonicalizing input: some Collection<UInt8>, maximumBytes: Int = JSONPayload.defaultMaximumBytes)
        throws(EventStoreError)
    {
        let raw = Array(input)
        guard raw.count <= maximumBytes else { throw .payloadTooLarge(bytes: raw.count, limit: maximumBytes) }
        do {
            bytes = try CanonicalJSON.canonicalize(raw, requireObject: true)
        } catch {
            throw .invalidPayload(reason: error.description)
        }
        guard bytes.count <= maximumBytes else { throw .payloadTooLarge(bytes: bytes.count, limit: maximumBytes) }
    }

    public init(canonicalizing text: String, maximumBytes: Int = JSONPayload.defaultMaximumBytes)
        throws(EventStoreError)
    {
        try self.init(canonicalizing: Array(text.utf8), maximumBytes: maximumBytes)
    }

    /// Bytes read back from the log, which were canonicalised when they were appended.
    public init(trustedCanonicalBytes bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { string }

    public static let emptyObject = JSONPayload(trustedCanonicalBytes: Array("{}".utf8))
}

/// A parse error with the byte offset at which the input stopped being valid.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public var description: String { "\(message) at byte \(offset)" }
}

/// Parser and serialiser for the canonical form described on `JSONPayload`.
public enum CanonicalJSON {
    public static let maximumDepth = 64

    public static func canonicalize(_ input: [UInt8], requireObject: Bool) throws(JSONSyntaxError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        try input.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) in
            var parser = Parser(buffer: buffer)
            parser.skipWhitespace()
            if requireObject, parser.peek() != UInt8(ascii: "{") {
                throw JSONSyntaxError(offset: parser.index, message: "the payload must be a JSON object")
            }
            try parser.value(into: &output, depth: 0)
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw JSONSyntaxError(offset: parser.index, message: "unexpected text after the JSON value")
            }
        }
        return output
    }

    /// Appends `string` to `output` as a canonical JSON string literal.
    public static func appendString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 { appendEscaped(byte, to: &output) }
        output.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func appendEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
        case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0..<0x20:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: output.append(byte)
        }
    }

    struct Parser {
        let buffer: UnsafeBufferPointer<UInt8>
        var index = 0

        init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

        @inline(__always) func peek() -> UInt8? { index < buffer.count ? buffer[index] : nil }

        mutating func skipWhitespace() {
            while index < buffer.count {
                switch buffer[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, message: message) }

        mutating func value(into output: inout [UInt8], depth: Int) throws(JSONSyntaxError) {
            guard depth <= CanonicalJSON.maximumDepth else {
                throw fail("nesting deeper than \(CanonicalJSON.maximumDepth) levels")
            }
            skipWhitespace()
            guard let c = peek() else { throw fail("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"): try object(into: &output, depth: depth + 1)
            case UInt8(ascii: "["): try array(into: &output, depth: depth + 1)
            case UInt8(ascii: "\""):
                output.append(UInt8(ascii: "\""))
                try string(into: &output, escaped: true)
                output.append(UInt8(ascii: "\""))
            case UInt8(ascii: "t"): try literal("true", into: &output)
            case UInt8(ascii: "f"): try literal("false", into: &output)
            case UInt8(ascii: "n"): try literal("null", into: &output)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(into: &output)
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString, into output: inout [UInt8]) throws(JSONSyntaxError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= buffer.count else { throw fail("invalid literal") }
            let start = word.utf8Start
            for i in 0..<count where buffer[index + i] != start[i] { throw fail("invalid literal") }
            output.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
            index += count
        }

        mutating func number(into output: inout [UInt8]) throws(JSONSyntaxError) {
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            guard let first = peek(), isDigit(first) else { throw fail("invalid number") }
            if first == UInt8(ascii: "0") {
                index += 1
                if let next = peek(), isDigit(next) { throw fail("numbers cannot have leading zeros") }
            } else {
                while let d = peek(), isDigit(d) { index += 1 }
            }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard let d = peek(), isDigit(d) else { throw fail("invalid number: digits expected after '.'") }
                while let d = peek(), isDigit(d) { index += 1 }
            }
            if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                index += 1
                if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { index += 1 }
                guard let d = peek(), isDigit(d) else { throw fail("invalid number: digits expected in exponent") }
                while let d = peek(), isDigit(d) { index += 1 }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
        }

        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

        mutating func array(into output: inout [UInt8], depth: Int) throws(JSONSyntaxError) {
            index += 1  // [
            output.append(UInt8(ascii: "["))
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                output.append(UInt8(ascii: "]"))
                return
            }
            while true {
                try value(into: &output, depth: depth)
                skipWhitespace()
                guard let c = peek() else { throw fail("unexpected end of input in array") }
                index += 1
                if c == UInt8(ascii: "]") { break }
                guard c == UInt8(ascii: ",") else {
                    index -= 1
                    throw fail("expected ',' or ']' in array")
                }
                output.append(UInt8(ascii: ","))
            }
            output.append(UInt8(ascii: "]"))
        }

        mutating func object(into output: inout [UInt8], depth: Int) throws(JSONSyntaxError) {
            index += 1  // {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                output.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
                return
            }
            // Members are collected as (raw key bytes, canonical member text) and sorted by key.
            var members: [(key: [UInt8], text: [UInt8])] = []
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key in object") }
                var key: [UInt8] = []
                try string(into: &key, escaped: false)
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
                index += 1
                var text: [UInt8] = []
                text.reserveCapacity(key.count + 16)
                text.append(UInt8(ascii: "\""))
                for b in key { CanonicalJSON.appendEscaped(b, to: &text) }
                text.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
                try value(into: &text, depth: depth)
                members.append((key, text))
                skipWhitespace()
                guard let c = peek() else { throw fail("unexpected end of input in object") }
                index += 1
                if c == UInt8(ascii: "}") { break }
                guard c == UInt8(ascii: ",") else {
                    index -= 1
                    throw fail("expected ',' or '}' in object")
                }
            }
            if members.count > 1 {
                members.sort { $0.key.lexicographicallyPrecedes($1.key) }
                for i in 1..<members.count where members[i].key == members[i - 1].key {
                    throw JSONSyntaxError(
                        offset: index,
                        message: "duplicate key \"\(String(decoding: members[i].key, as: UTF8.self))\" in object")
                }
            }
            output.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: member.text)
            }
            output.append(UInt8(ascii: "}"))
        }

        /// Reads a string literal (the opening quote at `index`). With `escaped`, writes the canonical escaped
        /// content (without quotes); without, writes the decoded UTF-8 bytes (for keys).
        mutating func string(into output: inout [UInt8], escaped: Bool) throws(JSONSyntaxError) {
            index += 1  // opening quote
            while true {
                guard index < buffer.count else { throw fail("unterminated string") }
                let c = buffer[index]
                switch c {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let e = peek() else { throw fail("unterminated escape") }
                    index += 1
                    var decoded: UInt8
                    switch e {
                    case UInt8(ascii: "\""): decoded = 0x22
                    case UInt8(ascii: "\\"): decoded = 0x5C
                    case UInt8(ascii: "/"): decoded = 0x2F
                    case UInt8(ascii: "b"): decoded = 0x08
                    case UInt8(ascii: "f"): decoded = 0x0C
                    case UInt8(ascii: "n"): decoded = 0x0A
                    case UInt8(ascii: "r"): decoded = 0x0D
                    case UInt8(ascii: "t"): decoded = 0x09
                    case UInt8(ascii: "u"):
                        let scalar = try unicodeEscape()
                        var utf8: [UInt8] = []
                        utf8.reserveCapacity(4)
                        for b in UTF8.encode(scalar)! { utf8.append(b) }
                        if escaped {
                            for b in utf8 { CanonicalJSON.appendEscaped(b, to: &output) }
                        } else {
                            output.append(contentsOf: utf8)
                        }
                        continue
                    default:
                        index -= 1
                        throw fail("invalid escape sequence")
                    }
                    if escaped { CanonicalJSON.appendEscaped(decoded, to: &output) } else { output.append(decoded) }
                case 0..<0x20:
                    throw fail("unescaped control character in string")
                case 0..<0x80:
                    output.append(c)
                    index += 1
                default:
                    try multiByte(into: &output)
                }
            }
        }

        /// Copies one validated multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
        mutating func multiByte(into output: inout [UInt8]) throws(JSONSyntaxError) {
            let c = buffer[index]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw fail("invalid UTF-8")
            }
            guard index + length <= buffer.count else { throw fail("truncated UTF-8 sequence") }
            let second = buffer[index + 1]
            guard second >= lower && second <= upper else { throw fail("invalid UTF-8") }
            for i in 2..<max(2, length) where buffer[index + i] & 0xC0 != 0x80 { throw fail("invalid UTF-8") }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<(index + length)]))
            index += length
        }

        mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
            guard index + 4 <= buffer.count else { throw fail("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let h = buffer[index]
                let digit: UInt32
                switch h {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(h - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(h - 0x61 + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(h - 0x41 + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func unicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
            let first = try hex4()
            switch first {
            case 0xD800...0xDBFF:
                guard index + 2 <= buffer.count, buffer[index] == UInt8(ascii: "\\"),
                      buffer[index + 1] == UInt8(ascii: "u") else { throw fail("unpaired surrogate in \\u escape") }
                index += 2
                let second = try hex4()
                guard (0xDC00...0xDFFF).contains(second) else { throw fail("unpaired surrogate in \\u escape") }
                let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw fail("invalid \\u escape") }
                return scalar
            case 0xDC00...0xDFFF:
                throw fail("unpaired surrogate in \\u escape")
            default:
                guard let scalar = Unicode.Scalar(first) else { throw fail("invalid \\u escape") }
                return scalar
            }
        }
    }
}
