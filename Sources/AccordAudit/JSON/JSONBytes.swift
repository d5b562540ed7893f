import AccordEventStore
import AccordTime
import Foundation

/// Writes the pieces of Accord's canonical JSON (the rules of `JSONPayload`) straight into a byte buffer: the
/// export writes a million lines a second through it, so it avoids building strings.
enum JSONBytes {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    static func string(_ value: String, to out: inout [UInt8]) {
        CanonicalJSON.appendString(value, to: &out)
    }

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
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
    }

    /// A quoted lower-case hex digest.
    static func hash(_ hash: SHA256Hash, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        hex(hash.bytes, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A quoted lower-case UUID (`6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01`), or `null`.
    static func uuid(_ id: UUID?, to out: inout [UInt8]) {
        guard let id else {
            raw("null", to: &out)
            return
        }
        let u = id.uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        out.append(UInt8(ascii: "\""))
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        out.append(UInt8(ascii: "\""))
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
