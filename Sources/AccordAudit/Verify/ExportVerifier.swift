import AccordEventStore
import AccordService
import AccordTime
import Crypto
import Foundation

/// The export could not be read at all (exit code 2 of `accord verify`).
public enum VerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(String)

    public var description: String {
        switch self {
        case .unreadable(let why): why
        }
    }
}

/// What is wrong at the first broken line.
public enum BreakKind: String, Sendable, Hashable, Codable {
    /// The payload no longer hashes to its payload hash.
    case changedPayload = "changed-payload"
    /// A position is missing: a line was removed.
    case removedLine = "removed-line"
    /// Positions are out of order: lines were moved or swapped.
    case reorderedLines = "reordered-lines"
    /// A field the chain commits to (actor, times, type, ids, payload hash...) changed: the fields no longer hash
    /// to the line's chain hash.
    case changedMetadata = "changed-metadata"
    /// The line's previous hash is not the chain hash before it: a line was inserted or altered with its hashes
    /// recomputed, or the export does not start from the given previous hash.
    case brokenLink = "broken-link"
    /// A checkpoint's signature does not verify with the trusted key it names.
    case badSignature = "bad-signature"
    /// A checkpoint names a key that is not among the trusted keys.
    case unknownKey = "unknown-key"
    /// The closing checkpoint is missing (the export was cut short) or does not match the last line.
    case checkpointMismatch = "checkpoint-mismatch"
    /// A redacted line's marker does not agree with its redaction event or its payload.
    case redactionMismatch = "redaction-mismatch"
    /// The line is not a valid export line.
    case malformedLine = "malformed-line"
}

public struct BrokenLine: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 1-based line number in the file.
    public var line: Int
    public var position: Int64?
    public var kind: BreakKind
    public var detail: String

    public var description: String {
        "line \(line)" + (position.map { " (position \($0))" } ?? "") + ": \(kind.rawValue): \(detail)"
    }
}

public struct VerifiedExport: Sendable, Hashable {
    public var events: Int64 = 0
    public var elided: Int64 = 0
    public var redacted: Int64 = 0
    public var firstPosition: Int64?
    public var lastPosition: Int64?
    /// Whether the chain hash before the first line came from outside the file (`--previous-hash`, or the log's
    /// start) rather than only from the file's own header.
    public var startConfirmed = false
    public var checkpoint: Checkpoint?
    public var checkpointKey: AuditPublicKey?
    /// Earlier checkpoints (`--checkpoints`) whose position the export covers, all matched.
    public var earlierCheckpointsMatched = 0
    /// Earlier checkpoints outside the export's positions.
    public var earlierCheckpointsOutside = 0
    /// Redacted lines whose redaction event lies outside the export (its record could not be cross-checked).
    public var redactionsRecordedOutside = 0
}

public enum VerificationOutcome: Sendable, Hashable {
    case verified(VerifiedExport)
    case broken(BrokenLine)
}

/// Checks an `accord-export-v1` file with nothing but the file and trusted public keys: every payload hash and
/// chain hash is recomputed (with `EventChain`/`ChainVerifier`, as the server computes them), the lines must form
/// one unbroken piece of the chain, and the closing checkpoint's signature must verify with a trusted key and
/// match the last line. Streams: memory does not grow with the file.
public struct ExportVerifier: Sendable {
    public var keys: KeyRing
    /// The chain hash before the first line, obtained independently (an earlier export, a checkpoint).
    public var previousHash: SHA256Hash?
    /// Checkpoints made earlier; each one the export covers must match the line at its position.
    public var earlierCheckpoints: [Checkpoint]

    public init(keys: KeyRing, previousHash: SHA256Hash? = nil, earlierCheckpoints: [Checkpoint] = []) {
        self.keys = keys
        self.previousHash = previousHash
        self.earlierCheckpoints = earlierCheckpoints
    }

    public func verify(file path: String) throws(VerificationError) -> VerificationOutcome {
        var run = Run(verifier: self)
        try LineReader(path: path).forEachBatch { batch, firstNumber in run.batch(batch, firstNumber: firstNumber) }
        return try run.finish()
    }

