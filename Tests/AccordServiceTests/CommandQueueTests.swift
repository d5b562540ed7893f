import AccordDomain
import AccordEventStore
@testable import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Command queue")
struct CommandQueueTests {
    @Test("commands queued behind a busy leader are decided together in arrival order, each on what the earlier ones leave",
          arguments: Backend.allCases)
    func groupInArrivalOrder(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadReferenceData()
            let (id, _) = try await openAccession(service)
            // A command that holds the lead until the gate opens, so that the others queue behind it.
            let gate = AsyncStream<Void>.makeStream()
            let leader = Task {
                await service.commands.run(aggregate: .process(id), context: CommandContext(actor: officer)) { _ in
                    for await _ in gate.stream { break }
                    return []
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            func step(_ party: String, _ stage: String) -> ProcessCommand {
                .recordStep(process: id, step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!),
                            occurredAt: Instant(iso8601: "2022-07-06T12:00:00Z"))
            }
            // DE's approval needs its signature, from the same group; FR's deposit skips its approval (refused).
            let commands = [step("DE", "signed"), step("DE", "parliament-approved"), step("FR", "signed"),
                            step("FR", "instrument-deposited"), step("DE", "instrument-deposited"), step("IT", "signed")]
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

            let recorded = outcomes.compactMap { try? $0.get() }
            #expect(recorded.count == 5)
            guard case .failure(.domain) = outcomes[3] else {
                Issue.record("FR's deposit without approval: \(outcomes[3])")
                return
            }
            // One append: consecutive positions and versions in arrival order, one commit time.
            let positions = recorded.flatMap { $0.recorded.map(\.position) }
            #expect(positions == Array(positions[0]..<positions[0] + 5))
            #expect(recorded.compactMap(\.version) == [1, 2, 3, 4, 5])
            #expect(Set(recorded.flatMap { $0.recorded.map(\.recordedAt) }).count == 1)
            let state = try #require(await service.log.process(id))
            #expect(state.steps.count == 5)
        }
    }
}
