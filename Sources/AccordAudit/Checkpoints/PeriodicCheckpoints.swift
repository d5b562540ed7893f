import Logging
import ServiceLifecycle

/// Signs and stores a checkpoint of the chain head at a fixed interval while the server runs (skipped when the
/// head has not moved since the newest stored checkpoint). Run it among `accord serve`'s services.
public struct PeriodicCheckpoints: Service {
    public let audit: AuditService
    public let interval: Duration
    let logger: Logger

    public init(audit: AuditService, interval: Duration, logger: Logger = Logger(label: "accord.audit")) {
        self.audit = audit
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let stored = try await audit.checkpointIfMoved() {
                        logger.info("checkpoint signed", metadata: ["position": "\(stored.position)", "key": "\(stored.keyId)"])
                    }
                } catch {
                    logger.warning("signing a checkpoint failed; trying again at the next interval", metadata: ["error": "\(error)"])
                }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
}
