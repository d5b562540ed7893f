import Foundation

/// Times one measurement and samples Linux PSI (CPU and I/O pressure) over it, like the peer harness, so a run
/// disturbed by other work on the machine shows in its own output.
struct Measurement {
    var seconds: Double
    var cpuStallPercent: Double?
    var ioStallPercent: Double?

    static func time(_ body: () async throws -> Void) async rethrows -> Measurement {
        let cpu0 = pressureTotal("cpu")
        let io0 = pressureTotal("io")
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        func share(_ before: Int64?, _ after: Int64?) -> Double? {
            guard let before, let after, seconds > 0 else { return nil }
            return (Double(after - before) / 1e6 / seconds * 1000).rounded() / 10
        }
        return Measurement(
            seconds: seconds, cpuStallPercent: share(cpu0, pressureTotal("cpu")),
            ioStallPercent: share(io0, pressureTotal("io")))
    }

    /// Microseconds in which some task waited for `kind` ("cpu", "io") since boot.
    private static func pressureTotal(_ kind: String) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/\(kind)", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("some") {
            guard let total = line.split(separator: " ").first(where: { $0.hasPrefix("total=") }) else { return nil }
            return Int64(total.dropFirst("total=".count))
        }
        return nil
    }

    /// One JSON line per measurement on standard output (the format `scripts/bench-store` collects).
    func report(backend: String, mode: String, events: Int, extra: [String: String] = [:]) {
        var fields: [(String, String)] = [
            ("backend", "\"\(backend)\""), ("mode", "\"\(mode)\""), ("events", String(events)),
            ("seconds", String(format: "%.6f", seconds)),
            ("events_per_s", String(Int((Double(events) / seconds).rounded()))),
        ]
        if let cpuStallPercent { fields.append(("cpu_stall_pct", String(cpuStallPercent))) }
        if let ioStallPercent { fields.append(("io_stall_pct", String(ioStallPercent))) }
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { fields.append((key, "\"\(value)\"")) }
        let line = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
