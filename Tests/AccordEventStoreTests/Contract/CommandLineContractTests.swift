import AccordEventStore
import Foundation
import Testing

extension EventStoreContract {
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

        let missing = try accord.start(["verify-chain"], environment: ["ACCORD_DATABASE": ""])
        try await missing.waitForExit(within: .seconds(60))
        #expect(missing.exitStatus != 0)
        await database.cleanUp()
    }
}
