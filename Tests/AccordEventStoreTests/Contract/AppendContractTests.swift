import AccordTestSupport
import AccordEventStore
import AccordTime
import Foundation
import Testing

extension EventStoreContract {
    @Test("appends events and reads them back with every field", arguments: Backend.allCases)
    func appendAndRead(_ backend: Backend) async throws {
        try await withTestStore(backend, clock: SteppingClock()) { store, _ in
            let correlation = UUID()
            let first = proposed("ProcessOpened", #"{"title":"EUFOR mandate","parties":["DE","FR"]}"#, correlation: correlation)
            let second = proposed("PositionRecorded", #"{ "position" : "support", "party":"DE" }"#, causation: first.id)
            let result = try await store.append(to: stream("process-1"), expectedVersion: .noStream, events: [first, second])

            #expect(result.wasAlreadyRecorded == false)
            #expect(result.placements.map(\.position) == [1, 2])
            #expect(result.placements.map(\.streamVersion) == [0, 1])
            #expect(result.placements.map(\.eventId) == [first.id, second.id])
            // One commit, one server timestamp, taken from the injected clock (whole seconds after its start).
            let stamp = result.placements[0].recordedAt
            #expect(result.placements.allSatisfy { $0.recordedAt == stamp })
            #expect(stamp >= SteppingClock.start && stamp.microsecondsSinceEpoch % 1_000_000 == 0)
            #expect(result.version(of: stream("process-1")) == 1)

            let events = try await store.readStream(stream("process-1"))
            try #require(events.count == 2)
            // The writer's own copy of what it wrote (handed to its projections instead of a read) is what readers get.
            #expect(result.events == events)
            let event = events[1]
            #expect(event.position == 2)
            #expect(event.id == second.id)
            #expect(event.stream == stream("process-1"))
            #expect(event.streamVersion == 1)
            #expect(event.type == "PositionRecorded")
            #expect(event.schemaVersion == 1)
            #expect(event.payload.string == #"{"party":"DE","position":"support"}"#)
            #expect(event.actor == testActor)
            #expect(event.correlationId == nil)
            #expect(event.causationId == first.id)
            #expect(events[0].correlationId == correlation)
            #expect(event.occurredAt == Instant(microsecondsSinceEpoch: 1_700_000_000_123_456))
            #expect(event.recordedAt == stamp)
            #expect(event.payloadHash == SHA256Hash.of(event.payload.bytes))
            #expect(event.previousChainHash == events[0].chainHash)
            #expect(events[0].previousChainHash == .zero)
            #expect(event.chainHash == EventChain.expectedChainHash(of: event, previous: events[0].chainHash))

            #expect(try await store.readAll(after: 0, limit: 10) == events)
            #expect(try await store.readAll(after: 1, limit: 10) == [events[1]])
            #expect(try await store.readAll(after: 2, limit: 10).isEmpty)
            #expect(try await store.readStream(stream("process-1"), fromVersion: 1, limit: 10) == [events[1]])
            #expect(try await store.headPosition() == 2)
            #expect(try await store.streamVersion(stream("process-1")) == 1)
            #expect(try await store.streamVersion(stream("process-2")) == nil)
            #expect(try await store.readStream(stream("process-2")).isEmpty)
            #expect(try await store.verifyChain(progress: nil) == .intact(lastPosition: 2, head: events[1].chainHash))
        }
    }

    @Test("checks the expected version; a wrong one names the actual version and writes nothing", arguments: Backend.allCases)
    func expectedVersions(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let s = stream("party-DE")
            try await store.append(to: s, expectedVersion: .noStream, events: [proposed(), proposed()])
            try await store.append(to: s, expectedVersion: .exactly(1), events: [proposed()])
            try await store.append(to: s, expectedVersion: .any, events: [proposed()])
            try await store.append(to: stream("party-FR"), expectedVersion: .any, events: [proposed()])

            await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "party-DE", expected: .exactly(1), actual: 3)) {
                try await store.append(to: s, expectedVersion: .exactly(1), events: [proposed()])
            }
            await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "party-DE", expected: .noStream, actual: 3)) {
                try await store.append(to: s, expectedVersion: .noStream, events: [proposed()])
            }
            await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "party-IT", expected: .exactly(0), actual: nil)) {
                try await store.append(to: stream("party-IT"), expectedVersion: .exactly(0), events: [proposed()])
            }
            #expect(try await store.headPosition() == 5)
            #expect(try await store.streamVersion(s) == 3)
            #expect(try await store.streamVersion(stream("party-IT")) == nil)
        }
    }

    @Test("an append across several streams is all or nothing", arguments: Backend.allCases)
    func atomicAcrossStreams(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("a"), expectedVersion: .noStream, events: [proposed()])
            let conflicting = [
                StreamAppend(stream: stream("b"), expectedVersion: .noStream, events: [proposed(), proposed()]),
                StreamAppend(stream: stream("a"), expectedVersion: .noStream, events: [proposed()]),
            ]
            await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "a", expected: .noStream, actual: 0)) {
                try await store.append(conflicting)
            }
            #expect(try await store.headPosition() == 1)
            #expect(try await store.streamVersion(stream("b")) == nil)

            let result = try await store.append([
                StreamAppend(stream: stream("b"), expectedVersion: .noStream, events: [proposed(), proposed()]),
                StreamAppend(stream: stream("a"), expectedVersion: .exactly(0), events: [proposed()]),
            ])
            #expect(result.placements.map(\.position) == [2, 3, 4])
            #expect(result.placements.map(\.streamVersion) == [0, 1, 1])
            #expect(result.version(of: stream("a")) == 1)
            #expect(result.version(of: stream("b")) == 1)
            #expect(try await store.verifyChain(progress: nil).isIntact)
        }
    }

    @Test("re-sending the same events is acknowledged once; the same id with other content is refused", arguments: Backend.allCases)
    func idempotentRetries(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let s = stream("process-9")
            let events = [proposed("A", #"{"n":1}"#), proposed("B", #"{"n":2}"#)]
            let original = try await store.append(to: s, expectedVersion: .noStream, events: events)
            try await store.append(to: stream("other"), expectedVersion: .noStream, events: [proposed()])

            // The retry carries the original (now stale) expected version and still succeeds.
            let retry = try await store.append(to: s, expectedVersion: .noStream, events: events)
            #expect(retry.wasAlreadyRecorded)
            #expect(retry.placements == original.placements)
            #expect(retry.events.isEmpty)
            // Payloads that canonicalise to the same bytes are the same content.
            var respaced = events
            respaced[1].payload = try JSONPayload(canonicalizing: #"{ "n" : 2 }"#)
            #expect(try await store.append(to: s, expectedVersion: .any, events: respaced).wasAlreadyRecorded)

            var changed = events
            changed[1].payload = try JSONPayload(canonicalizing: #"{"n":3}"#)
            await #expect(throws: EventStoreError.self) { try await store.append(to: s, expectedVersion: .any, events: changed) }
            var retyped = events
            retyped[0].type = "C"
            await expectIdempotencyConflict(events[0].id) {
                try await store.append(to: s, expectedVersion: .any, events: retyped)
            }
            var reversioned = events
            reversioned[0].schemaVersion = 2
            await expectIdempotencyConflict(events[0].id) {
                try await store.append(to: s, expectedVersion: .any, events: reversioned)
            }
            await expectIdempotencyConflict(events[0].id) {
                try await store.append(to: stream("elsewhere"), expectedVersion: .any, events: [events[0]])
            }
            // A recorded event mixed with a new one is not a retry.
            await expectIdempotencyConflict(events[0].id) {
                try await store.append(to: s, expectedVersion: .any, events: [events[0], proposed()])
            }
            #expect(try await store.headPosition() == 3)
            #expect(try await store.verifyChain(progress: nil).isIntact)
        }
    }

    @Test("refuses bad input with a typed error and writes nothing", arguments: Backend.allCases)
    func badInput(_ backend: Backend) async throws {
        try await withTestStore(backend, limits: EventStoreLimits(maximumPayloadBytes: 100)) { store, _ in
            #expect(throws: EventStoreError.self) { try StreamName("") }
            #expect(throws: EventStoreError.self) { try StreamName(String(repeating: "x", count: 201)) }
            #expect(throws: EventStoreError.self) { try StreamName("line\nbreak") }
            let longest = try StreamName(String(repeating: "x", count: 200))
            #expect(longest.rawValue.utf8.count == 200)

            for notAnObject in ["[1,2]", "\"text\"", "42", "null", "{\"a\":}", ""] {
                #expect(throws: EventStoreError.self) { try JSONPayload(canonicalizing: notAnObject) }
            }
            for text in ["-5", "later", "1.5", "", "٣"] {
                #expect(throws: EventStoreError.invalidExpectedVersion(text)) { try ExpectedVersion(parsing: text) }
            }
            let parsed = [try ExpectedVersion(parsing: "no-stream"), try ExpectedVersion(parsing: "7")]
            #expect(parsed == [.noStream, .exactly(7)])

            let big = proposed("Big", "{\"note\":\"" + String(repeating: "x", count: 120) + "\"}")
            await #expect(throws: EventStoreError.payloadTooLarge(bytes: big.payload.bytes.count, limit: 100)) {
                try await store.append(to: stream("s"), expectedVersion: .any, events: [big])
            }
            await #expect(throws: EventStoreError.invalidExpectedVersion("-3")) {
                try await store.append(to: stream("s"), expectedVersion: .exactly(-3), events: [proposed()])
            }
            await #expect(throws: EventStoreError.emptyAppend) {
                try await store.append(to: stream("s"), expectedVersion: .any, events: [])
            }
            await #expect(throws: EventStoreError.emptyAppend) { try await store.append([]) }
            let twice = proposed()
            await #expect(throws: EventStoreError.duplicateEventInAppend(eventId: twice.id)) {
                try await store.append(to: stream("s"), expectedVersion: .any, events: [twice, twice])
            }
            await #expect(throws: EventStoreError.duplicateStreamInAppend(stream: "s")) {
                try await store.append([
                    StreamAppend(stream: stream("s"), expectedVersion: .any, events: [proposed()]),
                    StreamAppend(stream: stream("s"), expectedVersion: .any, events: [proposed()]),
                ])
            }
            for badType in ["", "has space", String(repeating: "T", count: 101)] {
                await #expect(throws: EventStoreError.self) {
                    try await store.append(to: stream("s"), expectedVersion: .any, events: [proposed(badType)])
                }
            }
            var unversioned = proposed()
            unversioned.schemaVersion = 0
            await #expect(throws: EventStoreError.self) {
                try await store.append(to: stream("s"), expectedVersion: .any, events: [unversioned])
            }
            var nulActor = proposed()
            nulActor.actor = EventActor(id: "a\u{0}b", name: "x")
            await #expect(throws: EventStoreError.self) {
                try await store.append(to: stream("s"), expectedVersion: .any, events: [nulActor])
            }
            let head = try await store.headPosition()
            #expect(head == 0)
        }
    }

    @Test("pages through the global log and a stream", arguments: Backend.allCases)
    func paging(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            for round in 0..<5 {
                try await store.append([
                    StreamAppend(stream: stream("x"), expectedVersion: .any, events: (0..<50).map { _ in proposed() }),
                    StreamAppend(stream: stream("y-\(round)"), expectedVersion: .noStream, events: [proposed()]),
                ])
            }
            let all = try await readWholeLog(store)
            #expect(all.map(\.position) == Array(1...255))
            let x = try await store.readStream(stream("x"), fromVersion: 0, limit: 100)
            #expect(x.map(\.streamVersion) == Array(0..<100))
            #expect(try await store.readStream(stream("x")).count == 250)
            #expect(try await store.readStream(stream("x"), fromVersion: 240, limit: 100).map(\.streamVersion) == Array(240..<250))
            #expect(try await store.readAll(after: 0, limit: 0).isEmpty)
            // Every window, including those that start or end at a multiple of 32 (SQLite's index groups).
            let whole = try await store.readStream(stream("x"))
            for from in [0, 1, 31, 32, 33, 63, 64, 95, 96, 200, 224, 249, 250] {
                for limit in [1, 31, 32, 33, 64, 100, 300] {
                    let window = try await store.readStream(stream("x"), fromVersion: Int64(from), limit: limit)
                    #expect(window == Array(whole[min(from, 250)..<min(from + limit, 250)]), "from \(from) limit \(limit)")
                }
            }
        }
    }
}

func expectIdempotencyConflict(
    _ id: UUID, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected an idempotency conflict for \(id)", sourceLocation: sourceLocation)
    } catch let EventStoreError.idempotencyConflict(eventId, _) {
        #expect(eventId == id, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected an idempotency conflict, got \(error)", sourceLocation: sourceLocation)
    }
}

extension ChainVerification {
    var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }
}
