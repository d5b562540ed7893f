import AccordService
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Reads `Authorization: Bearer <token>` and attaches the account to the context. Requests without a token
/// pass through anonymous (handlers decide whether that is enough); a wrong token is 401, and too many wrong
/// tokens from one address are 429 for a while. Failed attempts are logged with the address.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AccordRequestContext

    let accounts: AccountStore
    let limiter: FailureRateLimiter
    let cache: PrincipalCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Probes, scrapers and the contract are answered whatever credentials a client sends along.
        if OperationsRoutes.isOperationsPath(request.uri.path) { return try await next(request, context) }
        var context = context
        if context.principal == nil, let header = request.headers[.authorization] {
            if let wait = limiter.blockedFor(context.remoteAddress) { throw ServiceError.tooManyRequests(retryAfterSeconds: wait) }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw ServiceError.unauthenticated("use 'Authorization: Bearer <token>'")
            }
            let secret = parts[1].trimmingHTTPWhitespace
            if let principal = try await cache.principal(for: secret, accounts: accounts) {
                context.principal = principal
            } else {
                limiter.recordFailure(context.remoteAddress)
                context.logger.notice("authentication failed", metadata: ["remote": "\(context.remoteAddress)"])
                throw ServiceError.unauthenticated("the API token is unknown, revoked or expired")
            }
        }
        return try await next(request, context)
    }
}

/// Counts failed authentications per address in a sliding window; past the limit the address waits.
final class FailureRateLimiter: Sendable {
    let limit: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])

    init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    func recordFailure(_ address: String) {
        let now = Date()
        failures.withLock { all in
            var list = all[address, default: []].filter { now.timeIntervalSince($0) < window }
            list.append(now)
            all[address] = list
            if all.count > 10_000 { all = all.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last ?? now) < window } }
        }
    }

    /// Seconds to wait, when the address is over the limit.
    func blockedFor(_ address: String) -> Int? {
        let now = Date()
        return failures.withLock { all in
            let recent = all[address, default: []].filter { now.timeIntervalSince($0) < window }
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }
}

/// Authenticated tokens are remembered for a few seconds, so reads do not query the accounts table every
/// time; a revocation takes effect within that time.
final class PrincipalCache: Sendable {
    let ttl: TimeInterval
    private let entries = Mutex<[Data: (Principal, Date)]>([:])

    init(ttl: TimeInterval = 5) { self.ttl = ttl }

    func principal(for secret: String, accounts: AccountStore) async throws -> Principal? {
        let key = Data(SHA256.hash(data: Array(secret.utf8)))
        let now = Date()
        if let hit = entries.withLock({ $0[key] }), now.timeIntervalSince(hit.1) < ttl { return hit.0 }
        guard let principal = try await accounts.authenticate(secret) else {
            entries.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        entries.withLock { all in
            if all.count > 10_000 { all.removeAll() }
            all[key] = (principal, now)
        }
        await accounts.touch(principal.tokenId)
        return principal
    }

    func invalidateAll() { entries.withLock { $0.removeAll() } }
}
