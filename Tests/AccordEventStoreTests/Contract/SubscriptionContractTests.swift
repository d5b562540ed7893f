import AccordTestSupport
import AccordEventStore
import Foundation
import Testing

extension EventStoreContract {
    @Test("a waiting subscriber is woken by an append, long before its timeout", arguments: Backend.allCases)
    func wakeUp(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("s"), expectedVersion: .noStream, events: [proposed()])
            let waited = try await timeWakeUp(of: store, after: 1) {
                try await store.append(to: stream("s"), expectedVersion: .exactly(0), events: [proposed()])
            }
            #expect(waited < .seconds(20))
            // Already behind the head: no wait at all.
            let clock = ContinuousClock()
            let immediate = clock.now
            await store.waitForEvents(after: 0, timeout: .seconds(60))
            #expect(clock.now - immediate < .seconds(5))
        }
    }

    @Test("the known head follows this instance's appends and is never ahead of the log", arguments: Backend.allCases)
    func knownHead(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            #expect(store.knownHead == (try await store.headPosition()))
            for count in [1, 3, 2] {
                let result = try await store.append(to: stream("s"), expectedVersion: .any, events: (0..<count).map { _ in proposed() })
                #expect(store.knownHead == result.lastPosition)
                #expect(store.knownHead == (try await store.headPosition()))
            }
        }
    }

    @Test("a subscription catches up, then follows new events as they are committed", arguments: Backend.allCases)
    func subscriptionFollows(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("s"), expectedVersion: .noStream, events: (0..<5).map { _ in proposed() })
            let subscriber = Task {
                var positions: [Int64] = []
                for try await event in store.subscribe(after: 2, pageSize: 2) {
                    positions.append(event.position)
                    if positions.count == 8 { break }
                }
                return positions
            }
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(50))
                try await store.append(to: stream("s"), expectedVersion: .any, events: [proposed()])
            }
            let positions = try await withDeadline(.seconds(60), "the subscription") { try await subscriber.value }
            #expect(positions == Array(3...10))
        }
    }

    @Test("cancelling a waiting subscription ends it", arguments: Backend.allCases)
    func cancellation(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let subscriber = Task {
                var count = 0
                for try await _ in store.subscribe(after: 0) { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(200))
            subscriber.cancel()
            let count = try await withDeadline(.seconds(30), "the cancelled subscription") {
                try? await subscriber.value
            }
            #expect(count == 0 || count == nil)
        }
    }
}

/// Starts a waiter for events after `position` (timeout 60 s), runs `trigger` once it waits, and returns how
/// long the waiter waited: far less than its timeout when the trigger woke it.
func timeWakeUp(
    of store: any EventStore, after position: Int64, trigger: () async throws -> Void
) async throws -> Duration {
    let clock = ContinuousClock()
    let waiter = Task {
        let start = clock.now
        await store.waitForEvents(after: position, timeout: .seconds(60))
        return clock.now - start
    }
    try await Task.sleep(for: .milliseconds(300))
    try await trigger()
    return try await withDeadline(.seconds(30), "the woken waiter") { await waiter.value }
}
