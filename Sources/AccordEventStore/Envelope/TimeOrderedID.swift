import AccordTime
import Foundation

extension UUID {
    /// A version-7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.
    ///
    /// The default id of a `ProposedEvent`. Ids minted one after another sort one after another, so each
    /// append adds to the end of the event-id index instead of to a random page of it: an append then writes
    /// one index page instead of one per event, which is most of the cost of a batched append on SQLite.
    public static func timeOrdered(at instant: Instant = SystemWallClock().now()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return timeOrdered(at: instant, using: &generator)
    }

    /// A version-7 UUID whose random bits come from `generator` (deterministic ids for tests and benchmarks).
    public static func timeOrdered(at instant: Instant, using generator: inout some RandomNumberGenerator) -> UUID {
        let milliseconds = UInt64(clamping: max(0, instant.microsecondsSinceEpoch / 1_000)) & 0xFFFF_FFFF_FFFF
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - i))) }
        for i in 6..<16 {
            let word = i < 14 ? random.0 : random.1
            bytes[i] = UInt8(truncatingIfNeeded: word >> (8 * (i % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
