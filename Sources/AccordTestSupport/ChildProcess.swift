import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process for the tests that start `accord` (servers, CLI runs, crash tests), with the part of
/// `Foundation.Process`'s interface they use.
///
/// Why not `Process`: in swift-corelibs-foundation 6.3.1, `Process.run()` lists `/proc/self/fd` and copies
/// each entry's whole 256-byte `d_name`, reading past glibc's buffer; a test process holding a thousand open
/// descriptors (database pools of tests running in parallel) crashes with SIGSEGV now and then
/// (swiftlang/swift-corelibs-foundation#5472, fixed after 6.3.1). This spawns with `posix_spawn` directly and
/// closes every inherited descriptor above 2 in the child, listed through `FileManager` (which reads the
/// directory entries safely).
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable, Equatable { case exit, uncaughtSignal }

    public var executableURL: URL?
    public var arguments: [String] = []
    public var environment: [String: String]?
    /// A `Pipe` or a `FileHandle`; nil: inherited.
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?
    /// Called once, on a background thread, when the child has exited.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private struct State {
        var pid: pid_t = 0
        var status: Int32?
        var reason: TerminationReason = .exit
    }
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)

    public init() {}

    public var processIdentifier: Int32 { state.withLock { $0.pid } }
    public var isRunning: Bool { state.withLock { $0.pid != 0 && $0.status == nil } }
    public var terminationStatus: Int32 { state.withLock { $0.status ?? 0 } }
    public var terminationReason: TerminationReason { state.withLock { $0.reason } }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    public func run() throws {
        guard let executable = executableURL?.path else { throw SpawnError(description: "no executable") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentSideToClose: [FileHandle] = []
        func redirect(_ target: Any?, to fd: Int32, input: Bool) {
            switch target {
            case let pipe as Pipe:
                let childSide = input ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, childSide.fileDescriptor, fd)
                parentSideToClose.append(childSide)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, fd)
            default:
                break
            }
        }
        redirect(standardInput, to: 0, input: true)
        redirect(standardOutput, to: 1, input: false)
        redirect(standardError, to: 2, input: false)
        // Nothing else is inherited: another child's pipe left open in this one would keep its reader waiting.
        // (glibc ignores closing a descriptor that is closed by then.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let pairs = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = pairs.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw SpawnError(description: "posix_spawn \(executable): \(String(cString: strerror(result)))") }
        // The child holds its ends now; the parent's copies would keep readers from ever seeing end-of-file.
        for handle in parentSideToClose { try? handle.close() }
        state.withLock { $0.pid = pid }

        let child = pid
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out: the C macros are not imported.
            let signal = status & 0x7f
            self.state.withLock {
                if signal == 0 {
                    $0.status = (status >> 8) & 0xff
                    $0.reason = .exit
                } else {
                    $0.status = signal
                    $0.reason = .uncaughtSignal
                }
            }
            self.exited.signal()
            self.terminationHandler?(self)
        }
        thread.start()
    }

    /// SIGTERM.
    public func terminate() {
        let pid = processIdentifier
        if pid != 0 && isRunning { kill(pid, SIGTERM) }
    }

    public func waitUntilExit() {
        guard processIdentifier != 0 else { return }
        exited.wait()
        exited.signal()
    }
}
