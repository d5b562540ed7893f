import AccordDomain
import AccordEventStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP attempt to deliver a webhook, and what came of it.
struct AttemptResult: Sendable {
    enum Outcome: String, Sendable {
        /// 2xx.
        case delivered
        /// Network error, timeout, 5xx, 408 or 429: try again later.
        case retry
        /// Any other answer (3xx, 4xx): the receiver refused it; no retry.
        case failed
        /// 410 Gone: the receiver wants no more; the subscription is disabled.
        case gone
        /// The target is not allowed (server-side request forgery guard): no retry.
        case refused
    }

    var outcome: Outcome
    var startedAt: Instant
    var latencyMicroseconds: Int64
    var statusCode: Int64?
    var retryAfter: Duration?
    var error: String?
    var responseExcerpt: String?
}

/// Timeouts and limits of outgoing webhook requests.
public struct WebhookClientSettings: Sendable, Hashable {
    public var connectTimeout: Duration
    /// From sending the request to the whole answer having arrived.
    public var responseTimeout: Duration
    public var allowPrivateTargets: Bool

    public init(connectTimeout: Duration = .seconds(5), responseTimeout: Duration = .seconds(15), allowPrivateTargets: Bool = false) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.allowPrivateTargets = allowPrivateTargets
    }
}

/// Sends signed webhook requests with async-http-client: Standard Webhooks headers, a CloudEvents body, no
/// redirects, connect and response timeouts, and the target guard before and after connecting.
public final class WebhookSender: Sendable {
    let client: HTTPClient
    let settings: WebhookClientSettings
    let guardian: TargetGuard
    static let excerptBytes = 512

    public init(settings: WebhookClientSettings) {
        self.settings = settings
        let guardian = TargetGuard(allowPrivate: settings.allowPrivateTargets)
        self.guardian = guardian
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .microseconds(settings.connectTimeout.microseconds), read: .microseconds(settings.responseTimeout.microseconds)))
        // The address actually connected to is checked again: a name that resolved to a public address for the
        // check and to a private one for the connection (DNS rebinding) is cut off before a byte is sent.
        let check: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            if guardian.allowsConnection(to: channel.remoteAddress) { return channel.eventLoop.makeSucceededVoidFuture() }
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(NotificationError.targetNotAllowed(
                url: channel.remoteAddress?.description ?? "?", reason: "the connection went to an address that is not allowed"))
        }
        configuration.http1_1ConnectionDebugInitializer = check
        configuration.http2ConnectionDebugInitializer = check
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends `body` to `url` signed with `secrets`; never throws: every failure is an outcome.
    func send(url: String, webhookID: String, body: [UInt8], secrets: [WebhookSecret], now: @Sendable () -> Instant) async -> AttemptResult {
        let startedAt = now()
        let started = ContinuousClock.now
        func elapsed() -> Int64 { (ContinuousClock.now - started).microseconds }
        do {
            try await guardian.check(url)
        } catch {
            return AttemptResult(outcome: .refused, startedAt: startedAt, latencyMicroseconds: elapsed(), error: error.description)
        }
        let timestamp = startedAt.microsecondsSinceEpoch / 1_000_000
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: CloudEventFormat.contentType + "; charset=utf-8")
        request.headers.add(name: "user-agent", value: "Accord-Webhooks/1")
        request.headers.add(name: "webhook-id", value: webhookID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: WebhookSignature.header(id: webhookID, timestamp: timestamp, body: body, secrets: secrets))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .microseconds(settings.responseTimeout.microseconds))
            let latency = elapsed()
            var excerpt = [UInt8]()
            for try await chunk in response.body {
                excerpt.append(contentsOf: chunk.readableBytesView.prefix(Self.excerptBytes - excerpt.count))
                if excerpt.count >= Self.excerptBytes { break }
            }
            let code = Int64(response.status.code)
            let retryAfter = RetryPolicy.parseRetryAfter(response.headers.first(name: "retry-after"), now: now())
            let outcome: AttemptResult.Outcome = switch code {
            case 200..<300: .delivered
            case 410: .gone
            case 408, 429, 500...: .retry
            default: .failed
            }
            return AttemptResult(outcome: outcome, startedAt: startedAt, latencyMicroseconds: latency, statusCode: code,
                                 retryAfter: outcome == .retry ? retryAfter : nil,
                                 error: outcome == .failed && (300..<400).contains(code) ? "redirects are not followed" : nil,
                                 responseExcerpt: String(decoding: excerpt, as: UTF8.self))
        } catch let error as NotificationError {
            return AttemptResult(outcome: .refused, startedAt: startedAt, latencyMicroseconds: elapsed(), error: error.description)
        } catch {
            return AttemptResult(outcome: .retry, startedAt: startedAt, latencyMicroseconds: elapsed(), error: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout { return "connect timeout" }
            if error == .deadlineExceeded || error == .readTimeout { return "response timeout" }
            return "\(error)"
        }
        return "\(error)"
    }
}
