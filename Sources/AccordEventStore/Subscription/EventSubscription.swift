/// An `AsyncSequence` over the log from a position: catches up by reading pages, then waits for the store's
/// wake-up signal and reads again. Reading by position (never by timestamp) is what keeps it gap-free.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let store: any EventStore
    let start: Int64
    let pageSize: Int
    /// Even without a wake-up (e.g. another process wrote to the same SQLite file) the log is re-read this often.
    let pollInterval: Duration

    init(store: any EventStore, after position: Int64, pageSize: Int, pollInterval: Duration = .seconds(1)) {
        self.store = store
        self.start = position
        self.pageSize = pageSize
        self.pollInterval = pollInterval
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let store: any EventStore
        let pageSize: Int
        let pollInterval: Duration
        var position: Int64
        var buffer: [RecordedEvent] = []
        var bufferIndex = 0

        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if bufferIndex < buffer.count {
                    let event = buffer[bufferIndex]
                    bufferIndex += 1
                    position = event.position
                    return event
                }
                try Task.checkCancellation()
                buffer = try await store.readAll(after: position, limit: pageSize)
                bufferIndex = 0
                if buffer.isEmpty {
                    await store.waitForEvents(after: position, timeout: pollInterval)
                    if Task.isCancelled { return nil }
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, pageSize: pageSize, pollInterval: pollInterval, position: start)
    }
}
