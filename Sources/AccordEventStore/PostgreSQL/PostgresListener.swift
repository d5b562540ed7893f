import CLibPQ
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The dedicated `LISTEN accord_events` connection: every commit of `accord_append` (from any instance) sends the
/// new head position, which wakes this process's subscribers. It reconnects with backoff when the connection is
/// lost, and wakes every subscriber after reconnecting, since notifications sent meanwhile are gone.
final class PostgresListener: Sendable {
    static let channel = "accord_events"

    /// A pipe whose read end the thread polls beside the connection: writing to it stops the thread at once,
    /// even while it waits to reconnect.
    private let stopPipe: (read: Int32, write: Int32)
    private let thread: DatabaseThreads
    private let stopped = Mutex(false)

    init(conninfo: String, signal: AppendSignal, logger: Logger) throws(EventStoreError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw .unavailable("cannot create a pipe for the notification thread (errno \(errno))")
        }
        let stop = descriptors[0]
        stopPipe = (descriptors[0], descriptors[1])
        thread = DatabaseThreads(name: "pg-listener", count: 1) { _ in
            Self.listen(conninfo: conninfo, signal: signal, logger: logger, stop: stop)
        }
    }

    func stop() async {
        // Once only: the pipe's descriptors are closed below and their numbers may be reused.
        guard !stopped.withLock({ stopped in defer { stopped = true }; return stopped }) else { return }
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        await thread.join()
        close(stopPipe.read)
        close(stopPipe.write)
    }

    private static func listen(conninfo: String, signal: AppendSignal, logger: Logger, stop: Int32) {
        let connection = PGConnection(conninfo: conninfo)
        var backoffMilliseconds: Int32 = 100
        var reportedOutage = false
        while true {
            if connection.isBroken {
                do {
                    try connection.connect()
                    try connection.simple("LISTEN \(channel)")
                    if reportedOutage { logger.info("PostgreSQL notifications are back") }
                    reportedOutage = false
                    backoffMilliseconds = 100
                    signal.wakeAll()
                } catch {
                    if !reportedOutage {
                        logger.warning("PostgreSQL notifications unavailable, retrying: \(error)")
                        reportedOutage = true
                    }
                    connection.disconnect()
                    if waitReadable([stop], timeoutMilliseconds: backoffMilliseconds).contains(stop) { break }
                    backoffMilliseconds = min(backoffMilliseconds * 2, 5_000)
                    continue
                }
            }
            guard let handle = connection.handle else { continue }
            let ready = waitReadable([PQsocket(handle), stop], timeoutMilliseconds: 10_000)
            if ready.contains(stop) { break }
            guard PQconsumeInput(handle) == 1 else {
                // The server went away: subscribers re-read (they may have missed notifications) and we reconnect.
                connection.disconnect()
                signal.wakeAll()
                continue
            }
            while let notification = PQnotifies(handle) {
                let head = notification.pointee.extra.flatMap { Int64(String(cString: $0)) }
                PQfreemem(notification)
                if let head { signal.advance(to: head) } else { signal.wakeAll() }
            }
        }
        connection.disconnect()
    }

    /// The descriptors among `descriptors` that became readable (or failed) within the timeout.
    private static func waitReadable(_ descriptors: [Int32], timeoutMilliseconds: Int32) -> Set<Int32> {
        var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let count = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard count > 0 else { return [] }
        return Set(fds.filter { $0.revents != 0 }.map(\.fd))
    }
}
