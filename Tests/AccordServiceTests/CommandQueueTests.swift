import AccordDomain
import AccordEventStore
@testable import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Command queue")
struct CommandQueueTests {
    /// Sends `commands` one after the other while a leader holds the lead on `id`'s stream (until a gate opens),
    /// so that they queue behind it in this order; then lets the leader go and returns their outcomes, in order.
    static func queuedBehindBusyLeader(_ commands: [ProcessCommand], on id: ProcessID, _ service: AccordService) async throws
        -> [Result<CommandOutcome, ServiceError>]
    {
        let gate = AsyncStream<Void>.makeStream()
        let leader = Task {
            await service.commands.run(aggregate: .process(id), context: CommandContext(actor: officer)) { _ in
                for await _ in gate.stream { break }
                return []
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        var waiting: [Task<Result<CommandOutcome, ServiceError>, Never>] = []
        for command in commands {
            waiting.append(Task {
                do { return .success(try await service.commands.execute(command, context: CommandContext(actor: officer))) }
                catch { return .failure(ServiceError.wrap(error)) }
            })
            try await Task.sleep(for: .milliseconds(30))
        }
        gate.continuation.yield()
        gate.continuation.finish()
        _ = await leader.value
        var outcomes: [Result<CommandOutcome, ServiceError>] = []
        for task in waiting { outcomes.append(await task.value) }
        return outcomes
    }

    @Test("commands queued behind a busy leader are decided together; a party's next command waits for the next group, in order",
          arguments: Backend.allCases)
    func groupInArrivalOrder(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let (id, _) = try await openAccession(service)
            func step(_ party: String, _ stage: String) -> ProcessCommand { accessionStep(id, party, stage, at: "2022-07-06T12:00:00Z") }
            // DE's approval needs its signature (the next group decides it on the log); FR's deposit skips its
            // approval (refused, in the next group too).
            let commands = [step("DE", "signed"), step("DE", "parliament-approved"), step("FR", "signed"),
                            step("FR", "instrument-deposited"), step("DE", "instrument-deposited"), step("IT", "signed")]
            let outcomes = try await Self.queuedBehindBusyLeader(commands, on: id, service)

            let recorded = outcomes.compactMap { try? $0.get() }
            #expect(recorded.count == 5)
            guard case .failure(.domain) = outcomes[3] else {
                Issue.record("FR's deposit without approval: \(outcomes[3])")
                return
            }
            // The first group: one step of each party, in one append (consecutive positions, one commit time), in
            // arrival order. Then DE's approval, then its deposit, each after the step it needs.
            let first = try [outcomes[0], outcomes[2], outcomes[5]].map { try $0.get() }
            let positions = first.flatMap { $0.recorded.map(\.position) }
            #expect(positions == Array(positions[0]..<positions[0] + 3))
            #expect(first.compactMap(\.version) == [1, 2, 3])
            #expect(Set(first.flatMap { $0.recorded.map(\.recordedAt) }).count == 1)
            #expect(try outcomes[1].get().version == 4)
            #expect(try outcomes[4].get().version == 5)
            #expect(try outcomes[1].get().recorded[0].position > positions[2])
            #expect(try outcomes[4].get().recorded[0].position > outcomes[1].get().recorded[0].position)
            let state = try #require(await service.log.process(id))
            #expect(state.steps.count == 5)
        }
    }

    @Test("a command on the whole process waits for the steps before it, and the steps behind it wait for it", arguments: Backend.allCases)
    func wholeProcessCommandInAGroup(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let (id, _) = try await openAccession(service)
            let at = Instant(iso8601: "2022-07-06T12:00:00Z")
            func step(_ party: String) -> ProcessCommand { accessionStep(id, party, at: "2022-07-06T12:00:00Z") }
            // Arrival order: DE's step, the closing, FR's step.
            let commands: [ProcessCommand] = [step("DE"), .close(process: id, note: "enough", occurredAt: at), step("FR")]
            let outcomes = try await Self.queuedBehindBusyLeader(commands, on: id, service)

            let stepped = try outcomes[0].get()
            let closed = try outcomes[1].get()
            #expect(try #require(closed.recorded.first).position > stepped.recorded[0].position)
            // FR's step came after the closing: refused on the closed process, not recorded before it.
            guard case .failure(.domain(.processClosed)) = outcomes[2] else {
                Issue.record("FR's step after the closing: \(outcomes[2])")
                return
            }
            let state = try #require(await service.log.process(id))
            #expect(state.steps.count == 1)
        }
    }
}
