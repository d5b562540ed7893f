import AccordEventStore
import AccordTime
import Foundation

/// Workload W of the peer benchmarks (`bench/peers/README.md`): 200 streams `nation-<ISO>-<mission>`, events
/// appended round-robin (event g goes to stream g % 200 at stream position g / 200), six event types, payloads of
/// exactly 250 bytes of compact JSON, an expected version on every append. Deterministic from the seed; built
/// before any timer starts.
struct WorkloadW {
    static let seed: UInt64 = 20_241_125
    static let payloadBytes = 250

    static let nations = [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR",
        "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL",
        "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO", "IS", "GB",
        "US", "CA", "TR", "AL", "ME", "MK", "CH", "UA", "MD", "GE",
        "AM", "RS", "BA", "JP", "KR", "AU", "NZ", "BR", "MX", "ZA",
    ]
    static let missions = ["eufor", "kfor", "unifil", "atalanta"]
    static let eventTypes = [
        "MissionProposed", "CabinetDecisionTaken", "ParliamentaryApprovalRecorded", "BudgetAllocated",
        "TroopsDeployed", "MandateExtended",
    ]
    static let results = ["approved", "rejected", "deferred"]

    struct Event {
        /// 0-based position in W's global order.
        var index: Int
        var streamIndex: Int
        var stream: StreamName
        var nation: String
        /// 0-based position within the stream.
        var position: Int64
        var proposed: ProposedEvent

        /// What the stream must be at before this append.
        var expectedVersion: ExpectedVersion { position == 0 ? .noStream : .exactly(position - 1) }

        var append: StreamAppend {
            StreamAppend(stream: stream, expectedVersion: expectedVersion, events: [proposed])
        }
    }

    struct ProjectionKey: Hashable {
        var nation: String
        var type: String
    }

    let events: [Event]
    let streams: [StreamName]
    /// The count-by-(nation, type) table mode d must rebuild: 300 cells.
    let expectedProjection: [ProjectionKey: Int]

    /// How event ids are made: Accord's own time-ordered ids (UUIDv7, `ProposedEvent`'s default), or random
    /// version-4 ids as an external client might send them.
    enum IDKind: String, CaseIterable {
        case v7
        case random
    }

    init(eventCount: Int, ids: IDKind = .v7) throws {
        var names: [(StreamName, String)] = []
        for nation in Self.nations {
            for mission in Self.missions { names.append((try StreamName("nation-\(nation)-\(mission)"), nation)) }
        }
        streams = names.map(\.0)
        var rng = SplitMix64(seed: Self.seed)
        let actor = EventActor(id: "bench", name: "accord-bench")
        let occurredAt = Instant(microsecondsSinceEpoch: 1_717_200_000_000_000)
        var events: [Event] = []
        events.reserveCapacity(eventCount)
        var projection: [ProjectionKey: Int] = [:]
        for g in 0..<eventCount {
            let s = g % names.count
            let (stream, nation) = names[s]
            let mission = Self.missions[s % Self.missions.count]
            let position = Int64(g / names.count)
            let type = Self.eventTypes[rng.below(Self.eventTypes.count)]
            let payload = try Self.payload(&rng, type: type, nation: nation, mission: mission, seq: position)
            // One millisecond apart, as if recorded one after another.
            let id = ids == .v7
                ? UUID.timeOrdered(at: occurredAt.adding(microseconds: Int64(g) * 1_000), using: &rng)
                : rng.uuid()
            events.append(Event(
                index: g, streamIndex: s, stream: stream, nation: nation, position: position,
                proposed: ProposedEvent(id: id, type: type, payload: payload, actor: actor, occurredAt: occurredAt)))
            projection[ProjectionKey(nation: nation, type: type), default: 0] += 1
        }
        self.events = events
        self.expectedProjection = projection
    }

    private static func payload(
        _ rng: inout SplitMix64, type: String, nation: String, mission: String, seq: Int64
    ) throws -> JSONPayload {
        let recordedAt = String(
            format: "2024-%02d-%02dT%02d:%02d:00Z", 1 + rng.below(12), 1 + rng.below(28), rng.below(24), rng.below(60))
        let base = #"{"type":"\#(type)","nation":"\#(nation)","mission":"\#(mission)","seq":\#(seq),"#
            + #""chamber":"Parliament","result":"\#(results[rng.below(3)])","votesFor":\#(rng.below(701)),"#
            + #""votesAgainst":\#(rng.below(701)),"abstentions":\#(rng.below(101)),"recordedAt":"\#(recordedAt)","note":""#
        let padding = payloadBytes - base.utf8.count - 2
        guard padding >= 0 else { throw BenchError("payload base too long: \(base.utf8.count) bytes") }
        let payload = try JSONPayload(canonicalizing: base + String(repeating: "x", count: padding) + "\"}")
        guard payload.bytes.count == payloadBytes else {
            throw BenchError("payload is \(payload.bytes.count) bytes, not \(payloadBytes)")
        }
        return payload
    }
}

/// A small, fast, seedable generator (SplitMix64); W only needs determinism, not Python's exact stream.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A version-4 UUID from the generator.
    mutating func uuid() -> UUID {
        let a = next()
        let b = next()
        var bytes = withUnsafeBytes(of: (a, b)) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
