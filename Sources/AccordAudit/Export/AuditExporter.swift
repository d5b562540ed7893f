import AccordDomain
import AccordEventStore
import AccordTime
import Foundation

/// Streams a selection of the log as JSON Lines (`accord-export-v1`): pages of events are read, written into a
/// buffer and handed to `emit` whenever it holds `chunkBytes`, so memory stays flat whatever the export's size.
public struct AuditExporter: Sendable {
    public let store: any EventStore
    public var pageSize = 2_000
    public var chunkBytes = 256 * 1024

    public init(store: any EventStore) { self.store = store }

    /// The positions an export of `selection` covers, decided before the first line is written: the export
    /// stops at the head it saw when it started.
    public struct Span: Sendable, Hashable {
        public var head: Int64
        /// nil when nothing is selected.
        public var first: Int64?
        public var last: Int64?
    }

    public func span(of selection: ExportSelection) async throws -> Span {
        let head = try await store.headPosition()
        let lower = max(1, selection.fromPosition ?? 1)
        let upper = min(head, selection.toPosition ?? head)
        guard lower <= upper else { return Span(head: head, first: nil, last: nil) }
        guard selection.filters else { return Span(head: head, first: lower, last: upper) }
        var conditions = ["e.position BETWEEN $1 AND $2"]
        var binds: [SQLValue] = [.integer(lower), .integer(upper)]
        var join = ""
        if selection.process != nil || selection.party != nil {
            join = " JOIN accord_event_index i ON i.position = e.position"
            if let process = selection.process {
                binds.append(.text(process.description))
                conditions.append("i.process = $\(binds.count)")
            }
            if let party = selection.party {
                binds.append(.text(party.rawValue))
                conditions.append("i.party = $\(binds.count)")
            }
        }
        if let from = selection.recordedFrom {
            binds.append(.integer(from.microsecondsSinceEpoch))
            conditions.append("e.recorded_at >= $\(binds.count)")
        }
        if let until = selection.recordedUntil {
            binds.append(.integer(until.microsecondsSinceEpoch))
            conditions.append("e.recorded_at < $\(binds.count)")
        }
        let sql = "SELECT min(e.position), max(e.position) FROM accord_events e\(join) WHERE " + conditions.joined(separator: " AND ")
        let values = binds
        let bounds = try await store.database.read { conn in
            let row = try conn.query(sql, values).first
            return (try row?.optionalInt(0), try row?.optionalInt(1))
        }
        return Span(head: head, first: bounds.0, last: bounds.1)
    }

    /// Writes the export. `sign` makes the closing checkpoint for the last exported position and its chain hash
    /// (or the head's, when nothing was selected). Returns the number of event and elided lines written.
    @discardableResult
    public func writeJSONLines(
        _ selection: ExportSelection, now: Instant,
        sign: @Sendable (_ position: Int64, _ chainHash: SHA256Hash) async throws -> Checkpoint,
        emit: (inout [UInt8]) async throws -> Void
    ) async throws -> Int64 {
        let span = try await span(of: selection)
        let records = AuditRecords(database: store.database)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes + 64 * 1024)
        var header = ExportHeader(kind: "header", format: ExportFormat.name, exportedAt: now, filter: selection, headPosition: span.head,
                                  firstPosition: span.first, lastPosition: span.last, previousHash: nil)
        var written: Int64 = 0
        guard let first = span.first, let last = span.last else {
            header.appendLine(to: &buffer)
            let headHash = span.head == 0 ? SHA256Hash.zero : try await store.readAll(after: span.head - 1, limit: 1).first?.chainHash ?? .zero
            try await sign(span.head, headHash).appendLine(to: &buffer)
            try await emit(&buffer)
            return 0
        }
        var after = first - 1
        var lastHash = SHA256Hash.zero
        // The next page is read (on the database's thread) while this one is written out.
        var pending: Task<Page, any Error>? = prefetch(selection, after: after, last: last, records: records)
        defer { pending?.cancel() }
        while let task = pending {
            let page = try await task.value
            guard let pageFirst = page.events.first, let pageLast = page.events.last else { break }
            pending = pageLast.position < last ? prefetch(selection, after: pageLast.position, last: last, records: records) : nil
            if written == 0 {
                header.previousHash = pageFirst.previousChainHash.hex
                header.appendLine(to: &buffer)
            }
            for event in page.events where event.position <= last {
                let elided = page.chosen.map { !$0.contains(event.position) } ?? false
                EventLine.append(event, elided: elided, redactions: page.redactions[event.position] ?? [], to: &buffer)
                written += 1
                lastHash = event.chainHash
                after = event.position
            }
            if buffer.count >= chunkBytes {
                try await emit(&buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try await sign(after, lastHash).appendLine(to: &buffer)
        try await emit(&buffer)
        return written
    }

    /// A page of events with what the export needs to write them.
    struct Page: Sendable {
        var events: [RecordedEvent]
        var redactions: [Int64: [RedactionMark]]
        var chosen: Set<Int64>?
    }

    func prefetch(_ selection: ExportSelection, after: Int64, last: Int64, records: AuditRecords) -> Task<Page, any Error> {
        let limit = min(pageSize, Int(clamping: last - after))
        return Task {
            let events = try await store.readAll(after: after, limit: limit)
            guard let first = events.first?.position, let final = events.last?.position else { return Page(events: [], redactions: [:], chosen: nil) }
            return Page(events: events, redactions: try await records.redactions(from: first, through: final),
                        chosen: try await chosenPositions(selection, events))
        }
    }

    /// The positions of `page` the selection's filters choose; nil when it has none (every event is chosen).
    func chosenPositions(_ selection: ExportSelection, _ page: [RecordedEvent]) async throws -> Set<Int64>? {
        guard selection.filters, let first = page.first?.position, let last = page.last?.position else { return nil }
        var chosen = Set<Int64>()
        if selection.process != nil || selection.party != nil {
            var sql = "SELECT position FROM accord_event_index WHERE position BETWEEN $1 AND $2"
            var binds: [SQLValue] = [.integer(first), .integer(last)]
            if let process = selection.process {
                binds.append(.text(process.description))
                sql += " AND process = $\(binds.count)"
            }
            if let party = selection.party {
                binds.append(.text(party.rawValue))
                sql += " AND party = $\(binds.count)"
            }
            let statement = sql
            let values = binds
            let rows = try await store.database.read { conn in try conn.query(statement, values).map { try $0.int(0) } }
            chosen = Set(rows)
        } else {
            chosen = Set(page.map(\.position))
        }
        if selection.recordedFrom != nil || selection.recordedUntil != nil {
            for event in page {
                if let from = selection.recordedFrom, event.recordedAt < from { chosen.remove(event.position) }
                if let until = selection.recordedUntil, event.recordedAt >= until { chosen.remove(event.position) }
            }
        }
        return chosen
    }
}
