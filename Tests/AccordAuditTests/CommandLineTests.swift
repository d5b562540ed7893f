import AccordTestSupport
import Foundation
import Testing

/// The audit commands of the built `accord` binary, end to end on a SQLite data folder.
@Suite("accord export, verify, key, redact, report")
struct CommandLineTests {
    /// `accord` sits next to the test bundle in the build folder (`swift build --build-tests` builds both).
    static var binary: URL? {
        let test = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return [test.appendingPathComponent("accord"), test.deletingLastPathComponent().appendingPathComponent("accord")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct Outcome {
        var status: Int32
        var output: String
        var error: String
    }

    func accord(_ arguments: [String]) throws -> Outcome {
        let process = ChildProcess()
        process.executableURL = try #require(Self.binary, "build the accord binary first (swift build --build-tests)")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    @Test("export, verify (0, 1, 2), redact, rotate and report through the command line")
    func endToEnd() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accord-cli-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

        #expect(try accord(["demo", "--data-dir", data]).status == 0)
        let export = try accord(["export", "--data-dir", data, "-o", path("export.jsonl")])
        #expect(export.status == 0, "\(export.error)")
        let keys = try accord(["key", "show", "--data-dir", data])
        #expect(keys.status == 0 && keys.output.contains("ed25519:"))
        try keys.output.write(toFile: path("keys.txt"), atomically: true, encoding: .utf8)

        let verified = try accord(["verify", path("export.jsonl"), "--public-key", path("keys.txt")])
        #expect(verified.status == 0)
        #expect(verified.output.hasPrefix("verified: "))

        // A changed payload: exit status 1, the line and the kind.
        var lines = try String(contentsOfFile: path("export.jsonl"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[40] = lines[40].replacingOccurrences(of: "\"payload\":{\"", with: "\"payload\":{ \"")
        try lines.joined(separator: "\n").write(toFile: path("tampered.jsonl"), atomically: true, encoding: .utf8)
        let broken = try accord(["verify", path("tampered.jsonl"), "--public-key", path("keys.txt")])
        #expect(broken.status == 1)
        #expect(broken.output.contains("BROKEN at line 41 (position 40): changed-payload"))

        // Could not read: no such file, not an export, no key.
        #expect(try accord(["verify", path("missing.jsonl"), "--public-key", path("keys.txt")]).status == 2)
        #expect(try accord(["verify", path("keys.txt"), "--public-key", path("keys.txt")]).status == 2)
        #expect(try accord(["verify", path("export.jsonl"), "--public-key", "not-a-key"]).status == 2)

        // A partial export with the previous hash from the whole one.
        let before = try #require(lines[99].range(of: "\"chainHash\":\"")).upperBound
        let previous = String(lines[99][before...].prefix(64))
        #expect(try accord(["export", "--data-dir", data, "--from", "100", "--to", "150", "-o", path("partial.jsonl")]).status == 0)
        #expect(try accord(["verify", path("partial.jsonl"), "--public-key", path("keys.txt"), "--previous-hash", previous]).status == 0)

        // A redaction, then a rotation: the new export verifies with the listed keys, the old one still does.
        let position = try #require(lines.firstIndex { $0.contains("Hesitating") })
        let redact = try accord(["redact", "--data-dir", data, "--position", String(position), "--path", "/step/note", "--reason", "privacy", "--by", "DPO"])
        #expect(redact.status == 0, "\(redact.error)")
        #expect(try accord(["key", "rotate", "--data-dir", data]).status == 0)
        #expect(try accord(["export", "--data-dir", data, "-o", path("after.jsonl")]).status == 0)
        #expect(!(try String(contentsOfFile: path("after.jsonl"), encoding: .utf8)).contains("Hesitating"))
        let allKeys = try accord(["key", "show", "--data-dir", data])
        #expect(allKeys.output.contains("retired"))
        try allKeys.output.write(toFile: path("all-keys.txt"), atomically: true, encoding: .utf8)
        #expect(try accord(["verify", path("after.jsonl"), "--public-key", path("all-keys.txt")]).status == 0)
        #expect(try accord(["verify", path("export.jsonl"), "--public-key", path("all-keys.txt")]).status == 0)
        #expect(try accord(["verify", path("after.jsonl"), "--public-key", path("keys.txt")]).status == 1)

        // The CSV and the report.
        let csv = try accord(["export", "--data-dir", data, "--format", "csv", "--party", "GR"])
        #expect(csv.status == 0 && csv.output.contains(",GR,Greece,"))
        let report = try accord(["report", "--data-dir", data, "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01", "-o", path("report.html")])
        #expect(report.status == 0)
        #expect(try String(contentsOfFile: path("report.html"), encoding: .utf8).contains("Reassurance Force for Ukraine"))
        #expect(try accord(["report", "--data-dir", data, "not-a-process"]).status != 0)
    }
}
