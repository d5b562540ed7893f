import AccordDomain
import AccordEventStore
@testable import AccordService
import AccordTestSupport
import Testing

/// The notifier and the event index reuse the domain log's decoded payloads (`DecodedEvents`): what they get must
/// be exactly what decoding the event they read would give.
@Suite("Decoded events")
struct DecodedEventsTests {
    /// The demo's log, as the store serves it.
    static func demoLog(_ service: AccordService) async throws -> [RecordedEvent] {
        try await service.loadDemo()
        let events = try await service.store.readAll(after: 0, limit: 10_000)
        #expect(events.count > 100)
        return events
    }

    @Test("a kept payload gives the envelope decoding gives", arguments: Backend.allCases)
    func sameAsDecoding(_ backend: Backend) async throws {
        try await withService(backend) { service in
            let events = try await Self.demoLog(service)
            let decoded = DecodedEvents()
            for event in events { _ = try decoded.decode(event) }
            for event in events {
                #expect(decoded.kept(event) != nil)
                #expect(try decoded.envelope(event) == EventCodec.envelope(event))
            }
            // The domain log's own, as the notifier and the event index use it.
            for event in events {
                #expect(try service.log.decoded.envelope(event) == EventCodec.envelope(event))
            }
        }
    }

    @Test("other bytes at a kept position (a redacted event) are decoded anew", arguments: [Backend.sqlite])
    func otherBytes(_ backend: Backend) async throws {
        try await withService(backend) { service in
            let events = try await Self.demoLog(service)
            let registered = events.filter { $0.type == "PartyRegistered" }
            let (first, second) = (try #require(registered.first), try #require(registered.last))
            let decoded = DecodedEvents()
            _ = try decoded.decode(first)
            var changed = first
            changed.payload = second.payload
            #expect(decoded.kept(changed) == nil)
            let envelope = try #require(try decoded.envelope(changed))
            #expect(envelope == (try EventCodec.envelope(changed)))
            #expect(envelope != (try EventCodec.envelope(first)))
            // And the first bytes, asked again, are not taken for the second's.
            #expect(try decoded.envelope(first) == EventCodec.envelope(first))
        }
    }

    @Test("a reader further behind than the kept positions decodes for itself", arguments: [Backend.sqlite])
    func evicted(_ backend: Backend) async throws {
        try await withService(backend) { service in
            let events = try await Self.demoLog(service)
            let decoded = DecodedEvents(capacity: 8)
            for event in events { _ = try decoded.decode(event) }
            #expect(events.suffix(8).allSatisfy { decoded.kept($0) != nil })
            for event in events.prefix(20) {
                #expect(decoded.kept(event) == nil)
                #expect(try decoded.envelope(event) == EventCodec.envelope(event))
            }
            // An older position decoded late does not push out a newer one sharing its slot.
            let last = try #require(events.last)
            _ = try decoded.decode(events[events.count - 9])
            #expect(decoded.kept(last) != nil)
            #expect(decoded.kept(events[events.count - 9]) == nil)
            #expect(try decoded.envelope(last) == EventCodec.envelope(last))
        }
    }
}
