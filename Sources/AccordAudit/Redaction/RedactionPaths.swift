import AccordEventStore
import AccordService
import Foundation

/// JSON Pointers (RFC 6901) into a canonical payload, read and replaced at the byte level so the rest of the
/// payload keeps its exact canonical bytes.
public enum RedactionPaths {
    public enum Value: Sendable, Hashable {
        case missing
        /// A string that is already `"[redacted]"`.
        case redactedMarker
        case string
        /// A number, object, array, boolean or null: not redactable.
        case other
    }

    static let markerLiteral = Array("\"\(PayloadRedaction.marker)\"".utf8)

    /// Checks a pointer's form: `/a/b/0`, printable ASCII without quotes or backslashes, at most 200 bytes.
    public static func validate(_ path: String) -> String? {
        guard path.hasPrefix("/"), path.count > 1 else { return "'\(path)' is not a JSON Pointer such as /step/note" }
        guard path.utf8.count <= 200 else { return "a path is at most 200 bytes" }
        guard path.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
            return "'\(path)': use printable ASCII without quotes or backslashes"
        }
        guard !path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().contains(where: \.isEmpty) else {
            return "'\(path)' has an empty segment"
        }
        return nil
    }

    static func tokens(_ path: String) -> [[UInt8]] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            Array($0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~").utf8)
        }
    }

    /// The span of the value at `path`, nil when there is none.
    static func span(of path: String, in payload: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var scanner = JSONScanner(payload)
        do {
            for token in tokens(path) {
                scanner.skipWhitespace()
                guard scanner.index < payload.count else { return nil }
                var found: Int?
                if payload[scanner.index] == UInt8(ascii: "{") {
                    try scanner.object { s, key throws(ScanError) in
                        s.skipWhitespace()
                        if found == nil, s.matches(key, token) { found = s.index }
                        try s.skipValue()
                    }
                } else if payload[scanner.index] == UInt8(ascii: "["), let wanted = Int(String(decoding: token, as: UTF8.self)), wanted >= 0 {
                    var index = 0
                    try scanner.array { s throws(ScanError) in
                        s.skipWhitespace()
                        if index == wanted { found = s.index }
                        index += 1
                        try s.skipValue()
                    }
                } else {
                    return nil
                }
                guard let found else { return nil }
                scanner.index = found
            }
            return try scanner.skipValue()
        } catch {
            return nil
        }
    }

    public static func value(at path: String, in payload: UnsafeBufferPointer<UInt8>) -> Value {
        guard let span = span(of: path, in: payload) else { return .missing }
        let bytes = UnsafeBufferPointer(rebasing: payload[span])
        if bytes.elementsEqual(markerLiteral) { return .redactedMarker }
        return bytes.first == UInt8(ascii: "\"") ? .string : .other
    }

    /// The payload with the string at each path replaced by `"[redacted]"`.
    static func redact(_ payload: [UInt8], paths: [String]) throws(ServiceError) -> [UInt8] {
        var bytes = payload
        for path in paths {
            let found = bytes.withUnsafeBufferPointer { Self.span(of: path, in: $0) }
            guard let span = found else { throw .invalidRequest("the event's payload has no field at \(path)") }
            let current = Array(bytes[span])
            if current == markerLiteral { throw .invalidRequest("\(path) is already redacted") }
            guard current.first == UInt8(ascii: "\"") else {
                throw .invalidRequest("\(path) is not a text field; only text (a name in a note, a source) can be redacted")
            }
            bytes.replaceSubrange(span, with: markerLiteral)
        }
        return bytes
    }
}
