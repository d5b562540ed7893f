import AccordDomain
import AccordHTTP
import AccordTestSupport
import Foundation
import Testing
@testable import accord

/// The CSV reading of `accord import steps`, without a server.
@Suite("Step CSV")
struct StepCSVTests {
    @Test("RFC 4180: quoted commas, doubled quotes, line breaks in quotes, CRLF, CR and blank lines")
    func records() {
        let (records, errors) = CSVReader.records("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\r\nd,\"two\nlines\",\re,,\n")
        #expect(errors.isEmpty)
        #expect(records.map { $0.fields.map(\.text) } == [["a", "b,c", "say \"hi\""], ["d", "two\nlines", ""], ["e", "", ""]])
        #expect(records.map(\.line) == [1, 3, 5])
        #expect(records[1].fields.map(\.line) == [3, 3, 4])
        #expect(records[1].fields.map(\.column) == [1, 2, 3])
    }

    @Test("syntax errors name their line and field, and reading goes on at the next line")
    func syntaxErrors() {
        let (records, errors) = CSVReader.records("a,b\"c,d\nok,1\n\"x\"y,2\nlast,\"open")
        #expect(records.map { $0.fields.map(\.text) } == [["ok", "1"]])
        #expect(errors == [
            .init(line: 1, column: 2, message: "a double quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\"\")"),
            .init(line: 3, column: 1, message: "text after the closing quote of a field"),
            .init(line: 4, column: 2, message: "a quoted field is never closed"),
        ])
    }

    @Test("a header in any order and case, optional columns, a byte-order mark")
    func header() throws {
        let rows = try StepCSV.parse("\u{FEFF}Date , PARTY,stage\n2025-04-10,DE,government-decision\n2025-04-11T09:00:00+02:00,fr,interest\n")
        #expect(rows.map(\.line) == [2, 3])
        #expect(rows.map(\.step.party) == [PartyCode("DE"), PartyCode("FR")].compactMap { $0 })
        #expect(rows[0].step.occurredAt == Instant(iso8601: "2025-04-10T12:00:00Z"))
        #expect(rows[1].step.occurredAt == Instant(iso8601: "2025-04-11T07:00:00Z"))
        #expect(rows[0].step.source == nil && rows[0].step.note == nil)
    }

    @Test("every problem of every row is listed, with line, column and name")
    func problems() {
        #expect(throws: StepCSV.Problems.self) { try StepCSV.parse("") }
        let text = """
            party,stage,date,source,colour
            """
        do {
            _ = try StepCSV.parse(text)
            Issue.record("an unknown column was accepted")
        } catch {
            #expect(error.list.map(\.description) == [
                "line 1, column 5: unknown column 'colour'; the columns are party, stage, date, source, note",
            ])
        }
        let rows = """
            party,stage,date
            DE,,2025-04-10
            D,interest,yesterday
            DE,interest
            """
        do {
            _ = try StepCSV.parse(rows)
            Issue.record("bad rows were accepted")
        } catch {
            #expect(error.list.map(\.description) == [
                "line 2, column 2 (stage): empty; give the stage id (e.g. government-decision)",
                "line 3, column 1 (party): 'D' is not a party code (ISO 3166-1 alpha-2, e.g. DE)",
                "line 3, column 3 (date): 'yesterday' is not a date (2025-04-10) or RFC 3339 date-time (2025-04-10T14:00:00Z)",
                "line 4: 2 fields where the header has 3",
            ])
        }
        do {
            _ = try StepCSV.parse("party,stage,date\n")
            Issue.record("a file without rows was accepted")
        } catch {
            #expect(error.list.map(\.description) == ["line 1: no steps below the header"])
        }
    }

    @Test("a note longer than the domain allows is caught before sending")
    func longNote() {
        let note = String(repeating: "x", count: DomainLimits.maximumNoteLength + 1)
        #expect(throws: StepCSV.Problems.self) { try StepCSV.parse("party,stage,date,note\nDE,interest,2025-04-10,\(note)\n") }
    }
}

@Suite("Terminal output")
struct TerminalOutputTests {
    @Test("a table pads every column to its widest cell")
    func table() {
        var table = TextTable("party", "stage")
        table.add(["DE", "✓ 2025-04-10"])
        table.add(["GB (not in electorate)", ""])
        #expect(table.render() == [
            "party                   stage",
            "──────────────────────  ────────────",
            "DE                      ✓ 2025-04-10",
            "GB (not in electorate)",
        ])
    }

    @Test("the progress bar shows the share done")
    func progress() {
        #expect(ProgressBar.render(label: "importing", done: 50, total: 200) == "importing [#######-----------------------] 25% 50/200")
        #expect(ProgressBar.render(label: "catching up", done: 7, total: nil) == "catching up 7")
        #expect(ProgressBar.render(label: "x", done: 300, total: 200).hasSuffix("100% 200/200"))
    }

    @Test("thousands are grouped")
    func grouped() {
        #expect(ProcessTable.grouped(21_500) == "21,500")
        #expect(ProcessTable.grouped(0) == "0")
        #expect(ProcessTable.grouped(-1_234_567) == "-1,234,567")
    }

    @Test("a date alone is noon UTC, or now when that is still ahead today")
    func dates() {
        let now = Instant(iso8601: "2025-10-01T08:00:00Z")!
        #expect(Times.effective("2025-09-30", now: now) == Instant(iso8601: "2025-09-30T12:00:00Z"))
        #expect(Times.effective("2025-10-01", now: now) == now)
        #expect(Times.effective("2025-10-02", now: now) == Instant(iso8601: "2025-10-02T12:00:00Z"))
        #expect(Times.effective("2025-02-30", now: now) == nil)
    }
}

@Suite("Progress bar on a terminal")
struct ProgressOnTerminalTests {
    @Test("imports draw a progress bar on a terminal and nothing but results when piped")
    func terminalOnly() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("steps.csv").path
        try Data("party,stage,date\nDE,interest,2025-04-10\nFR,interest,2025-04-11\n".utf8).write(to: URL(fileURLWithPath: file))
        let process = DemoServer.forceGeneration
        let piped = try await Accord.run(["import", "steps", process, file, "--check"])
        #expect(piped.status == 0)
        #expect(piped.errors.isEmpty)
        // util-linux `script` runs the command on a pseudo-terminal.
        let command = [try Accord.executable().path, "import", "steps", process, file, "--check"].joined(separator: " ")
        let onTerminal = ChildProcess()
        onTerminal.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        onTerminal.arguments = ["-qec", command, "/dev/null"]
        let output = Pipe()
        onTerminal.standardOutput = output
        let reader = PipeReader(output)
        try onTerminal.run()
        let text = await reader.finished()
        #expect(text.contains("\rchecking \(file) [##############################] 100% 2/2"), "\(text)")
    }
}
