import AccordHTTP
import AccordNotifications
import AccordService
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The Accord HTTP API with the notification routes, served on a loopback port for the duration of `body`,
/// with the leader's work and the SSE hub running.
func withServer(_ world: World, configuration: ServerConfiguration = ServerConfiguration(), _ body: (API) async throws -> Void) async throws {
    var configuration = configuration
    configuration.port = 0
    let router = AccordServer.makeRouter(service: world.service, configuration: configuration, extraRoutes: world.system.routes)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quietLogger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
    let server = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw API.Failure("the server did not start") }
    let api = API(base: "http://127.0.0.1:\(port)")
    do {
        try await whileRunning(world.system) { try await body(api) }
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await server.value
        throw error
    }
    await group.triggerGracefulShutdown()
    _ = try? await server.value
}

/// Requests to a running server, with a token or without.
struct API: Sendable {
    let base: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        func text(_ path: String...) -> String? { JSONPath.text(json, path) }
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: fields, body: Array(body.readableBytesView))
    }
}

/// A Server-Sent Events client: reads events as they come, until cancelled.
final class StreamClient: Sendable {
    struct Event: Sendable, Hashable {
        var event: String?
        var data: String
        var id: String?

        var webhookID: String? {
            ((try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any])?["id"] as? String
        }
    }

    private let storage = Storage()
    private let task: Task<Void, Never>

    private struct State {
        var events: [Event] = []
        var comments: [String] = []
        var status: Int?
        var failure: String?
    }

    private final class Storage: Sendable {
        let state = Mutex(State())

        func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }
        func read<T>(_ body: (State) -> T) -> T { state.withLock { body($0) } }
    }

    init(_ url: String, lastEventID: String? = nil, token: String? = nil) {
        let state = self.storage
        task = Task {
            do {
                var request = HTTPClientRequest(url: url)
                if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
                state.update { $0.status = Int(response.status.code) }
                var pending = ""
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        Self.parse(block, into: state)
                    }
                }
            } catch {
                state.update { $0.failure = "\(error)" }
            }
        }
    }

    private static func parse(_ block: String, into state: Storage) {
        var event = Event(event: nil, data: "", id: nil)
        var isComment = true
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                let comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
                state.update { $0.comments.append(comment) }
                continue
            }
            isComment = false
            if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { event.data += String(line.dropFirst(6)) }
            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
        }
        if !isComment && !event.data.isEmpty { state.update { $0.events.append(event) } }
    }

    var events: [Event] { storage.read { $0.events } }
    var comments: [String] { storage.read { $0.comments } }
    var status: Int? { storage.read { $0.status } }

    /// The last `id:` received: what a browser sends back as `Last-Event-ID`.
    var lastEventID: String? { events.last { $0.id != nil }?.id }

    func waitFor(_ what: String, _ limit: Duration = .seconds(20), _ predicate: (StreamClient) -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if predicate(self) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw API.Failure("timed out waiting for \(what); status \(status.map(String.init) ?? "-"), \(events.count) events")
    }

    func close() async {
        task.cancel()
        await task.value
    }
}

