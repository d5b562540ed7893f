import AccordAudit
import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Reports and CSV")
struct ReportTests {
    static let officer = ActorRef(id: "acct-officer", name: "Secretariat <Officer>")

    @Test("the demo's force-generation report shows the process, rules, charts, matrix and timeline", arguments: Backend.allCases)
    func forceGenerationReport(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let service = audit.service
            // A correction and a hostile note, to see them beside what they amend and escaped.
            let timeline = try await service.queries.timeline(DemoScenario.forceGeneration, cutoff: .everything)
            let greece = try #require(timeline.first { $0.party == PartyCode("GR") })
            _ = try await service.commands.execute(
                .correct(process: DemoScenario.forceGeneration, entry: greece.entry, reason: "the date was a day off",
                         effectiveAt: Instant(iso8601: "2025-04-11T12:00:00Z")!,
                         step: StepContent(party: PartyCode("GR")!, stage: StageID("declined")!, source: "https://example.org/gr",
                                           note: "<script>alert('x')</script> & more"),
                         ballot: nil),
                context: CommandContext(actor: Self.officer))
            let html = try await ProcessReport.render(DemoScenario.forceGeneration, service: service, asOf: service.clock.now(), cutoff: .everything)

            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.contains("<h1>Reassurance Force for Ukraine — force generation</h1>"))
            #expect(html.contains("Coalition force generation"))
            #expect(html.contains("coalition-force-generation"))
            // The rules, and their figures over time with the target and the satisfied moment.
            #expect(html.contains("21,500 of 25,000 troops pledged"))
            #expect(html.contains("needs 25,000"))
            #expect(html.contains("satisfied 2025-09-04"))
            #expect(html.components(separatedBy: "<svg").count - 1 >= 3)
            // The matrix with dates and numbered sources.
            #expect(html.contains("<th scope=\"row\">GB <span class=\"muted\">United Kingdom</span>"))
            #expect(html.contains("2025-11-25"))
            #expect(html.contains("RFE/RL, R. Jozwiak"))
            // The timeline: actors, the correction right after the entry it corrects, escaped text.
            #expect(html.contains("Accord demo loader"))
            #expect(html.contains("Secretariat &lt;Officer&gt;"))
            #expect(html.contains("the date was a day off"))
            #expect(!html.contains("<script>"))
            #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"))
            let entryRow = try #require(html.range(of: "GR: Declined to contribute</td>") ?? html.range(of: "Opted out of providing personnel"))
            let correctionRow = try #require(html.range(of: "↳ corrected:"))
            #expect(entryRow.lowerBound < correctionRow.lowerBound)
            // Self-contained: nothing is loaded from elsewhere.
            #expect(!html.contains("<link") && !html.contains("<script") && !html.contains("@import") && !html.contains(" src="))
        }
    }

    @Test("an unknown process has no report")
    func unknownProcess() async throws {
        try await withAudit(.sqlite, demo: false) { audit in
            await #expect(throws: ServiceError.self) {
                _ = try await ProcessReport.render(ProcessID(), service: audit.service, asOf: audit.service.clock.now(), cutoff: .everything)
            }
        }
    }

    @Test("the CSV status matrix has one row per recorded stage or ballot, spreadsheet-safe", arguments: [Backend.sqlite])
    func statusMatrixCSV(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let service = audit.service
            _ = try await service.commands.execute(
                .recordStep(process: DemoScenario.forceGeneration,
                            step: StepContent(party: PartyCode("IE")!, stage: StageID("interest")!, source: "=HYPERLINK(\"http://evil\")",
                                              note: "says \"maybe\", later"),
                            occurredAt: Instant(iso8601: "2025-05-01T12:00:00Z")!),
                context: CommandContext(actor: ActorRef(id: "t", name: "Tester")))
            var bytes: [UInt8] = []
            try await StatusMatrixCSV.write(ExportSelection(process: DemoScenario.forceGeneration), service: service) { bytes += $0 }
            let rows = text(bytes).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows[0] == StatusMatrixCSV.columns.joined(separator: ","))
            let process = try #require(await service.log.process(DemoScenario.forceGeneration))
            #expect(rows.count == 1 + process.steps.count + process.ballots.count)
            let germany = try #require(rows.first { $0.contains(",DE,Germany,") })
            #expect(germany.contains(",stage,interest,Interest expressed,2025-03-02,2025-03-02T12:00:00.000000Z,"))
            let ireland = try #require(rows.first { $0.contains(",IE,") })
            #expect(ireland.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""))
            #expect(ireland.contains("\"says \"\"maybe\"\", later\""))

            var greece: [UInt8] = []
            try await StatusMatrixCSV.write(ExportSelection(party: PartyCode("GR")), service: service) { greece += $0 }
            let greeceRows = text(greece).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(greeceRows.count == 2)
            #expect(greeceRows[1].contains(",GR,Greece,") && greeceRows[1].contains(",declined,"))
        }
    }
}
