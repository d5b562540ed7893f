import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

/// `QueryService.progress`: each counted rule figure over effective time, for the charts.
@Suite("Progress series")
struct ProgressSeriesTests {
    static let process = DemoScenario.forceGeneration
    static let troops = RuleID("troops-target")!

    static func at(_ date: String) -> Instant { Instant(startOf: CivilDate(iso8601: date)!).adding(seconds: 12 * 3600) }

    func pledge(_ service: AccordService, _ party: String, _ troops: Int64, _ date: String) async throws {
        for stage in ["interest", "government-decision"] {
            _ = try await service.commands.execute(.recordStep(process: Self.process, step: StepContent(party: PartyCode(party)!, stage: StageID(stage)!),
                                                               occurredAt: Self.at(date)), context: CommandContext(actor: officer))
        }
        _ = try await service.commands.execute(
            .recordStep(process: Self.process, step: StepContent(party: PartyCode(party)!, stage: StageID("pledged")!,
                                                                 details: StepDetails(pledge: PledgeDetails(troops: troops))),
                        occurredAt: Self.at(date)), context: CommandContext(actor: officer))
    }

    @Test("the troops pledged rise at each pledge's effective date; an earlier asOf ends there, asked before or after a later one")
    func pointsFollowEffectiveDates() async throws {
        try await withService(.sqlite) { service in
            try await service.loadDemo()
            let before = try #require(try await service.queries.progress(Self.process, asOf: service.clock.now(), cutoff: .everything)
                .first { $0.rule == Self.troops })
            let demoTotal = try #require(before.points.last?.value)
            #expect(before.threshold == 25_000)
            #expect(before.points.map(\.value) == before.points.map(\.value).sorted(), "pledges only add up in the demo")

            try await pledge(service, "ES", 1_000, "2026-01-10")
            try await pledge(service, "PT", 500, "2026-02-10")
            let now = service.clock.now()
            let series = try #require(try await service.queries.progress(Self.process, asOf: now, cutoff: .everything).first { $0.rule == Self.troops })
            #expect(series.points.suffix(2).map(\.value) == [demoTotal + 1_000, demoTotal + 1_500])
            #expect(series.points.suffix(2).map(\.at) == [Self.at("2026-01-10"), Self.at("2026-02-10")])

            // Asked again for an earlier date (the samples are now cached for this log position): it ends there.
            let january = try #require(try await service.queries.progress(Self.process, asOf: Self.at("2026-01-31"), cutoff: .everything)
                .first { $0.rule == Self.troops })
            #expect(january.points.last?.value == demoTotal + 1_000)
            #expect(january.points.allSatisfy { $0.at <= Self.at("2026-01-31") })

            // As known before the pledges were recorded, neither shows, whatever the date asked.
            let known = try #require(try await service.queries.progress(Self.process, asOf: now, cutoff: .position(before.points.isEmpty ? 0 : try await headBefore(service)))
                .first { $0.rule == Self.troops })
            #expect(known.points.last?.value == demoTotal)
        }
    }

    @Test("a back-dated pledge recorded later moves the series' past, as known now")
    func backDated() async throws {
        try await withService(.sqlite) { service in
            try await service.loadDemo()
            _ = try await service.queries.progress(Self.process, asOf: service.clock.now(), cutoff: .everything)
            try await pledge(service, "ES", 2_000, "2025-06-01")
            let series = try #require(try await service.queries.progress(Self.process, asOf: service.clock.now(), cutoff: .everything)
                .first { $0.rule == Self.troops })
            let june = try #require(series.points.first { $0.at == Self.at("2025-06-01") })
            let previous = try #require(series.points.last { $0.at < Self.at("2025-06-01") })
            #expect(june.value == previous.value + 2_000)
        }
    }

    /// The log position just before the tests' own pledges: the demo's last event.
    func headBefore(_ service: AccordService) async throws -> Int64 {
        let events = try await service.store.readAll(after: 0, limit: 10_000)
        return events.last { $0.actor.id == DemoScenario.actor.id }?.position ?? 0
    }
}