    public func verify(bytes: [UInt8]) throws(VerificationError) -> VerificationOutcome {
        var run = Run(verifier: self)
        bytes.withUnsafeBufferPointer { all in
            var lines: [Range<Int>] = []
            var start = 0
            for i in 0...all.count where i == all.count || all[i] == 0x0A {
                if i == all.count && start == i { break }
                lines.append(start..<i)
                start = i + 1
            }
            _ = run.batch(LineBatch(bytes: all, lines: lines), firstNumber: 1)
        }
        return try run.finish()
    }

    /// What a line needs checked that depends on that line alone — parsing it, hashing its payload, hashing its
    /// fields onto its own previous hash — done for a batch of lines on every core; the checks that tie the lines
    /// together (positions, links, redactions, checkpoints) then run in order on one.
    struct Prepared: @unchecked Sendable {
        var parsed: ParsedLine?
        var scanError: ScanError?
        var computedPayloadHash: SHA256Hash?
        /// The chain hash of the line's fields after the line's own previous hash: the chain hash it must carry
        /// when that previous hash is the one before it.
        var expectedChainHash: SHA256Hash?

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard !bytes.isEmpty else { return }
            let line: ParsedLine
            do {
                line = try ParsedLine(bytes)
            } catch {
                scanError = error
                return
            }
            parsed = line
            guard line.kind == "event" || line.kind == "elided" else { return }
            if line.kind == "event", let span = line.payload {
                computedPayloadHash = SHA256.hash(data: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[span])))
                    .withUnsafeBytes { SHA256Hash(digest: $0) }
            }
            expectedChainHash = line.expectedChainHash()
        }

        /// Prepares every line of a batch, the batch split between the cores.
        static func all(_ batch: LineBatch) -> [Prepared] {
            let count = batch.lines.count
            var prepared = [Prepared](repeating: Prepared(), count: count)
            let workers = count < 256 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, 8)
            prepared.withUnsafeMutableBufferPointer { out in
                // Each worker writes its own indexes only.
                let target = Output(buffer: out)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let share = (count + workers - 1) / workers
                    for index in (worker * share)..<min(count, (worker + 1) * share) {
                        target.buffer[index] = Prepared(UnsafeBufferPointer(rebasing: batch.bytes[batch.lines[index]]))
                    }
                }
            }
            return prepared
        }

        private init() {}

        private struct Output: @unchecked Sendable {
            let buffer: UnsafeMutableBufferPointer<Prepared>
        }
    }

    /// One pass over a file.
    struct Run {
        let verifier: ExportVerifier
        var header: ExportHeader?
        var unreadable: String?
        var broken: BrokenLine?
        var chain: ChainVerifier?
        var summary = VerifiedExport()
        var lastLine = 0
        /// A position gap found at a line: removed or reordered is decided by the next line.
        var gap: (line: Int, expected: Int64, found: Int64)?
        /// Redaction events the export should contain, by their position: what they must say.
        /// `redactedHash` only for the newest redaction of a line: earlier ones describe payloads since redacted further.
        var expectedRedactions: [Int64: (target: Int64, line: Int, originalHash: SHA256Hash, redactedHash: SHA256Hash?, paths: [String])] = [:]
        var earlier: [Int64: [Checkpoint]] = [:]
        var lastChainHash: SHA256Hash?

        init(verifier: ExportVerifier) {
            self.verifier = verifier
            for c in verifier.earlierCheckpoints { earlier[c.position, default: []].append(c) }
        }

        mutating func fail(_ line: Int, _ position: Int64?, _ kind: BreakKind, _ detail: String) -> Bool {
            broken = BrokenLine(line: line, position: position, kind: kind, detail: detail)
            return false
        }

        /// Checks a batch of consecutive lines; returns false to stop reading.
        mutating func batch(_ batch: LineBatch, firstNumber: Int) -> Bool {
            check(batch, Prepared.all(batch), firstNumber: firstNumber)
        }

        /// Ties a batch's prepared lines together, in order.
        mutating func check(_ batch: LineBatch, _ prepared: [Prepared], firstNumber: Int) -> Bool {
            for (index, range) in batch.lines.enumerated() {
                if !line(UnsafeBufferPointer(rebasing: batch.bytes[range]), firstNumber + index, prepared: prepared[index]) { return false }
            }
            return true
        }

        /// Returns false to stop reading.
        mutating func line(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, prepared: Prepared) -> Bool {
            lastLine = number
            if bytes.isEmpty || bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                if header == nil {
                    unreadable = "line \(number) is empty: an accord-export-v1 file starts with its header line"
                    return false
                }
                return fail(number, nil, .malformedLine, "an empty line")
            }
            guard let header else { return readHeader(bytes, number) }
            if summary.checkpoint != nil {
                return fail(number, nil, .checkpointMismatch, "a line follows the closing checkpoint: it is not covered by the signature")
            }
            guard let parsed = prepared.parsed else {
                return fail(number, nil, .malformedLine, prepared.scanError.map { "\($0)" } ?? "the line cannot be read")
            }
            switch parsed.kind {
            case "event", "elided":
                return event(parsed, bytes, number, header: header, prepared: prepared)
            case "checkpoint":
                return closingCheckpoint(bytes, number)
            case "header":
                return fail(number, nil, .malformedLine, "a second header line")
            default:
                return fail(number, parsed.position, .malformedLine, "unknown line kind '\(parsed.kind)'")
            }
        }

        mutating func readHeader(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int) -> Bool {
            guard let decoded = try? JSONDecoder().decode(ExportHeader.self, from: Data(bytes)), decoded.kind == "header" else {
                unreadable = "line 1 is not an Accord export header: this is not an accord-export-v1 file"
                return false
            }
            guard decoded.format == ExportFormat.name else {
                unreadable = "the export's format is '\(decoded.format)'; this verifier reads \(ExportFormat.name)"
                return false
            }
            header = decoded
            if let first = decoded.firstPosition {
                let fromHeader = decoded.previousHash.flatMap(SHA256Hash.init(hex:))
                let start: SHA256Hash
                if let given = verifier.previousHash {
                    start = given
                    summary.startConfirmed = true
                } else if first == 1 {
                    start = .zero
                    summary.startConfirmed = true
                } else if let fromHeader {
                    start = fromHeader
                } else {
                    return fail(number, nil, .malformedLine, "the header gives no previous hash for a partial export; pass --previous-hash")
                }
                chain = ChainVerifier(after: first - 1, previousHash: start)
                lastChainHash = start
            }
            return true
        }

        mutating func event(_ line: ParsedLine, _ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, header: ExportHeader,
                            prepared: Prepared) -> Bool {
            guard var chain else {
                return fail(number, line.position, .malformedLine, "the header says the export selected no events, yet an event line follows")
            }
            if let pending = gap {
                gap = nil
                if line.position == pending.expected {
                    return fail(pending.line, pending.found, .reorderedLines,
                                "position \(pending.found) comes before position \(pending.expected): lines were swapped or moved")
                }
                return fail(pending.line, pending.found, .removedLine, removedDetail(pending.expected, pending.found))
            }
            if line.position != chain.nextPosition {
                if line.position > chain.nextPosition {
                    gap = (number, chain.nextPosition, line.position)
                    return true
                }
                return fail(number, line.position, .reorderedLines,
                            "position \(line.position) appears after position \(chain.nextPosition - 1): lines were swapped, moved or repeated")
            }
            guard let payloadHash = line.payloadHash, let previousHash = line.previousHash, let chainHash = line.chainHash,
                  let type = line.type, line.id != nil, line.stream != nil, line.schemaVersion != nil, line.streamVersion != nil,
                  line.actorID != nil, line.actorName != nil, line.occurredAt != nil, line.recordedAt != nil else {
                return fail(number, line.position, .malformedLine, "the line lacks \(line.missingField)")
            }
            let elided = line.kind == "elided"
            if !elided {
                guard let span = line.payload else { return fail(number, line.position, .malformedLine, "an event line without a payload") }
                let payload = UnsafeBufferPointer(rebasing: bytes[span])
                // Hashed with the batch, for every event line with a payload.
                guard let computed = prepared.computedPayloadHash else {
                    return fail(number, line.position, .malformedLine, "an event line without a payload")
                }
                if line.redactions.isEmpty {
                    if computed != payloadHash {
                        return fail(number, line.position, .changedPayload,
                                    "the payload hashes to \(computed.hex), the line's payload hash (committed to by the chain) is \(payloadHash.hex)")
                    }
                } else {
                    let newest = line.redactions.map(\.position).max()
                    for mark in line.redactions {
                        for path in mark.paths {
                            guard RedactionPaths.value(at: path, in: payload) == .redactedMarker else {
                                return fail(number, line.position, .redactionMismatch, "the line says \(path) was redacted, but the payload holds something else there")
                            }
                        }
                        if mark.position > line.position, mark.position <= (header.lastPosition ?? Int64.max) {
                            // Filled in when the redaction event's line is reached.
                            expectedRedactions[mark.position] = (line.position, number, payloadHash, mark.position == newest ? computed : nil, mark.paths)
                        } else {
                            summary.redactionsRecordedOutside += 1
                        }
                    }
                    summary.redacted += 1
                }
            }
            guard let expectedChainHash = prepared.expectedChainHash else {
                return fail(number, line.position, .malformedLine, "the line lacks \(line.missingField)")
            }
            // The payload was checked above against its hash; the chain verifier checks the rest.
            if let problem = chain.check(position: line.position, previousChainHash: previousHash, chainHash: chainHash,
                                         expectedChainHash: expectedChainHash) {
                switch problem {
                case .linkMismatch(let expected, let stored):
                    return fail(number, line.position, .brokenLink,
                                "the line's previous hash is \(stored.hex), but the chain hash before it is \(expected.hex)"
                                    + (summary.events + summary.elided == 0 ? " (the export does not continue from the given previous hash)" : ""))
                case .chainHashMismatch(let expected, let stored):
                    return fail(number, line.position, .changedMetadata,
                                "the line's fields hash to \(expected.hex), not to its chain hash \(stored.hex): a field the chain commits to (actor, times, type, stream, ids or payload hash) was changed")
                case .payloadChanged, .positionGap:
                    return fail(number, line.position, .malformedLine, "\(problem)")
                }
            }
            self.chain = chain
            lastChainHash = chainHash
            if summary.firstPosition == nil { summary.firstPosition = line.position }
            summary.lastPosition = line.position
            if elided { summary.elided += 1 } else { summary.events += 1 }

            if let expected = expectedRedactions.removeValue(forKey: line.position) {
                guard !elided, type == PayloadRedaction.eventType, let span = line.payload,
                      let record = try? JSONDecoder().decode(PayloadRedaction.self, from: Data(UnsafeBufferPointer(rebasing: bytes[span]))) else {
                    return fail(expected.line, expected.target, .redactionMismatch,
                                "the line says position \(line.position) redacted it, but that line is not a readable redaction event")
                }
                guard record.position == expected.target, record.paths == expected.paths,
                      expected.redactedHash.map({ record.redactedPayloadHash == $0.hex }) ?? true,
                      record.originalPayloadHash == expected.originalHash.hex else {
                    return fail(expected.line, expected.target, .redactionMismatch,
                                "the redaction event at position \(line.position) does not describe this line's redacted payload")
                }
            }
            if let pinned = earlier[line.position] {
                for checkpoint in pinned {
                    guard checkpoint.chainHash == chainHash.hex else {
                        return fail(number, line.position, .checkpointMismatch,
                                    "a checkpoint signed at \(checkpoint.signedAt) says the chain hash at position \(line.position) was \(checkpoint.chainHash), the export has \(chainHash.hex): history was rewritten since")
                    }
                    summary.earlierCheckpointsMatched += 1
                }
            }
            return true
        }

        func removedDetail(_ expected: Int64, _ found: Int64) -> String {
            found - expected == 1
                ? "position \(expected) is missing before this line: a line was removed"
                : "positions \(expected)–\(found - 1) are missing before this line: lines were removed"
        }

        mutating func closingCheckpoint(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int) -> Bool {
            if let pending = gap {
                gap = nil
                return fail(pending.line, pending.found, .removedLine, removedDetail(pending.expected, pending.found))
            }
            guard let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(bytes)) else {
                return fail(number, nil, .malformedLine, "the checkpoint line cannot be read")
            }
            switch checkpoint.check(with: verifier.keys) {
            case .unknownKey:
                return fail(number, checkpoint.position, .unknownKey,
                            "the checkpoint is signed with key \(checkpoint.keyId), which is not among the trusted keys (\(verifier.keys.keys.keys.sorted().joined(separator: ", ")))")
            case .badSignature:
                return fail(number, checkpoint.position, .badSignature,
                            "the checkpoint's signature does not verify with trusted key \(checkpoint.keyId)")
            case .valid(let key):
                summary.checkpointKey = key
            }
            if let header, header.firstPosition != nil {
                let last = (chain?.nextPosition ?? 1) - 1
                if checkpoint.position != last || checkpoint.chainHash != lastChainHash?.hex {
                    let detail = checkpoint.position > last
                        ? "the checkpoint covers position \(checkpoint.position) but the lines end at \(last): lines were removed at the end"
                        : "the checkpoint (position \(checkpoint.position), chain hash \(checkpoint.chainHash)) does not match the last line (position \(last), chain hash \(lastChainHash?.hex ?? "none"))"
                    return fail(number, checkpoint.position, .checkpointMismatch, detail)
                }
                if let lastPosition = header.lastPosition, lastPosition != last {
                    return fail(number, checkpoint.position, .checkpointMismatch,
                                "the header says the export ends at position \(lastPosition), the lines end at \(last)")
                }
            }
            summary.checkpoint = checkpoint
            return true
        }

        mutating func finish() throws(VerificationError) -> VerificationOutcome {
            if let unreadable { throw .unreadable(unreadable) }
            if let broken { return .broken(broken) }
            guard header != nil else { throw .unreadable("the file is empty") }
            if let pending = gap {
                return .broken(BrokenLine(line: pending.line, position: pending.found, kind: .removedLine, detail: removedDetail(pending.expected, pending.found)))
            }
            guard summary.checkpoint != nil else {
                return .broken(BrokenLine(line: lastLine + 1, position: nil, kind: .checkpointMismatch,
                                          detail: "the export has no closing checkpoint: it was cut short or the checkpoint was removed"))
            }
            if let (position, expected) = expectedRedactions.min(by: { $0.key < $1.key }) {
                return .broken(BrokenLine(line: expected.line, position: expected.target, kind: .redactionMismatch,
                                          detail: "the line names a redaction event at position \(position), which the export lacks"))
            }
            if let first = summary.firstPosition, let last = summary.lastPosition {
                summary.earlierCheckpointsOutside = verifier.earlierCheckpoints.filter { !(first...last).contains($0.position) }.count
            } else {
                summary.earlierCheckpointsOutside = verifier.earlierCheckpoints.count
            }
            return .verified(summary)
        }
    }
}

