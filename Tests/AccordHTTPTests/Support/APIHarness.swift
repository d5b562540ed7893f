import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Who sends a request: one account per role (the delegate records for Germany), or nobody.
enum Caller: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case anonymous
    case admin
    case secretariat
    case delegateDE = "delegate-DE"
    case auditor
    case observer

    var testDescription: String { rawValue }

    var role: Role? {
        switch self {
        case .anonymous: nil
        case .admin: .admin
        case .secretariat: .secretariat
        case .delegateDE: .delegate
        case .auditor: .auditor
        case .observer: .observer
        }
    }
}

/// The processes of the demo, by the ids `DemoScenario` gives them.
enum Demo {
    static let forceGeneration = DemoScenario.forceGeneration.description
    static let natoC2 = DemoScenario.natoC2.description
    static let deployment = DemoScenario.deployment.description
}

/// A response as the tests look at it.
struct APIResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: [UInt8]

    var json: JSON { (try? JSON.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The problem type's code (`stage-out-of-order`), for problem responses.
    var problem: String? { json["type"]?.string.map { String($0.dropFirst("/problems/".count)) } }
    var contentType: String? { headers[.contentType] }
    subscript(header: String) -> String? { HTTPField.Name(header).flatMap { headers[$0] } }
}

/// The API of a fresh service, driven through the router (HummingbirdTesting). Every response is checked
/// against `schema/openapi.json`: its status, media type and body must be documented for the operation, and a
/// request body the server accepted must be valid by the document too.
struct API: Sendable {
    let client: any TestClientProtocol
    let service: AccordService
    let tokens: [Caller: String]
    let accounts: [Caller: Account]
    /// The audit and notification routes, when `withAPI(modules: true)` installed them.
    var modules: InstalledModules? = nil

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, as caller: Caller = .admin, json: String? = nil,
        contentType: String? = "application/json", headers extra: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> APIResponse {
        try await send(method, uri, as: caller, bytes: json.map { Array($0.utf8) }, contentType: contentType, headers: extra,
                       sourceLocation: sourceLocation)
    }

    /// Sends a body as given, bytes that are not UTF-8 included.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, as caller: Caller = .admin, bytes: [UInt8]?,
        contentType: String? = "application/json", headers extra: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> APIResponse {
        var headers = HTTPFields()
        if let token = tokens[caller] { headers[.authorization] = "Bearer \(token)" }
        if bytes != nil, let contentType { headers[.contentType] = contentType }
        for (name, value) in extra { if let field = HTTPField.Name(name) { headers[field] = value } }
        let body = bytes.map { ByteBuffer(bytes: $0) }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            APIResponse(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
        for problem in Self.contractViolations(method: method, uri: uri, request: bytes, response: response) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
        return response
    }

    @discardableResult
    func get(_ uri: String, as caller: Caller = .admin, headers: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) async throws -> APIResponse {
        try await request(.get, uri, as: caller, headers: headers, sourceLocation: sourceLocation)
    }

    @discardableResult
    func post(_ uri: String, _ json: String?, as caller: Caller = .admin, contentType: String? = "application/json",
              headers: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> APIResponse {
        try await request(.post, uri, as: caller, json: json, contentType: contentType, headers: headers, sourceLocation: sourceLocation)
    }

    /// The position of the last event in the log: unchanged after a refused request.
    func logHead() async throws -> Int64 { try await service.store.headPosition() }

    static func contractViolations(method: HTTPRequest.Method, uri: String, request: [UInt8]?, response: APIResponse) -> [String] {
        var problems: [String] = []
        if response.headers[HTTPField.Name("X-Request-Id")!] == nil { problems.append("\(method) \(uri): no X-Request-Id header") }
        let contract = OpenAPIContract.shared
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard let operation = contract.operation(method: method.rawValue, path: path) else {
            // Only unknown paths and methods may be undocumented, and they are answered as problems.
            if ![404, 405].contains(response.status.code) || response.contentType != "application/problem+json" {
                problems.append("\(method) \(path) is not in the OpenAPI document but answered \(response.status.code)")
            }
            return problems
        }
        problems += contract.check(response: response.status.code, contentType: response.contentType, body: response.body, for: operation)
        if (200..<300).contains(response.status.code), let request {
            problems += contract.check(requestBody: request, for: operation)
        }
        return problems
    }
}

/// Starts a service on a fresh database of `backend` (with the demo, or only the reference data), creates an
/// account and token per role, and runs `body` against its router. With `modules`, the router also has the
/// audit and notification routes, as `accord serve` installs them (`api.modules`).
func withAPI(
    _ backend: Backend, demo: Bool = true, configuration: ServerConfiguration = ServerConfiguration(), logger: Logger? = nil,
    modules withModules: Bool = false, _ body: @escaping @Sendable (API) async throws -> Void
) async throws {
    try await withTestStore(backend) { store, database in
        let service = AccordService(store: store, clock: SystemWallClock())
        let modules = withModules ? InstalledModules(service: service, database: database) : nil
        let outcome: Result<Void, any Error>
        do {
            try await service.start()
            if demo { try await service.loadDemo() } else { try await service.loadReferenceData() }
            let (tokens, accounts) = try await issueTokens(service)
            let router = AccordServer.makeRouter(service: service, configuration: configuration, extraRoutes: modules?.routes ?? [])
            let app = Application(router: router, logger: logger)
            try await app.test(.router) { client in
                try await body(API(client: client, service: service, tokens: tokens, accounts: accounts, modules: modules))
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await modules?.close()
        // The log follower and the projection stop before the store closes, whatever happened.
        await service.log.stop()
        await service.eventIndex.stop()
        try outcome.get()
    }
}

/// An account and a token per role (the delegate records for Germany).
func issueTokens(_ service: AccordService) async throws -> ([Caller: String], [Caller: Account]) {
    var tokens: [Caller: String] = [:]
    var accounts: [Caller: Account] = [:]
    let setup = ActorRef(id: "test", name: "Test setup")
    for caller in Caller.allCases {
        guard let role = caller.role else { continue }
        let account = try await service.accounts.createAccount(
            name: "Test \(caller.rawValue)", role: role, parties: role == .delegate ? [PartyCode("DE")!] : [], by: setup)
        tokens[caller] = try await service.accounts.issueToken(for: account, name: "test", expiresAt: nil, by: setup).secret
        accounts[caller] = account
    }
    return (tokens, accounts)
}
