import Foundation

/// wrk (Debian's package), run as a child process with a generated Lua script.
struct Wrk {
    let executable: URL

    /// wrk from the PATH, installed with apt-get first when it is missing (which needs root).
    static func locateOrInstall() throws -> Wrk {
        if let found = find() { return found }
        guard getuid() == 0 else { throw BenchFailure("wrk is missing: install it with `sudo apt-get install wrk`") }
        HTTPBenchLog.note("installing wrk (apt-get install wrk)")
        for arguments in [["install", "-y", "-qq", "wrk"], ["update", "-qq"], ["install", "-y", "-qq", "wrk"]] {
            let apt = Process()
            apt.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
            apt.arguments = arguments
            apt.environment = ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { _, new in new }
            apt.standardOutput = FileHandle.nullDevice
            try apt.run()
            apt.waitUntilExit()
            if let found = find() { return found }
        }
        throw BenchFailure("apt-get could not install wrk")
    }

    private static func find() -> Wrk? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("wrk")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return Wrk(executable: candidate) }
        }
        return nil
    }

    /// One closed-loop run: `connections` connections each sending its next request when the previous one is
    /// answered. wrk gets one thread per connection up to the machine's cores.
    func run(script: String, url: String, connections: Int, seconds: Int) throws -> HTTPMeasurement {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("accord-bench-\(UUID().uuidString).lua")
        try Data(script.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let threads = max(1, min(connections, ProcessInfo.processInfo.activeProcessorCount))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-t", "\(threads)", "-c", "\(connections)", "-d", "\(seconds)s", "--timeout", "10s", "-s", file.path, url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let pressure = Pressure.sample()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("WRK ") }),
              let figures = try? JSONDecoder().decode(WrkFigures.self, from: Data(line.dropFirst(4).utf8))
        else { throw BenchFailure("wrk failed: \(text)") }
        return HTTPMeasurement(connections: connections, figures: figures, pressure: pressure.since())
    }
}

/// What the script's `done` prints.
struct WrkFigures: Decodable {
    var requests: Int
    var duration_us: Int
    var non2xx: Int
    var socket_errors: Int
    var p50_us: Int
    var p90_us: Int
    var p99_us: Int
    var max_us: Int
}

/// One measurement, as a JSON line.
struct HTTPMeasurement {
    var backend = ""
    var scenario = ""
    var round = 1
    /// The offered load (`--rate`), 0 for a closed loop at saturation.
    var offeredRate = 0
    var connections: Int
    var figures: WrkFigures
    var pressure: Pressure.Share

    var requestsPerSecond: Double { Double(figures.requests) / (Double(figures.duration_us) / 1e6) }
    var failed: Int { figures.non2xx + figures.socket_errors }

    func report() {
        var fields: [(String, String)] = [
            ("backend", "\"\(backend)\""), ("scenario", "\"\(scenario)\""), ("round", "\(round)"), ("connections", "\(connections)"), ("offered_rate", "\(offeredRate)"),
            ("requests", "\(figures.requests)"), ("seconds", String(format: "%.3f", Double(figures.duration_us) / 1e6)),
            ("requests_per_s", String(Int(requestsPerSecond.rounded()))),
            ("p50_ms", String(format: "%.3f", Double(figures.p50_us) / 1000)), ("p90_ms", String(format: "%.3f", Double(figures.p90_us) / 1000)),
            ("p99_ms", String(format: "%.3f", Double(figures.p99_us) / 1000)), ("max_ms", String(format: "%.3f", Double(figures.max_us) / 1000)),
            ("failed", "\(failed)"),
        ]
        if let cpu = pressure.cpu { fields.append(("cpu_stall_pct", String(format: "%.1f", cpu))) }
        if let io = pressure.io { fields.append(("io_stall_pct", String(format: "%.1f", io))) }
        let line = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    /// Per backend, scenario and connection count, the median over the rounds; then the ratio the results
    /// target is stated in (results against healthz, from those medians).
    static func reportSummary(_ measurements: [HTTPMeasurement]) {
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        var medians: [String: Double] = [:]
        let groups = Dictionary(grouping: measurements) { "\($0.backend)|\($0.scenario)|\($0.connections)" }
        for key in groups.keys.sorted() {
            guard let group = groups[key], let first = group.first else { continue }
            let rate = median(group.map(\.requestsPerSecond))
            medians[key] = rate
            let line = #"{"summary":"median","backend":"\#(first.backend)","scenario":"\#(first.scenario)","connections":\#(first.connections),"rounds":\#(group.count),"requests_per_s":\#(Int(rate.rounded())),"p50_ms":\#(String(format: "%.3f", median(group.map { Double($0.figures.p50_us) / 1000 }))),"p99_ms":\#(String(format: "%.3f", median(group.map { Double($0.figures.p99_us) / 1000 })))}"#
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        for backend in Set(measurements.map(\.backend)).sorted() {
            for connections in Set(measurements.map(\.connections)).sorted() {
                guard let ceiling = medians["\(backend)|healthz|\(connections)"], let results = medians["\(backend)|results|\(connections)"],
                      ceiling > 0 else { continue }
                let line = #"{"summary":"ratio","backend":"\#(backend)","connections":\#(connections),"ratio":"results/healthz","value":\#(String(format: "%.3f", results / ceiling))}"#
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        }
    }
}

/// The machine's CPU: wait for other work (builds) to calm down before measuring.
enum CPU {
    static func waitUntilQuiet(atMost seconds: Int, threshold: Double = 15) {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while Date() < deadline {
            guard let before = ticks() else { return }
            Thread.sleep(forTimeInterval: 1)
            guard let after = ticks() else { return }
            let total = Double(after.total - before.total)
            let busy = total > 0 ? Double(after.busy - before.busy) / total * 100 : 0
            if busy < threshold { return }
            HTTPBenchLog.note(String(format: "waiting for a quiet CPU (%.0f %% busy)", busy))
        }
    }

    private static func ticks() -> (busy: Int64, total: Int64)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Int64($0) }
        guard values.count >= 5 else { return nil }
        let idle = values[3] + values[4]
        let total = values.reduce(0, +)
        return (total - idle, total)
    }
}

/// Linux PSI ("some" stall) over a measurement: how much other work got in its way.
struct Pressure {
    let cpu: Int64?
    let io: Int64?
    let start: Date

    struct Share {
        var cpu: Double?
        var io: Double?
    }

    static func sample() -> Pressure { Pressure(cpu: total("cpu"), io: total("io"), start: Date()) }

    func since() -> Share {
        let seconds = Date().timeIntervalSince(start)
        func share(_ before: Int64?, _ after: Int64?) -> Double? {
            guard let before, let after, seconds > 0 else { return nil }
            return Double(after - before) / 1e6 / seconds * 100
        }
        return Share(cpu: share(cpu, Self.total("cpu")), io: share(io, Self.total("io")))
    }

    private static func total(_ kind: String) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/\(kind)", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("some") {
            return line.split(separator: " ").first { $0.hasPrefix("total=") }.flatMap { Int64($0.dropFirst("total=".count)) }
        }
        return nil
    }
}
