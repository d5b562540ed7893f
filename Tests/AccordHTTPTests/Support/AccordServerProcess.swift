import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// The built `accord` executable, run as a child process (`swift build --build-tests` puts it next to the
/// test bundle).
struct AccordExecutable {
    let url: URL

    static func find(sourceLocation: SourceLocation = #_sourceLocation) -> AccordExecutable? {
        let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for folder in [tests, tests.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("accord")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return AccordExecutable(url: candidate) }
        }
        Issue.record("the accord executable is not next to the tests in \(tests.path): run `swift build --build-tests` first (scripts/test does)",
                     sourceLocation: sourceLocation)
        return nil
    }

    /// Runs a command to its end; its standard output, trimmed.
    func run(_ arguments: [String]) async throws -> String {
        let child = try CollectedProcess(url, arguments)
        try await child.waitForExit(within: .seconds(120))
        guard child.exitStatus == 0 else {
            throw LoopbackConnection.Failure(description: "accord \(arguments.joined(separator: " ")) failed: \(child.output)")
        }
        return child.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A child process whose output is collected as it comes (so it never blocks on a full pipe).
final class CollectedProcess: Sendable {
    private let process: AccordTestSupport.ChildProcess
    private let out: PipeReader
    private let err: PipeReader
    private let status = ExitStatus()

    private final class ExitStatus: Sendable {
        let value = Mutex<Int32?>(nil)
    }

    init(_ executable: URL, _ arguments: [String]) throws {
        let process = AccordTestSupport.ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        let status = self.status
        process.terminationHandler = { finished in status.value.withLock { $0 = finished.terminationStatus } }
        try process.run()
        out = PipeReader(stdout)
        err = PipeReader(stderr)
    }

    var standardOutput: String { out.contents }
    var standardError: String { err.contents }
    var output: String { standardOutput + standardError }
    var exitStatus: Int32? { status.value.withLock { $0 } }
    var terminationReason: ChildProcess.TerminationReason { process.terminationReason }

    func signal(_ signal: Int32) { _ = kill(process.processIdentifier, signal) }

    func waitForExit(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while exitStatus == nil {
            guard ContinuousClock.now < deadline else {
                signal(SIGKILL)
                throw LoopbackConnection.Failure(description: "the process did not exit within \(limit); output: \(output.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    deinit {
        if exitStatus == nil { signal(SIGKILL) }
    }
}
