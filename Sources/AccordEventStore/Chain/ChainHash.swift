import AccordTime
import Crypto
import Foundation

/// A SHA-256 digest (32 bytes).
///
/// Held inline (four words, in byte order) rather than in an array: every event carries three of these, and
/// reading the log would otherwise allocate three arrays per event.
public struct SHA256Hash: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The 32 digest bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static let zero = SHA256Hash(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.init(uncheckedBytes: bytes)
    }

    init(uncheckedBytes: [UInt8]) {
        self = uncheckedBytes.withUnsafeBytes { SHA256Hash(digest: $0) }
    }

    /// The first 32 bytes of `digest` (callers pass exactly 32).
    public init(digest: UnsafeRawBufferPointer) {
        words = (0, 0, 0, 0)
        let count = min(32, digest.count)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: digest[..<count])) }
    }

    /// Calls `body` with the 32 digest bytes, without copying them into an array.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public static func == (lhs: SHA256Hash, rhs: SHA256Hash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    public init?(hex: String) {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - 55
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        guard high == nil, out.count == 32 else { return nil }
        self.init(uncheckedBytes: out)
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        withUnsafeBytes { bytes in
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func of(_ data: some Collection<UInt8>) -> SHA256Hash {
        if let bytes = data.withContiguousStorageIfAvailable({ of(UnsafeRawBufferPointer($0)) }) { return bytes }
        return Array(data).withUnsafeBytes { of($0) }
    }

    /// Hashes bytes in place, without copying them into an array first (payloads and chain layouts are hashed
    /// once per appended and per verified event).
    static func of(_ bytes: UnsafeRawBufferPointer) -> SHA256Hash {
        SHA256.hash(data: bytes).withUnsafeBytes { SHA256Hash(digest: $0) }
    }
}

/// The fields of an event that the chain commits to, and the canonical byte layout they are hashed in.
///
/// Layout v1 (all integers big-endian; `str` is a u32 byte length followed by UTF-8; `uuid?` is one byte 0/1
/// followed by the 16 raw bytes when present):
///
///     "accord-chain-v1"            15 bytes, domain separation
///     previous chain hash          32 bytes (32 zero bytes before position 1)
///     position                     i64
///     event id                     16 bytes
///     stream                       str
///     stream version               i64
///     type                         str
///     schema version               i32
///     actor id                     str
///     actor name                   str
///     correlation id               uuid?
///     causation id                 uuid?
///     occurredAt                   i64 microseconds since the Unix epoch
///     recordedAt                   i64 microseconds since the Unix epoch
///     payload hash                 32 bytes: SHA-256 of the canonical payload bytes
///
/// The chain commits to the payload's hash, not the payload, so a redacted payload still verifies.
public enum EventChain {
    static let domainTag = Array("accord-chain-v1".utf8)

    public static func chainHash(
        previous: SHA256Hash, position: Int64, id: UUID, stream: String, streamVersion: Int64, type: String,
        schemaVersion: Int32, actor: EventActor, correlationId: UUID?, causationId: UUID?,
        occurredAt: Instant, recordedAt: Instant, payloadHash: SHA256Hash
    ) -> SHA256Hash {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(192 + stream.utf8.count + type.utf8.count + actor.id.utf8.count + actor.name.utf8.count)
        buffer.append(contentsOf: domainTag)
        previous.withUnsafeBytes { buffer.append(contentsOf: $0) }
        appendInt64(position, to: &buffer)
        appendUUID(id, to: &buffer)
        appendString(stream, to: &buffer)
        appendInt64(streamVersion, to: &buffer)
        appendString(type, to: &buffer)
        withUnsafeBytes(of: UInt32(bitPattern: schemaVersion).bigEndian) { buffer.append(contentsOf: $0) }
        appendString(actor.id, to: &buffer)
        appendString(actor.name, to: &buffer)
        appendOptionalUUID(correlationId, to: &buffer)
        appendOptionalUUID(causationId, to: &buffer)
        appendInt64(occurredAt.microsecondsSinceEpoch, to: &buffer)
        appendInt64(recordedAt.microsecondsSinceEpoch, to: &buffer)
        payloadHash.withUnsafeBytes { buffer.append(contentsOf: $0) }
        return buffer.withUnsafeBytes { SHA256Hash.of($0) }
    }

