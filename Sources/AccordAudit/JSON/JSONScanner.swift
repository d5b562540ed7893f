import AccordEventStore
import AccordTime
import Foundation

/// Where a line stopped being the JSON the verifier expects.
struct ScanError: Error, Sendable, CustomStringConvertible {
    var offset: Int
    var message: String
    var description: String { "\(message) (at byte \(offset))" }
}

/// A forward-only reader of JSON values in a byte buffer that hands out the byte span of each value, so the
/// verifier can hash an embedded payload exactly as written without parsing it into a tree.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    func fail(_ message: String) -> ScanError { ScanError(offset: index, message: message) }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    mutating func expect(_ byte: UInt8) throws(ScanError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    /// Calls `member` for each member of the object at the current index, with the span of the key's raw bytes
    /// (between its quotes, escapes undecoded: Accord's keys have none); `member` must leave `index` after the
    /// value (by reading or skipping it).
    mutating func object(_ member: (inout JSONScanner, Range<Int>) throws(ScanError) -> Void) throws(ScanError) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let (key, _) = try stringSpan()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated object") }
            let c = bytes[index]
            index += 1
            if c == UInt8(ascii: "}") { return }
            guard c == UInt8(ascii: ",") else {
                index -= 1
                throw fail("expected ',' or '}'")
            }
        }
    }

    /// Whether the bytes in `span` are `key`.
    @inline(__always)
    func matches(_ span: Range<Int>, _ key: [UInt8]) -> Bool {
        guard span.count == key.count, let base = bytes.baseAddress else { return false }
        return key.withUnsafeBytes { key in key.baseAddress.map { memcmp(base + span.lowerBound, $0, span.count) == 0 } ?? span.isEmpty }
    }

    /// Calls `element` for each element of the array at the current index.
    mutating func array(_ element: (inout JSONScanner) throws(ScanError) -> Void) throws(ScanError) {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated array") }
            let c = bytes[index]
            index += 1
            if c == UInt8(ascii: "]") { return }
            guard c == UInt8(ascii: ",") else {
                index -= 1
                throw fail("expected ',' or ']'")
            }
        }
    }

    /// The span of an export line's payload object. In the canonical order `payloadHash` follows the payload, and
    /// its key cannot occur later in the line (strings after it hold no unescaped quote), so the payload ends at
    /// its last occurrence; the payload's strings need not be scanned. Lines in another order are scanned.
    mutating func payloadSpan() throws(ScanError) -> Range<Int> {
        let start = index
        let marker: StaticString = ",\"payloadHash\":\""
        let length = marker.utf8CodeUnitCount
        if let base = bytes.baseAddress, bytes.count - start > length, bytes[start] == UInt8(ascii: "{") {
            // Back from the end over the commas (few, after the payload) to the last `,"payloadHash":"`.
            var end = bytes.count - length
            while end > start {
                if base[end] == UInt8(ascii: ","), memcmp(base + end, marker.utf8Start, length) == 0 {
                    guard base[end - 1] == UInt8(ascii: "}") else { break }
                    index = end
                    return start..<end
                }
                end -= 1
            }
        }
        return try skipValue()
    }

    /// Skips one value and returns its span.
    @discardableResult
    mutating func skipValue() throws(ScanError) -> Range<Int> {
        skipWhitespace()
        let start = index
        guard index < bytes.count else { throw fail("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try stringSpan()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    _ = try stringSpan()
                    continue
                }
                index += 1
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    depth += 1
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return start..<index }
                }
            }
            throw fail("unterminated value")
        default:
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { break }
                index += 1
            }
            guard index > start else { throw fail("expected a value") }
        }
        return start..<index
    }

    /// The span of a string literal's content (between the quotes, escapes undecoded) and whether it has escapes.
    mutating func stringSpan() throws(ScanError) -> (Range<Int>, escaped: Bool) {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let base = bytes.baseAddress else { throw fail("expected a string") }
        let start = index + 1
        var i = start
        var escaped = false
        let end = bytes.count
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                index = i + 1
                return (start..<i, escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 2
            } else {
                i += 1
            }
        }
        index = end
        throw fail("unterminated string")
    }

    /// A string literal's decoded UTF-8 bytes.
    mutating func stringBytes() throws(ScanError) -> [UInt8] {
        let (span, escaped) = try stringSpan()
        if !escaped { return Array(bytes[span]) }
        var literal: [UInt8] = [UInt8(ascii: "\"")]
        literal.append(contentsOf: bytes[span])
        literal.append(UInt8(ascii: "\""))
        do {
            // The canonical parser decodes every escape and checks the UTF-8; the result is a quoted string whose
            // only escapes are the canonical ones, which JSONDecoder then turns into the text.
            let canonical = try CanonicalJSON.canonicalize(literal, requireObject: false)
            let text = try JSONDecoder().decode(String.self, from: Data(canonical))
            return Array(text.utf8)
        } catch {
            throw ScanError(offset: span.lowerBound, message: "invalid string: \(error)")
        }
    }

    mutating func string() throws(ScanError) -> String {
        let save = index
        let (span, escaped) = try stringSpan()
        if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[span]), as: UTF8.self) }
        index = save
        return String(decoding: try stringBytes(), as: UTF8.self)
    }

    /// A string, or nil for `null`.
    mutating func optionalString() throws(ScanError) -> String? {
        if try isNull() { return nil }
        return try string()
    }

    mutating func isNull() throws(ScanError) -> Bool {
        skipWhitespace()
        if index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
           bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") {
            index += 4
            return true
        }
        return false
    }

    mutating func integer() throws(ScanError) -> Int64 {
        skipWhitespace()
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { throw ScanError(offset: start, message: "integer out of range") }
            value = a
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw ScanError(offset: start, message: "expected an integer") }
        return negative ? -value : value
    }

    /// A quoted 64-digit hex SHA-256 digest.
    mutating func hash() throws(ScanError) -> SHA256Hash {
        let start = index
        let (span, _) = try stringSpan()
        guard span.count == 64, let base = bytes.baseAddress else { throw ScanError(offset: start, message: "expected a 64-digit hex hash") }
        // Decoded into 32 bytes on the stack: three hashes per line, no array each.
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &words) { out -> Bool in
            let digits = base + span.lowerBound
            var valid = true
            for i in 0..<32 {
                let high = Self.hexDigit(digits[2 * i]), low = Self.hexDigit(digits[2 * i + 1])
                valid = valid && high < 16 && low < 16
                out[i] = high << 4 | (low & 0x0F)
            }
            return valid
        }
        guard valid else { throw ScanError(offset: start, message: "expected a 64-digit hex hash") }
        return withUnsafeBytes(of: words) { SHA256Hash(digest: $0) }
    }

    /// A hex digit's value; 16 or more for anything else.
    @inline(__always)
    static func hexDigit(_ c: UInt8) -> UInt8 {
        let digit = c &- 0x30, lower = (c | 0x20) &- 0x61
        return digit < 10 ? digit : lower < 6 ? lower &+ 10 : 0xFF
    }

    /// A quoted UUID, or nil for `null`.
    mutating func optionalUUID() throws(ScanError) -> UUID? {
        if try isNull() { return nil }
        return try uuid()
    }

    mutating func uuid() throws(ScanError) -> UUID {
        let start = index
        let (span, _) = try stringSpan()
        guard span.count == 36 else { throw ScanError(offset: start, message: "expected a UUID") }
        var u: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var valid = true
        withUnsafeMutableBytes(of: &u) { out in
            var i = span.lowerBound
            for n in 0..<16 {
                if n == 4 || n == 6 || n == 8 || n == 10 {
                    valid = valid && bytes[i] == UInt8(ascii: "-")
                    i += 1
                }
                let high = Self.hexDigit(bytes[i]), low = Self.hexDigit(bytes[i + 1])
                valid = valid && high < 16 && low < 16
                out[n] = high << 4 | (low & 0x0F)
                i += 2
            }
        }
        guard valid else { throw ScanError(offset: start, message: "expected a UUID") }
        return UUID(uuid: u)
    }

    /// A quoted RFC 3339 instant. The fixed-width form the export writes is read directly; others go through
    /// `Instant(iso8601:)`.
    mutating func instant() throws(ScanError) -> Instant {
        let start = index
        let (span, _) = try stringSpan()
        if span.count == 27, let fast = Self.fixedWidthInstant(bytes, span.lowerBound) { return fast }
        guard let parsed = Instant(iso8601: String(decoding: bytes[span], as: UTF8.self)) else {
            throw ScanError(offset: start, message: "expected an RFC 3339 instant")
        }
        return parsed
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    static func fixedWidthInstant(_ b: UnsafeBufferPointer<UInt8>, _ s: Int) -> Instant? {
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<(from + count) {
                let c = b[s + i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-"), b[s + 10] == UInt8(ascii: "T"),
              b[s + 13] == UInt8(ascii: ":"), b[s + 16] == UInt8(ascii: ":"), b[s + 19] == UInt8(ascii: "."),
              b[s + 26] == UInt8(ascii: "Z"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), let fraction = number(20, 6),
              hour < 24, minute < 60, second < 60,
              let date = CivilDate(year: year, month: month, day: day) else { return nil }
        let seconds = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        return Instant(microsecondsSinceEpoch: seconds * 1_000_000 + fraction)
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
