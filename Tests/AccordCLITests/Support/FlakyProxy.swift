import Foundation
import Synchronization

/// A TCP proxy on loopback whose first connection fails; later connections pass through. It stands for the
/// network failing while a write is on its way.
final class FlakyProxy: Sendable {
    enum Failure: Sendable {
        /// The request reaches the server, whose answer is lost: the write is recorded, the client hears nothing.
        case loseAnswer
        /// The client's connection closes shortly after the request went through, while the server still works on it.
        case closeWhileServerWorks
    }

    let port: Int
    private let listener: Int32
    private let counter = Counter()

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    var connectionCount: Int { counter.value.withLock { $0 } }

    init(upstreamPort: Int, failure: Failure = .loseAnswer) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 && listen(listener, 16) == 0
            }
        }
        guard ready else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let counter = self.counter
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                let first = counter.value.withLock { count in
                    count += 1
                    return count == 1
                }
                Thread.detachNewThread { Self.serve(client: client, upstreamPort: upstreamPort, failure: first ? failure : nil) }
            }
        }
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func serve(client: Int32, upstreamPort: Int, failure: Failure?) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            Glibc.close(client)
            Glibc.close(upstream)
            return
        }
        Thread.detachNewThread { pump(from: client, to: upstream) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        switch failure {
        case .loseAnswer?:
            // The server answered: the write is recorded. The client never hears of it.
            _ = read(upstream, &buffer, buffer.count)
            shutdown(client, Int32(SHUT_RDWR))
            Glibc.close(client)
            Glibc.close(upstream)
        case .closeWhileServerWorks?:
            // Long enough for the request to reach the server, far shorter than the server's work on it (the test
            // sends the largest batch).
            usleep(150_000)
            shutdown(client, Int32(SHUT_RDWR))
            Glibc.close(client)
            _ = read(upstream, &buffer, buffer.count)
            Glibc.close(upstream)
        case nil:
            pump(from: upstream, to: client)
        }
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(source, &buffer, buffer.count)
            guard count > 0 else { break }
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                guard written > 0 else { return }
                sent += written
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }
}
