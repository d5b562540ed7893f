import AccordDomain
import AccordHTTP
import Foundation
import AccordService

/// A CSV file of stage steps, `party,stage,date,source,note` with a header row, checked in full: every
/// problem of every row is found before anything is sent.
///
/// The header names the columns (any order, any case); `party`, `stage` and `date` are required, `source`
/// and `note` optional. A date is `2025-04-10` (12:00 UTC that day) or an RFC 3339 date-time.
enum StepCSV {
    struct Row: Sendable {
        /// The line the row starts on, for messages.
        var line: Int
        var step: StepRequest
    }

    /// A problem at a place in the file; `column` and `name` are nil for problems of a whole row.
    struct Problem: Hashable, Sendable, CustomStringConvertible {
        var line: Int
        var column: Int?
        var name: String?
        var message: String

        var description: String {
            "line \(line)" + (column.map { ", column \($0)" } ?? "") + (name.map { " (\($0))" } ?? "") + ": " + message
        }
    }

    static let required = ["party", "stage", "date"]
    static let optional = ["source", "note"]

    /// Every problem found in a file (at most `maximumProblems`), in file order.
    struct Problems: Error {
        var list: [Problem]
    }

    /// The rows of `text`; throws every problem found (at most `maximumProblems`).
    static func parse(_ text: String, progress: ((Int, Int) -> Void)? = nil, maximumProblems: Int = 50) throws(Problems) -> [Row] {
        let (records, syntaxErrors) = CSVReader.records(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        var problems = syntaxErrors.map { Problem(line: $0.line, column: $0.column, name: nil, message: $0.message) }
        // A damaged header leaves nothing to read the rows by.
        guard let header = records.first, !syntaxErrors.contains(where: { $0.line <= header.line }) else {
            throw Problems(list: problems.isEmpty ? [Problem(line: 1, message: "the file is empty; it needs a header row: party,stage,date,source,note")] : problems)
        }
        var columns: [String: Int] = [:]
        for field in header.fields {
            let name = field.text.trimmingCharacters(in: .whitespaces).lowercased()
            if !(required + optional).contains(name) {
                problems.append(Problem(line: field.line, column: field.column, name: nil,
                                        message: "unknown column '\(field.text)'; the columns are \((required + optional).joined(separator: ", "))"))
            } else if columns[name] != nil {
                problems.append(Problem(line: field.line, column: field.column, name: name, message: "the column appears twice"))
            } else {
                columns[name] = field.column - 1
            }
        }
        for name in required where columns[name] == nil {
            problems.append(Problem(line: header.line, message: "the header lacks the '\(name)' column (columns: party,stage,date,source,note)"))
        }
        guard problems.count == syntaxErrors.count else { throw Problems(list: problems.sorted { $0.line < $1.line }) }
        let data = records.dropFirst()
        guard !data.isEmpty else { throw Problems(list: [Problem(line: header.line, message: "no steps below the header")]) }
        if data.count > CommandService.maximumBatchSize {
            throw Problems(list: [Problem(line: header.line, message: "\(data.count) steps; one import records at most \(CommandService.maximumBatchSize) (split the file)")])
        }

        var rows: [Row] = []
        for (number, record) in data.enumerated() {
            progress?(number + 1, data.count)
            if problems.count >= maximumProblems { break }
            guard record.fields.count == header.fields.count else {
                problems.append(Problem(line: record.line, message: "\(record.fields.count) fields where the header has \(header.fields.count)"))
                continue
            }
            var rowProblems: [Problem] = []
            func value(_ name: String) -> CSVReader.Field? { columns[name].map { record.fields[$0] } }
            func problem(_ field: CSVReader.Field, _ name: String, _ message: String) {
                rowProblems.append(Problem(line: field.line, column: field.column, name: name, message: message))
            }
            func text(_ name: String, maximum: Int) -> String? {
                guard let field = value(name) else { return nil }
                let trimmed = field.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.count > maximum { problem(field, name, "longer than \(maximum) characters") }
                return trimmed.isEmpty ? nil : trimmed
            }
            let party = value("party").flatMap { field -> PartyCode? in
                let text = field.text.trimmingCharacters(in: .whitespaces)
                guard let code = PartyCode(text) else {
                    problem(field, "party", text.isEmpty ? "empty; give the party's code (e.g. DE)" : "'\(text)' is not a party code (ISO 3166-1 alpha-2, e.g. DE)")
                    return nil
                }
                return code
            }
            let stage = value("stage").flatMap { field -> StageID? in
                let text = field.text.trimmingCharacters(in: .whitespaces)
                guard let id = StageID(text) else {
                    problem(field, "stage", text.isEmpty ? "empty; give the stage id (e.g. government-decision)" : "'\(text)' is not a stage id (e.g. government-decision)")
                    return nil
                }
                return id
            }
            let date = value("date").flatMap { field -> Instant? in
                let text = field.text.trimmingCharacters(in: .whitespaces)
                guard let instant = Times.effective(text) else {
                    problem(field, "date", "'\(text)' is not a date (2025-04-10) or RFC 3339 date-time (2025-04-10T14:00:00Z)")
                    return nil
                }
                return instant
            }
            let source = text("source", maximum: DomainLimits.maximumSourceLength)
            let note = text("note", maximum: DomainLimits.maximumNoteLength)
            if let party, let stage, let date, rowProblems.isEmpty {
                rows.append(Row(line: record.line, step: StepRequest(party: party, stage: stage, source: source, note: note, occurredAt: date)))
            }
            problems += rowProblems
        }
        guard problems.isEmpty else { throw Problems(list: Array(problems.sorted { $0.line < $1.line }.prefix(maximumProblems))) }
        return rows
    }
}

extension StepCSV.Problem {
    init(line: Int, message: String) {
        self.init(line: line, column: nil, name: nil, message: message)
    }
}
