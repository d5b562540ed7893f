/// Work for a thread that owns a database connection: the thread passes its connection, or why it has none.
typealias ConnectionJob<Connection> = @Sendable (Result<Connection, EventStoreError>) -> Void

/// Runs `body` on a database thread through `submit` (which queues the job and returns false once the queue is
/// closed) and suspends the caller, without blocking it, until the thread is done.
func performOnDatabaseThread<Connection, T: Sendable>(
    submit: (@escaping ConnectionJob<Connection>) -> Bool,
    _ body: @escaping @Sendable (Connection) throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let accepted = submit { connection in
            continuation.resume(with: Result { try body(connection.get()) })
        }
        if !accepted { continuation.resume(throwing: EventStoreError.unavailable("the event store is closed")) }
    }
}
