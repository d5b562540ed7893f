import AccordDomain
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1

/// An answer of the API.
struct APIResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    func decode<T: Decodable>(_ type: T.Type) throws(ClientFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw .server(status: status, type: "client/unexpected-answer",
                          detail: "the server's answer could not be read as \(T.self) (is the server the same Accord version?): \(error)")
        }
    }

    /// The body as text, for `--json`.
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// The JSON API over HTTP, with connect and read time limits. A write carries an `Idempotency-Key` made
/// for it; when the connection fails before an answer arrives, the client sends the same request again
/// with the same key, so a write that did reach the server is recorded once.
struct APIClient: Sendable {
    let base: String
    let token: String?
    let http: HTTPClient
    let readTimeout: TimeAmount
    /// How long a retried write waits for the server to finish the first attempt.
    var patience: Duration { .nanoseconds(readTimeout.nanoseconds) }

    /// Attempts per request when the network fails (the first one included), and the pause before each retry.
    static let retryDelays: [Duration] = [.milliseconds(250), .seconds(1)]
    static let maximumAnswerBytes = 256 << 20

    init(base: String, token: String?, connectTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.base = base
        self.token = token
        self.readTimeout = readTimeout
        var configuration = HTTPClient.Configuration(timeout: .init(connect: connectTimeout, read: readTimeout))
        // The client retries whole requests itself (below); a refused connection should not be retried until the
        // connect timeout, but reported after those few attempts.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    func get(_ path: String, query: [(String, String?)] = []) async throws(ClientFailure) -> APIResponse {
        try await send(.GET, path, query: query, body: nil, extraHeaders: [:])
    }

    /// A write: JSON body, a fresh Idempotency-Key (kept across this request's own retries), and `If-Match`
    /// when the caller pinned the process version.
    func post(_ path: String, _ body: some Encodable, ifMatch version: Int64? = nil) async throws(ClientFailure) -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(body))
        } catch {
            throw .usage("the request could not be encoded: \(error)")
        }
        var headers = ["Idempotency-Key": UUID().uuidString.lowercased()]
        if let version { headers["If-Match"] = "\"\(version)\"" }
        return try await send(.POST, path, query: [], body: bytes, extraHeaders: headers)
    }

    func url(_ path: String, query: [(String, String?)]) -> String {
        var components = URLComponents()
        components.queryItems = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        // URLComponents leaves '+' alone in queries, where servers read it as a space (time-zone offsets).
        let encoded = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return base + path + (encoded.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String?)], body: [UInt8]?,
                      extraHeaders: [String: String]) async throws(ClientFailure) -> APIResponse {
        var request = HTTPClientRequest(url: url(path, query: query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json, application/problem+json")
        request.headers.add(name: "User-Agent", value: "accord-cli")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        var attempt = 0
        let started = ContinuousClock.now
        while true {
            do {
                let response = try await http.execute(request, timeout: readTimeout)
                let buffer = try await response.body.collect(upTo: Self.maximumAnswerBytes)
                let answer = APIResponse(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
                // A retry of a write the server is still working on (the first attempt's connection was lost, e.g. to
                // the server's own time limit): wait for the first attempt's answer, which the server keeps.
                if attempt > 0, answer.status == 409, Self.problemType(answer)?.hasSuffix("/idempotency-in-progress") == true,
                   ContinuousClock.now - started < patience {
                    try? await Task.sleep(for: .seconds(Int64(answer.headers.first(name: "Retry-After") ?? "") ?? 1))
                    continue
                }
                try Self.check(answer)
                return answer
            } catch let failure as ClientFailure {
                throw failure
            } catch {
                guard attempt < Self.retryDelays.count else {
                    throw .unreachable("cannot reach the Accord server at \(base): \(Self.describe(error))")
                }
                try? await Task.sleep(for: Self.retryDelays[attempt])
                attempt += 1
            }
        }
    }

    static func problemType(_ answer: APIResponse) -> String? {
        (try? JSONDecoder().decode(ProblemBody.self, from: Data(answer.body)))?.type
    }

    /// Turns a 4xx or 5xx answer into its failure, with the problem's detail and type when it has them.
    static func check(_ answer: APIResponse) throws(ClientFailure) {
        guard answer.status >= 400 else { return }
        let problem = try? JSONDecoder().decode(ProblemBody.self, from: Data(answer.body))
        let type = problem?.type ?? "about:blank"
        let detail = problem?.detail ?? problem?.title ?? HTTPResponseStatus(statusCode: answer.status).reasonPhrase
        if answer.status >= 500 { throw .server(status: answer.status, type: type, detail: detail) }
        throw .refused(status: answer.status, type: type, detail: detail, index: problem?.index)
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "no connection within the connect timeout"
            case .readTimeout: return "no answer within the timeout"
            case .deadlineExceeded: return "no answer within the timeout"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(client)"
            }
        }
        // "connection reset (error set): Connection refused (errno: 111)" says less than strerror alone.
        if let io = error as? IOError ?? (error as? NIOConnectionError)?.connectionErrors.first?.error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        return "\(error)"
    }
}

/// The members of an RFC 9457 problem the CLI shows.
struct ProblemBody: Decodable {
    var type: String?
    var title: String?
    var detail: String?
    var index: Int?
}
