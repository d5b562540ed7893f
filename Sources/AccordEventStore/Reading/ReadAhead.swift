import Synchronization

/// Reads the log ahead of callers that page through it in order (subscriptions catching up, projection rebuilds,
/// chain verification, exports), so that the next pages are being read on other database threads while the
/// caller works on this one.
///
/// Positions are dense, so a full page after position p with limit n ends at p + n, and the following pages can
/// be requested before this one arrives. Only full pages are served from read-ahead: the log is append-only, so
/// a full page never changes, while a short one (the end of the log) may have grown meanwhile.
final class ReadAhead: Sendable {
    typealias Fetch = @Sendable (_ after: Int64, _ limit: Int) async throws -> [RecordedEvent]

    private struct Page: Hashable {
        var after: Int64
        var limit: Int
    }

    private struct State {
        var pending: [Page: Task<[RecordedEvent], any Error>] = [:]
        /// Ends of recently served full pages: a read starting at one of them is a sequential reader.
        var recentEnds: [Page] = []
    }

    /// Pages read ahead of a sequential reader.
    private static let depth = 2
    /// Pages kept at most (several readers may follow the log at once).
    private static let capacity = 8
    /// Larger pages are not read ahead: their memory is the caller's business.
    private static let largestPage = 5_000

    private let fetch: Fetch
    private let state = Mutex(State())

    init(fetch: @escaping Fetch) {
        self.fetch = fetch
    }

    func read(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        let page = Page(after: position, limit: limit)
        let (prefetched, sequential) = state.withLock { state in
            (state.pending.removeValue(forKey: page), state.recentEnds.contains(page))
        }
        var events: [RecordedEvent]
        if let prefetched, let ahead = try? await prefetched.value, ahead.count == limit {
            events = ahead
        } else {
            events = try await fetch(position, limit)
        }
        if events.count == limit, limit <= Self.largestPage {
            let end = Page(after: position + Int64(limit), limit: limit)
            state.withLock { state in
                state.recentEnds.append(end)
                if state.recentEnds.count > Self.capacity { state.recentEnds.removeFirst() }
            }
            if sequential || prefetched != nil { readAhead(from: end) }
        }
        return events
    }

    /// Starts reading the `depth` pages from `start` that are not being read yet.
    private func readAhead(from start: Page) {
        let fetch = self.fetch
        state.withLock { state in
            for step in 0..<Self.depth {
                let page = Page(after: start.after + Int64(step * start.limit), limit: start.limit)
                guard state.pending[page] == nil else { continue }
                if state.pending.count >= Self.capacity, let oldest = state.pending.keys.min(by: { $0.after < $1.after }) {
                    state.pending.removeValue(forKey: oldest)?.cancel()
                }
                state.pending[page] = Task { try await fetch(page.after, page.limit) }
            }
        }
    }

    /// Drops pages read ahead and not consumed.
    func cancelAll() {
        let tasks = state.withLock { state in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for task in tasks { task.cancel() }
    }
}
