import AccordService
import ServiceLifecycle

/// Forgets the answers stored for `Idempotency-Key`s once they are a day old (at start and then hourly), so
/// the table does not grow without end. Stops at graceful shutdown, before the store closes.
struct IdempotencyExpiry: Service {
    let store: IdempotencyStore
    var interval: Duration = .seconds(3600)

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            await store.expire()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
