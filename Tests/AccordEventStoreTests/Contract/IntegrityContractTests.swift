import AccordTestSupport
import AccordEventStore
import Foundation
import Synchronization
import Testing

extension EventStoreContract {
    @Test("the database itself refuses UPDATE, DELETE (and TRUNCATE) on the events table", arguments: Backend.allCases)
    func historyIsImmutable(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("s"), expectedVersion: .noStream, events: [proposed(), proposed()])
            var statements = [
                "UPDATE accord_events SET type = 'Forged' WHERE position = 1",
                "DELETE FROM accord_events WHERE position = 2",
            ]
            // PostgreSQL's statement-level triggers refuse even a change that matches no row; SQLite has row
            // triggers only (such a statement changes nothing there).
            if backend == .postgres {
                statements += ["DELETE FROM accord_events WHERE position = 99", "TRUNCATE accord_events"]
            }
            for sql in statements {
                await #expect(throws: EventStoreError.self, "\(sql)") {
                    try await store.database.transaction { connection in try connection.execute(sql) }
                }
            }
            let log = try await readWholeLog(store)
            #expect(log.map(\.type) == ["PositionRecorded", "PositionRecorded"])
            #expect(try await store.verifyChain(progress: nil).isIntact)
        }
    }

    @Test("a change made behind the store's back is found by the chain check at its position", arguments: Backend.allCases)
    func tamperingIsDetected(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            for i in 0..<10 {
                try await store.append(to: stream("s-\(i % 3)"), expectedVersion: .any, events: [proposed("Recorded", #"{"i":\#(i)}"#)])
            }
            let intact = try await store.verifyChain(progress: nil)
            #expect(intact.isIntact)

            // Someone with raw database access disables the guards and rewrites history.
            try await tamper(store, backend, "UPDATE accord_events SET payload = '{\"i\":600}' WHERE position = 7")
            guard case .broken(7, .payloadChanged) = try await store.verifyChain(progress: nil) else {
                Issue.record("the changed payload at position 7 was not found")
                return
            }
            try await tamper(store, backend, "UPDATE accord_events SET actor_name = 'Someone Else' WHERE position = 4")
            guard case .broken(4, .chainHashMismatch) = try await store.verifyChain(progress: nil) else {
                Issue.record("the changed actor at position 4 was not found")
                return
            }
            try await tamper(store, backend, "DELETE FROM accord_events WHERE position = 2")
            #expect(try await store.verifyChain(progress: nil) == .broken(position: 2, problem: .positionGap(expected: 2, found: 3)))
        }
    }

    @Test("the chain check reports its progress", arguments: Backend.allCases)
    func verificationProgress(_ backend: Backend) async throws {
        try await withTestStore(backend) { store, _ in
            try await store.append(to: stream("s"), expectedVersion: .any, events: (0..<2_500).map { _ in proposed() })
            let reports = ProgressLog()
            let result = try await store.verifyChain { reports.add($0) }
            #expect(result.isIntact)
            #expect(reports.values.last == 2_500)
        }
    }
}

/// Runs `sql` with the append-only triggers out of the way, as an attacker with raw access could.
func tamper(_ store: any EventStore, _ backend: Backend, _ sql: String) async throws {
    try await store.database.transaction { connection in
        switch backend {
        case .sqlite:
            try connection.executeScript("DROP TRIGGER IF EXISTS accord_events_no_update; DROP TRIGGER IF EXISTS accord_events_no_delete;")
        case .postgres:
            try connection.executeScript("ALTER TABLE accord_events DISABLE TRIGGER USER")
        }
        try connection.execute(sql)
        if backend == .postgres { try connection.executeScript("ALTER TABLE accord_events ENABLE TRIGGER USER") }
    }
}

final class ProgressLog: Sendable {
    private let storage = Mutex<[Int64]>([])
    func add(_ value: Int64) { storage.withLock { $0.append(value) } }
    var values: [Int64] { storage.withLock { $0 } }
}