    /// The chain hash an event should carry, recomputed from its fields.
    public static func expectedChainHash(of event: RecordedEvent, previous: SHA256Hash) -> SHA256Hash {
        chainHash(
            previous: previous, position: event.position, id: event.id, stream: event.stream.rawValue,
            streamVersion: event.streamVersion, type: event.type, schemaVersion: event.schemaVersion,
            actor: event.actor, correlationId: event.correlationId, causationId: event.causationId,
            occurredAt: event.occurredAt, recordedAt: event.recordedAt, payloadHash: event.payloadHash)
    }

    // Integers are written big-endian straight into the buffer: no temporary arrays per field.
    @inline(__always)
    static func appendInt64(_ value: Int64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    static func appendString(_ value: String, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(value.utf8.count).bigEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: value.utf8)
    }

    static func appendUUID(_ id: UUID, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: id.uuid) { buffer.append(contentsOf: $0) }
    }

    static func appendOptionalUUID(_ id: UUID?, to buffer: inout [UInt8]) {
        if let id {
            buffer.append(1)
            appendUUID(id, to: &buffer)
        } else {
            buffer.append(0)
        }
    }
}

/// The outcome of walking the chain.
public enum ChainVerification: Sendable, Hashable {
    case intact(lastPosition: Int64, head: SHA256Hash)
    /// The first position at which the stored data disagrees with the chain, and what is wrong there.
    case broken(position: Int64, problem: ChainProblem)
}

public enum ChainProblem: Sendable, Hashable, CustomStringConvertible {
    /// The payload's bytes no longer hash to the stored payload hash.
    case payloadChanged(expected: SHA256Hash, actual: SHA256Hash)
    /// The stored chain hash does not match the fields (metadata or payload hash changed).
    case chainHashMismatch(expected: SHA256Hash, stored: SHA256Hash)
    /// The stored previous-hash link does not match the prior event's chain hash.
    case linkMismatch(expected: SHA256Hash, stored: SHA256Hash)
    /// Positions are not dense: an event is missing (removed) or out of order.
    case positionGap(expected: Int64, found: Int64)

    public var description: String {
        switch self {
        case let .payloadChanged(expected, actual):
            "the payload changed: its hash is \(actual.hex), the chain recorded \(expected.hex)"
        case let .chainHashMismatch(expected, stored):
            "the event's fields changed: they hash to \(expected.hex), the stored chain hash is \(stored.hex)"
        case let .linkMismatch(expected, stored):
            "the link to the previous event is broken: expected \(expected.hex), stored \(stored.hex)"
        case let .positionGap(expected, found):
            "position \(expected) is missing (found \(found) instead): an event was removed or reordered"
        }
    }
}

/// Checks consecutive events against the chain; shared by `verify-chain`, backups and the audit verifier.
public struct ChainVerifier: Sendable {
    public private(set) var previous: SHA256Hash
    public private(set) var nextPosition: Int64

    /// Starts after `position` whose chain hash is `previousHash` (position 0 and `.zero` for the whole log).
    public init(after position: Int64 = 0, previousHash: SHA256Hash = .zero) {
        self.previous = previousHash
        self.nextPosition = position + 1
    }

    /// Checks one event; on success advances past it. A redacted event's payload no longer hashes to the
    /// recorded payload hash by design (`docs/audit.md`): for it only the hash is checked against the chain.
    public mutating func check(_ event: RecordedEvent, payloadRedacted: Bool = false) -> ChainProblem? {
        guard event.position == nextPosition else {
            return .positionGap(expected: nextPosition, found: event.position)
        }
        let payloadHash = payloadRedacted ? event.payloadHash : SHA256Hash.of(event.payload.bytes)
        guard payloadHash == event.payloadHash else {
            return .payloadChanged(expected: event.payloadHash, actual: payloadHash)
        }
        return check(position: event.position, previousChainHash: event.previousChainHash, chainHash: event.chainHash,
                     expectedChainHash: EventChain.expectedChainHash(of: event, previous: event.previousChainHash))
    }

    /// The same checks for an event known only by its position and hashes, its chain hash computed beforehand
    /// over its fields after its own `previousChainHash` (the audit verifier, which hashes on several cores).
    public mutating func check(position: Int64, previousChainHash: SHA256Hash, chainHash: SHA256Hash,
                               expectedChainHash: SHA256Hash) -> ChainProblem? {
        guard position == nextPosition else { return .positionGap(expected: nextPosition, found: position) }
        guard previousChainHash == previous else { return .linkMismatch(expected: previous, stored: previousChainHash) }
        guard expectedChainHash == chainHash else { return .chainHashMismatch(expected: expectedChainHash, stored: chainHash) }
        previous = chainHash
        nextPosition += 1
        return nil
    }
}
