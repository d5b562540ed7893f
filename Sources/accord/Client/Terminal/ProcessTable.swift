import AccordDomain
import AccordService

/// The text forms of a process: the party × stage table and the rule results with their figures and blockers.
enum ProcessTable {
    /// `knownAt`: "log position 312", or the date the reader asked for.
    static func header(_ summary: ProcessSummary, knownAt: String) -> [String] {
        var lines = [summary.title + (summary.reference.map { "  [\($0)]" } ?? "")]
        let state = summary.closedAt.map { "closed \(Times.day($0))" } ?? "open"
        lines.append("process \(summary.id)  template \(summary.template.id) v\(summary.template.version)  version \(summary.version)  opened \(Times.day(summary.openedAt))  \(state)")
        lines.append("as of \(summary.asOf.iso8601), known at \(knownAt)")
        return lines
    }

    /// One row per party, one column per stage: `✓ 2025-04-10` for a stage held since that day, `✗ …` for a
    /// negative outcome (declined, rejected, revoked), `expired …` for an approval that lapsed.
    /// Stages no party holds (nor held) get no column, to keep the table readable; they are listed below it.
    static func matrix(_ matrix: StatusMatrix) -> [String] {
        let showPledges = matrix.rows.contains { $0.pledge != nil || $0.deployedTroops > 0 }
        let showBallots = matrix.rows.contains { $0.ballot != nil }
        let shown = matrix.stages.indices.filter { index in
            matrix.rows.contains { row in index < row.cells.count && (row.cells[index].held || row.cells[index].expired != nil) }
        }
        var columns = [TextTable.Column(title: "party")] + shown.map { TextTable.Column(title: matrix.stages[$0].id.rawValue) }
        if showPledges { columns.append(TextTable.Column(title: "pledge")) }
        if showBallots { columns.append(TextTable.Column(title: "ballot")) }
        var table = TextTable(columns)
        let outcomes = Dictionary(matrix.stages.map { ($0.id, $0.outcome) }, uniquingKeysWith: { first, _ in first })
        for row in matrix.rows {
            var cells = [row.party.rawValue + (row.inElectorate ? "" : " (not in electorate)")]
            cells += shown.map { index -> String in
                guard index < row.cells.count else { return "" }
                let cell = row.cells[index]
                if let expired = cell.expired { return "expired \(expired.iso8601)" }
                guard cell.held else { return "" }
                let mark = outcomes[cell.stage] == .negative ? "✗" : "✓"
                return mark + (cell.since.map { " " + Times.day($0) } ?? "")
            }
            if showPledges { cells.append(pledge(row)) }
            if showBallots { cells.append(row.ballot.map { "\($0.position.rawValue) \(Times.day($0.since))" } ?? "") }
            table.add(cells)
        }
        let hidden = matrix.stages.indices.filter { !shown.contains($0) }.map { matrix.stages[$0].id.rawValue }
        return table.render() + (hidden.isEmpty ? [] : ["(no party at: \(hidden.joined(separator: ", ")))"])
    }

    static func pledge(_ row: MatrixRow) -> String {
        guard let pledge = row.pledge else { return row.deployedTroops > 0 ? "\(grouped(row.deployedTroops)) deployed" : "" }
        var text = "\(grouped(pledge.troops)) troops"
        if !pledge.capabilities.isEmpty {
            text += ": " + pledge.capabilities.map { $0.component.rawValue + ($0.lead ? " (lead)" : "") }.joined(separator: ", ")
        }
        if !pledge.conditions.isEmpty { text += "; if " + pledge.conditions.joined(separator: ", ") }
        if row.deployedTroops > 0 { text += "; \(grouped(row.deployedTroops)) deployed" }
        return text
    }

    static func mark(_ status: RuleStatus) -> String {
        switch status {
        case .satisfied: "✓"
        case .failed: "✗"
        case .notYet: "…"
        case .notApplicable: "–"
        }
    }

    /// Each rule: its status and headline, then its figures and what holds it back.
    static func rules(_ results: [RuleResult], decision: RuleID?, maximumBlockers: Int = 12) -> [String] {
        var lines: [String] = []
        for result in results {
            let decisive = result.rule == decision ? "  (the decision)" : ""
            lines.append("\(mark(result.status)) \(result.label) [\(result.rule)]: \(result.status.label) — \(result.headline)\(decisive)")
            if let since = result.since { lines.append("    since \(Times.minute(since))" + (result.decidedBy.map { ", by \($0.summary)" } ?? "")) }
            if let expected = result.expectedAt { lines.append("    expected \(Times.minute(expected))") }
            for figure in result.figures {
                let met = figure.met.map { $0 ? " ✓" : " ✗" } ?? ""
                lines.append("    · \(figure.text)\(met)")
            }
            for blocker in result.blockers.prefix(maximumBlockers) {
                lines.append("    ✗ " + (blocker.party.map { "\($0): " } ?? "") + blocker.detail)
            }
            if result.blockers.count > maximumBlockers {
                lines.append("    … and \(result.blockers.count - maximumBlockers) more blockers (--json lists them all)")
            }
        }
        return lines
    }

    /// 21500 → "21,500".
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}