/// The members of one export line the verifier reads; the payload is kept as its byte span.
struct ParsedLine {
    var kind = ""
    var position: Int64 = 0
    var id: UUID?
    var stream: String?
    var streamVersion: Int64?
    var type: String?
    var schemaVersion: Int32?
    var actorID: String?
    var actorName: String?
    var correlationID: UUID?
    var causationID: UUID?
    var occurredAt: Instant?
    var recordedAt: Instant?
    var payload: Range<Int>?
    var payloadHash: SHA256Hash?
    var previousHash: SHA256Hash?
    var chainHash: SHA256Hash?
    var redactions: [RedactionMark] = []

    /// The chain hash of the line's fields after its own previous hash, or nil when a field is missing.
    func expectedChainHash() -> SHA256Hash? {
        guard let payloadHash, let previousHash, let id, let stream, let type, let schemaVersion, let streamVersion,
              let actorID, let actorName, let occurredAt, let recordedAt else { return nil }
        return EventChain.chainHash(
            previous: previousHash, position: position, id: id, stream: stream, streamVersion: streamVersion, type: type,
            schemaVersion: schemaVersion, actor: EventActor(id: actorID, name: actorName), correlationId: correlationID,
            causationId: causationID, occurredAt: occurredAt, recordedAt: recordedAt, payloadHash: payloadHash)
    }

