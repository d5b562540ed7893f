import AccordDomain
import AccordEventStore
import AccordService
import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `accord-bench notify`: notification latency and SSE fan-out, against the real `accord serve` binary (the
/// release build beside this one) on a fresh database of each backend.
///
/// - Latency: `count` times, a process is opened and a ballot makes its rule satisfied; the time from the
///   ballot's `recordedAt` (stamped just before its commit) to the `rule.satisfied` webhook's arrival at a
///   loopback receiver, and to its arrival on one SSE stream.
/// - Fan-out: `clients` SSE streams on one instance; the server's resident memory before and after they
///   connect, and the time for one notification to reach all of them.
///
/// Prints one JSON line per measurement.
struct NotifyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Notification latency (webhook and SSE) and memory per SSE client.")

    @Option(help: "Notifications to time per backend.")
    var count = 1000

    @Option(help: "Concurrent SSE clients for the memory measurement.")
    var clients = 1000

    @Option(name: .customLong("postgres-url"), help: "A maintenance database URL on a PostgreSQL server where databases may be created; without it only SQLite runs.")
    var postgresURL: String?

    @Option(help: "Where the SQLite databases go (removed afterwards).")
    var scratch = NSTemporaryDirectory()

    func run() async throws {
        guard count > 0, clients > 0 else { throw ValidationError("--count and --clients must be positive") }
        var backends: [(String, () async throws -> BenchDatabase)] = [("sqlite", { try BenchDatabase.sqlite(in: scratch) })]
        if let postgresURL { backends.append(("postgres", { try await BenchDatabase.postgres(admin: postgresURL) })) }
        for (name, make) in backends {
            let database = try await make()
            do {
                let token = try await database.prepare()
                try await latency(backend: name, database: database, token: token)
                try await fanOut(backend: name, database: database, token: token)
            } catch {
                await database.remove()
                throw error
            }
            await database.remove()
        }
    }

    /// Webhook and SSE latency of `count` rule.satisfied notifications, one at a time.
    func latency(backend: String, database: BenchDatabase, token: String) async throws {
        let receiver = try await LatencyReceiver.start()
        let server = try NotifyBenchServer(database: database.argument, port: freePort())
        do {
            try await server.waitUntilListening()
            let api = BenchAPI(base: server.base, token: token)
            try await api.post("/v1/webhooks", #"{"url": "\#(receiver.url)", "types": ["rule.satisfied"]}"#)
            let stream = try await SSEClients.connect(count: 1, port: server.port, path: "/v1/stream?types=rule.satisfied")
            try await stream.waitUntilConnected(timeout: .seconds(30))
            // Warm up: connections, prepared statements, caches.
            for _ in 0..<20 { try await api.satisfyOneRule() }
            try await receiver.waitFor(20, timeout: .seconds(60))
            try await stream.waitFor(events: 20, timeout: .seconds(60))
            receiver.reset()
            stream.reset()
            for index in 0..<count {
                try await api.satisfyOneRule()
                try await receiver.waitFor(index + 1, timeout: .seconds(60))
            }
            try await stream.waitFor(events: count, timeout: .seconds(60))
            report(["benchmark": "notify.webhook-latency", "backend": backend, "count": count], milliseconds: receiver.latencies())
            report(["benchmark": "notify.sse-latency", "backend": backend, "count": count], milliseconds: stream.latencies())
            await stream.close()
        } catch {
            await server.stop()
            await receiver.stop()
            throw error
        }
        await server.stop()
        await receiver.stop()
    }

    /// `clients` SSE streams on one instance: memory per client, and one notification's time to reach them all.
    func fanOut(backend: String, database: BenchDatabase, token: String) async throws {
        let server = try NotifyBenchServer(database: database.argument, port: freePort())
        do {
            try await server.waitUntilListening()
            let api = BenchAPI(base: server.base, token: token)
            // One stream first, so that the hub and the HTTP machinery are warm before the baseline.
            let warm = try await SSEClients.connect(count: 1, port: server.port, path: "/v1/stream?types=rule.satisfied")
            try await warm.waitUntilConnected(timeout: .seconds(30))
            try await api.satisfyOneRule()
            try await warm.waitFor(events: 1, timeout: .seconds(30))
            try await Task.sleep(for: .seconds(1))
            let before = try server.residentKiB()
            let streams = try await SSEClients.connect(count: clients, port: server.port, path: "/v1/stream?types=rule.satisfied")
            try await streams.waitUntilConnected(timeout: .seconds(120))
            try await Task.sleep(for: .seconds(2))
            let after = try server.residentKiB()
            var fanOut: [Double] = []
            for round in 0..<5 {
                streams.reset()
                try await api.satisfyOneRule()
                try await streams.waitFor(events: clients, timeout: .seconds(60))
                if round > 0 { fanOut += streams.latencies() }
            }
            let perClient = Double(after - before) / Double(clients)
            print(json([
                "benchmark": "notify.sse-clients", "backend": backend, "clients": clients, "rss_before_kib": before, "rss_after_kib": after,
                "per_client_kib": (perClient * 10).rounded() / 10, "load_average": loadAverage(),
            ].merging(percentiles(fanOut, prefix: "fanout_")) { a, _ in a }))
            await streams.close()
            await warm.close()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func report(_ fields: [String: Any], milliseconds: [Double]) {
        print(json(fields.merging(percentiles(milliseconds, prefix: "")) { a, _ in a }.merging(["load_average": loadAverage()]) { a, _ in a }))
    }
}

/// p50, p99 and max of latencies in milliseconds.
func percentiles(_ values: [Double], prefix: String) -> [String: Any] {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return [:] }
    func at(_ q: Double) -> Double {
        let index = min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)
        return (sorted[max(0, index)] * 100).rounded() / 100
    }
    return ["\(prefix)p50_ms": at(0.5), "\(prefix)p99_ms": at(0.99), "\(prefix)max_ms": (sorted[sorted.count - 1] * 100).rounded() / 100,
            "\(prefix)samples": sorted.count]
}

/// The one-minute load average when a measurement ended: on a shared machine, what else was running.
func loadAverage() -> Double {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return Double(text.split(separator: " ").first ?? "") ?? -1
}

func json(_ fields: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

func freePort() -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Microseconds since the epoch, now (the same clock the server stamps `recordedAt` with).
func nowMicroseconds() -> Int64 { SystemWallClock().now().microsecondsSinceEpoch }

/// `recordedtime` of a CloudEvent body, in microseconds.
func recordedTime(_ body: [UInt8]) -> Int64? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
          let text = object["recordedtime"] as? String, let instant = Instant(iso8601: text) else { return nil }
    return instant.microsecondsSinceEpoch
}
