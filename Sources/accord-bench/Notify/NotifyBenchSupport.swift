import AccordDomain
import AccordEventStore
import AccordService
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A fresh database for one backend's measurements.
struct BenchDatabase: Sendable {
    let location: DatabaseLocation
    let argument: String
    let remove: @Sendable () async -> Void

    static func sqlite(in folder: String) throws -> BenchDatabase {
        let directory = (folder as NSString).appendingPathComponent("accord-bench-notify-\(UUID().uuidString.prefix(8))")
        let path = (directory as NSString).appendingPathComponent("accord.sqlite")
        return BenchDatabase(location: .sqlite(path: path), argument: "sqlite:" + path) { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func postgres(admin: String) async throws -> BenchDatabase {
        let name = "accord_bench_notify_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
        let conninfo = try await PostgresAdmin.recreateDatabase(named: name, using: admin)
        return BenchDatabase(location: .postgres(conninfo: conninfo), argument: conninfo) { try? await PostgresAdmin.dropDatabase(named: name, using: admin) }
    }

    /// Loads the reference data and issues an admin token, with the store closed again afterwards.
    func prepare() async throws -> String {
        let service = try await AccordService.open(location)
        do {
            try await service.start(follow: false)
            try await service.loadReferenceData()
            let actor = ActorRef(id: "bench", name: "accord-bench")
            let account = try await service.accounts.createAccount(name: "Bench", role: .admin, parties: [], by: actor)
            let token = try await service.accounts.issueToken(for: account, name: "bench", expiresAt: nil, by: actor).secret
            await service.shutdown()
            return token
        } catch {
            await service.shutdown()
            throw error
        }
    }
}

/// The release `accord serve` beside this binary.
final class NotifyBenchServer: Sendable {
    let port: Int
    private let process: Process

    init(database: String, port: Int) throws {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("accord")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("\(binary.path) is missing: build it with `swift build -c release --product accord`")
        }
        self.port = port
        process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--database", database, "--port", String(port), "--allow-private-webhooks", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(2)),
               response.status == .ok { return }
            guard process.isRunning else { throw BenchError("accord serve exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("accord serve did not start listening on \(port)")
    }

    /// The server's resident memory (VmRSS), KiB.
    func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { throw BenchError("no VmRSS for the server") }
        return kib
    }

    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

/// The API calls the measurements make.
struct BenchAPI: Sendable {
    let base: String
    let token: String

    @discardableResult
    func post(_ path: String, _ json: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw BenchError("POST \(path) answered \(response.status.code): \(String(buffer: body))")
        }
        return response
    }

    /// Opens a NATO consensus of one ally and records its yes: one `rule.satisfied`.
    func satisfyOneRule() async throws {
        let opened = try await post("/v1/processes", #"{"title": "Bench", "template": "nato-consensus", "electorate": {"parties": ["DE"]}}"#)
        guard let location = opened.headers.first(name: "location") else { throw BenchError("no Location for the opened process") }
        _ = try await opened.body.collect(upTo: 1 << 16)
        let voted = try await post(location + "/ballots", #"{"party": "DE", "position": "yes"}"#)
        _ = try await voted.body.collect(upTo: 1 << 16)
    }
}

/// A webhook receiver on a loopback port that notes when each request arrived.
final class LatencyReceiver: Sendable {
    private let arrivals = Mutex<[(at: Int64, body: [UInt8])]>([])
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    let url: String

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        url = "http://127.0.0.1:\(port)/hook"
        self.group = group
        self.task = task
    }

    static func start() async throws -> LatencyReceiver {
        let box = Box()
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let at = nowMicroseconds()
            box.receiver?.arrivals.withLock { $0.append((at, Array(body.readableBytesView))) }
            return Response(status: .noContent)
        }
        var logger = Logger(label: "bench.receiver")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw BenchError("the receiver did not start") }
        let receiver = LatencyReceiver(port: port, group: group, task: task)
        box.receiver = receiver
        return receiver
    }

    /// Lets the route reach the receiver created after it.
    private final class Box: @unchecked Sendable {
        // Written once before the first request can arrive.
        var receiver: LatencyReceiver?
    }

    func reset() { arrivals.withLock { $0.removeAll() } }

    func waitFor(_ count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while arrivals.withLock({ $0.count }) < count {
            guard ContinuousClock.now < deadline else { throw BenchError("only \(arrivals.withLock { $0.count }) of \(count) webhooks arrived") }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    /// Arrival minus the causing event's recording time, ms.
    func latencies() -> [Double] {
        arrivals.withLock { $0 }.compactMap { arrival in recordedTime(arrival.body).map { Double(arrival.at - $0) / 1000 } }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Many SSE connections on raw NIO channels, each noting when every event arrived.
final class SSEClients: Sendable {
    private let channels: [any Channel]
    private let state: SSEState

    private init(channels: [any Channel], state: SSEState) {
        self.channels = channels
        self.state = state
    }

    final class SSEState: Sendable {
        let connected = Mutex(0)
        let events = Mutex<[(at: Int64, recorded: Int64)]>([])
    }

    static func connect(count: Int, port: Int, path: String) async throws -> SSEClients {
        let state = SSEState()
        var channels: [any Channel] = []
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(SSEHandler(state: state))
            }
        }
        for _ in 0..<count {
            let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            head.headers.add(name: "Accept", value: "text/event-stream")
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
            channels.append(channel)
        }
        return SSEClients(channels: channels, state: state)
    }

    func waitUntilConnected(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while state.connected.withLock({ $0 }) < channels.count {
            guard ContinuousClock.now < deadline else { throw BenchError("only \(state.connected.withLock { $0 }) of \(channels.count) streams opened") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func waitFor(events count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while state.events.withLock({ $0.count }) < count {
            guard ContinuousClock.now < deadline else { throw BenchError("only \(state.events.withLock { $0.count }) of \(count) SSE events arrived") }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    func reset() { state.events.withLock { $0.removeAll() } }

    func latencies() -> [Double] { state.events.withLock { $0 }.map { Double($0.at - $0.recorded) / 1000 } }

    func close() async {
        for channel in channels { try? await channel.close() }
    }

    /// Splits the decoded body into SSE blocks; an event's arrival is when its block completed.
    final class SSEHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        let state: SSEState
        // Only touched on the channel's event loop.
        private var pending = ""
        private var opened = false

        init(state: SSEState) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .body(let buffer) = unwrapInboundIn(data) else { return }
            let at = nowMicroseconds()
            pending += String(buffer: buffer)
            while let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                if !opened && block.contains(": accord notifications") {
                    opened = true
                    state.connected.withLock { $0 += 1 }
                }
                guard let data = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
                      let recorded = recordedTime(Array(data.dropFirst(6).utf8)) else { continue }
                state.events.withLock { $0.append((at, recorded)) }
            }
        }
    }
}
