import AccordAudit
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Signing keys and checkpoints")
struct KeyTests {
    @Test("the key is made on first start, readable by its owner only, and refused when others can read it")
    func keyFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("accord-keytest-\(UUID().uuidString.lowercased())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = SigningKeyFolder(dataDirectory: root.path)
        let key = try folder.loadOrCreate()
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue & 0o777
        }
        #expect(try mode(folder.path) == 0o700)
        #expect(try mode(folder.keyPath) == 0o600)
        #expect(try folder.loadOrCreate().keyId == key.keyId)
        #expect(folder.publicKeys() == [key.publicKey])
        // The key file is PKCS #8 PEM, as openssl writes Ed25519 keys.
        #expect(try String(contentsOfFile: folder.keyPath, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.keyPath)
        #expect(throws: AuditKeyError.self) { _ = try folder.load() }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.keyPath)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        #expect(throws: AuditKeyError.self) { _ = try folder.load() }
    }

    @Test("public keys are read in every printed form, and bad ones are refused")
    func publicKeyForms() throws {
        let key = AuditSigningKey.generate().publicKey
        #expect(AuditPublicKey(text: key.description) == key)
        #expect(AuditPublicKey(text: key.base64) == key)
        #expect(AuditPublicKey.all(in: key.pem) == [key])
        #expect(AuditPublicKey.all(in: "# comment\n\(key) key-id \(key.keyId) created 2025-01-01 current\n") == [key])
        #expect(AuditPublicKey(text: "ed25519:AAAA") == nil)
        #expect(throws: AuditKeyError.self) { _ = try AuditPublicKey.parse(argument: "not-a-key-or-file") }
    }

    @Test("after a rotation old checkpoints still verify, and new ones are signed with the new key", arguments: Backend.allCases)
    func rotation(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let before = try await audit.checkpoint(reason: .request)
            let oldExport = try await audit.export(ExportSelection(toPosition: 100))
            let (old, new) = try await audit.rotateKey()
            #expect(old?.keyId == before.keyId && new.keyId != before.keyId)
            let after = try await audit.checkpoint(reason: .request)
            #expect(after.keyId == new.keyId)

            // Both keys stay listed (the old one retired), so both checkpoints and the old export verify.
            let listed = try await audit.records.keys()
            #expect(Set(listed.map(\.keyId)) == [before.keyId, new.keyId])
            #expect(listed.first { $0.keyId == before.keyId }?.retiredAt != nil)
            let ring = try await audit.keyRing()
            #expect(before.checkpoint.check(with: ring) == .valid(try #require(old?.publicKey)))
            #expect(after.checkpoint.check(with: ring) == .valid(new.publicKey))
            _ = try verified(try ExportVerifier(keys: ring).verify(bytes: oldExport))
            _ = try verified(try ExportVerifier(keys: ring).verify(bytes: try await audit.export()))
            // The key folder keeps the old public key too.
            #expect(audit.keyFolder.publicKeys().map(\.keyId) == [before.keyId, new.keyId])
            // With only the new key, the old export's checkpoint is not trusted.
            expectBroken(try ExportVerifier(keys: KeyRing([new.publicKey])).verify(bytes: oldExport), line: lines(oldExport).count, kind: .unknownKey)
        }
    }

    @Test("stored checkpoints form a log of chain heads; an idle log adds none", arguments: Backend.allCases)
    func storedCheckpoints(_ backend: Backend) async throws {
        try await withAudit(backend) { audit in
            let first = try #require(try await audit.checkpointIfMoved())
            #expect(try await audit.checkpointIfMoved() == nil)
            let head = try await audit.service.store.headPosition()
            let event = try #require(try await audit.service.store.readAll(after: head - 1, limit: 1).first)
            #expect(first.position == head && first.chainHash == event.chainHash.hex && first.reason == .interval)
            let requested = try await audit.checkpoint(reason: .request)
            let page = try await audit.records.checkpoints(after: 0, limit: 10)
            #expect(page.map(\.id) == [first.id, requested.id])
            #expect(try await audit.records.checkpoints(after: first.id, limit: 10).map(\.id) == [requested.id])
            #expect(page.allSatisfy { if case .valid = $0.checkpoint.check(with: KeyRing([audit.keyFolder.publicKeys()[0]])) { true } else { false } })
        }
    }

    @Test("periodic checkpoints are signed while the service runs")
    func periodic() async throws {
        try await withAudit(.sqlite) { audit in
            let task = Task { try await PeriodicCheckpoints(audit: audit, interval: .milliseconds(20)).run() }
            var stored: [StoredCheckpoint] = []
            for _ in 0..<200 where stored.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                stored = try await audit.records.checkpoints(after: 0, limit: 10)
            }
            task.cancel()
            #expect(stored.count == 1)
            #expect(stored.first?.reason == .interval)
        }
    }
}
