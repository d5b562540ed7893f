import AccordEventStore
import AccordTime
import Crypto
import Foundation

/// A signed statement "the chain's event at `position` has chain hash `chainHash`", made at `signedAt` with the
/// key `keyId`. Because each chain hash commits to everything before it, a checkpoint pins the whole log up to
/// its position.
///
/// The signed message is the checkpoint's canonical JSON without `signature`:
/// `{"chainHash":"…","keyId":"…","kind":"checkpoint","position":N,"signedAt":"…"}` (Ed25519, signature in
/// base64). `docs/audit.md` shows how to check it with openssl.
public struct Checkpoint: Codable, Hashable, Sendable {
    public var position: Int64
    public var chainHash: String
    public var signedAt: Instant
    public var keyId: String
    public var signature: String

    public init(position: Int64, chainHash: String, signedAt: Instant, keyId: String, signature: String) {
        self.position = position
        self.chainHash = chainHash
        self.signedAt = signedAt
        self.keyId = keyId
        self.signature = signature
    }

    public static func sign(position: Int64, chainHash: SHA256Hash, at time: Instant, with key: AuditSigningKey) throws -> Checkpoint {
        var checkpoint = Checkpoint(position: position, chainHash: chainHash.hex, signedAt: time, keyId: key.keyId, signature: "")
        checkpoint.signature = Data(try key.signature(for: checkpoint.signedMessage)).base64EncodedString()
        return checkpoint
    }

    /// The bytes the signature covers.
    public var signedMessage: [UInt8] { canonical(withSignature: false) }

    /// The checkpoint as the line that closes an export (without the newline).
    public var jsonLine: String { String(decoding: canonical(withSignature: true), as: UTF8.self) }

    /// The checkpoint line of an export.
    func appendLine(to out: inout [UInt8]) {
        out.append(contentsOf: canonical(withSignature: true))
        out.append(0x0A)
    }

    /// The canonical JSON object, members sorted by key (`signature` sorts before `signedAt`).
    func canonical(withSignature: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        JSONBytes.key("chainHash", to: &out); JSONBytes.string(chainHash, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("keyId", to: &out); JSONBytes.string(keyId, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("kind", to: &out); JSONBytes.raw("\"checkpoint\"", to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("position", to: &out); JSONBytes.integer(position, to: &out)
        if withSignature {
            out.append(UInt8(ascii: ",")); JSONBytes.key("signature", to: &out); JSONBytes.string(signature, to: &out)
        }
        out.append(UInt8(ascii: ",")); JSONBytes.key("signedAt", to: &out); JSONBytes.instant(signedAt, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    public enum Check: Sendable, Hashable {
        case valid(AuditPublicKey)
        case unknownKey
        case badSignature
    }

    /// Checks the signature with the trusted key the checkpoint names.
    public func check(with keys: KeyRing) -> Check {
        guard let key = keys[keyId], let publicKey = key.cryptoKey else { return .unknownKey }
        guard let signatureBytes = Data(base64Encoded: signature),
              publicKey.isValidSignature(signatureBytes, for: Data(signedMessage)) else { return .badSignature }
        return .valid(key)
    }
}

/// A checkpoint the server stored, with why it was made.
public struct StoredCheckpoint: Codable, Hashable, Sendable {
    public enum Reason: String, Codable, Sendable, Hashable {
        /// Made by the server's timer.
        case interval
        /// Asked for (`POST /v1/audit/checkpoints`, `accord checkpoint`).
        case request
    }

    public var id: Int64
    public var reason: Reason
    public var position: Int64
    public var chainHash: String
    public var signedAt: Instant
    public var keyId: String
    public var signature: String

    public init(id: Int64, reason: Reason, checkpoint: Checkpoint) {
        self.id = id
        self.reason = reason
        position = checkpoint.position
        chainHash = checkpoint.chainHash
        signedAt = checkpoint.signedAt
        keyId = checkpoint.keyId
        signature = checkpoint.signature
    }

    public var checkpoint: Checkpoint {
        Checkpoint(position: position, chainHash: chainHash, signedAt: signedAt, keyId: keyId, signature: signature)
    }
}
