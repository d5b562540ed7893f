import AccordDomain
import AccordEventStore
import AccordService
import Foundation

/// The status matrix as CSV for spreadsheets, one row per recorded stage or ballot: process × party × stage or
/// ballot position × effective date × recorded date × source, in the long format of the EU Council's open
/// voting data (one row per country per act). Corrections show the corrected content, with when they were made;
/// retracted entries are kept and marked.
public enum StatusMatrixCSV {
    public static let mediaType = "text/csv; charset=utf-8"

    public static let columns = [
        "process_id", "process_reference", "process_title", "template", "party", "party_name", "in_electorate", "kind",
        "stage_or_position", "label", "effective_date", "effective_at", "recorded_at", "corrected_at", "status", "source", "note",
        "entry_id", "log_position", "recorded_by",
    ]

    /// Streams the rows of the processes `selection` chooses (position and recorded-time bounds apply to each
    /// entry's original record).
    public static func write(_ selection: ExportSelection, service: AccordService, chunkBytes: Int = 256 * 1024,
                             emit: (inout [UInt8]) async throws -> Void) async throws {
        let view = await service.log.view(knownAt: .everything)
        let now = service.clock.now()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes + 16 * 1024)
        row(columns, to: &buffer)
        let processes = view.processes.values
            .filter { selection.process == nil || $0.id == selection.process }
            .sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
        for process in processes {
            let electorate = Set(ProcessSnapshot(process: process, registry: view.registry, asOf: now).electorate)
            let template = "\(process.template.id)@\(process.template.version)"
            var rows: [(Instant, Int64, [String])] = []
            func add<C>(_ entry: Entry<C>, party: PartyCode, kind: String, code: String, label: String, source: String?, note: String?) {
                let original = entry.original.recorded
                guard selection.party == nil || selection.party == party,
                      selection.fromPosition.map({ original.position >= $0 }) ?? true,
                      selection.toPosition.map({ original.position <= $0 }) ?? true,
                      selection.recordedFrom.map({ original.recordedAt >= $0 }) ?? true,
                      selection.recordedUntil.map({ original.recordedAt < $0 }) ?? true else { return }
                let status = entry.retraction != nil ? "retracted" : entry.corrections.isEmpty ? "recorded" : "corrected"
                rows.append((entry.effectiveAt, original.position, [
                    process.id.description, process.reference ?? "", process.title, template, party.rawValue,
                    view.registry.parties[party]?.name ?? party.rawValue, electorate.contains(party) ? "yes" : "no", kind, code, label,
                    entry.effectiveAt.utcDate.iso8601, entry.effectiveAt.iso8601, original.recordedAt.iso8601,
                    entry.corrections.last?.recorded.recordedAt.iso8601 ?? "", status, source ?? "", note ?? "",
                    entry.id.description, String(original.position), original.actor.name,
                ]))
            }
            for step in process.steps.values {
                let c = step.current.content
                add(step, party: c.party, kind: "stage", code: c.stage.rawValue,
                    label: process.definition.stage(c.stage)?.label ?? c.stage.rawValue, source: c.source, note: c.note)
            }
            for ballot in process.ballots.values {
                switch ballot.current.content {
                case .cast(let b):
                    add(ballot, party: b.party, kind: "ballot", code: b.position.rawValue, label: b.position.label, source: b.source,
                        note: [b.statement, b.note].compactMap { $0 }.joined(separator: " — "))
                case .withdrawn(let party, let reason):
                    add(ballot, party: party, kind: "ballot-withdrawn", code: "withdrawn", label: "withdrew its position", source: nil, note: reason)
                }
            }
            for (_, _, cells) in rows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                row(cells, to: &buffer)
                if buffer.count >= chunkBytes {
                    try await emit(&buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        try await emit(&buffer)
    }

    static func row(_ cells: [String], to out: inout [UInt8]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            field(cell, to: &out)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// RFC 4180 quoting. A cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage
    /// return first) gets a leading apostrophe, so an exported note cannot run as a formula.
    static func field(_ text: String, to out: inout [UInt8]) {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: value.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
