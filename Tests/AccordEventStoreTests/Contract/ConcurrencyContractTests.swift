import AccordTestSupport
import AccordEventStore
import Foundation
import Testing

extension EventStoreContract {
    @Test("writers racing on one stream: exactly one winner per version, nothing lost or duplicated", arguments: Backend.allCases)
    func oneStreamRace(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let s = stream("contended")
            let writers = 12
            let perWriter = 10
            let conflicts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var conflicts = 0
                        var written = 0
                        while written < perWriter {
                            let current = try await store.streamVersion(s)
                            do {
                                try await store.append(
                                    to: s, expectedVersion: current.map(ExpectedVersion.exactly) ?? .noStream,
                                    events: [proposed()])
                                written += 1
                            } catch EventStoreError.wrongExpectedVersion {
                                conflicts += 1
                            }
                        }
                        return conflicts
                    }
                }
                return try await group.reduce(0, +)
            }
            let events = try await store.readStream(s)
            #expect(events.count == writers * perWriter)
            #expect(events.map(\.streamVersion) == Array(0..<Int64(writers * perWriter)))
            #expect(Set(events.map(\.id)).count == events.count)
            #expect(try await store.headPosition() == Int64(writers * perWriter))
            #expect(try await store.verifyChain(progress: nil).isIntact)
            // Not asserted, but reported: with this many racers some must have lost.
            print("[\(backend)] one-stream race: \(conflicts) conflicts")
        }
    }

    @Test("an instance that has not seen a stream checks the version it was asked to expect", arguments: Backend.allCases)
    func unseenStreamsAreChecked(_ backend: Backend) async throws {
        try await withTestStore(backend) { first, database in
            try await first.append(to: stream("s"), expectedVersion: .noStream, events: (0..<4).map { _ in proposed() })
            let second = try await database.open()
            // The second instance learns the head, but not stream s.
            try await second.append(to: stream("other"), expectedVersion: .noStream, events: [proposed()])
            for wrong: Int64 in [5, 2, 0] {
                await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "s", expected: .exactly(wrong), actual: 3)) {
                    try await second.append(to: stream("s"), expectedVersion: .exactly(wrong), events: [proposed()])
                }
            }
            await #expect(throws: EventStoreError.wrongExpectedVersion(stream: "s", expected: .noStream, actual: 3)) {
                try await second.append(to: stream("s"), expectedVersion: .noStream, events: [proposed()])
            }
            let result = try await second.append(to: stream("s"), expectedVersion: .exactly(3), events: [proposed()])
            #expect(result.placements.map(\.streamVersion) == [4])
            #expect(try await first.streamVersion(stream("s")) == 4)
            #expect(try await first.verifyChain(progress: nil).isIntact)
            await second.close()
        }
    }

    @Test("group commit: concurrent requests commit together, a failing one gets its own error", arguments: Backend.allCases)
    func groupCommitIsolation(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("taken"), expectedVersion: .noStream, events: [proposed()])
            let outcomes = try await withThrowingTaskGroup(of: (Int, [RecordedEvent]?).self) { group in
                for i in 0..<60 {
                    group.addTask {
                        do {
                            // Every fifth request conflicts; the others each open a stream of their own.
                            if i % 5 == 0 {
                                try await store.append(to: stream("taken"), expectedVersion: .noStream, events: [proposed()])
                                return (i, [])
                            }
                            let result = try await store.append(to: stream("own-\(i)"), expectedVersion: .noStream, events: [proposed(), proposed()])
                            return (i, result.events)
                        } catch EventStoreError.wrongExpectedVersion(let name, _, let actual) {
                            #expect(name == "taken" && actual == 0)
                            return (i, nil)
                        }
                    }
                }
                return try await group.reduce(into: [Int: [RecordedEvent]?]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.count == 60)
            let log = try await readWholeLog(store)
            for (i, events) in outcomes {
                #expect((events != nil) == (i % 5 != 0), "request \(i)")
                // Each request is handed exactly its own rows, as a reader finds them.
                if let events, i % 5 != 0 {
                    #expect(events.count == 2 && events == log.filter { $0.stream == stream("own-\(i)") }, "request \(i)")
                }
            }
            #expect(log.count == 1 + 48 * 2)
            #expect(log.map(\.position) == Array(1...Int64(log.count)))
            #expect(try await store.verifyChain(progress: nil).isIntact)
        }
    }

    @Test("gap-free order: a subscriber following 8 concurrent writer instances sees every event once, in order", arguments: Backend.allCases)
    func gapFreeUnderConcurrentWriters(_ backend: Backend) async throws {
        try await withTestStore(backend) { follower, database in
            let writerCount = 8
            let perWriter = 150
            let total = writerCount * perWriter
            // Separate store instances: separate writer connections competing for the database's append lock.
            var writers: [any EventStore] = []
            for _ in 0..<writerCount { writers.append(try await database.open()) }
            let instances = writers

            let subscriber = Task {
                var seen: [RecordedEvent] = []
                for try await event in follower.subscribe(after: 0, pageSize: 7) {
                    seen.append(event)
                    if seen.count == total { break }
                }
                return seen
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (w, writer) in instances.enumerated() {
                    group.addTask {
                        for i in 0..<perWriter {
                            // Single events to the writer's own streams, and some to a shared one.
                            let name = i % 3 == 0 ? "shared" : "writer-\(w)-\(i % 4)"
                            try await writer.append(to: stream(name), expectedVersion: .any, events: [proposed()])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seen = try await withDeadline(.seconds(120), "the subscriber") { try await subscriber.value }
            for writer in instances { await writer.close() }

            #expect(seen.count == total)
            #expect(seen.map(\.position) == Array(1...Int64(total)))
            #expect(Set(seen.map(\.id)).count == total)
            #expect(seen == (try await readWholeLog(follower)))
            #expect(try await follower.verifyChain(progress: nil).isIntact)
        }
    }
}
