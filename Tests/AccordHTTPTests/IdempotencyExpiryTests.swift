import AccordDomain
import AccordEventStore
@testable import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// A wall clock the test moves forward.
final class ManualClock: WallClock {
    private let current: Mutex<Instant>
    init(_ start: Instant) { current = Mutex(start) }
    func now() -> Instant { current.withLock { $0 } }
    func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}

@Suite("Idempotency key expiry")
struct IdempotencyExpiryTests {
    @Test("the server's expiry service forgets answers older than a day, and a forgotten key can be used again", arguments: Backend.allCases)
    func expiry(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            let clock = ManualClock(Instant(iso8601: "2025-06-01T12:00:00Z")!)
            let keys = IdempotencyStore(database: store.database, clock: clock)
            let first: [UInt8] = Array("first".utf8)
            #expect(try await keys.claim(account: "acct-1", key: "k", requestHash: first) == .proceed)
            await keys.complete(account: "acct-1", key: "k", response: .init(status: 201, contentType: "application/json", headers: [:], body: []))
            await #expect(throws: ServiceError.idempotencyKeyReused) {
                try await keys.claim(account: "acct-1", key: "k", requestHash: Array("second".utf8))
            }
            clock.advance(seconds: 25 * 3600)
            let expiry = Task { try await IdempotencyExpiry(store: keys, interval: .seconds(3600)).run() }
            var claimed: IdempotencyStore.Claim?
            for _ in 0..<200 {
                claimed = try? await keys.claim(account: "acct-1", key: "k", requestHash: Array("second".utf8))
                if claimed != nil { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            expiry.cancel()
            #expect(claimed == .proceed)
        }
    }
}
