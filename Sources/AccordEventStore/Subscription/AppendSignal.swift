import Synchronization

/// The in-process wake-up behind `waitForEvents`: appenders (and, on PostgreSQL, the LISTEN connection) report
/// the head they know of; waiters behind it resume. Only a hint: subscribers always re-read by position.
final class AppendSignal: Sendable {
    private struct Waiter {
        var position: Int64
        var continuation: CheckedContinuation<Void, Never>
        var timeout: Task<Void, Never>?
    }

    private struct State {
        var knownHead: Int64 = 0
        var nextId: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// The newest head reported.
    var knownHead: Int64 { state.withLock { $0.knownHead } }

    /// A head position this process has seen committed; waiters before it resume.
    func advance(to head: Int64) {
        let woken = state.withLock { state -> [Waiter] in
            guard head > state.knownHead else { return [] }
            state.knownHead = head
            let ready = state.waiters.filter { $0.value.position < head }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        resume(woken)
    }

    /// Wakes every waiter, e.g. after the notification connection was lost and events may have been missed.
    func wakeAll() {
        let woken = state.withLock { state -> [Waiter] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        resume(woken)
    }

    /// Suspends until a head after `position` is reported, `timeout` passes or the task is cancelled.
    func wait(after position: Int64, timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let registered = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation handler that already ran found nothing to resume.
                    guard state.knownHead <= position, !Task.isCancelled else { return false }
                    state.waiters[id] = Waiter(position: position, continuation: continuation, timeout: nil)
                    return true
                }
                guard registered else {
                    continuation.resume()
                    return
                }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.wake(id)
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timeout = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        if let waiter { resume([waiter]) }
    }

    private func resume(_ waiters: [Waiter]) {
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume()
        }
    }
}
