import AccordEventStore
import AccordTime
import Foundation

/// Writes the pieces of Accord's canonical JSON (the rules of `JSONPayload`) straight into a byte buffer: the
/// export writes a million lines a second through it, so it avoids building strings.
enum JSONBytes {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A canonical string literal. Most strings need no escape: they are copied in one piece.
    @inline(__always)
    static func string(_ value: String, to out: inout [UInt8]) {
        var value = value
        let copied: Bool = value.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if !copied { CanonicalJSON.appendString(value, to: &out) }
    }

    /// Appends `count` bytes written by `write` into the buffer's new tail, without a bounds check per byte.
    @inline(__always)
    static func appendFixed(_ count: Int, to out: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { write(base + start) }
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble &+ 0x30 : nibble &+ 0x57 }

    @inline(__always)
    static func key(_ name: StaticString, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    @inline(__always)
    static func raw(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func integer(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            }
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buffer in
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    static func hex(_ bytes: [UInt8], to out: inout [UInt8]) {
        appendFixed(bytes.count * 2, to: &out) { p in
            for (i, b) in bytes.enumerated() {
                p[2 * i] = hexDigit(b >> 4)
                p[2 * i + 1] = hexDigit(b & 0x0F)
            }
        }
    }

    /// A quoted lower-case hex digest.
    static func hash(_ hash: SHA256Hash, to out: inout [UInt8]) {
        let bytes = hash.bytes
        appendFixed(bytes.count * 2 + 2, to: &out) { p in
            p[0] = UInt8(ascii: "\"")
            for (i, b) in bytes.enumerated() {
                p[1 + 2 * i] = hexDigit(b >> 4)
                p[2 + 2 * i] = hexDigit(b & 0x0F)
            }
            p[bytes.count * 2 + 1] = UInt8(ascii: "\"")
        }
    }

    /// A quoted lower-case UUID (`6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01`), or `null`.
    static func uuid(_ id: UUID?, to out: inout [UInt8]) {
        guard let id else {
            raw("null", to: &out)
            return
        }
        var u = id.uuid
        withUnsafeBytes(of: &u) { bytes in
            appendFixed(38, to: &out) { p in
                p[0] = UInt8(ascii: "\"")
                var j = 1
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        p[j] = UInt8(ascii: "-")
                        j += 1
                    }
                    p[j] = hexDigit(bytes[i] >> 4)
                    p[j + 1] = hexDigit(bytes[i] & 0x0F)
                    j += 2
                }
                p[37] = UInt8(ascii: "\"")
            }
        }
    }

    /// A quoted RFC 3339 instant with microseconds, exactly as `Instant.iso8601` writes it.
    static func instant(_ instant: Instant, to out: inout [UInt8]) {
        let days = floorDivide(instant.microsecondsSinceEpoch, 86_400_000_000)
        let date = CivilDate(daysSinceEpoch: days)
        guard (0...9999).contains(date.year) else {
            string(instant.iso8601, to: &out)
            return
        }
        let micros = instant.microsecondsSinceEpoch - days * 86_400_000_000
        let seconds = micros / 1_000_000
        out.append(UInt8(ascii: "\""))
        digits(date.year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        digits(date.month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        digits(date.day, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        digits((seconds / 60) % 60, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2, to: &out)
        out.append(UInt8(ascii: "."))
        digits(micros % 1_000_000, 6, to: &out)
        out.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    @inline(__always)
    static func digits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: v / divisor) + 0x30)
            v %= divisor
            divisor /= 10
        }
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
