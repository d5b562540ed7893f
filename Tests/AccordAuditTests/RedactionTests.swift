import AccordAudit
import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Redaction")
struct RedactionTests {
    static let admin = ActorRef(id: "acct-dpo", name: "Data Protection Officer")
    static let secret = "Hesitating; would most probably need a Bundestag vote"

    @Test("a redacted note leaves no trace in the log's read paths, and the export still verifies", arguments: Backend.allCases)
    func redactedExportVerifies(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let service = audit.service
            let p = try position(of: Self.secret, in: try await audit.export())
            let target = try #require(try await service.store.readAll(after: p - 1, limit: 1).first)
            let outcome = try await audit.redactor.redact(
                RedactionRequest(position: p, paths: ["/step/note"], reason: "names a person's position without consent"), actor: Self.admin)
            #expect(outcome.position == p && outcome.event == target.id)
            #expect(outcome.originalPayloadHash == target.payloadHash.hex)

            // The export: no trace of the text, a marker, the payload hash unchanged, and it verifies.
            let export = try await audit.export()
            #expect(!text(export).contains("Hesitating"))
            #expect(!text(export).contains("Bundestag vote"))
            let line = try #require(lines(export).first { text($0).contains("\"position\":\(p),") && text($0).contains("\"kind\":\"event\"") })
            let object = try object(line)
            #expect(object["payloadHash"] as? String == target.payloadHash.hex)
            #expect(text(line).contains("\"note\":\"[redacted]\""))
            #expect(text(line).contains("\"redactions\":[{\"paths\":[\"/step/note\"],\"position\":\(outcome.redactionPosition)}]"))
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            #expect(summary.redacted == 1)

            // The redaction event records who, which event, which field and why.
            let recorded = try #require(try await service.store.readAll(after: outcome.redactionPosition - 1, limit: 1).first)
            #expect(recorded.type == PayloadRedaction.eventType)
            #expect(recorded.actor == EventActor(id: Self.admin.id, name: Self.admin.name))
            #expect(recorded.payload.string.contains("names a person's position without consent"))
            #expect(recorded.payload.string.contains(target.id.uuidString.lowercased()))
            #expect(!recorded.payload.string.contains("Hesitating"))

            // Every read path: the log as the API pages it, the raw table, the domain log's timeline and matrix,
            // the report, the CSV.
            let page = try await service.store.readAll(after: 0, limit: 10_000)
            #expect(!page.contains { $0.payload.string.contains("Hesitating") })
            let raw = try await service.store.database.read { conn in
                try conn.query("SELECT count(*) FROM accord_events WHERE CAST(payload AS TEXT) LIKE '%Hesitating%'").first?.int(0)
            }
            #expect(raw == 0)
            let timeline = try await service.queries.timeline(DemoScenario.forceGeneration, cutoff: .everything)
            #expect(!timeline.contains { ($0.note ?? "").contains("Hesitating") })
            #expect(timeline.contains { $0.note == PayloadRedaction.marker })
            let matrix = try await service.queries.matrix(DemoScenario.forceGeneration, asOf: service.clock.now(), cutoff: .everything)
            #expect(!matrix.rows.flatMap(\.cells).contains { ($0.note ?? "").contains("Hesitating") })
            let report = try await ProcessReport.render(DemoScenario.forceGeneration, service: service, asOf: service.clock.now(), cutoff: .everything)
            #expect(!report.contains("Hesitating"))
            var csv: [UInt8] = []
            try await StatusMatrixCSV.write(ExportSelection(), service: service) { csv += $0 }
            #expect(!text(csv).contains("Hesitating"))

            // The state is otherwise the same: Germany still expressed interest.
            #expect(matrix.rows.first { $0.party == PartyCode("DE") }?.currentStage == StageID("interest"))
            // The server's own chain walk accepts the redacted event.
            #expect(try await service.store.verifyChain(progress: nil) == .intact(lastPosition: outcome.redactionPosition, head: try #require(page.last?.chainHash)))
        }
    }

    @Test("a fresh domain log, as after a restart or on another instance, reads the redacted payload", arguments: Backend.allCases)
    func freshLogSeesRedaction(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let p = try position(of: Self.secret, in: try await audit.export())
            _ = try await audit.redactor.redact(RedactionRequest(position: p, paths: ["/step/note"], reason: "privacy"), actor: Self.admin)
            let other = DomainLog(store: audit.service.store)
            try await other.catchUp()
            let state = try #require(await other.process(DemoScenario.forceGeneration))
            #expect(!state.steps.values.contains { ($0.current.content.note ?? "").contains("Hesitating") })
        }
    }

    @Test("redactions that cannot be made are refused and record nothing", arguments: [Backend.sqlite])
    func refusals(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let redactor = audit.redactor
            let p = try position(of: Self.secret, in: try await audit.export())
            let head = try await audit.service.store.headPosition()
            func refused(_ request: RedactionRequest, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) async {
                do {
                    _ = try await redactor.redact(request, actor: Self.admin)
                    Issue.record("the redaction was accepted", sourceLocation: sourceLocation)
                } catch {
                    #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
                }
            }
            await refused(RedactionRequest(position: p, paths: ["/step/party"], reason: "x"), "cannot read")
            await refused(RedactionRequest(position: p, paths: ["/step/nothing"], reason: "x"), "no field at /step/nothing")
            await refused(RedactionRequest(position: p, paths: ["/step"], reason: "x"), "not a text field")
            await refused(RedactionRequest(position: p, paths: ["step/note"], reason: "x"), "JSON Pointer")
            await refused(RedactionRequest(position: p, paths: ["/step/note"], reason: "  "), "reason")
            await refused(RedactionRequest(position: p, paths: [], reason: "x"), "paths")
            await refused(RedactionRequest(position: head + 10, paths: ["/step/note"], reason: "x"), "not found")
            await refused(RedactionRequest(event: UUID(), paths: ["/step/note"], reason: "x"), "not found")
            #expect(try await audit.service.store.headPosition() == head)
            let done = try await redactor.redact(RedactionRequest(position: p, paths: ["/step/note"], reason: "x"), actor: Self.admin)
            await refused(RedactionRequest(position: p, paths: ["/step/note"], reason: "x"), "already redacted")
            await refused(RedactionRequest(position: done.redactionPosition, paths: ["/reason"], reason: "x"), "cannot itself be redacted")
        }
    }

    @Test("two fields redacted one after the other both stay redacted; the chain still verifies", arguments: [Backend.postgres])
    func successiveRedactions(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let p = try position(of: Self.secret, in: try await audit.export())
            let source = try #require(try await audit.service.store.readAll(after: p - 1, limit: 1).first)
            #expect(source.payload.string.contains("\"source\":"))
            async let a = audit.redactor.redact(RedactionRequest(position: p, paths: ["/step/note"], reason: "privacy"), actor: Self.admin)
            async let b = audit.redactor.redact(RedactionRequest(position: p, paths: ["/step/source"], reason: "privacy"), actor: Self.admin)
            _ = try await (a, b)
            let event = try #require(try await audit.service.store.readAll(after: p - 1, limit: 1).first)
            #expect(event.payload.string.contains("\"note\":\"[redacted]\"") && event.payload.string.contains("\"source\":\"[redacted]\""))
            let export = try await audit.export()
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            #expect(summary.redacted == 1)
        }
    }

    @Test("a redacted line whose marker is tampered with is reported")
    func tamperedMarker() async throws {
        try await withAudit(.sqlite) { audit in
            let p = try position(of: Self.secret, in: try await audit.export())
            let outcome = try await audit.redactor.redact(RedactionRequest(position: p, paths: ["/step/note"], reason: "privacy"), actor: Self.admin)
            let keys = try await audit.keyRing()
            var all = lines(try await audit.export())
            let index = lineNumber(ofPosition: p) - 1
            // Claiming a redaction for text that is still there.
            var claimed = all
            claimed[index] = Array(text(all[index]).replacingOccurrences(of: "\"note\":\"[redacted]\"", with: "\"note\":\"Something else\"").utf8)
            expectBroken(try ExportVerifier(keys: keys).verify(bytes: joined(claimed)), line: index + 1, kind: .redactionMismatch)
            // Pointing the marker at an event that is not the redaction.
            all[index] = Array(text(all[index]).replacingOccurrences(of: "\"position\":\(outcome.redactionPosition)}", with: "\"position\":\(outcome.redactionPosition - 1)}").utf8)
            expectBroken(try ExportVerifier(keys: keys).verify(bytes: joined(all)), line: index + 1, kind: .redactionMismatch)
        }
    }

    @Test("the events table still refuses every other UPDATE and DELETE", arguments: Backend.allCases)
    func appendOnlyStill(_ backend: Backend) async throws {
        try await withAudit(backend, demo: false) { audit in
            let database = audit.service.store.database
            for sql in ["UPDATE accord_events SET actor_name = 'x' WHERE position = 1",
                        "UPDATE accord_events SET payload = '{}' WHERE position = 1",
                        "DELETE FROM accord_events WHERE position = 1"] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await database.transaction { conn in try conn.execute(sql) }
                }
            }
        }
    }
}
