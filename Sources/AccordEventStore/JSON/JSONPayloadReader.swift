/// Reading single members of a payload without building a document tree: projections that need two fields
/// of a 250-byte event should not pay for a full `JSONDecoder` pass.
///
/// Works on any valid JSON object, which every stored payload is (validated and canonicalised on append).
extension JSONPayload {
    /// The raw JSON text of the value of top-level member `key` (e.g. `"DE"` with its quotes, `42`, `{…}`);
    /// nil when there is no such member.
    public func rawValue(forKey key: String) -> ArraySlice<UInt8>? {
        var wanted: [UInt8] = []
        CanonicalJSON.appendString(key, to: &wanted)
        return bytes.withUnsafeBufferPointer { buffer -> Range<Int>? in
            var scanner = MemberScanner(buffer: buffer)
            return scanner.findValue(ofQuotedKey: wanted)
        }.map { bytes[$0] }
    }

    /// The value of top-level member `key` when it is a JSON string, with escapes resolved; nil when the member
    /// is absent or not a string.
    public func string(forKey key: String) -> String? {
        guard let raw = rawValue(forKey: key), raw.first == UInt8(ascii: "\"") else { return nil }
        let content = raw.dropFirst().dropLast()
        if !content.contains(UInt8(ascii: "\\")) { return String(decoding: content, as: UTF8.self) }
        return Self.unescape(content)
    }

    /// The value of top-level member `key` when it is a JSON integer that fits in 64 bits.
    public func integer(forKey key: String) -> Int64? {
        guard let raw = rawValue(forKey: key) else { return nil }
        return Int64(String(decoding: raw, as: UTF8.self))
    }

    /// Resolves the escapes of JSON string content (the text between the quotes of a valid string).
    private static func unescape(_ content: ArraySlice<UInt8>) -> String? {
        var scalars = String.UnicodeScalarView()
        var pendingHighSurrogate: UInt32?
        var literal: [UInt8] = []
        var index = content.startIndex
        func flushLiteral() {
            scalars.append(contentsOf: String(decoding: literal, as: UTF8.self).unicodeScalars)
            literal.removeAll(keepingCapacity: true)
        }
        while index < content.endIndex {
            let c = content[index]
            index += 1
            guard c == UInt8(ascii: "\\"), index < content.endIndex else {
                literal.append(c)
                continue
            }
            let e = content[index]
            index += 1
            switch e {
            case UInt8(ascii: "b"): literal.append(0x08)
            case UInt8(ascii: "f"): literal.append(0x0C)
            case UInt8(ascii: "n"): literal.append(0x0A)
            case UInt8(ascii: "r"): literal.append(0x0D)
            case UInt8(ascii: "t"): literal.append(0x09)
            case UInt8(ascii: "u"):
                guard index + 4 <= content.endIndex,
                      let unit = UInt32(String(decoding: content[index..<(index + 4)], as: UTF8.self), radix: 16)
                else { return nil }
                index += 4
                flushLiteral()
                if let high = pendingHighSurrogate, (0xDC00...0xDFFF).contains(unit) {
                    pendingHighSurrogate = nil
                    guard let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)) else { return nil }
                    scalars.append(scalar)
                } else if (0xD800...0xDBFF).contains(unit) {
                    pendingHighSurrogate = unit
                } else {
                    guard let scalar = Unicode.Scalar(unit) else { return nil }
                    scalars.append(scalar)
                }
            default: literal.append(e)
            }
        }
        flushLiteral()
        return pendingHighSurrogate == nil ? String(scalars) : nil
    }
}

/// Walks the members of a JSON object, skipping values by their syntax (strings with escapes, nested
/// brackets) without materialising them.
private struct MemberScanner {
    let buffer: UnsafeBufferPointer<UInt8>
    var index = 0

    /// The byte range of the value whose key, written as a JSON string with its quotes, equals `quotedKey`.
    mutating func findValue(ofQuotedKey quotedKey: [UInt8]) -> Range<Int>? {
        skipWhitespace()
        guard index < buffer.count, buffer[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = index
            skipString()
            let keyEnd = index
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            let valueStart = index
            skipValue()
            let valueEnd = index
            if keyEnd - keyStart == quotedKey.count, buffer[keyStart..<keyEnd].elementsEqual(quotedKey) {
                return valueStart..<valueEnd
            }
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// From an opening quote to just past the closing one.
    mutating func skipString() {
        index += 1
        while index < buffer.count {
            switch buffer[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""):
                index += 1
                return
            default: index += 1
            }
        }
    }

    mutating func skipValue() {
        guard index < buffer.count else { return }
        switch buffer[index] {
        case UInt8(ascii: "\""):
            skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < buffer.count {
                switch buffer[index] {
                case UInt8(ascii: "\""):
                    skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return
                    }
                default: break
                }
                index += 1
            }
        default:
            while index < buffer.count {
                switch buffer[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return
                default: index += 1
                }
            }
        }
    }
}
