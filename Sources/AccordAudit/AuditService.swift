import AccordDomain
import AccordEventStore
import AccordService
import Foundation
import Logging

/// The audit side of an Accord instance: its signing key, stored checkpoints, exports, redactions and reports.
public struct AuditService: Sendable {
    public let service: AccordService
    public let keyFolder: SigningKeyFolder
    public let records: AuditRecords

    public init(service: AccordService, keyFolder: SigningKeyFolder) {
        self.service = service
        self.keyFolder = keyFolder
        self.records = AuditRecords(database: service.store.database)
    }

    /// Makes the signing key on first start and lists its public key in the database, so every instance on the
    /// same database can show every key that signed a checkpoint.
    @discardableResult
    public func start() async throws -> AuditSigningKey {
        let key = try keyFolder.loadOrCreate()
        try await records.register(key.publicKey, at: service.clock.now())
        return key
    }

    /// The current key, read from its file each time so that a rotation (`accord key rotate`) takes effect
    /// without a restart.
    public func signingKey() async throws -> AuditSigningKey {
        let key = try keyFolder.loadOrCreate()
        try await records.register(key.publicKey, at: service.clock.now())
        return key
    }

    /// Makes a new key, retires the old one (its public key stays listed) and returns the new one.
    public func rotateKey() async throws -> (old: AuditSigningKey?, new: AuditSigningKey) {
        let old = FileManager.default.fileExists(atPath: keyFolder.keyPath) ? try keyFolder.load() : nil
        let new = try keyFolder.rotate()
        let now = service.clock.now()
        if let old {
            try await records.register(old.publicKey, at: now)
            try await records.retire(keyId: old.keyId, at: now)
        }
        try await records.register(new.publicKey, at: now)
        return (old, new)
    }

    /// Signs the chain's head now.
    public func signHead() async throws -> Checkpoint {
        let store = service.store
        let head = try await store.headPosition()
        let hash = head == 0 ? SHA256Hash.zero : try await store.readAll(after: head - 1, limit: 1).first?.chainHash ?? .zero
        return try Checkpoint.sign(position: head, chainHash: hash, at: service.clock.now(), with: try await signingKey())
    }

    /// Signs and stores a checkpoint of the head.
    public func checkpoint(reason: StoredCheckpoint.Reason) async throws -> StoredCheckpoint {
        try await records.store(try await signHead(), reason: reason)
    }

    /// Stores a checkpoint of the head unless the newest stored one already covers it (so idle servers, or
    /// several instances on one database, do not pile up identical checkpoints).
    @discardableResult
    public func checkpointIfMoved() async throws -> StoredCheckpoint? {
        let head = try await service.store.headPosition()
        if let latest = try await records.latestCheckpoint(), latest.position >= head { return nil }
        return try await checkpoint(reason: .interval)
    }

    /// Streams a JSON Lines export ending with a checkpoint signed by the current key.
    @discardableResult
    public func exportJSONLines(_ selection: ExportSelection, emit: (inout [UInt8]) async throws -> Void) async throws -> Int64 {
        let key = try await signingKey()
        let clock = service.clock
        return try await AuditExporter(store: service.store).writeJSONLines(selection, now: clock.now(), sign: { position, hash in
            try Checkpoint.sign(position: position, chainHash: hash, at: clock.now(), with: key)
        }, emit: emit)
    }

    /// The public keys of every signing key the database lists, and of this instance's key folder.
    public func trustedKeys() async throws -> [AuditPublicKey] {
        var keys = try await records.keys().compactMap { AuditPublicKey(text: $0.publicKey) }
        for key in keyFolder.publicKeys() where !keys.contains(key) { keys.append(key) }
        return keys
    }

    public var redactor: Redactor { Redactor(service: service) }
}
