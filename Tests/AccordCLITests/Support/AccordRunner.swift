import AccordTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// What a finished `accord` invocation left: its exit status and its two output streams.
struct Invocation: Sendable, CustomStringConvertible {
    var status: Int32
    var output: String
    var errors: String

    var outputLines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
    var errorLines: [String] { errors.split(separator: "\n").map(String.init) }

    var description: String { "exit \(status)\nstdout:\n\(output)\nstderr:\n\(errors)" }
}

/// The built `accord` executable (next to the test bundle in the build folder), run as a child process.
enum Accord {
    static func executable(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [
            testExecutable.deletingLastPathComponent().appendingPathComponent("accord"),
            testExecutable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("accord"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            Issue.record("the accord binary is missing (looked at \(candidates.map(\.path).joined(separator: ", "))); build it with `swift build` first",
                         sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return found
    }

    /// Runs `accord arguments…` to completion. The environment is the test's own without any `ACCORD_*`
    /// variable, plus `environment`; `input` goes to standard input.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> Invocation {
        let process = ChildProcess()
        process.executableURL = try executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ACCORD_") || $0.key.hasPrefix("ACCORD_TEST") }
        env.merge(environment) { _, given in given }
        process.environment = env
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        let out = PipeReader(output)
        let err = PipeReader(errors)
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let (outData, errData) = (await out.finished(), await err.finished())
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        return Invocation(status: process.terminationStatus, output: outData, errors: errData)
    }
}

/// A free TCP port on the loopback interface (bound, read, released).
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `accord serve` on a free loopback port, over a database of the test's; stopped with SIGTERM.
final class ServerProcess: Sendable {
    let url: String
    let databaseArgument: String
    private let process: ChildProcess
    /// What the server printed (its log), for failure messages and checks.
    let log: PipeReader

    private init(url: String, databaseArgument: String, process: ChildProcess, log: PipeReader) {
        self.url = url
        self.databaseArgument = databaseArgument
        self.process = process
        self.log = log
    }

    /// Starts a server on `port` (default: a free one) and waits until it answers `/healthz`.
    static func start(database: String, port: Int? = nil, extraArguments: [String] = []) async throws -> ServerProcess {
        let port = try port ?? freeLoopbackPort()
        let process = ChildProcess()
        process.executableURL = try Accord.executable()
        process.arguments = ["serve", "--database", database, "--host", "127.0.0.1", "--port", String(port), "--log-level", "warning"] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ACCORD_") }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        let log = PipeReader(errors)
        try process.run()
        let server = ServerProcess(url: "http://127.0.0.1:\(port)", databaseArgument: database, process: process, log: log)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                Issue.record("accord serve exited with \(process.terminationStatus): \(log.contents)")
                throw CancellationError()
            }
            if (try? await HTTP.get(server.url + "/healthz").status) == 200 { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        Issue.record("accord serve did not answer /healthz within 60 s: \(log.contents)")
        throw CancellationError()
    }

    /// SIGTERM, then waits for the graceful shutdown.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// An `accord` command that keeps running (`log tail --follow`), its output collected as it comes.
final class BackgroundAccord: Sendable {
    private let process: ChildProcess
    private let output: PipeReader
    private let errors: PipeReader

    init(_ arguments: [String], environment: [String: String]) throws {
        process = ChildProcess()
        process.executableURL = try Accord.executable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ACCORD_") }.merging(environment) { _, given in given }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        output = PipeReader(out)
        errors = PipeReader(err)
        try process.run()
    }

    var outputLines: [String] { output.contents.split(separator: "\n").map(String.init) }
    var errorLines: [String] { errors.contents.split(separator: "\n").map(String.init) }

    /// Waits up to 30 s for a line of standard output (or error) that satisfies `predicate`.
    func waitForLine(onStandardError: Bool = false, _ predicate: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (onStandardError ? errorLines : outputLines).contains(where: predicate) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func stop() async {
        process.terminate()
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// Direct HTTP requests, for what the tests check behind the CLI's back.
enum HTTP {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]

        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body)) }
    }

    static func get(_ url: String, token: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await execute(request)
    }

    static func post(_ url: String, json: String, token: String) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        return try await execute(request)
    }

    private static func execute(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), body: Array(body.readableBytesView))
    }
}

/// A fresh database with the demo loaded, a secretariat token, and a running server: what every CLI test
/// starts from.
struct DemoServer: Sendable {
    let database: TestDatabase
    let server: ServerProcess
    let token: String

    static let forceGeneration = "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01"
    static let natoSilence = "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b02"

    /// The environment a secretariat officer's shell has: the server and the token.
    var environment: [String: String] { ["ACCORD_SERVER": server.url, "ACCORD_TOKEN": token] }

    func accord(_ arguments: String..., input: String? = nil, token: Bool = true) async throws -> Invocation {
        try await accord(arguments, input: input, token: token)
    }

    func accord(_ arguments: [String], input: String? = nil, token: Bool = true) async throws -> Invocation {
        var environment = environment
        if !token { environment["ACCORD_TOKEN"] = nil }
        return try await Accord.run(arguments, environment: environment, input: input)
    }

    /// The log's last position, as the server reports it.
    func head() async throws -> Int64 {
        let page = try #require(try await HTTP.get(server.url + "/v1/events?limit=1").json() as? [String: Any])
        return try #require((page["head"] as? NSNumber)?.int64Value)
    }
}

func withDemoServer(_ backend: Backend, serverArguments: [String] = [], _ body: (DemoServer) async throws -> Void) async throws {
    let database = try await TestDatabase.fresh(backend)
    var server: ServerProcess?
    do {
        let demo = try await Accord.run(["demo", "--database", database.argument])
        try #require(demo.status == 0, "accord demo: \(demo)")
        let token = try await Accord.run(["token", "create", "--database", database.argument, "--name", "Test Secretariat", "--role", "secretariat"])
        try #require(token.status == 0, "accord token create: \(token)")
        let running = try await ServerProcess.start(database: database.argument, extraArguments: serverArguments)
        server = running
        try await body(DemoServer(database: database, server: running, token: token.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    } catch {
        await server?.stop()
        await database.cleanUp()
        throw error
    }
    await server?.stop()
    await database.cleanUp()
}
