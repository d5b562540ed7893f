import Foundation

/// A blocking FIFO shared by the database threads that serve it. Producers are async callers (they never
/// block: `put` only takes a lock); consumers are our own threads, which may block waiting for work.
final class JobQueue<Job>: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false

    /// Queues `job`; false when the queue is closed (the caller must then fail the job itself).
    func put(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Waits for a job; nil once the queue is closed and drained.
    func takeOne() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    /// Waits for at least one job and takes every queued job at once (group commit); nil once closed and drained.
    func takeAll() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let taken = Array(jobs[head...])
        jobs.removeAll(keepingCapacity: true)
        head = 0
        return taken
    }

    /// Refuses new jobs and wakes every waiting consumer; jobs already queued are still handed out.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Threads of our own for blocking database calls, so SQLite and libpq never block Swift's cooperative thread
/// pool or an event loop. Each thread runs `body` (its serving loop) and owns whatever it opens there.
final class DatabaseThreads: Sendable {
    private let finished: DispatchGroup

    init(name: String, count: Int, body: @escaping @Sendable (_ index: Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let threadName = count == 1 ? name : "\(name)-\(index)"
            let thread = Thread {
                // Named from inside: on Linux, Foundation only names the calling thread. Names show in `top -H`,
                // perf and gdb (at most 15 bytes).
                Thread.current.name = threadName
                body(index)
                group.leave()
            }
            // The serving loops and SQLite/libpq need little stack; 4 MiB leaves room for deep planning code.
            thread.stackSize = 4 << 20
            thread.start()
        }
        finished = group
    }

    /// Suspends until every thread's loop has returned (their queues must have been closed).
    func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            finished.notify(queue: .global()) { continuation.resume() }
        }
    }
}
