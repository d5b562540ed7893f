import Synchronization

/// An in-process wake-up: a producer reports the position it reached (the notifier after each commit), waiters
/// behind it resume. Only a hint: waiters read the database afterwards, and wait with a timeout, so a missed or
/// foreign change (another instance, the CLI) is noticed at the next poll.
public final class PositionSignal: Sendable {
    private struct Waiter {
        var after: Int64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var position: Int64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var position: Int64 { state.withLock { $0.position } }

    /// Reports `position`; waiters for anything before it resume.
    public func advance(to position: Int64) {
        let ready = state.withLock { state -> [Waiter] in
            guard position > state.position else { return [] }
            state.position = position
            let ready = state.waiters.filter { $0.value.after < position }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Wakes every waiter (a change that is not a new position: a subscription edited, a resend requested).
    public func poke() {
        let all = state.withLock { state -> [Waiter] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in all { waiter.continuation.resume() }
    }

    /// Returns once a position after `after` is reported, `timeout` passes, or the task is cancelled.
    public func wait(after: Int64, timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let waiting = self.state.withLock { state -> Bool in
                            guard state.position <= after, !Task.isCancelled else { return false }
                            state.waiters[id] = Waiter(after: after, continuation: continuation)
                            return true
                        }
                        if !waiting { continuation.resume() }
                    }
                } onCancel: {
                    self.wake(id)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func wake(_ id: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume()
    }
}
