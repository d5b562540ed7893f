import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// A signed-in browser: the account (through the token it signed in with) and the session's CSRF token.
public struct WebSession: Sendable, Hashable {
    public var principal: Principal
    public var csrf: String
}

/// Sessions for the web page. The cookie holds a 256-bit random id; the database keeps only its SHA-256, the
/// token it was opened with (revoking the token ends the session) and a per-session CSRF token that every form
/// carries.
public struct SessionStore: Sendable {
    public let accounts: AccountStore
    public let database: any SQLDatabase
    public let clock: any WallClock
    public static let lifetimeSeconds: Int64 = 12 * 3600
    public static let cookieName = "accord_session"

    public init(accounts: AccountStore, database: any SQLDatabase, clock: any WallClock) {
        self.accounts = accounts
        self.database = database
        self.clock = clock
    }

    /// Opens a session for a token secret; nil when the token does not authenticate.
    public func open(secret: String) async throws -> (cookie: String, session: WebSession)? {
        guard let principal = try await accounts.authenticate(secret) else { return nil }
        let id = Self.random(bytes: 32)
        let csrf = Self.random(bytes: 24)
        let now = clock.now().microsecondsSinceEpoch
        try await database.transaction { conn in
            try conn.execute("DELETE FROM accord_web_sessions WHERE expires_at < $1", [.integer(now)])
            try conn.execute(
                "INSERT INTO accord_web_sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                [.blob(Self.hash(id)), .text(principal.tokenId), .text(csrf), .integer(now), .integer(now + Self.lifetimeSeconds * 1_000_000)])
        }
        return (id, WebSession(principal: principal, csrf: csrf))
    }

    /// The session behind a cookie value, if it is current and its token still valid.
    public func session(cookie: String) async throws -> WebSession? {
        guard cookie.utf8.count < 100 else { return nil }
        let now = clock.now().microsecondsSinceEpoch
        let row = try await database.read { conn in
            try conn.query("SELECT token_id, csrf FROM accord_web_sessions WHERE id_hash = $1 AND expires_at > $2",
                           [.blob(Self.hash(cookie)), .integer(now)]).first
        }
        guard let row, let principal = try await accounts.principal(tokenId: try row.string(0)) else { return nil }
        return WebSession(principal: principal, csrf: try row.string(1))
    }

    public func close(cookie: String) async throws {
        try await database.transaction { conn in
            try conn.execute("DELETE FROM accord_web_sessions WHERE id_hash = $1", [.blob(Self.hash(cookie))])
        }
    }

    static func hash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Constant-time comparison of CSRF tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Reads the session cookie and signs the request in as its account. On the JSON API a cookie counts only for
/// safe methods (GET, HEAD): writes through the API need a bearer token, so a cross-site form can never write
/// with a browser's cookie. The web page's own forms are checked against the session's CSRF token.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AccordRequestContext
    let sessions: SessionStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if request.headers[.authorization] == nil, let cookie = request.cookies[SessionStore.cookieName]?.value {
            let isAPI = request.uri.path.hasPrefix("/v1/")
            if !isAPI || request.method == .get || request.method == .head {
                context.principal = try await sessions.session(cookie: cookie)?.principal
            }
        }
        return try await next(request, context)
    }
}