    var missingField: String {
        for (name, present) in [("id", id != nil), ("stream", stream != nil), ("streamVersion", streamVersion != nil), ("type", type != nil),
                                ("schemaVersion", schemaVersion != nil), ("actor", actorID != nil && actorName != nil),
                                ("occurredAt", occurredAt != nil), ("recordedAt", recordedAt != nil), ("payloadHash", payloadHash != nil),
                                ("previousHash", previousHash != nil), ("chainHash", chainHash != nil)] where !present {
            return name
        }
        return "a field"
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>) throws(ScanError) {
        var scanner = JSONScanner(bytes)
        var line = self
        try scanner.object { s, key throws(ScanError) in
            switch key.count {
            case 2 where s.matches(key, Keys.id): line.id = try s.uuid()
            case 4 where s.matches(key, Keys.kind): line.kind = try s.string()
            case 4 where s.matches(key, Keys.type): line.type = try s.string()
            case 5 where s.matches(key, Keys.actor):
                try s.object { a, k throws(ScanError) in
                    if a.matches(k, Keys.id) {
                        line.actorID = try a.string()
                    } else if a.matches(k, Keys.name) {
                        line.actorName = try a.string()
                    } else {
                        try a.skipValue()
                    }
                }
            case 6 where s.matches(key, Keys.stream): line.stream = try s.string()
            case 7 where s.matches(key, Keys.payload):
                s.skipWhitespace()
                line.payload = try s.payloadSpan()
            case 8 where s.matches(key, Keys.position): line.position = try s.integer()
            case 9 where s.matches(key, Keys.chainHash): line.chainHash = try s.hash()
            case 10 where s.matches(key, Keys.occurredAt): line.occurredAt = try s.instant()
            case 10 where s.matches(key, Keys.recordedAt): line.recordedAt = try s.instant()
            case 10 where s.matches(key, Keys.redactions):
                try s.array { a throws(ScanError) in
                    var mark = RedactionMark(position: 0, paths: [])
                    try a.object { m, k throws(ScanError) in
                        if m.matches(k, Keys.position) {
                            mark.position = try m.integer()
                        } else if m.matches(k, Keys.paths) {
                            try m.array { p throws(ScanError) in mark.paths.append(try p.string()) }
                        } else {
                            try m.skipValue()
                        }
                    }
                    line.redactions.append(mark)
                }
            case 11 where s.matches(key, Keys.causationId): line.causationID = try s.optionalUUID()
            case 11 where s.matches(key, Keys.payloadHash): line.payloadHash = try s.hash()
            case 12 where s.matches(key, Keys.previousHash): line.previousHash = try s.hash()
            case 13 where s.matches(key, Keys.correlationId): line.correlationID = try s.optionalUUID()
            case 13 where s.matches(key, Keys.schemaVersion):
                let v = try s.integer()
                guard let narrow = Int32(exactly: v) else { throw s.fail("schemaVersion out of range") }
                line.schemaVersion = narrow
            case 13 where s.matches(key, Keys.streamVersion): line.streamVersion = try s.integer()
            default: try s.skipValue()
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.fail("unexpected text after the line's object") }
        self = line
    }

    enum Keys {
        static let id = Array("id".utf8), kind = Array("kind".utf8), type = Array("type".utf8), actor = Array("actor".utf8)
        static let name = Array("name".utf8), stream = Array("stream".utf8), payload = Array("payload".utf8)
        static let position = Array("position".utf8), chainHash = Array("chainHash".utf8), occurredAt = Array("occurredAt".utf8)
        static let recordedAt = Array("recordedAt".utf8), redactions = Array("redactions".utf8), paths = Array("paths".utf8)
        static let causationId = Array("causationId".utf8), payloadHash = Array("payloadHash".utf8)
        static let previousHash = Array("previousHash".utf8), correlationId = Array("correlationId".utf8)
        static let schemaVersion = Array("schemaVersion".utf8), streamVersion = Array("streamVersion".utf8)
    }
}
