import AccordEventStore
import AccordTime
import Foundation
import Testing

@Suite("Chain hash layout")
struct ChainLayoutTests {
    /// The expected digests were computed outside Swift, from the layout in `docs/event-store.md` (Python:
    /// hashlib.sha256 over the concatenated fields), so the code and the document are checked against each other.
    @Test("the chain hash of a known event matches the documented layout")
    func goldenVector() throws {
        let payload = try JSONPayload(canonicalizing: #"{"a":1}"#)
        let payloadHash = SHA256Hash.of(payload.bytes)
        #expect(payloadHash.hex == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862")
        let previous = try #require(SHA256Hash(bytes: Array(0..<32)))
        let chain = EventChain.chainHash(
            previous: previous, position: 42, id: try #require(UUID(uuidString: "0190f5c2-7a1b-7c3d-8e4f-0123456789ab")),
            stream: "process-ü1", streamVersion: 7, type: "PositionRecorded", schemaVersion: 2,
            actor: EventActor(id: "acct-7", name: "Zoë Officer"),
            correlationId: UUID(uuidString: "11111111-2222-4333-8444-555555555555"), causationId: nil,
            occurredAt: Instant(microsecondsSinceEpoch: -1_000), recordedAt: Instant(microsecondsSinceEpoch: 1_750_000_000_123_456),
            payloadHash: payloadHash)
        #expect(chain.hex == "63c60fe15f221f3459504751f00bb6d282b516b1b083324197d7dd86c7cc2c59")
    }
}
