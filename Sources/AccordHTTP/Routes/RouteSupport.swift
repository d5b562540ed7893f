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

/// What a write needs from its caller: a fixed permission (known before the body is read), or the right to
/// record for the parties the body names (a delegate records only for its own).
enum WritePermission<Body: Sendable>: Sendable {
    case fixed(Principal.Permission)
    case recording(@Sendable (Body) async -> [PartyCode?])
    /// Any recording right, then a check of the body by the route itself (a batch names the refused item).
    case checked(@Sendable (Body, Principal) throws -> Void)
}

extension APIEnvironment {
    /// The request body as JSON bytes: 415 for another media type, 413 beyond the limit.
    public func jsonBody(_ request: Request) async throws -> [UInt8] {
        let contentType = request.headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingHTTPWhitespace.lowercased() }
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

    public func decode<T: Codable>(_ type: T.Type, _ request: Request) async throws -> (T, [UInt8]) {
        let bytes = try await jsonBody(request)
        return (try APICoding.decode(type, from: bytes), bytes)
    }

    /// Runs a write. The checks come in an order that tells a caller no more than it may know and never
    /// records anything on bad input: the token (401), the role (403), the headers `If-Match`,
    /// `X-Correlation-Id` and `Idempotency-Key` (400), the body (415, 413, 400), the parties it names (403),
    /// the idempotency key's earlier use (replay, 422, 409), and only then the command.
    /// With an `Idempotency-Key` a retry answers as the first time, and the request's event ids are derived
    /// from the key so nothing is appended twice.
    func write<Body: Codable & Sendable>(
        _ request: Request, _ context: AccordRequestContext, _ type: Body.Type, permission: WritePermission<Body>,
        _ perform: @Sendable (Body, CommandContext) async throws -> Reply
    ) async throws -> Response {
        let principal = try context.requirePrincipal()
        switch permission {
        case .fixed(let required): try principal.require(required)
        case .recording, .checked: try principal.requireSomeRecordingRight()
        }
        let headers = try WriteHeaders(request)
        let bytes = try await jsonBody(request)
        let body = try APICoding.decode(Body.self, from: bytes)
        if case .recording(let parties) = permission {
            for party in await parties(body) { try principal.require(.record(party)) }
        }
        if case .checked(let check) = permission { try check(body, principal) }
        var commandContext = CommandContext(actor: principal.actor, correlationId: headers.correlationId, expectedVersion: headers.expectedVersion)
        guard let key = headers.idempotencyKey else { return try await perform(body, commandContext).response }

        var hashed = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        hashed += Array((request.headers[.ifMatch] ?? "").utf8) + [0] + bytes
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
                let reply = try await perform(body, commandContext)
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
    public func timeQuery(_ request: Request) throws -> (asOf: Instant, cutoff: KnowledgeCutoff) {
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

    public static func instantOrEndOfDay(_ text: String) -> Instant? {
        if let instant = Instant(iso8601: text) { return instant }
        if let date = CivilDate(iso8601: text) { return Instant(startOf: date.adding(days: 1)).adding(microseconds: -1) }
        return nil
    }

    /// An optional query parameter, parsed; a value that does not parse is a 400 naming the parameter.
    public func query<T>(_ request: Request, _ name: String, _ expectation: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = parse(text) else { throw Problem.badParameter(name, "'\(text)' is not \(expectation)") }
        return value
    }

    public func processID(_ context: AccordRequestContext) throws -> ProcessID {
        let text = context.parameters.get("process") ?? ""
        guard let id = ProcessID(text) else { throw Problem("not-found", status: .notFound, detail: "'\(text)' is not a process id") }
        return id
    }
}

/// The headers a write reads, each checked before anything else happens.
struct WriteHeaders {
    var expectedVersion: Int64?
    var correlationId: UUID
    var idempotencyKey: String?

    init(_ request: Request) throws {
        expectedVersion = try request.headers[.ifMatch].flatMap { header throws in try ETag.parse(header) }
        if let text = request.headers[.correlationID] {
            guard let id = UUID(text: text.trimmingHTTPWhitespace) else {
                throw Problem.badParameter("X-Correlation-Id", "'\(text)' is not a UUID")
            }
            correlationId = id
        } else {
            // Foundation's UUID() opens, reads and closes /dev/urandom each time (three system calls per request).
            correlationId = UUID.timeOrdered()
        }
        if let key = request.headers[.idempotencyKey] {
            guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Problem.badParameter("Idempotency-Key", "1 to 255 visible ASCII characters")
            }
            idempotencyKey = key
        }
    }
}

extension Principal {
    /// Delegates, secretariats and admins record entries; auditors and observers are refused before their
    /// request body is even read.
    func requireSomeRecordingRight() throws {
        if account.role == .delegate && !account.parties.isEmpty { return }
        try require(.record(nil))
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

    /// The methods registered for a concrete path (`/v1/processes/6f1c…/steps`), sorted.
    static func methods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return all.compactMap { route -> String? in
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let template = parts[1].split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == segments.count else { return nil }
            let matches = zip(template, segments).allSatisfy { t, s in t.hasPrefix("{") || t == s }
            return matches ? String(parts[0]) : nil
        }.sorted()
    }
}
