import AccordService
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The per-request context: who is calling (once authenticated) and from where.
public struct AccordRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated account, if the request carried a valid token (or a signed-in session).
    public var principal: Principal?
    /// The client's address, for rate limiting failed sign-ins (`unknown` in router tests).
    public let remoteAddress: String
    /// True when the request came over HTTPS (directly or as told by a trusted reverse proxy).
    public var isSecure = false

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Accord collects bodies itself, with its own configurable limit and a problem+json answer.
    public var maxUploadSize: Int { Int.max }

    /// The authenticated caller, or 401.
    public func requirePrincipal() throws -> Principal {
        guard let principal else {
            throw ServiceError.unauthenticated("this request needs an API token: send 'Authorization: Bearer <token>'")
        }
        return principal
    }
}
