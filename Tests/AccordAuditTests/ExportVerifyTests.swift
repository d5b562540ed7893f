import AccordAudit
import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Export and offline verification")
struct ExportVerifyTests {
    @Test("a whole-log export verifies offline with the server's public key", arguments: Backend.allCases)
    func roundTrip(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let head = try await audit.service.store.headPosition()
            let export = try await audit.export()
            let all = lines(export)
            #expect(all.count == Int(head) + 2)
            let header = try object(all[0])
            #expect(header["format"] as? String == "accord-export-v1")
            #expect(header["firstPosition"] as? Int64 == 1)
            #expect(header["lastPosition"] as? Int64 == head)
            #expect(header["previousHash"] as? String == SHA256Hash.zero.hex)
            // Canonical: members sorted, the payload embedded exactly as the log holds it.
            let first = try #require(try await audit.service.store.readAll(after: 0, limit: 1).first)
            #expect(text(all[1]).hasPrefix("{\"actor\":{\"id\":\"system\",\"name\":\"Accord\"},\"causationId\":null,\"chainHash\":\"\(first.chainHash.hex)\""))
            #expect(text(all[1]).contains("\"payload\":\(first.payload.string),\"payloadHash\":\"\(first.payloadHash.hex)\""))
            let checkpoint = try object(all[all.count - 1])
            #expect(checkpoint["kind"] as? String == "checkpoint")
            #expect(checkpoint["position"] as? Int64 == head)

            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            #expect(summary.events == head)
            #expect(summary.firstPosition == 1 && summary.lastPosition == head)
            #expect(summary.startConfirmed)
            #expect(summary.checkpoint?.position == head)
            let key = try await audit.signingKey()
            #expect(summary.checkpointKey?.keyId == key.keyId)
        }
    }

    @Test("the same log exports the same event lines twice", arguments: [Backend.sqlite])
    func deterministic(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let a = lines(try await audit.export()), b = lines(try await audit.export())
            #expect(a.dropFirst().dropLast() == b.dropFirst().dropLast())
        }
    }

    @Test("a payload byte changed in the database is reported at its line as a changed payload", arguments: Backend.allCases)
    func changedPayloadInDatabase(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let p = try position(of: "Hesitating", in: try await audit.export())
            try await tamper(audit) { dialect in
                dialect == .sqlite
                    ? "UPDATE accord_events SET payload = replace(payload, 'Hesitating', 'Hesitatinf') WHERE position = \(p)"
                    : "UPDATE accord_events SET payload = replace(payload::text, 'Hesitating', 'Hesitatinf')::json WHERE position = \(p)"
            }
            let export = try await audit.export()
            #expect(text(export).contains("Hesitatinf"))
            expectBroken(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export), line: lineNumber(ofPosition: p), kind: .changedPayload)
            // The server's own chain walk sees it too.
            guard case .broken(let at, .payloadChanged) = try await audit.service.store.verifyChain(progress: nil) else {
                Issue.record("verify-chain did not see the changed payload")
                return
            }
            #expect(at == p)
        }
    }

    @Test("an actor changed in the database is reported at its line as changed metadata", arguments: Backend.allCases)
    func changedActorInDatabase(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            try await tamper(audit) { _ in "UPDATE accord_events SET actor_name = 'Someone Else' WHERE position = 40" }
            expectBroken(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: try await audit.export()),
                         line: lineNumber(ofPosition: 40), kind: .changedMetadata)
        }
    }

    @Test("edits to the file are reported at the right line with the right kind")
    func fileTampering() async throws {
        try await withAudit(.sqlite) { audit in
            let export = try await audit.export()
            let keys = try await audit.keyRing()
            let verifier = ExportVerifier(keys: keys)
            var all = lines(export)

            // A payload byte changed.
            var changed = all
            changed[50] = Array(text(changed[50]).replacingOccurrences(of: "\"payload\":{\"", with: "\"payload\":{ \"").utf8)
            #expect(changed[50] != all[50])
            expectBroken(try verifier.verify(bytes: joined(changed)), line: 51, kind: .changedPayload)

            // A line removed.
            var removed = all
            removed.remove(at: 30)
            expectBroken(try verifier.verify(bytes: joined(removed)), line: 31, kind: .removedLine)

            // Two lines swapped.
            var swapped = all
            swapped.swapAt(20, 21)
            expectBroken(try verifier.verify(bytes: joined(swapped)), line: 21, kind: .reorderedLines)

            // An actor changed.
            var actor = all
            actor[60] = Array(text(actor[60]).replacingOccurrences(of: "\"name\":\"Accord demo loader\"", with: "\"name\":\"Someone Else\"").utf8)
            #expect(actor[60] != all[60])
            expectBroken(try verifier.verify(bytes: joined(actor)), line: 61, kind: .changedMetadata)

            // A recorded time changed.
            var time = all
            time[70] = Array(text(time[70]).replacingOccurrences(of: "\"recordedAt\":\"20", with: "\"recordedAt\":\"19").utf8)
            expectBroken(try verifier.verify(bytes: joined(time)), line: 71, kind: .changedMetadata)

            // The last event removed: the checkpoint no longer matches.
            var tail = all
            tail.remove(at: tail.count - 2)
            expectBroken(try verifier.verify(bytes: joined(tail)), line: tail.count, kind: .checkpointMismatch)

            // The checkpoint removed: the export was cut short.
            let cut = Array(all.dropLast())
            expectBroken(try verifier.verify(bytes: joined(cut)), line: cut.count + 1, kind: .checkpointMismatch)

            // The checkpoint signed by another key that claims the trusted key's id.
            let original = try JSONDecoder().decode(Checkpoint.self, from: Data(all[all.count - 1]))
            let intruder = AuditSigningKey.generate()
            var forged = try Checkpoint.sign(position: original.position, chainHash: try #require(SHA256Hash(hex: original.chainHash)),
                                             at: original.signedAt, with: intruder)
            forged.keyId = original.keyId
            forged.signature = Data(try intruder.signature(for: forged.signedMessage)).base64EncodedString()
            all[all.count - 1] = try checkpointLine(forged)
            expectBroken(try verifier.verify(bytes: joined(all)), line: all.count, kind: .badSignature)

            // Signed by a key nobody trusts, under its own id.
            all[all.count - 1] = try checkpointLine(try Checkpoint.sign(
                position: original.position, chainHash: try #require(SHA256Hash(hex: original.chainHash)), at: original.signedAt, with: intruder))
            expectBroken(try verifier.verify(bytes: joined(all)), line: all.count, kind: .unknownKey)
        }
    }

    func checkpointLine(_ checkpoint: Checkpoint) throws -> [UInt8] { Array(checkpoint.jsonLine.utf8) }

    @Test("a partial export verifies from the chain hash before its first line", arguments: Backend.allCases)
    func partialExport(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let whole = lines(try await audit.export())
            let before = try #require(try object(whole[lineNumber(ofPosition: 99) - 1])["chainHash"] as? String)
            let partial = try await audit.export(ExportSelection(fromPosition: 100, toPosition: 200))
            let all = lines(partial)
            #expect(all.count == 101 + 2)
            #expect(try object(all[0])["previousHash"] as? String == before)
            let keys = try await audit.keyRing()
            let summary = try verified(try ExportVerifier(keys: keys, previousHash: SHA256Hash(hex: before)).verify(bytes: partial))
            #expect(summary.events == 101 && summary.firstPosition == 100 && summary.lastPosition == 200)
            #expect(summary.startConfirmed)
            // Without an independent previous hash it still verifies, from the header, and says so.
            #expect(try verified(try ExportVerifier(keys: keys).verify(bytes: partial)).startConfirmed == false)
            // From another previous hash it does not.
            expectBroken(try ExportVerifier(keys: keys, previousHash: .zero).verify(bytes: partial), line: 2, kind: .brokenLink)
        }
    }

    @Test("a process or party export keeps the chain whole: other events appear elided, without their payload", arguments: Backend.allCases)
    func processExport(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            // A later entry of the NATO decision, so that other processes' events lie between its own.
            _ = try await audit.service.commands.execute(
                .extendDeadline(process: DemoScenario.natoC2, deadline: DeadlineID("silence")!, localTime: "2030-01-01T12:00", timeZone: nil,
                                reason: "more time", occurredAt: nil),
                context: CommandContext(actor: ActorRef(id: "t", name: "Tester")))
            try await audit.service.eventIndex.catchUp()
            let export = try await audit.export(ExportSelection(process: DemoScenario.natoC2))
            let all = lines(export)
            let kinds = try all.map { try object($0)["kind"] as? String }
            #expect(kinds.filter { $0 == "event" }.count == 3)
            #expect(kinds.contains("elided"))
            for line in all where text(line).contains("\"kind\":\"event\"") {
                #expect(text(line).contains(DemoScenario.natoC2.description))
            }
            for line in all where text(line).contains("\"kind\":\"elided\"") {
                #expect(!text(line).contains("\"payload\":"))
            }
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            #expect(summary.events == 3 && summary.elided > 0)

            let party = try await audit.export(ExportSelection(party: PartyCode("GR")))
            let events = lines(party).filter { text($0).contains("\"kind\":\"event\"") }
            #expect(!events.isEmpty)
            for line in events { #expect(text(line).contains("\"GR\"")) }
            #expect(lines(party).contains { text($0).contains("\"kind\":\"elided\"") })
            _ = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: party))
        }
    }

    @Test("a time-range export covers the events recorded in that range", arguments: [Backend.sqlite])
    func timeRangeExport(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let events = try await audit.service.store.readAll(after: 0, limit: 1000)
            let from = events[100].recordedAt, until = events[150].recordedAt
            let expected = events.filter { $0.recordedAt >= from && $0.recordedAt < until }.count
            let export = try await audit.export(ExportSelection(recordedFrom: from, recordedUntil: until))
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            #expect(summary.events == Int64(expected))
        }
    }

    @Test("an export that selects nothing still ends with a signed checkpoint of the head", arguments: [Backend.sqlite])
    func emptySelection(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let export = try await audit.export(ExportSelection(party: PartyCode("ZZ")))
            #expect(lines(export).count == 2)
            let summary = try verified(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: export))
            let head = try await audit.service.store.headPosition()
            #expect(summary.events == 0 && summary.checkpoint?.position == head)
        }
    }

    @Test("an export can be held against a checkpoint made earlier; rewritten history is caught", arguments: Backend.allCases)
    func earlierCheckpoints(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let early = try await audit.checkpoint(reason: .request)
            _ = try await audit.service.commands.execute(
                .open(OpenProcess(process: ProcessID(), title: "Sweden", template: TemplateID("alliance-accession-ratification")!,
                                  occurredAt: Instant(iso8601: "2022-07-05T10:00:00Z")!)),
                context: CommandContext(actor: ActorRef(id: "t", name: "Tester")))
            let export = try await audit.export()
            let keys = try await audit.keyRing()
            let summary = try verified(try ExportVerifier(keys: keys, earlierCheckpoints: [early.checkpoint]).verify(bytes: export))
            #expect(summary.earlierCheckpointsMatched == 1)
            // A checkpoint that remembers another chain hash at that position: history was rewritten since.
            var other = early.checkpoint
            other.chainHash = SHA256Hash.of(Array("rewritten".utf8)).hex
            expectBroken(try ExportVerifier(keys: keys, earlierCheckpoints: [other]).verify(bytes: export),
                         line: lineNumber(ofPosition: early.position), kind: .checkpointMismatch)
        }
    }

    @Test("a file that is not an export, or is missing, cannot be read")
    func unreadable() throws {
        let keys = KeyRing([AuditSigningKey.generate().publicKey])
        #expect(throws: VerificationError.self) { try ExportVerifier(keys: keys).verify(bytes: Array("hello\n".utf8)) }
        #expect(throws: VerificationError.self) { try ExportVerifier(keys: keys).verify(bytes: []) }
        #expect(throws: VerificationError.self) { try ExportVerifier(keys: keys).verify(file: "/nonexistent/export.jsonl") }
        #expect(throws: VerificationError.self) {
            try ExportVerifier(keys: keys).verify(bytes: Array("{\"kind\":\"header\",\"format\":\"other-v9\"}\n".utf8))
        }
    }

    @Test("a garbled line in the middle is reported as malformed")
    func malformedLine() async throws {
        try await withAudit(.sqlite) { audit in
            var all = lines(try await audit.export())
            all[10] = Array("{\"kind\":\"event\",".utf8)
            expectBroken(try ExportVerifier(keys: try await audit.keyRing()).verify(bytes: joined(all)), line: 11, kind: .malformedLine)
        }
    }
}
