import AccordDomain
import AccordEventStore
import AccordService
import AccordTestSupport
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// The real `accord serve` binary as a child process, for the tests that kill it with SIGKILL.
final class ServerProcess: Sendable {
    let port: Int
    private let process: ChildProcess
    /// What the process printed (standard output and error), read on a thread of its own.
    private let output: PipeReader

    /// `accord` sits next to the test bundle in the build folder (`swift build --build-tests` builds both).
    static var binary: URL? {
        let tests = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return [tests.appendingPathComponent("accord"), tests.deletingLastPathComponent().appendingPathComponent("accord")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Starts `accord serve` on `database` with fast retries and leadership polling, private targets allowed.
    init(database: TestDatabase, port: Int, arguments: [String] = []) throws {
        guard let binary = Self.binary else {
            throw API.Failure("the accord binary is missing next to the tests: build it with `swift build --build-tests` (scripts/test does)")
        }
        self.port = port
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = ["serve", "--database", database.argument, "--port", String(port), "--allow-private-webhooks",
                             "--webhook-retry-initial", "100ms", "--webhook-retry-max", "300ms", "--leader-poll-interval", "200ms",
                             "--webhook-timeout", "2s", "--log-level", "info"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        try process.run()
        output = PipeReader(pipe)
    }

    var api: API { API(base: "http://127.0.0.1:\(port)") }

    var log: String { output.contents }

    /// Whether this instance said it leads the notifier.
    var leads: Bool { log.contains("this instance leads") }

    func waitUntilListening(_ limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let reply = try? await api.call(.GET, "/healthz"), reply.status == 200 { return }
            guard process.isRunning else { throw API.Failure("accord serve exited: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw API.Failure("accord serve did not listen on \(port): \(log)")
    }

    /// SIGKILL: no chance to finish anything.
    func kill() async {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        await waitForExit()
    }

    /// SIGTERM: a graceful shutdown.
    func terminate() async {
        guard process.isRunning else { return }
        process.terminate()
        await waitForExit()
    }

    private func waitForExit() async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A fresh database prepared for the binary: reference data loaded and an admin token issued, then closed.
struct PreparedDatabase {
    let database: TestDatabase
    let adminToken: String

    static func make(_ backend: Backend) async throws -> PreparedDatabase {
        let database = try await TestDatabase.fresh(backend)
        let store = try await database.open()
        let service = AccordService(store: store, clock: SystemWallClock(), logger: quietLogger)
        do {
            try await service.start(follow: false)
            try await service.loadReferenceData()
            let account = try await service.accounts.createAccount(name: "Test Admin", role: .admin, parties: [], by: systemActor)
            let token = try await service.accounts.issueToken(for: account, name: "test", expiresAt: nil, by: systemActor).secret
            await service.shutdown()
            return PreparedDatabase(database: database, adminToken: token)
        } catch {
            await service.shutdown()
            await database.cleanUp()
            throw error
        }
    }
}

/// The servers a test started, killed at its end whatever happened.
final class Fleet: Sendable {
    let prepared: PreparedDatabase
    private let started = Mutex<[ServerProcess]>([])

    init(_ prepared: PreparedDatabase) { self.prepared = prepared }

    func start(port: Int = ServerProcess.freePort()) async throws -> ServerProcess {
        let server = try ServerProcess(database: prepared.database, port: port)
        started.withLock { $0.append(server) }
        try await server.waitUntilListening()
        return server
    }

    func killAll() async {
        for server in started.withLock({ $0 }) { await server.kill() }
    }
}

/// Runs `body` with a prepared database of `backend`, a running receiver and a fleet of servers; everything is
/// stopped and removed afterwards.
func withFleet(_ backend: Backend, _ body: (Fleet, Receiver) async throws -> Void) async throws {
    let prepared = try await PreparedDatabase.make(backend)
    let fleet = Fleet(prepared)
    let receiver = Receiver()
    do {
        try await receiver.start()
        try await body(fleet, receiver)
    } catch {
        await fleet.killAll()
        await receiver.stop()
        await prepared.database.cleanUp()
        throw error
    }
    await fleet.killAll()
    await receiver.stop()
    await prepared.database.cleanUp()
}

extension API {
    /// Creates a subscription; returns its id and secret.
    func subscribe(_ receiver: Receiver, token: String, types: [String] = ["*"]) async throws -> (id: String, secret: String) {
        let types = types.map { "\"\($0)\"" }.joined(separator: ", ")
        let reply = try await call(.POST, "/v1/webhooks", token: token, json: #"{"url": "\#(receiver.url)", "types": [\#(types)]}"#)
        guard reply.status == 201, let id = reply.text("webhook", "id"), let secret = reply.text("secret") else {
            throw Failure("creating a webhook answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        receiver.trust(secret)
        return (id, secret)
    }

    /// Opens a consensus of `parties` through the API; returns its id.
    func openConsensus(token: String, parties: [String], template: String = "nato-consensus") async throws -> String {
        let list = parties.map { "\"\($0)\"" }.joined(separator: ", ")
        let reply = try await call(.POST, "/v1/processes", token: token,
                                   json: #"{"title": "Test", "template": "\#(template)", "electorate": {"parties": [\#(list)]}}"#)
        guard reply.status == 201, let location = reply.headers["location"] else {
            throw Failure("opening a process answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return String(location.split(separator: "/").last ?? "")
    }

    func vote(_ process: String, _ party: String, _ position: String, token: String) async throws {
        let reply = try await call(.POST, "/v1/processes/\(process)/ballots", token: token, json: #"{"party": "\#(party)", "position": "\#(position)"}"#)
        guard reply.status == 201 else { throw Failure("a ballot answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))") }
    }

    /// Every notification in the outbox, in order (ids).
    func outboxIDs() async throws -> [String] {
        var ids: [String] = []
        var after: Int64 = 0
        while true {
            let page = try await call(.GET, "/v1/notifications?types=*&limit=1000&after=\(after)")
            ids += (page.json["notifications"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            guard let next = page.json["next"] as? NSNumber else { return ids }
            after = next.int64Value
        }
    }
}

/// Runs `accord` with `arguments` to completion. Its output is read on threads of its own, never on the
/// concurrency pool, which the in-process receiver needs to answer the command's requests.
func runAccord(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
    guard let binary = ServerProcess.binary else { throw API.Failure("the accord binary is missing next to the tests") }
    let process = ChildProcess()
    process.executableURL = binary
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = PipeReader(output), stderr = PipeReader(errors)
    while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    return (process.terminationStatus, await stdout.finished(), await stderr.finished())
}
