/// An append request waiting for the writer: group commit takes every queued request into one transaction and
/// answers each through its continuation.
struct PendingAppend: Sendable {
    let appends: [StreamAppend]
    let continuation: CheckedContinuation<AppendResult, any Error>

    func finish(_ outcome: Result<AppendResult, EventStoreError>) {
        continuation.resume(with: outcome.mapError { $0 as any Error })
    }
}
