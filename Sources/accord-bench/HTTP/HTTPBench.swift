import AccordEventStore
import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `accord-bench http`: a real `accord serve` (the release binary next to this one) on loopback, on each
/// backend with the demo loaded, driven by wrk: `/healthz` as the ceiling, a process's rule results (GET), and
/// recording a stage step (POST: pledge amendments, which a template allows to repeat), at 1 and 64
/// connections. One JSON line per measurement on standard output, then the ratios the targets are stated in.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Requests/s and p50/p99 latency of accord serve over loopback (wrk), on SQLite and PostgreSQL.",
        discussion: """
            Scenarios: healthz = GET /healthz (the ceiling); results = GET /v1/processes/{id}/results of the demo's force \
            generation (30 parties, 4 rules); step = POST a pledge amendment to one force generation process in which 12 \
            nations hold a pledge, cycling through them (every request on one process, a fresh one per measurement); \
            page = GET the web page /processes/{id} of a force generation process among NATO's 32 members (96 entries), \
            signed in as an admin so that the forms are rendered too; \
            step-many = POST a pledge amendment to one of 64 fresh processes in turn (writes on different streams, as the \
            store benchmark's mode e). With --rounds, every scenario is measured once per round and the summary gives medians. \
            Installs wrk from Debian when it is missing (as root). Build first: swift build -c release.
            """)

    @Option(help: "Backends to measure, comma-separated: sqlite, postgres.")
    var backends = "sqlite,postgres"

    @Option(help: "Scenarios, comma-separated: healthz, results, step, step-many, page.")
    var scenarios = "healthz,results,step,step-many,page"

    @Option(help: "Concurrent connections, comma-separated.")
    var connections = "1,64"

    @Option(help: "Offered load in requests/s over all connections: each connection waits connections/rate seconds before each request, so latency is measured below saturation (wrk's delay hook). 0: every connection sends its next request as soon as the last is answered.")
    var rate = 0

    @Option(help: "Seconds per measurement.")
    var duration = 10

    @Option(help: "Seconds of warm-up before each measurement (not measured; writes go to processes of their own).")
    var warmup = 2

    @Option(help: "Rounds: every scenario is measured once per round, rounds one after the other, so that a disturbance hits one round, not one scenario.")
    var rounds = 1

    @Option(help: "PostgreSQL maintenance database; the benchmark creates and drops the database accord_bench_http there. Default: the peer benchmark's server and role.")
    var postgresURL = "postgres://peers_bench:peers_bench@127.0.0.1:5432/postgres"

    @Option(help: "Folder for the SQLite database.")
    var sqliteDir = "/tmp/accord-bench-http"

    @Option(help: "The accord executable. Default: the one next to accord-bench.")
    var accord: String?

    @Option(help: "The server's log level (its default is info: one line per request).")
    var logLevel = "info"

    @Option(help: "Wait up to this many seconds for the CPU to be quiet (below 15 % busy) before each measurement.")
    var quietWait = 60

    func validate() throws {
        guard rate >= 0 else { throw ValidationError("--rate is not negative") }
        guard duration > 0, warmup >= 0, rounds > 0 else { throw ValidationError("--duration and --rounds must be positive and --warmup not negative") }
        for backend in backends.split(separator: ",") where backend != "sqlite" && backend != "postgres" {
            throw ValidationError("unknown backend '\(backend)'")
        }
        for scenario in scenarios.split(separator: ",") where Scenario(rawValue: String(scenario)) == nil {
            throw ValidationError("unknown scenario '\(scenario)'")
        }
        guard !connectionCounts.isEmpty, connectionCounts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--connections are positive numbers") }
    }

    var connectionCounts: [Int] { connections.split(separator: ",").compactMap { Int($0) } }

    func run() async throws {
        let wrk = try Wrk.locateOrInstall()
        let executable = try accordExecutable()
        var results: [HTTPMeasurement] = []
        for backend in backends.split(separator: ",").map(String.init) {
            let database = try await freshDatabase(backend)
            let server = try await BenchServer.start(executable: executable, database: database, logLevel: logLevel)
            do {
                let setup = BenchSetup(server: server)
                for round in 1...max(1, rounds) {
                    for scenario in scenarios.split(separator: ",").compactMap({ Scenario(rawValue: String($0)) }) {
                        for count in connectionCounts {
                            // Milliseconds each connection waits before a request, for the offered rate.
                            let think = rate > 0 ? max(1, count * 1000 / rate) : 0
                            if warmup > 0 {
                                _ = try wrk.run(script: try await setup.script(for: scenario, thinkMilliseconds: think), url: server.baseURL,
                                                connections: count, seconds: warmup)
                            }
                            let script = try await setup.script(for: scenario, thinkMilliseconds: think)
                            CPU.waitUntilQuiet(atMost: quietWait)
                            var measurement = try wrk.run(script: script, url: server.baseURL, connections: count, seconds: duration)
                            measurement.backend = backend
                            measurement.scenario = scenario.rawValue
                            measurement.round = round
                            measurement.offeredRate = rate
                            measurement.report()
                            results.append(measurement)
                            guard measurement.failed == 0 else {
                                throw BenchFailure("\(backend) \(scenario.rawValue) c=\(count): \(measurement.failed) requests failed (non-2xx or socket errors)")
                            }
                        }
                    }
                }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
            await dropDatabase(backend)
        }
        HTTPMeasurement.reportSummary(results)
    }

    private func accordExecutable() throws -> URL {
        if let accord { return URL(fileURLWithPath: accord) }
        let here = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidate = here.appendingPathComponent("accord")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw BenchFailure("no accord executable next to accord-bench (\(candidate.path)): swift build -c release")
        }
        return candidate
    }

    private func freshDatabase(_ backend: String) async throws -> String {
        if backend == "sqlite" {
            try? FileManager.default.removeItem(atPath: sqliteDir)
            try FileManager.default.createDirectory(atPath: sqliteDir, withIntermediateDirectories: true)
            return "sqlite:" + (sqliteDir as NSString).appendingPathComponent("accord.sqlite")
        }
        return try await PostgresAdmin.recreateDatabase(named: "accord_bench_http", using: postgresURL)
    }

    private func dropDatabase(_ backend: String) async {
        if backend == "sqlite" {
            try? FileManager.default.removeItem(atPath: sqliteDir)
        } else {
            try? await PostgresAdmin.dropDatabase(named: "accord_bench_http", using: postgresURL)
        }
    }
}

enum Scenario: String, CaseIterable {
    case healthz, results, step
    case stepMany = "step-many"
    /// GET the web page of a process among 32 parties, signed in (server-side rendering, forms included).
    case page
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress lines on standard error; standard output carries only the measurements.
enum HTTPBenchLog {
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
