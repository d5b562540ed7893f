import AccordEventStore
import AccordTestSupport
import CSQLite
import Foundation
import Synchronization
import Testing

/// The secretariat's commands against a real `accord serve`, on both engines.
@Suite("CLI client", .serialized)
struct ClientCommandTests {
    static let force = DemoServer.forceGeneration

    @Test("recording a step shows up in the process table under its stage, with the rule results", arguments: Backend.allCases)
    func recordAndShow(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let recorded = try await demo.accord("record", "step", Self.force, "--party", "DE", "--stage", "government-decision",
                                                 "--date", "2025-10-01", "--source", "Bundesregierung, Kabinettsbeschluss")
            #expect(recorded.status == 0, "\(recorded)")
            #expect(recorded.outputLines.first?.hasPrefix("recorded StepRecorded ") == true)
            #expect(recorded.outputLines.contains { $0.hasPrefix("process version ") })

            let shown = try await demo.accord("process", "show", Self.force)
            #expect(shown.status == 0, "\(shown)")
            let lines = shown.outputLines
            #expect(lines.first == "Reassurance Force for Ukraine — force generation  [CoW-MNF-U]")
            // The table: a header naming the stages, and DE's row with a tick and the date under each stage it holds.
            let header = try #require(lines.first { $0.hasPrefix("party  ") })
            #expect(cell(in: lines, party: "DE", column: "interest", header: header) == "✓ 2025-03-02")
            #expect(cell(in: lines, party: "DE", column: "government-decision", header: header) == "✓ 2025-10-01")
            #expect(cell(in: lines, party: "FR", column: "pledged", header: header) == "✓ 2025-09-04")
            // Greece declined: a negative outcome is a cross.
            #expect(cell(in: lines, party: "GR", column: "declined", header: header) == "✗ 2025-04-10")
            #expect(cell(in: lines, party: "FR", column: "pledge", header: header)?.hasPrefix("7,000 troops: land (lead), air") == true)
            // The rules with their figures and blockers.
            #expect(lines.contains("… Troops pledged reach the target [troops-target]: not yet — 21,500 of 25,000 troops pledged"))
            #expect(lines.contains("    ✗ no lead nation for air"))
            #expect(lines.contains { $0.hasPrefix("… Force generated [force-generated]: not yet") && $0.hasSuffix("(the decision)") })

            // As of before the step, DE holds only its interest; as known before it was recorded, likewise.
            let before = try await demo.accord("process", "show", Self.force, "--as-of", "2025-09-30")
            let beforeHeader = try #require(before.outputLines.first { $0.hasPrefix("party  ") })
            #expect(cell(in: before.outputLines, party: "DE", column: "government-decision", header: beforeHeader) == "")
            let head = try await demo.head()
            let known = try await demo.accord("process", "show", Self.force, "--known-at", String(head - 1))
            #expect(known.outputLines.contains { $0.hasSuffix("known at log position \(head - 1)") })
            let knownHeader = try #require(known.outputLines.first { $0.hasPrefix("party  ") })
            #expect(cell(in: known.outputLines, party: "DE", column: "government-decision", header: knownHeader) == "")
        }
    }

    @Test("--json prints the API's JSON", arguments: Backend.allCases)
    func json(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let recorded = try await demo.accord("record", "pledge", Self.force, "--party", "FR", "--troops", "3000", "--lead", "air",
                                                 "--component", "land", "--condition", "ceasefire in force", "--date", "2025-10-02", "--json")
            #expect(recorded.status == 0, "\(recorded)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(recorded.output.utf8)) as? [String: Any])
            let entries = try #require(answer["recorded"] as? [[String: Any]])
            #expect(entries.first?["type"] as? String == "StepRecorded")
            #expect(answer["stream"] as? String == "process-\(Self.force)")

            let shown = try await demo.accord("process", "show", Self.force, "--json")
            let both = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
            let detail = try #require(both["detail"] as? [String: Any])
            let matrix = try #require(both["matrix"] as? [String: Any])
            #expect((detail["summary"] as? [String: Any])?["id"] as? String == Self.force)
            let rows = try #require(matrix["rows"] as? [[String: Any]])
            let france = try #require(rows.first { $0["party"] as? String == "FR" })
            #expect((france["pledge"] as? [String: Any])?["troops"] as? Int == 3000)
            // The air component now has a lead nation.
            let results = try #require(detail["results"] as? [[String: Any]])
            #expect(results.first { $0["rule"] as? String == "component-leads" }?["status"] as? String == "satisfied")

            let list = try await demo.accord("process", "list", "--json")
            let processes = try #require((try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any])?["processes"] as? [Any])
            #expect(processes.count == 3)
        }
    }

    @Test("errors: one line with the problem's type, and an exit code per kind", arguments: Backend.allCases)
    func errors(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            // No token: refused (401).
            let anonymous = try await demo.accord("record", "step", Self.force, "--party", "DE", "--stage", "government-decision", token: false)
            #expect(anonymous.status == 65)
            #expect(anonymous.errorLines.count == 1)
            #expect(anonymous.errorLines.first?.hasSuffix("(/problems/unauthenticated, HTTP 401)") == true, "\(anonymous)")
            // A rule of the template's ladder: Portugal cannot start at 'ready' (422).
            let out = try await demo.accord("record", "step", Self.force, "--party", "PT", "--stage", "ready", "--date", "2025-10-01")
            #expect(out.status == 65)
            #expect(out.errorLines.count == 1)
            #expect(out.errorLines.first?.hasPrefix("error: ") == true)
            #expect(out.errorLines.first?.contains("/problems/stage-out-of-order, HTTP 422") == true, "\(out)")
            // An unknown process (404).
            let missing = try await demo.accord("process", "show", "00000000-0000-4000-8000-000000000000")
            #expect(missing.status == 65)
            #expect(missing.errorLines.first?.contains("HTTP 404") == true, "\(missing)")
            // A stale version (412).
            let stale = try await demo.accord("record", "step", Self.force, "--party", "DE", "--stage", "government-decision", "--if-version", "1")
            #expect(stale.status == 65)
            #expect(stale.errorLines.first?.contains("/problems/precondition-failed, HTTP 412") == true, "\(stale)")
            // Usage: a malformed party code, a bad date, a missing detail flag. Nothing is sent.
            let badParty = try await demo.accord("record", "step", Self.force, "--party", "Germany", "--stage", "interest")
            #expect(badParty.status == 64)
            let badDate = try await demo.accord("record", "step", Self.force, "--party", "DE", "--stage", "interest", "--date", "10/01/2025")
            #expect(badDate.status == 64)
            #expect(badDate.errorLines == ["error: --date 10/01/2025: not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)"])
            let halfDeployment = try await demo.accord("record", "step", Self.force, "--party", "DE", "--stage", "deployed", "--troops-deployed", "10")
            #expect(halfDeployment.status == 64)
            // Nothing of all that was recorded.
            #expect(try await demo.head() == head)
            // Unreachable: another exit code, one line.
            let port = try freeLoopbackPort()
            let unreachable = try await Accord.run(["process", "list", "--server", "http://127.0.0.1:\(port)", "--connect-timeout", "2"])
            #expect(unreachable.status == 69)
            #expect(unreachable.errorLines == ["error: cannot reach the Accord server at http://127.0.0.1:\(port): connection refused"])
        }
    }

    @Test("a CSV import with a bad row anywhere records nothing and names the line", arguments: Backend.allCases)
    func importRefused(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            // Well-formed, but the last row breaks a rule of the template's ladder: the server refuses the batch.
            let refused = """
                party,stage,date,source,note
                IT,government-decision,2025-10-03,ANSA,
                ES,interest,2025-10-04,,
                PT,ready,2025-10-05,,
                """
            let server = try await demo.accord("import", "steps", Self.force, "-", input: refused)
            #expect(server.status == 65, "\(server)")
            #expect(server.errorLines.count == 1)
            #expect(server.errorLines.first?.hasPrefix("error: -: line 4 (PT ready): PT cannot go to 'ready' as a first step") == true, "\(server)")
            #expect(server.errorLines.first?.contains("nothing was recorded (/problems/stage-out-of-order, HTTP 422)") == true)
            #expect(try await demo.head() == head)

            // Malformed rows: every problem is listed with its line and column, and nothing is sent.
            let malformed = """
                party,stage,date,source,note
                IT,government-decision,2025-10-03,ANSA,
                Spain,interest,2025-13-04,,
                ES,government-decision,2025-10-05,El "País,
                PT,interest
                """
            let local = try await demo.accord("import", "steps", Self.force, "-", input: malformed)
            #expect(local.status == 64)
            #expect(local.errorLines == [
                "-: line 3, column 1 (party): 'Spain' is not a party code (ISO 3166-1 alpha-2, e.g. DE)",
                "-: line 3, column 3 (date): '2025-13-04' is not a date (2025-04-10) or RFC 3339 date-time (2025-04-10T14:00:00Z)",
                "-: line 4, column 4: a double quote inside an unquoted field (quote the whole field and double the quote: \"a \"\"b\"\"\")",
                "-: line 5: 2 fields where the header has 5",
                "error: 4 problems in -; nothing was recorded",
            ], "\(local)")
            #expect(try await demo.head() == head)
        }
    }

    @Test("a good CSV file is recorded whole, in one atomic append, each step seeing the ones above it", arguments: Backend.allCases)
    func importRecorded(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accord-csv-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            // Spain's decision needs its interest first, recorded two lines above in the same file.
            let file = folder.appendingPathComponent("steps.csv")
            try Data(#"""
                \#u{FEFF}Party,Stage,Date,Source,Note\#r
                ES,interest,2025-10-04,"El País, 4 Oct.",\#r
                IT,government-decision,2025-10-03T09:30:00+02:00,ANSA,"Council of Ministers, with ""caveats"""\#r
                ES,government-decision,2025-10-05,,"multi-line
                note"\#r

                """#.utf8).write(to: file)
            let imported = try await demo.accord("import", "steps", Self.force, file.path)
            #expect(imported.status == 0, "\(imported)")
            #expect(imported.outputLines.first?.hasPrefix("recorded 3 steps from \(file.path) (log positions \(head + 1)–\(head + 3)); process version ") == true,
                    "\(imported)")
            // One append: consecutive positions, one commit time, one correlation id.
            let tail = try await demo.accord("log", "tail", "--after", String(head), "--json")
            let events = try tail.outputLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(events.compactMap { ($0["position"] as? NSNumber)?.int64Value } == [head + 1, head + 2, head + 3])
            #expect(Set(events.compactMap { $0["recordedAt"] as? String }).count == 1)
            #expect(Set(events.compactMap { $0["correlationId"] as? String }).count == 1)
            let steps = events.compactMap { ($0["payload"] as? [String: Any])?["step"] as? [String: Any] }
            #expect(steps.map { "\($0["party"] ?? "") \($0["stage"] ?? "")" } == ["ES interest", "IT government-decision", "ES government-decision"])
            #expect(steps[0]["source"] as? String == "El País, 4 Oct.")
            #expect(steps[1]["note"] as? String == "Council of Ministers, with \"caveats\"")
            #expect(steps[2]["note"] as? String == "multi-line\nnote")
            #expect(events[1]["occurredAt"] as? String == "2025-10-03T07:30:00.000000Z")
            #expect(events[0]["occurredAt"] as? String == "2025-10-04T12:00:00.000000Z")
            // The same file again: Spain already holds those stages, so the first row is refused and nothing more is recorded.
            let again = try await demo.accord("import", "steps", Self.force, file.path)
            #expect(again.status == 65)
            #expect(again.errorLines.first?.contains("line 2 (ES interest)") == true, "\(again)")
            #expect(try await demo.head() == head + 3)
            // --check reads the file and sends nothing.
            let checked = try await demo.accord("import", "steps", Self.force, file.path, "--check")
            #expect(checked.status == 0)
            #expect(checked.outputLines == ["\(file.path): 3 steps, all well-formed (checked only: nothing was sent)"])
        }
    }

    @Test("ballots, deadlines, what-if, corrections and retractions on a silence procedure", arguments: Backend.allCases)
    func silenceProcedure(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let nato = DemoServer.natoSilence
            let whatIf = try await demo.accord("process", "what-if", nato, "--ballot", "HU:objection")
            #expect(whatIf.status == 0, "\(whatIf)")
            #expect(whatIf.outputLines.contains { $0.contains("[silence]") })

            let cast = try await demo.accord("ballot", "cast", nato, "--party", "HU", "--position", "objection", "--statement", "Not without a UN mandate")
            #expect(cast.status == 0, "\(cast)")
            let entry = try #require(cast.outputLines.first?.split(separator: " ").dropFirst(2).first.map(String.init))
            let shown = try await demo.accord("process", "show", nato)
            #expect(shown.outputLines.contains { $0.hasPrefix("HU ") && $0.contains("objection") })
            #expect(shown.outputLines.contains("    ✗ HU: HU objects: Not without a UN mandate"))

            let extended = try await demo.accord("deadline", "extend", nato, "silence", "--at", "2099-01-10 12:00", "--reason", "consultations")
            #expect(extended.status == 0, "\(extended)")
            #expect(try await demo.accord("process", "show", nato).outputLines.contains("deadline silence: 2099-01-10T12:00 Europe/Brussels, extended 1×"))

            let corrected = try await demo.accord("record", "correct", nato, entry, "--reason", "the note verbale is a footnote, not an objection",
                                                  "--party", "HU", "--position", "yes-with-reservation", "--statement", "UN mandate preferred")
            #expect(corrected.status == 0, "\(corrected)")
            #expect(corrected.outputLines.first?.hasPrefix("recorded EntryCorrected ") == true)
            let afterCorrection = try await demo.accord("process", "show", nato).outputLines
            #expect(afterCorrection.contains { $0.hasPrefix("HU ") && $0.contains("yes-with-reservation") })
            let retracted = try await demo.accord("record", "retract", nato, entry, "--reason", "recorded against the wrong process")
            #expect(retracted.status == 0, "\(retracted)")
            let twice = try await demo.accord("record", "retract", nato, entry, "--reason", "again")
            #expect(twice.status == 65)
            #expect(twice.errorLines.first?.contains("/problems/entry-already-retracted") == true, "\(twice)")
            let afterRetraction = try await demo.accord("process", "show", nato).outputLines
            #expect(afterRetraction.contains { $0.hasPrefix("HU ") && ($0.contains("yes-with-reservation") || $0.contains("objection")) } == false)
            // A new procedure: opened, its deadline set.
            let opened = try await demo.accord("process", "open", "--template", "nato-silence-procedure", "--title", "Silence on the ISR annex",
                                               "--reference", "PO(2026)0001")
            #expect(opened.status == 0, "\(opened)")
            let id = try #require(opened.outputLines.first)
            let set = try await demo.accord("deadline", "set", id, "silence", "--at", "2099-02-01T10:00", "--time-zone", "Europe/Brussels")
            #expect(set.status == 0, "\(set)")
            let annex = try await demo.accord("process", "show", id)
            #expect(annex.outputLines.first == "Silence on the ISR annex  [PO(2026)0001]")
            #expect(annex.outputLines.contains("deadline silence: 2099-02-01T10:00 Europe/Brussels"))

            let closed = try await demo.accord("process", "close", nato, "--note", "superseded")
            #expect(closed.status == 0, "\(closed)")
            let list = try await demo.accord("process", "list", "--open")
            #expect(list.outputLines.first?.hasPrefix("3 processes") == true, "\(list)")
        }
    }

    @Test("log tail prints positions and resumes after a given one", arguments: [Backend.sqlite])
    func logTail(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            let last = try await demo.accord("log", "tail", "--lines", "3")
            #expect(last.status == 0)
            #expect(last.outputLines.compactMap { $0.split(separator: " ").first.flatMap { Int64($0) } } == [head - 2, head - 1, head])
            let resumed = try await demo.accord("log", "tail", "--after", String(head - 1))
            #expect(resumed.outputLines.count == 1)
            #expect(resumed.outputLines.first?.hasPrefix("\(head)  ") == true)
            // Everything from the start, over several pages.
            let all = try await demo.accord("log", "tail", "--after", "0")
            #expect(all.outputLines.count == Int(head))
        }
    }
}

@Suite("CLI log follower")
struct LogFollowTests {
    @Test("log tail --follow prints new events, and resumes after its last position when the server comes back", arguments: Backend.allCases)
    func follow(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            // The token from a file this time, not from the environment.
            let tokenFile = folder.appendingPathComponent("token").path
            try Data((demo.token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
            let follower = try BackgroundAccord(["log", "tail", "--follow", "--after", String(head), "--interval", "1"],
                                                environment: ["ACCORD_SERVER": demo.server.url])
            do {
                let first = try await Accord.run(["record", "step", DemoServer.forceGeneration, "--party", "DE", "--stage", "government-decision",
                                                  "--date", "2025-10-01", "--token-file", tokenFile], environment: ["ACCORD_SERVER": demo.server.url])
                #expect(first.status == 0, "\(first)")
                #expect(try await follower.waitForLine { $0.hasPrefix("\(head + 1)  ") && $0.hasSuffix("DE government-decision") })

                // The server goes away and comes back on the same port; the follower waits and carries on.
                let port = try #require(URL(string: demo.server.url)?.port)
                await demo.server.stop()
                #expect(try await follower.waitForLine(onStandardError: true) { $0.contains("retrying after log position \(head + 1)") })
                let again = try await ServerProcess.start(database: demo.database.argument, port: port)
                do {
                    let second = try await Accord.run(["record", "step", DemoServer.forceGeneration, "--party", "ES", "--stage", "interest",
                                                       "--date", "2025-10-02", "--token-file", tokenFile], environment: ["ACCORD_SERVER": again.url])
                    #expect(second.status == 0, "\(second)")
                    #expect(try await follower.waitForLine { $0.hasPrefix("\(head + 2)  ") && $0.hasSuffix("ES interest") })
                    #expect(follower.outputLines.filter { $0.hasPrefix("\(head + 1)  ") }.count == 1)
                } catch {
                    await again.stop()
                    throw error
                }
                await again.stop()
            } catch {
                await follower.stop()
                throw error
            }
            await follower.stop()
        }
    }
}

/// The text under `column` in the table row of `party`: the cells are padded to their column's width, so a
/// cell spans from its title's offset to the next title's.
func cell(in lines: [String], party: String, column: String, header: String) -> String? {
    let characters = Array(header)
    var starts: [(title: String, offset: Int)] = []
    for (offset, character) in characters.enumerated() where character != " " && (offset == 0 || characters[offset - 1] == " ") {
        let title = String(characters[offset...].prefix { $0 != " " })
        starts.append((title, offset))
    }
    guard let index = starts.firstIndex(where: { $0.title == column }),
          let row = lines.first(where: { $0.hasPrefix(party + " ") }).map(Array.init)
    else { return nil }
    let start = starts[index].offset
    let end = index + 1 < starts.count ? starts[index + 1].offset : Int.max
    guard start < row.count else { return "" }
    return String(row[start..<min(end, row.count)]).trimmingCharacters(in: .whitespaces)
}

@Suite("CLI client retries")
struct ClientRetryTests {
    @Test("a write whose answer is lost is sent again with the same Idempotency-Key and recorded once", arguments: Backend.allCases)
    func retryAfterLostAnswer(_ backend: Backend) async throws {
        try await withDemoServer(backend) { demo in
            let head = try await demo.head()
            let serverPort = try #require(URL(string: demo.server.url)?.port)
            let proxy = try FlakyProxy(upstreamPort: serverPort)
            defer { proxy.close() }
            let recorded = try await Accord.run(
                ["record", "step", DemoServer.forceGeneration, "--party", "DE", "--stage", "government-decision", "--date", "2025-10-01",
                 "--server", "http://127.0.0.1:\(proxy.port)"],
                environment: ["ACCORD_TOKEN": demo.token])
            #expect(recorded.status == 0, "\(recorded)")
            #expect(proxy.connectionCount == 2)
            // The retry was answered from the first attempt: one event, at the position the client reports.
            #expect(try await demo.head() == head + 1)
            #expect(recorded.outputLines.first?.hasPrefix("recorded StepRecorded ") == true, "\(recorded)")
            #expect(recorded.outputLines.first?.contains("at log position \(head + 1)") == true, "\(recorded)")
        }
    }

    @Test("an import whose connection closes while the server works on it waits for that work's answer", arguments: [Backend.sqlite])
    func retryWhileInProgress(_ backend: Backend) async throws {
        try await withDemoServer(backend, serverArguments: ["--log-level", "info"]) { demo in
            let parties = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI"]
            let opened = try await demo.accord(["process", "open", "--template", "coalition-force-generation", "--title", "Bulk",
                                                "--date", "2025-01-01"] + parties.flatMap { ["--party", $0] })
            let id = try #require(opened.outputLines.first, "\(opened)")
            // 400 steps: each party turns interested and declines, again and again, a second apart.
            var csv = "party,stage,date\n"
            for n in 0..<400 {
                let stage = (n / parties.count) % 2 == 0 ? "interest" : "declined"
                csv += "\(parties[n % parties.count]),\(stage),2025-02-01T\(pad(n / 3600))\(":")\(pad(n / 60 % 60))\(":")\(pad(n % 60))Z\n"
            }
            let head = try await demo.head()
            let serverPort = try #require(URL(string: demo.server.url)?.port)
            let proxy = try FlakyProxy(upstreamPort: serverPort, failure: .closeWhileServerWorks)
            defer { proxy.close() }
            // The first attempt must still be at work when the retry comes, however fast the server is: another
            // program holds the database's write lock (the server's writer waits, up to its 10 s busy timeout)
            // until the retry has reached the server.
            guard case .sqlite(let path) = demo.database.location else { Issue.record("SQLite only"); return }
            let lock = try SQLiteWriteLock(path: path)
            async let importing = Accord.run(["import", "steps", id, "-", "--server", "http://127.0.0.1:\(proxy.port)"],
                                             environment: ["ACCORD_TOKEN": demo.token], input: csv)
            let retried = ContinuousClock.now.advanced(by: .seconds(60))
            while proxy.connectionCount < 2, ContinuousClock.now < retried { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            lock.release()
            let imported = try await importing
            #expect(proxy.connectionCount == 2)
            #expect(imported.status == 0, "\(imported)")
            #expect(imported.outputLines.first?.hasPrefix("recorded 400 steps from - (log positions \(head + 1)–\(head + 400))") == true, "\(imported)")
            #expect(try await demo.head() == head + 400)
            // The retry found the first attempt still at work, and waited for it.
            #expect(demo.server.log.contents.contains("problem=idempotency-in-progress"))
        }
    }
}

func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// A write transaction of another program on a SQLite database: it holds the write lock until released.
final class SQLiteWriteLock: Sendable {
    private let handle: Mutex<OpaquePointer?>

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw Failure(description: "cannot lock \(path): \(message)")
        }
        handle = Mutex(db)
    }

    func release() {
        handle.withLock { db in
            guard let open = db else { return }
            sqlite3_exec(open, "ROLLBACK", nil, nil, nil)
            sqlite3_close(open)
            db = nil
        }
    }

    deinit { release() }
}
