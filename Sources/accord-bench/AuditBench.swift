import AccordAudit
import AccordEventStore
import AccordService
import AccordTime
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `accord-bench audit`: exports a log of N events as JSON Lines and verifies the file offline, printing one JSON
/// line per phase with events/s and the phase's peak memory. Each phase runs in a process of its own (this
/// binary, re-launched), so its maximum resident set size is its own and not the fill's.
struct AuditBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Export and verify N events (JSON lines: events/s and peak memory per phase).",
        subcommands: [Run.self, Fill.self, Export.self, Verify.self],
        defaultSubcommand: Run.self)

    /// Fills a database, then runs the export and the verification in child processes.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run")

        @Option(help: "Number of events.")
        var events = 1_000_000

        @Option(help: "sqlite, or postgres (needs --postgres-admin).")
        var backend = "sqlite"

        @Option(name: .customLong("postgres-admin"), help: "A PostgreSQL URL on which a scratch database may be created. Default: $ACCORD_TEST_POSTGRES_URL.")
        var postgresAdmin: String?

        @Option(help: "A folder for the scratch database, key and export. Default: a new temporary folder.")
        var work: String?

        func run() async throws {
            let folder = work ?? FileManager.default.temporaryDirectory.appendingPathComponent("accord-audit-bench-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var database = "sqlite:" + (folder as NSString).appendingPathComponent("bench.sqlite")
            var scratch: (name: String, admin: String)?
            if backend == "postgres" {
                guard let admin = postgresAdmin ?? ProcessInfo.processInfo.environment["ACCORD_TEST_POSTGRES_URL"] else {
                    throw ValidationError("--backend postgres needs --postgres-admin or ACCORD_TEST_POSTGRES_URL")
                }
                let name = "accord_audit_bench_\(UUID().uuidString.lowercased().prefix(8))"
                database = try await PostgresAdmin.recreateDatabase(named: name, using: admin)
                scratch = (name, admin)
            } else if backend != "sqlite" {
                throw ValidationError("--backend must be sqlite or postgres")
            }
            let export = (folder as NSString).appendingPathComponent("export.jsonl")
            let keys = (folder as NSString).appendingPathComponent("keys")
            try child(["audit", "fill", "--database", database, "--events", String(events), "--backend", backend])
            try child(["audit", "export", "--database", database, "--keys", keys, "--output", export, "--backend", backend])
            try child(["audit", "verify", export, "--keys", keys, "--backend", backend])
            if let scratch { try await PostgresAdmin.dropDatabase(named: scratch.name, using: scratch.admin) }
            if work == nil { try? FileManager.default.removeItem(atPath: folder) }
        }

        func child(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        }
    }

    /// Appends N events in the shape of recorded steps (a process id, a party, a stage, a source and a note).
    struct Fill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fill")

        @Option var database: String
        @Option var events: Int
        @Option var backend: String

        func run() async throws {
            let store = try await EventStoreFactory.open(try DatabaseLocation(parsing: database))
            let start = ContinuousClock.now
            let parties = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT"]
            let actor = EventActor(id: "acct-bench", name: "Benchmark Secretariat")
            var written = 0
            while written < events {
                let count = min(5_000, events - written)
                let process = UUID().uuidString.lowercased()
                var proposed: [ProposedEvent] = []
                proposed.reserveCapacity(count)
                for i in 0..<count {
                    let n = written + i
                    let payload = try JSONPayload(canonicalizing: """
                        {"process":"\(process)","step":{"note":"Entry \(n): the cabinet approved the mandate; the parliament votes next week.",\
                        "party":"\(parties[n % parties.count])","source":"https://example.org/records/\(n)","stage":"government-decision"}}
                        """)
                    proposed.append(ProposedEvent(type: "StepRecorded", payload: payload, actor: actor, correlationId: UUID(),
                                                  occurredAt: Instant(microsecondsSinceEpoch: 1_740_000_000_000_000 + Int64(n) * 1_000_000)))
                }
                try await store.append(to: StreamName("process-\(process)"), expectedVersion: .noStream, events: proposed)
                written += count
            }
            let seconds = seconds(since: start)
            await store.close()
            report(["phase": "audit-fill", "backend": backend, "events": written, "seconds": seconds,
                    "eventsPerSecond": Int(Double(written) / seconds), "maxRSSMiB": maxRSSMiB()])
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export")

        @Option var database: String
        @Option var keys: String
        @Option var output: String
        @Option var backend: String

        func run() async throws {
            // As `accord export` does: a one-pass read gains nothing from mapping the database file, and the
            // mapped pages would count as the exporter's memory.
            let service = try await AccordService.open(try DatabaseLocation(parsing: database),
                                                       options: EventStoreOptions(sqlite: SQLiteOptions(mmapBytes: 0)))
            let audit = AuditService(service: service, keyFolder: SigningKeyFolder(path: keys))
            try await audit.start()
            guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
                throw ValidationError("cannot write \(output)")
            }
            let start = ContinuousClock.now
            let lines = try await audit.exportJSONLines(ExportSelection()) { buffer in try handle.write(contentsOf: buffer) }
            try handle.close()
            let seconds = seconds(since: start)
            await service.shutdown()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0
            report(["phase": "audit-export", "backend": backend, "events": Int(lines), "seconds": seconds,
                    "eventsPerSecond": Int(Double(lines) / seconds), "fileMiB": bytes >> 20, "maxRSSMiB": maxRSSMiB()])
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify")

        @Argument var file: String
        @Option var keys: String
        @Option var backend: String

        func run() throws {
            let ring = KeyRing(SigningKeyFolder(path: keys).publicKeys())
            let start = ContinuousClock.now
            let outcome = try ExportVerifier(keys: ring).verify(file: file)
            let seconds = seconds(since: start)
            guard case .verified(let summary) = outcome else {
                throw ValidationError("the export did not verify: \(outcome)")
            }
            report(["phase": "audit-verify", "backend": backend, "events": Int(summary.events), "seconds": seconds,
                    "eventsPerSecond": Int(Double(summary.events) / seconds), "maxRSSMiB": maxRSSMiB()])
        }
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// This process's peak resident set size (getrusage reports KiB on Linux).
func maxRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10
}

/// The CPU time this process used (user and system), in seconds: unlike the wall clock, it does not grow when
/// other work shares the machine.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Prints one JSON line, adding the process's CPU time and the events per CPU second when `events` is given.
func report(_ given: [String: Any]) {
    var fields = given
    let cpu = cpuSeconds()
    fields["cpuSeconds"] = (cpu * 1000).rounded() / 1000
    if let events = fields["events"] as? Int, cpu > 0 { fields["eventsPerCPUSecond"] = Int(Double(events) / cpu) }
    var load = [Double](repeating: 0, count: 1)
    if getloadavg(&load, 1) == 1 { fields["loadAverage"] = (load[0] * 100).rounded() / 100 }
    if let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}
