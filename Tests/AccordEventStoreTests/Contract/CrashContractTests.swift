import AccordTestSupport
import AccordEventStore
import Foundation
import Testing

extension EventStoreContract {
    @Test("a writer killed with SIGKILL mid-batch leaves whole batches only; the next open is clean", arguments: Backend.allCases)
    func crashSafety(_ backend: Backend) async throws {
        guard let accord = AccordBinary.locate() else { return }
        let database = try await TestDatabase.fresh(backend)
        let streams = 8
        let perStream = 500
        let batchSize = Int64(streams * perStream)

        var batchesBefore: Int64 = 0
        for round in 1...3 {
            let child = try accord.start([
                "store-load", "--database", database.argument, "--batches", "1000", "--streams", "\(streams)",
                "--events-per-stream", "\(perStream)",
            ])
            // Let at least one batch commit, then kill at a random moment of a later one.
            let started = try await child.waitForLine(within: .seconds(120)) { $0.hasPrefix("committed") }
            #expect(started, "round \(round): no batch committed; output: \(child.lines.suffix(5))")
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120)))
            try await child.kill()
            // On PostgreSQL the dead client's backend finishes the statement it was running on its own (and
            // commits it, or not): the log is examined once that session is gone.
            try await waitForOtherSessionsToEnd(database)
            let lines = child.lines
            let committed = Int64(lines.filter { $0.hasPrefix("committed") }.count)
            let begun = Int64(lines.filter { $0.hasPrefix("begin") }.count)

            let store = try await database.open()
            let head = try await store.headPosition()
            #expect(head % batchSize == 0, "round \(round): head \(head) is not a whole number of batches")
            let batches = head / batchSize - batchesBefore
            // The batch in flight when the process died is in the log entirely or not at all.
            #expect(
                batches == committed || (batches == committed + 1 && begun == committed + 1),
                "round \(round): \(batches) batches in the log, \(committed) reported committed, \(begun) begun")
            for index in 0..<streams {
                let version = try await store.streamVersion(stream("load-\(index)"))
                #expect(version == head / Int64(streams) - 1, "round \(round): load-\(index) at \(String(describing: version)), head \(head)")
            }
            print("[\(backend)] crash round \(round): killed with \(begun) batches begun, \(committed) reported committed, \(batches) in the log")
            let verification = try await store.verifyChain(progress: nil)
            #expect(verification.isIntact, "round \(round): \(verification)")
            if round == 3 {
                try await store.append(to: stream("after-crash"), expectedVersion: .noStream, events: [proposed()])
                #expect(try await store.headPosition() == head + 1)
            }
            await store.close()
            batchesBefore = head / batchSize
        }
        await database.cleanUp()
    }

    @Test("accord migrate and accord verify-chain: messages and exit status", arguments: Backend.allCases)
    func commandLine(_ backend: Backend) async throws {
        guard let accord = AccordBinary.locate() else { return }
        let database = try await TestDatabase.fresh(backend)

        // The location may also come from ACCORD_DATABASE.
        let migrate = try accord.start(["migrate"], environment: ["ACCORD_DATABASE": database.argument])
        try await migrate.waitForExit(within: .seconds(60))
        #expect(migrate.exitStatus == 0, "\(migrate.lines)")
        #expect(migrate.lines.contains("applied migration 1 event_store"))

        let store = try await database.open()
        for i in 0..<5 {
            try await store.append(to: stream("s"), expectedVersion: .any, events: [proposed("Recorded", #"{"i":\#(i)}"#)])
        }
        let intact = try accord.start(["verify-chain", "--database", database.argument])
        try await intact.waitForExit(within: .seconds(60))
        #expect(intact.exitStatus == 0, "\(intact.lines)")
        #expect(intact.lines.contains { $0.hasPrefix("chain intact: 5 events") })

        try await tamper(store, backend, "UPDATE accord_events SET payload = '{\"i\":40}' WHERE position = 4")
        await store.close()
        let broken = try accord.start(["verify-chain", "--database", database.argument])
        try await broken.waitForExit(within: .seconds(60))
        #expect(broken.exitStatus == 1, "\(broken.lines)")
        #expect(broken.lines.contains { $0.hasPrefix("chain BROKEN at position 4: the payload changed") })
        await database.cleanUp()
    }
}

/// Waits until no server session other than the caller's is connected to `database` (PostgreSQL; nothing to
/// wait for on SQLite, where a killed process's transaction dies with it).
func waitForOtherSessionsToEnd(_ database: TestDatabase) async throws {
    guard case .postgres(let conninfo) = database.location, let name = URLComponents(string: conninfo)?.path.dropFirst() else {
        return
    }
    let admin = try TestPostgres.requireAdminURL()
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        let rows = try await PostgresAdmin.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [.text(String(name))], using: admin)
        if try rows.first?.int(0) == 0 { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw DeadlineExceeded(what: "the killed client's database session to end", limit: .seconds(60))
}
