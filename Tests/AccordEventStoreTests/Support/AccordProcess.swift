import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// The built `accord` binary, run as a child process: the crash tests kill it with SIGKILL mid-append.
struct AccordBinary {
    let url: URL

    /// `accord` sits next to the test bundle in the build folder (`swift build --build-tests` builds both).
    static func locate(sourceLocation: SourceLocation = #_sourceLocation) -> AccordBinary? {
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // The test executable may sit inside an .xctest bundle folder on some layouts; look in both places.
        let candidates = [
            testExecutable.deletingLastPathComponent().appendingPathComponent("accord"),
            testExecutable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("accord"),
        ]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return AccordBinary(url: found)
        }
        Issue.record(
            Comment(rawValue: "the accord binary is missing (looked at \(candidates.map(\.path).joined(separator: ", "))); "
                + "build it with `swift build` or `swift build --build-tests` before `swift test` (scripts/test does)"),
            sourceLocation: sourceLocation)
        return nil
    }

    /// Starts `accord` with `arguments`; `environment` entries are added to (or replace) the test's own.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningAccord {
        try RunningAccord(executable: url, arguments: arguments, environment: environment)
    }
}

/// A running child process whose standard output is collected line by line.
final class RunningAccord: Sendable {
    private let process: ChildProcess
    private let state = ProcessState()

    /// What the handlers (called on Foundation's threads) record.
    private final class ProcessState: Sendable {
        let output = Mutex<String>("")
        let exited = Mutex<Int32?>(nil)
        /// Output streams read to their end (standard output, standard error): the process may exit before its
        /// last output has been read.
        let closedStreams = Mutex(0)
    }

    init(executable: URL, arguments: [String], environment: [String: String]) throws {
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let pipe = Pipe()
        process.standardOutput = pipe
        let errors = Pipe()
        process.standardError = errors
        self.process = process
        let state = self.state
        // One thread per stream reads until end of file: blocking reads see every byte, including what the
        // process wrote just before it exited.
        for (handle, prefix) in [(pipe.fileHandleForReading, ""), (errors.fileHandleForReading, "stderr: ")] {
            Thread {
                while true {
                    let data = handle.availableData
                    guard !data.isEmpty else { break }
                    state.output.withLock { $0 += prefix + String(decoding: data, as: UTF8.self) }
                }
                state.closedStreams.withLock { $0 += 1 }
            }.start()
        }
        process.terminationHandler = { finished in state.exited.withLock { $0 = finished.terminationStatus } }
        try process.run()
    }

    var lines: [String] { state.output.withLock { $0.split(separator: "\n").map(String.init) } }

    var exitStatus: Int32? { state.exited.withLock { $0 } }

    /// Waits until a line satisfying `predicate` has been printed (or the process ends, or `limit` passes).
    func waitForLine(within limit: Duration, where predicate: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if lines.contains(where: predicate) { return true }
            if exitStatus != nil, state.closedStreams.withLock({ $0 }) == 2 { return lines.contains(where: predicate) }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits until it is gone.
    func kill() async throws {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        try await waitForExit(within: .seconds(30))
    }

    /// Waits until the process has exited and all its output has been read.
    func waitForExit(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while exitStatus == nil || state.closedStreams.withLock({ $0 }) < 2 {
            guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: "accord to exit", limit: limit) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
