import AccordEventStore
import AccordTime
import Foundation
import Testing

@Suite("Time-ordered event ids")
struct TimeOrderedIDTests {
    @Test("version 7 layout: the time in the first 48 bits, version and variant set, random rest")
    func layout() {
        let instant = Instant(microsecondsSinceEpoch: 1_750_000_000_123_456)
        let id = UUID.timeOrdered(at: instant)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_750_000_000_123)
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        #expect(UUID.timeOrdered(at: instant) != id)
    }

    @Test("ids minted later sort later")
    func ordering() {
        let ids = (0..<50).map { UUID.timeOrdered(at: Instant(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64($0) * 1_000)) }
        let sorted = ids.sorted { $0.uuidString < $1.uuidString }
        #expect(sorted == ids)
        #expect(ProposedEvent(type: "T", payload: .emptyObject, actor: .system, occurredAt: .distantPast).id.uuidString.dropFirst(14).first == "7")
    }
}
