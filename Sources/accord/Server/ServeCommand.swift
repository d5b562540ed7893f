import AccordAudit
import AccordAuditHTTP
import AccordEventStore
import AccordHTTP
import AccordNotifications
import AccordService
import AccordWeb
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Accord server: the JSON API, the web page and the notifiers.",
        discussion: """
            With no options it serves the embedded SQLite database in ./accord-data on http://127.0.0.1:8080. Every option can \
            also be set by its ACCORD_* environment variable (shown in brackets); a flag wins over the variable.
            SIGTERM or SIGINT stops accepting connections, finishes the requests in flight, then exits.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(help: "Address to listen on. [ACCORD_HOST, default 127.0.0.1]")
    var host: String?

    @Option(help: "Port to listen on. [ACCORD_PORT, default 8080]")
    var port: Int?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted. [ACCORD_MAX_BODY_BYTES, default 1048576]")
    var maxBodyBytes: Int?

    @Option(name: .customLong("reads-require-token"), help: "Whether reads need an API token (writes always do): true or false. [ACCORD_READS_REQUIRE_TOKEN, default false]")
    var readsRequireToken: Bool?

    @Option(name: .customLong("request-timeout"), help: "Seconds without a byte written before a connection is closed. [ACCORD_REQUEST_TIMEOUT, default 30]")
    var requestTimeout: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may wait for a request before it is closed. [ACCORD_IDLE_TIMEOUT, default 60]")
    var idleTimeout: Int?

    @Option(name: .customLong("trust-forwarded-headers"), help: "Behind a reverse proxy that every request passes through: take the client address from X-Forwarded-For and HTTPS from X-Forwarded-Proto (true or false). [ACCORD_TRUST_FORWARDED_HEADERS, default false]")
    var trustForwardedHeaders: Bool?

    @Option(name: .customLong("auth-failure-limit"), help: "Failed authentications per client address per minute before it must wait (429). [ACCORD_AUTH_FAILURE_LIMIT, default 10]")
    var authFailureLimit: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. [ACCORD_LOG_LEVEL, default info]")
    var logLevel: String?

    @OptionGroup var signingKey: SigningKeyOption

    @Option(name: .customLong("checkpoint-interval"), help: "Seconds between signed checkpoints of the chain head (0: none; skipped while the log does not grow). [ACCORD_CHECKPOINT_INTERVAL, default 3600]")
    var checkpointInterval: Int?

    @OptionGroup(title: "Notifications") var notifications: NotificationOptions

    @Flag(help: "Load the demo (reference data and the reassurance-force scenario) before serving; loading twice changes nothing. [ACCORD_DEMO=1]")
    var demo = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = try bootstrapLogging(environmentValue(logLevel, "ACCORD_LOG_LEVEL"))
        var configuration = ServerConfiguration()
        configuration.host = environmentValue(host, "ACCORD_HOST") ?? configuration.host
        configuration.port = try port ?? intVariable("ACCORD_PORT") ?? configuration.port
        configuration.maximumBodyBytes = try maxBodyBytes ?? intVariable("ACCORD_MAX_BODY_BYTES") ?? configuration.maximumBodyBytes
        configuration.readsRequireToken = try readsRequireToken ?? boolVariable("ACCORD_READS_REQUIRE_TOKEN") ?? false
        configuration.requestTimeout = .seconds(try requestTimeout ?? intVariable("ACCORD_REQUEST_TIMEOUT") ?? 30)
        configuration.idleTimeout = .seconds(try idleTimeout ?? intVariable("ACCORD_IDLE_TIMEOUT") ?? 60)
        configuration.trustForwardedHeaders = try trustForwardedHeaders ?? boolVariable("ACCORD_TRUST_FORWARDED_HEADERS") ?? false
        configuration.authenticationFailureLimit = try authFailureLimit ?? intVariable("ACCORD_AUTH_FAILURE_LIMIT") ?? configuration.authenticationFailureLimit
        guard configuration.authenticationFailureLimit >= 1 else { throw ValidationError("--auth-failure-limit must be at least 1") }
        guard (1...65535).contains(configuration.port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard configuration.maximumBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        let checkpointSeconds = try checkpointInterval ?? intVariable("ACCORD_CHECKPOINT_INTERVAL") ?? 3600
        guard checkpointSeconds >= 0 else { throw ValidationError("--checkpoint-interval must be 0 (none) or a number of seconds") }

        let notificationConfiguration = try notifications.configuration(requestTimeout: configuration.requestTimeout)

        let location = try database.location()
        logger.info("opening the database", metadata: ["database": "\(location)"])
        let service = try await AccordService.open(location, options: EventStoreOptions(logger: logger), logger: logger)
        try await service.start()
        if demo || env["ACCORD_DEMO"] == "1" {
            let recorded = try await service.loadDemo()
            logger.info("demo loaded", metadata: ["events": "\(recorded)"])
        }
        if try await !service.accounts.hasActiveAdmin() {
            logger.notice("no admin token exists yet: create one with `accord token create --name <name> --role admin` (same --database)")
        }
        // The signing key is made on first start, in the data folder, readable by its owner only.
        let audit = AuditService(service: service, keyFolder: signingKey.folder(database))
        let key = try await audit.start()
        logger.info("checkpoints are signed with Ed25519 key \(key.keyId) (public key: \(key.publicKey))")
        // One instance per database runs the notifier, timers and webhook deliveries (the lock decides which);
        // every instance serves the notification routes and streams.
        let notificationSystem = NotificationSystem(service: service, lock: Leadership.lock(for: location), configuration: notificationConfiguration,
                                                    logger: logger)
        var services: [any Service] = [ServiceShutdown(service: service)]
        if checkpointSeconds > 0 { services.append(PeriodicCheckpoints(audit: audit, interval: .seconds(checkpointSeconds), logger: logger)) }
        let web = try WebApp(service: service, readsRequireSignIn: configuration.readsRequireToken)
        let app = AccordServer.makeApplication(
            service: service, configuration: configuration, extraRoutes: [AuditRoutes.installer(audit)] + notificationSystem.routes + [web.routes],
            extraMiddleware: [web.middleware],
            services: services + notificationSystem.services, logger: logger)
        logger.info("Accord listening", metadata: ["url": "http://\(configuration.host):\(configuration.port)"])
        try await app.runService()
    }
}

/// Stops the log follower and closes the database after the HTTP server has finished its requests.
struct ServiceShutdown: Service {
    let service: AccordService

    func run() async throws {
        try? await gracefulShutdown()
        await service.shutdown()
    }
}

func intVariable(_ name: String) throws -> Int? {
    guard let text = environmentValue(nil, name) else { return nil }
    guard let value = Int(text) else { throw ValidationError("\(name) must be a whole number, not '\(text)'") }
    return value
}

func boolVariable(_ name: String) throws -> Bool? {
    guard let text = environmentValue(nil, name)?.lowercased() else { return nil }
    switch text {
    case "1", "true", "yes": return true
    case "0", "false", "no": return false
    default: throw ValidationError("\(name) must be true or false, not '\(text)'")
    }
}

/// Structured logs on standard error, at the requested level.
func bootstrapLogging(_ level: String?) throws -> Logger {
    let parsed: Logger.Level
    if let level {
        guard let l = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical")
        }
        parsed = l
    } else {
        parsed = .info
    }
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    var logger = Logger(label: "accord")
    logger.logLevel = parsed
    return logger
}
