import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

/// `CommandService.execute(batch:)`: several commands on one process, decided in order and appended at once.
@Suite("Process batches")
struct ProcessBatchTests {
    static let process = DemoScenario.forceGeneration

    static func step(_ party: String, _ stage: String, _ date: String) -> ProcessCommand {
        .recordStep(process: process, step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!),
                    occurredAt: Instant(startOf: CivilDate(iso8601: date)!).adding(seconds: 12 * 3600))
    }

    @Test("each command sees the ones before it, and all land in one append", arguments: Backend.allCases)
    func sequential(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let head = try await service.store.headPosition()
            // Spain's government decision is allowed only after its interest, recorded first in the same batch.
            let outcome = try await service.commands.execute(batch: [
                Self.step("ES", "interest", "2025-10-01"),
                Self.step("ES", "government-decision", "2025-10-02"),
                Self.step("PT", "interest", "2025-10-03"),
            ], context: CommandContext(actor: officer))
            #expect(outcome.recorded.map(\.position) == [head + 1, head + 2, head + 3])
            #expect(Set(outcome.recorded.map(\.recordedAt)).count == 1)
            #expect(outcome.version == (await service.log.process(Self.process)?.streamVersion))
            let matrix = try await service.queries.matrix(Self.process, asOf: service.clock.now(), cutoff: .everything)
            #expect(matrix.rows.first { $0.party == PartyCode("ES") }?.currentStage == StageID("government-decision"))
        }
    }

    @Test("a refused command names its index and nothing of the batch is recorded", arguments: Backend.allCases)
    func refused(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let head = try await service.store.headPosition()
            let version = await service.log.process(Self.process)?.streamVersion
            do {
                _ = try await service.commands.execute(batch: [
                    Self.step("ES", "interest", "2025-10-01"),
                    Self.step("PT", "interest", "2025-10-03"),
                    Self.step("PT", "ready", "2025-10-04"),
                ], context: CommandContext(actor: officer))
                Issue.record("the batch was recorded")
            } catch let rejection as BatchRejection {
                #expect(rejection.index == 2)
                guard case .domain(let error) = rejection.error else { Issue.record("got \(rejection.error)"); return }
                #expect(error.code == "stage-out-of-order")
            }
            #expect(try await service.store.headPosition() == head)
            #expect(await service.log.process(Self.process)?.streamVersion == version)
        }
    }

    @Test("a batch with an idempotency namespace is recorded once when retried", arguments: Backend.allCases)
    func idempotent(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            let context = CommandContext(actor: officer, idempotencyNamespace: "acct-test:import-1")
            let batch = [Self.step("ES", "interest", "2025-10-01"), Self.step("ES", "government-decision", "2025-10-02")]
            let first = try await service.commands.execute(batch: batch, context: context)
            let second = try await service.commands.execute(batch: batch, context: context)
            #expect(!first.wasAlreadyRecorded)
            #expect(second.wasAlreadyRecorded)
            #expect(second.recorded.map(\.position) == first.recorded.map(\.position))
        }
    }

    @Test("an empty batch, a batch over several processes and a stale version are refused", arguments: [Backend.sqlite])
    func wholeBatchRefusals(_ backend: Backend) async throws {
        try await withService(backend) { service in
            try await service.loadDemo()
            await #expect(throws: ServiceError.invalidRequest("the batch is empty")) {
                try await service.commands.execute(batch: [], context: CommandContext(actor: officer))
            }
            let other = ProcessCommand.close(process: DemoScenario.natoC2, note: nil, occurredAt: nil)
            do {
                _ = try await service.commands.execute(batch: [Self.step("ES", "interest", "2025-10-01"), other], context: CommandContext(actor: officer))
                Issue.record("a batch over two processes was recorded")
            } catch let rejection as BatchRejection {
                #expect(rejection.index == 1)
            }
            let current = try #require(await service.log.process(Self.process)?.streamVersion)
            await #expect(throws: ServiceError.versionMismatch(expected: current - 1, current: current)) {
                try await service.commands.execute(batch: [Self.step("ES", "interest", "2025-10-01")],
                                                   context: CommandContext(actor: officer, expectedVersion: current - 1))
            }
        }
    }
}
