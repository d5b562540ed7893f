import AccordEventStore
import AccordTime
import Foundation

/// A public key as the database lists it.
public struct RegisteredKey: Codable, Hashable, Sendable {
    public var keyId: String
    public var algorithm: String
    /// `ed25519:BASE64`.
    public var publicKey: String
    public var createdAt: Instant
    public var retiredAt: Instant?
}

/// The audit tables of migration 4: public keys, stored checkpoints, redactions.
public struct AuditRecords: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) { self.database = database }

    /// Lists a public key (once; listing it again changes nothing).
    public func register(_ key: AuditPublicKey, at time: Instant) async throws {
        try await database.transaction { conn in
            try conn.execute(
                "INSERT INTO accord_signing_keys (key_id, algorithm, public_key, created_at) VALUES ($1, 'ed25519', $2, $3) ON CONFLICT (key_id) DO NOTHING",
                [.text(key.keyId), .text(key.description), .integer(time.microsecondsSinceEpoch)])
        }
    }

    /// Marks a key as no longer signing; it stays listed so its checkpoints still verify.
    public func retire(keyId: String, at time: Instant) async throws {
        try await database.transaction { conn in
            try conn.execute("UPDATE accord_signing_keys SET retired_at = $2 WHERE key_id = $1 AND retired_at IS NULL",
                             [.text(keyId), .integer(time.microsecondsSinceEpoch)])
        }
    }

    public func keys() async throws -> [RegisteredKey] {
        try await database.read { conn in
            try conn.query("SELECT key_id, algorithm, public_key, created_at, retired_at FROM accord_signing_keys ORDER BY created_at, key_id").map { row in
                RegisteredKey(keyId: try row.string(0), algorithm: try row.string(1), publicKey: try row.string(2),
                              createdAt: Instant(microsecondsSinceEpoch: try row.int(3)),
                              retiredAt: try row.optionalInt(4).map { Instant(microsecondsSinceEpoch: $0) })
            }
        }
    }

    public func store(_ checkpoint: Checkpoint, reason: StoredCheckpoint.Reason) async throws -> StoredCheckpoint {
        let id = try await database.transaction { conn in
            try conn.query(
                "INSERT INTO accord_checkpoints (position, chain_hash, signed_at, key_id, signature, reason) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                [.integer(checkpoint.position), .text(checkpoint.chainHash), .integer(checkpoint.signedAt.microsecondsSinceEpoch),
                 .text(checkpoint.keyId), .text(checkpoint.signature), .text(reason.rawValue)]).first?.int(0) ?? 0
        }
        return StoredCheckpoint(id: id, reason: reason, checkpoint: checkpoint)
    }

    static let checkpointColumns = "id, reason, position, chain_hash, signed_at, key_id, signature"

    static func checkpoint(_ row: SQLRow) throws -> StoredCheckpoint {
        guard let reason = StoredCheckpoint.Reason(rawValue: try row.string(1)) else {
            throw EventStoreError.database("unknown checkpoint reason \(try row.string(1))")
        }
        return StoredCheckpoint(id: try row.int(0), reason: reason, checkpoint: Checkpoint(
            position: try row.int(2), chainHash: try row.string(3), signedAt: Instant(microsecondsSinceEpoch: try row.int(4)),
            keyId: try row.string(5), signature: try row.string(6)))
    }

    /// Stored checkpoints with an id greater than `after`, oldest first.
    public func checkpoints(after: Int64, limit: Int) async throws -> [StoredCheckpoint] {
        try await database.read { conn in
            try conn.query("SELECT \(Self.checkpointColumns) FROM accord_checkpoints WHERE id > $1 ORDER BY id LIMIT $2",
                           [.integer(after), .integer(Int64(limit))]).map(Self.checkpoint)
        }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await database.read { conn in
            try conn.query("SELECT \(Self.checkpointColumns) FROM accord_checkpoints ORDER BY id DESC LIMIT 1").first.map(Self.checkpoint)
        }
    }

    /// The redactions recorded for events in `first...last`, by redacted position.
    public func redactions(from first: Int64, through last: Int64) async throws -> [Int64: [RedactionMark]] {
        let rows = try await database.read { conn in
            try conn.query(
                "SELECT target_position, redaction_position, paths FROM accord_redactions WHERE target_position BETWEEN $1 AND $2 ORDER BY redaction_position",
                [.integer(first), .integer(last)]).map { (try $0.int(0), try $0.int(1), try $0.string(2)) }
        }
        var marks: [Int64: [RedactionMark]] = [:]
        for (target, position, paths) in rows {
            let decoded = (try? JSONDecoder().decode([String].self, from: Data(paths.utf8))) ?? []
            marks[target, default: []].append(RedactionMark(position: position, paths: decoded))
        }
        return marks
    }
}
