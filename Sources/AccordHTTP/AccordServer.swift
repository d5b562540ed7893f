import AccordEventStore
import AccordService
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// How `accord serve` runs: every option has a flag and an `ACCORD_*` variable (see `accord serve --help`).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted (413 beyond).
    public var maximumBodyBytes: Int
    /// Whether reads need a token (writes always do).
    public var readsRequireToken: Bool
    /// Write timeout: a connection on which nothing was written for this long (a handler that hangs, a client
    /// that stops reading) is closed. Streams send heartbeats well within it.
    public var requestTimeout: Duration
    /// A connection idle for longer (no request, or a client that stops sending) is closed.
    public var idleTimeout: Duration
    /// Failed authentications per address per minute before 429.
    public var authenticationFailureLimit: Int
    /// Behind a reverse proxy: take the client's address from the last `X-Forwarded-For` hop (for rate limits
    /// and logs) and HTTPS from `X-Forwarded-Proto`. Only set it when every request comes through the proxy.
    public var trustForwardedHeaders = false

    public init(host: String = "127.0.0.1", port: Int = 8080, maximumBodyBytes: Int = 1 << 20, readsRequireToken: Bool = false,
                requestTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60), authenticationFailureLimit: Int = 10) {
        self.host = host
        self.port = port
        self.maximumBodyBytes = maximumBodyBytes
        self.readsRequireToken = readsRequireToken
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.authenticationFailureLimit = authenticationFailureLimit
    }
}

/// Everything a route handler needs.
public struct APIEnvironment: Sendable {
    public let service: AccordService
    public let configuration: ServerConfiguration
    public let metrics: AccordMetrics
    let principals: PrincipalCache
    let renderedResults = RenderedResultsCache()

    /// A read's caller: anonymous is fine unless the server requires tokens for reads.
    public func reader(_ context: AccordRequestContext) throws -> Principal? {
        if configuration.readsRequireToken { return try context.requirePrincipal() }
        return context.principal
    }
}

/// Builds the Hummingbird application: middleware, the `/v1` API, operations endpoints.
public enum AccordServer {
    /// Route groups added by other modules (notifications, audit, the web page) register here.
    public typealias RouteInstaller = @Sendable (Router<AccordRequestContext>, APIEnvironment) -> Void

    /// Middleware that runs before token authentication (the web page's session cookies).
    public typealias MiddlewareInstaller = @Sendable (Router<AccordRequestContext>, APIEnvironment) -> Void

    public static func makeRouter(service: AccordService, configuration: ServerConfiguration, extraRoutes: [RouteInstaller] = [],
                                  extraMiddleware: [MiddlewareInstaller] = []) -> Router<AccordRequestContext> {
        let metrics = AccordMetrics.shared
        let environment = APIEnvironment(service: service, configuration: configuration, metrics: metrics, principals: PrincipalCache())
        let router = Router(context: AccordRequestContext.self)
        // Outermost first: the log and the metrics see every answer as sent (problem responses with their real
        // status), after the problem middleware has turned errors (401s from authentication included) into responses.
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        if configuration.trustForwardedHeaders { router.add(middleware: ForwardedHeadersMiddleware()) }
        for install in extraMiddleware { install(router, environment) }
        router.add(middleware: AuthenticationMiddleware(
            accounts: service.accounts, limiter: FailureRateLimiter(limit: configuration.authenticationFailureLimit), cache: environment.principals))
        OperationsRoutes.install(on: router, environment)
        ReferenceRoutes.install(on: router, environment)
        ProcessRoutes.install(on: router, environment)
        StepBatchRoutes.install(on: router, environment)
        AccountRoutes.install(on: router, environment)
        LogRoutes.install(on: router, environment)
        for install in extraRoutes { install(router, environment) }
        return router
    }

    public static func makeApplication(
        service: AccordService, configuration: ServerConfiguration, extraRoutes: [RouteInstaller] = [],
        extraMiddleware: [MiddlewareInstaller] = [], services: [any Service] = [], logger: Logger
    ) -> some ApplicationProtocol {
        let router = makeRouter(service: service, configuration: configuration, extraRoutes: extraRoutes, extraMiddleware: extraMiddleware)
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [
                    IdleStateHandler(writeTimeout: .seconds(max(1, configuration.requestTimeout.components.seconds))),
                    WriteTimeoutHandler(),
                ],
                idleTimeout: .seconds(max(1, configuration.idleTimeout.components.seconds)))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "Accord"),
            // Stopped in reverse order after the server has finished its requests: key expiry before the
            // caller's services (which close the store).
            services: services + [IdempotencyExpiry(store: service.idempotency)],
            logger: logger)
    }
}

/// Prometheus metrics: request counts and latencies (Hummingbird's metrics middleware through swift-metrics),
/// appends, and how far each projection is behind the log (set when `/metrics` is scraped).
public final class AccordMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// swift-metrics can be bootstrapped once per process; every application in it shares this registry.
    public static let shared: AccordMetrics = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return AccordMetrics(registry: registry)
    }()

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }
}

/// Closes a connection when `IdleStateHandler` reports that nothing was written for the write timeout.
final class WriteTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.write = event {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
