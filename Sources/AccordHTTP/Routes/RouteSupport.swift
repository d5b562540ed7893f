import AccordDomain
import AccordEventStore
import AccordService
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A response as bytes, so that it can be stored for an Idempotency-Key and replayed.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: [String: String] = [:]
    var contentType = "application/json"
    var body: [UInt8]

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: [String: String] = [:]) -> Reply {
        Reply(status: status, headers: headers, body: APICoding.encode(value))
    }

    var response: Response {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// What a write answers: where its entries landed and the process's new version (also the ETag).
struct RecordedReply: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var entry: EntryID
        var type: String
        var position: Int64
        var occurredAt: Instant
        var recordedAt: Instant
    }

    var stream: String
    var version: Int64?
    var alreadyRecorded: Bool
    var recorded: [Entry]

    init(_ outcome: CommandOutcome) {
        stream = outcome.stream
        version = outcome.version
        alreadyRecorded = outcome.wasAlreadyRecorded
        recorded = outcome.recorded.map { Entry(entry: $0.entry, type: $0.type, position: $0.position, occurredAt: $0.occurredAt, recordedAt: $0.recordedAt) }
    }
}

extension APIEnvironment {
    /// The request body as JSON bytes: 415 for another media type, 413 beyond the limit.
    func jsonBody(_ request: Request) async throws -> [UInt8] {
        let contentType = request.headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/json" || mediaType?.hasSuffix("+json") == true else {
            throw Problem.unsupportedMediaType(contentType)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maximumBodyBytes {
            throw Problem.tooLarge(limit: configuration.maximumBodyBytes)
        }
        do {
            let buffer = try await request.body.collect(upTo: configuration.maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: configuration.maximumBodyBytes)
        }
    }

    func decode<T: Codable>(_ type: T.Type, _ request: Request) async throws -> (T, [UInt8]) {
        let bytes = try await jsonBody(request)
        return (try APICoding.decode(type, from: bytes), bytes)
    }

    /// Runs a write: requires a token, honours `If-Match` and `Idempotency-Key` (a retry answers as the first
    /// time, and the request's event ids are derived from the key so nothing is appended twice).
    func write(_ request: Request, _ context: AccordRequestContext, body: [UInt8], permission: Principal.Permission,
               _ perform: @Sendable (CommandContext) async throws -> Reply) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(permission)
        // No typed-throws closures in async handlers: swift-frontend 6.3.1 crashes splitting such coroutines in -O.
        var expected: Int64?
        if let header = request.headers[.ifMatch] { expected = try ETag.parse(header) }
        let correlation = request.headers[.correlationID].flatMap { UUID(uuidString: $0) } ?? UUID()
        var commandContext = CommandContext(actor: principal.actor, correlationId: correlation, expectedVersion: expected)
        guard let key = request.headers[.idempotencyKey] else { return try await perform(commandContext).response }

        var hashed = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        hashed += Array((request.headers[.ifMatch] ?? "").utf8) + [0] + body
        let requestHash = Array(SHA256.hash(data: hashed))
        let store = service.idempotency
        switch try await store.claim(account: principal.account.id, key: key, requestHash: requestHash) {
        case .replay(let stored):
            var reply = Reply(status: HTTPResponse.Status(code: stored.status), headers: stored.headers, contentType: stored.contentType, body: stored.body)
            reply.headers["Idempotent-Replayed"] = "true"
            return reply.response
        case .proceed:
            commandContext.idempotencyNamespace = "\(principal.account.id):\(key)"
            do {
                let reply = try await perform(commandContext)
                await store.complete(account: principal.account.id, key: key, response: .init(
                    status: Int(reply.status.code), contentType: reply.contentType, headers: reply.headers, body: reply.body))
                return reply.response
            } catch {
                // Nothing was recorded: the client may retry with the same key.
                await store.release(account: principal.account.id, key: key)
                throw error
            }
        }
    }

    /// `asOf` (an RFC 3339 instant, or a date meaning the end of that day in UTC; default now) and `knownAt`
    /// (a log position, an instant or a date; default everything recorded).
    func timeQuery(_ request: Request) throws -> (asOf: Instant, cutoff: KnowledgeCutoff) {
        let query = request.uri.queryParameters
        var asOf = service.clock.now()
        if let text = query["asOf"].map(String.init) {
            guard let parsed = Self.instantOrEndOfDay(text) else {
                throw Problem.badParameter("asOf", "'\(text)' is not a date (2025-04-10) or date-time (2025-04-10T14:00:00Z)")
            }
            asOf = parsed
        }
        var cutoff = KnowledgeCutoff.everything
        if let text = query["knownAt"].map(String.init) {
            if let position = Int64(text), position >= 0 {
                cutoff = .position(position)
            } else if let instant = Self.instantOrEndOfDay(text) {
                cutoff = .recordedAt(instant)
            } else {
                throw Problem.badParameter("knownAt", "'\(text)' is not a log position, a date or a date-time")
            }
        }
        return (asOf, cutoff)
    }

    static func instantOrEndOfDay(_ text: String) -> Instant? {
        if let instant = Instant(iso8601: text) { return instant }
        if let date = CivilDate(iso8601: text) { return Instant(startOf: date.adding(days: 1)).adding(microseconds: -1) }
        return nil
    }

    /// An optional query parameter, parsed; a value that does not parse is a 400 naming the parameter.
    func query<T>(_ request: Request, _ name: String, _ expectation: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = parse(text) else { throw Problem.badParameter(name, "'\(text)' is not \(expectation)") }
        return value
    }

    func processID(_ context: AccordRequestContext) throws -> ProcessID {
        let text = context.parameters.get("process") ?? ""
        guard let id = ProcessID(text) else { throw Problem("not-found", status: .notFound, detail: "'\(text)' is not a process id") }
        return id
    }
}

extension HTTPField.Name {
    static let correlationID = HTTPField.Name("X-Correlation-Id")!
}

/// Registers endpoints and remembers them, so a test can hold the router against the OpenAPI document in
/// both directions (every documented operation exists, every route is documented).
public struct Endpoints {
    public typealias Handler = @Sendable (Request, AccordRequestContext) async throws -> Response
    let router: Router<AccordRequestContext>

    public init(router: Router<AccordRequestContext>) { self.router = router }

    public func get(_ path: String, _ handler: @escaping Handler) { add(.get, path, handler) }
    public func post(_ path: String, _ handler: @escaping Handler) { add(.post, path, handler) }
    public func put(_ path: String, _ handler: @escaping Handler) { add(.put, path, handler) }
    public func delete(_ path: String, _ handler: @escaping Handler) { add(.delete, path, handler) }

    func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        RouteTable.record(method: method.rawValue, path: path)
        router.on(RouterPath(path), method: method, use: handler)
    }
}

/// Every (method, path) registered through `Endpoints`, with `:name` parameters written `{name}` as in OpenAPI.
public enum RouteTable {
    private static let routes = Mutex<Set<String>>([])

    static func record(method: String, path: String) {
        let openAPIPath = "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        _ = routes.withLock { $0.insert("\(method) \(openAPIPath)") }
    }

    public static var all: Set<String> { routes.withLock { $0 } }
}
