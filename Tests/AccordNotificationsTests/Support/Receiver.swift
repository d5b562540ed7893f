import AccordDomain
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A webhook receiver: a real HTTP server on a loopback port, as a subscriber would run. It verifies every
/// request's Standard Webhooks signature with the subscription's secret (its own implementation of the spec,
/// independent of Accord's signer) and answers as the test scripts it: 500s, slow answers, 410, 429….
final class Receiver: Sendable {
    struct Request: Sendable {
        var webhookID: String
        var timestamp: String
        var signature: String
        var contentType: String
        var body: [UInt8]
        var arrivedAt: Instant
        /// Whether a signature of the header verified with one of the secrets given to the receiver.
        var verified: Bool
        /// The status the receiver answered.
        var answered: Int

        var event: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var data: [String: Any] { event["data"] as? [String: Any] ?? [:] }
        var type: String { event["type"] as? String ?? "" }
        var notification: String { data["notification"] as? String ?? "" }
        var position: Int64 { (data["position"] as? NSNumber)?.int64Value ?? -1 }
        var ordinal: Int64 { (data["ordinal"] as? NSNumber)?.int64Value ?? -1 }
    }

    /// How to answer the next request.
    enum Answer: Sendable {
        case status(Int, headers: [String: String] = [:])
        /// Answer 200 after this long (past the sender's response timeout: a timeout).
        case delay(Duration)
    }

    private struct State {
        var requests: [Request] = []
        var script: [Answer] = []
        var fallback: Answer = .status(200)
        var secrets: [[UInt8]] = []
    }

    private let state = Mutex(State())
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)
    private let boundPort: Mutex<Int>

    init(port: Int = 0) {
        boundPort = Mutex(port)
    }

    var port: Int { boundPort.withLock { $0 } }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var requests: [Request] { state.withLock { $0.requests } }

    /// Requests answered 2xx, in arrival order.
    var delivered: [Request] { requests.filter { (200..<300).contains($0.answered) } }

    /// Accepts signatures made with `secret` (a `whsec_…` text).
    func trust(_ secret: String) {
        guard let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return }
        state.withLock { $0.secrets.append(Array(key)) }
    }

    func script(_ answers: [Answer], then fallback: Answer = .status(200)) {
        state.withLock {
            $0.script = answers
            $0.fallback = fallback
        }
    }

    /// Starts listening (again on the same port after `stop`).
    func start() async throws {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return await self.receive(request, body: Array(body.readableBytesView))
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else { throw ReceiverError.notListening }
        boundPort.withLock { $0 = bound }
        running.withLock { $0 = (group, task) }
    }

    /// Stops listening (connections are refused until `start`).
    func stop() async {
        guard let (group, task) = running.withLock({ value in defer { value = nil }; return value }) else { return }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    private func receive(_ request: Hummingbird.Request, body: [UInt8]) async -> Response {
        let id = request.headers[HTTPField.Name("webhook-id")!] ?? ""
        let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!] ?? ""
        let signature = request.headers[HTTPField.Name("webhook-signature")!] ?? ""
        let answer = state.withLock { state -> Answer in
            state.script.isEmpty ? state.fallback : state.script.removeFirst()
        }
        let secrets = state.withLock { $0.secrets }
        let verified = Self.verify(id: id, timestamp: timestamp, body: body, header: signature, secrets: secrets)
        var status = 200
        var headers = HTTPFields()
        if case .status(let code, let extra) = answer {
            status = code
            for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        }
        // Recorded on arrival: a request answered late (after the sender gave up) was still received.
        let recorded = Request(webhookID: id, timestamp: timestamp, signature: signature, contentType: request.headers[.contentType] ?? "",
                               body: body, arrivedAt: TestClock.system(), verified: verified, answered: status)
        state.withLock { $0.requests.append(recorded) }
        if case .delay(let duration) = answer { try? await Task.sleep(for: duration) }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: "answer \(status)")))
    }

    /// The receiver's side of Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the secret's bytes,
    /// compared with each `v1,` signature of the header.
    static func verify(id: String, timestamp: String, body: [UInt8], header: String, secrets: [[UInt8]]) -> Bool {
        let message = Array("\(id).\(timestamp).".utf8) + body
        for secret in secrets {
            let expected = Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))).base64EncodedString()
            if header.split(separator: " ").contains(where: { $0 == "v1,\(expected)" }) { return true }
        }
        return false
    }

    /// Waits until `predicate` holds for the requests (or fails the test after `limit`).
    func waitUntil(_ limit: Duration = .seconds(30), _ what: String, _ predicate: ([Request]) -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if predicate(requests) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ReceiverError.timedOut(what)
    }

    enum ReceiverError: Error, CustomStringConvertible {
        case notListening
        case timedOut(String)

        var description: String {
            switch self {
            case .notListening: "the receiver did not start"
            case .timedOut(let what): "timed out waiting for \(what)"
            }
        }
    }
}
