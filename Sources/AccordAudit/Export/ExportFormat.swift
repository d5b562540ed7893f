import AccordDomain
import AccordEventStore
import Foundation

/// The JSON Lines export format `accord-export-v1` (specified in `docs/audit.md`): a header line, one line per
/// event of a contiguous piece of the chain, and a signed checkpoint line. Every line is one JSON object in
/// Accord's canonical form (members sorted by key, no insignificant whitespace), so the same log always gives
/// the same bytes.
public enum ExportFormat {
    public static let name = "accord-export-v1"
    public static let mediaType = "application/x-ndjson"

    public enum LineKind: String, Sendable {
        case header
        /// An event with its payload.
        case event
        /// An event outside a filter, inside the exported piece of the chain: every field the chain commits to,
        /// without the payload, so the chain still links across it.
        case elided
        case checkpoint
    }
}

/// What the export was asked for; also written in the header.
public struct ExportSelection: Sendable, Hashable, Codable {
    /// First and last position to export (inclusive); nil: from the start, up to the head.
    public var fromPosition: Int64?
    public var toPosition: Int64?
    /// Events recorded at or after `recordedFrom` and before `recordedUntil` (the server's clock).
    public var recordedFrom: Instant?
    public var recordedUntil: Instant?
    /// Events of one process, or concerning one party (the `accord_event_index` projection).
    public var process: ProcessID?
    public var party: PartyCode?

    public init(fromPosition: Int64? = nil, toPosition: Int64? = nil, recordedFrom: Instant? = nil, recordedUntil: Instant? = nil,
                process: ProcessID? = nil, party: PartyCode? = nil) {
        self.fromPosition = fromPosition
        self.toPosition = toPosition
        self.recordedFrom = recordedFrom
        self.recordedUntil = recordedUntil
        self.process = process
        self.party = party
    }

    /// Whether lines are chosen by something other than their position: then events between the first and the
    /// last chosen one that are not chosen are written as elided lines.
    public var filters: Bool { recordedFrom != nil || recordedUntil != nil || process != nil || party != nil }

    func appendJSON(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func comma(_ out: inout [UInt8]) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if let fromPosition {
            comma(&out); JSONBytes.key("fromPosition", to: &out); JSONBytes.integer(fromPosition, to: &out)
        }
        if let party {
            comma(&out); JSONBytes.key("party", to: &out); JSONBytes.string(party.rawValue, to: &out)
        }
        if let process {
            comma(&out); JSONBytes.key("process", to: &out); JSONBytes.string(process.description, to: &out)
        }
        if let recordedFrom {
            comma(&out); JSONBytes.key("recordedFrom", to: &out); JSONBytes.instant(recordedFrom, to: &out)
        }
        if let recordedUntil {
            comma(&out); JSONBytes.key("recordedUntil", to: &out); JSONBytes.instant(recordedUntil, to: &out)
        }
        if let toPosition {
            comma(&out); JSONBytes.key("toPosition", to: &out); JSONBytes.integer(toPosition, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// The first line of an export.
public struct ExportHeader: Sendable, Hashable, Codable {
    public var kind: String
    public var format: String
    public var exportedAt: Instant
    public var filter: ExportSelection
    /// The log's head when the export started.
    public var headPosition: Int64
    /// The first and last event line's positions (nil when nothing was selected).
    public var firstPosition: Int64?
    public var lastPosition: Int64?
    /// The chain hash of the event before the first line: what a partial export is verified from.
    public var previousHash: String?

    func appendLine(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        JSONBytes.key("exportedAt", to: &out); JSONBytes.instant(exportedAt, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("filter", to: &out); filter.appendJSON(to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("firstPosition", to: &out)
        if let firstPosition { JSONBytes.integer(firstPosition, to: &out) } else { JSONBytes.raw("null", to: &out) }
        out.append(UInt8(ascii: ",")); JSONBytes.key("format", to: &out); JSONBytes.string(format, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("headPosition", to: &out); JSONBytes.integer(headPosition, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("kind", to: &out); JSONBytes.raw("\"header\"", to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("lastPosition", to: &out)
        if let lastPosition { JSONBytes.integer(lastPosition, to: &out) } else { JSONBytes.raw("null", to: &out) }
        out.append(UInt8(ascii: ",")); JSONBytes.key("previousHash", to: &out)
        if let previousHash { JSONBytes.string(previousHash, to: &out) } else { JSONBytes.raw("null", to: &out) }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }
}

/// A redaction recorded for an event: the `PayloadRedacted` event's position and the JSON Pointers it replaced.
public struct RedactionMark: Sendable, Hashable {
    public var position: Int64
    public var paths: [String]
}

enum EventLine {
    /// Writes one event (or elided) line, members in canonical order:
    /// actor, causationId, chainHash, correlationId, id, kind, occurredAt, payload, payloadHash, position,
    /// previousHash, recordedAt, redactions, schemaVersion, stream, streamVersion, type.
    static func append(_ e: RecordedEvent, elided: Bool, redactions: [RedactionMark], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        JSONBytes.key("actor", to: &out)
        out.append(UInt8(ascii: "{"))
        JSONBytes.key("id", to: &out); JSONBytes.string(e.actor.id, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("name", to: &out); JSONBytes.string(e.actor.name, to: &out)
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: ",")); JSONBytes.key("causationId", to: &out); JSONBytes.uuid(e.causationId, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("chainHash", to: &out); JSONBytes.hash(e.chainHash, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("correlationId", to: &out); JSONBytes.uuid(e.correlationId, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("id", to: &out); JSONBytes.uuid(e.id, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("kind", to: &out)
        if elided { JSONBytes.raw("\"elided\"", to: &out) } else { JSONBytes.raw("\"event\"", to: &out) }
        out.append(UInt8(ascii: ",")); JSONBytes.key("occurredAt", to: &out); JSONBytes.instant(e.occurredAt, to: &out)
        if !elided {
            out.append(UInt8(ascii: ",")); JSONBytes.key("payload", to: &out); out.append(contentsOf: e.payload.bytes)
        }
        out.append(UInt8(ascii: ",")); JSONBytes.key("payloadHash", to: &out); JSONBytes.hash(e.payloadHash, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("position", to: &out); JSONBytes.integer(e.position, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("previousHash", to: &out); JSONBytes.hash(e.previousChainHash, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("recordedAt", to: &out); JSONBytes.instant(e.recordedAt, to: &out)
        if !elided, !redactions.isEmpty {
            out.append(UInt8(ascii: ",")); JSONBytes.key("redactions", to: &out)
            out.append(UInt8(ascii: "["))
            for (i, mark) in redactions.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                JSONBytes.key("paths", to: &out)
                out.append(UInt8(ascii: "["))
                for (j, path) in mark.paths.enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    JSONBytes.string(path, to: &out)
                }
                out.append(UInt8(ascii: "]"))
                out.append(UInt8(ascii: ",")); JSONBytes.key("position", to: &out); JSONBytes.integer(mark.position, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: ",")); JSONBytes.key("schemaVersion", to: &out); JSONBytes.integer(Int64(e.schemaVersion), to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("stream", to: &out); JSONBytes.string(e.stream.rawValue, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("streamVersion", to: &out); JSONBytes.integer(e.streamVersion, to: &out)
        out.append(UInt8(ascii: ",")); JSONBytes.key("type", to: &out); JSONBytes.string(e.type, to: &out)
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }
}
