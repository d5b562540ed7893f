import Foundation

/// UUIDs as text, by hand: on Linux, Foundation's `uuidString` formats with `snprintf` and `UUID(uuidString:)`
/// parses with `sscanf` — a few microseconds each, and every identifier of every event payload, notification and
/// response passes through them (1.7 % of a recorded step's CPU before this). The canonical form only: 36
/// characters, hyphens after the 8th, 12th, 16th and 20th hex digit, either case — stricter than Foundation's
/// `sscanf`, which lets a space or a sign stand in a byte and a stray last character pass.
extension UUID {
    /// The canonical lower-case text, e.g. `6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01`.
    public var lowercaseText: String {
        let bytes = uuid
        return withUnsafeBytes(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                for (index, byte) in raw.enumerated() {
                    if Self.hyphenBefore(byte: index) {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = Self.hexDigits[Int(byte >> 4)]
                    out[at + 1] = Self.hexDigits[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    /// Parses `8-4-4-4-12` hex text in either case; nil for anything else.
    public init?(text: some StringProtocol) {
        var text = String(text)
        let parsed = text.withUTF8 { Self.parse($0) }
        guard let parsed else { return nil }
        self = parsed
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 8-4-4-4-12: a hyphen comes before the 5th, 7th, 9th and 11th byte.
    private static func hyphenBefore(byte index: Int) -> Bool { index == 4 || index == 6 || index == 8 || index == 10 }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard utf8.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let complete = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var at = 0
            for index in 0..<16 {
                if hyphenBefore(byte: index) {
                    guard utf8[at] == UInt8(ascii: "-") else { return false }
                    at += 1
                }
                guard let high = nibble(utf8[at]), let low = nibble(utf8[at + 1]) else { return false }
                out[index] = high << 4 | low
                at += 2
            }
            return true
        }
        return complete ? UUID(uuid: bytes) : nil
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Orders as the lower-case texts do (hex digits sort as their values), without writing them.
    public static func textOrder(_ lhs: UUID, _ rhs: UUID) -> Bool {
        withUnsafeBytes(of: lhs.uuid) { l in
            withUnsafeBytes(of: rhs.uuid) { r in
                l.lexicographicallyPrecedes(r)
            }
        }
    }
}
