import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or standard input, `-`) in batches of whole lines, about 2 MiB at a time, so a verifier's memory
/// does not grow with the file.
struct LineReader {
    let path: String

    /// Calls `body` with batches of whole lines (about 2 MiB each; a longer line is a batch of its own) and the
    /// 1-based number of each batch's first line; stops early when it returns false.
    func forEachBatch(_ body: (LineBatch, Int) throws -> Bool) throws(VerificationError) {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable("\(path): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        let chunk = 2 << 20
        var incoming = [UInt8](repeating: 0, count: chunk)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunk * 2)
        var number = 0
        var atEnd = false
        do {
            while !atEnd {
                let n = incoming.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VerificationError.unreadable("\(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { atEnd = true } else { buffer.append(contentsOf: incoming[0..<n]) }
                var lines: [Range<Int>] = []
                var start = 0
                buffer.withUnsafeBufferPointer { all in
                    guard let base = all.baseAddress else { return }
                    while start < all.count, let found = memchr(base + start, 0x0A, all.count - start) {
                        let i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                        lines.append(start..<i)
                        start = i + 1
                    }
                }
                if atEnd && start < buffer.count {
                    lines.append(start..<buffer.count)
                    start = buffer.count
                }
                if !lines.isEmpty {
                    let keepGoing = try buffer.withUnsafeBufferPointer { try body(LineBatch(bytes: $0, lines: lines), number + 1) }
                    number += lines.count
                    if !keepGoing { return }
                }
                // The unfinished last line moves to the front; the next read completes it.
                buffer.removeFirst(start)
            }
        } catch let error as VerificationError {
            throw error
        } catch {
            throw .unreadable("\(path): \(error)")
        }
    }
}

/// Consecutive lines of an export: byte ranges (without the newline) into one buffer. Shared read-only with
/// the threads that prepare its lines, for as long as the call that received it lasts.
struct LineBatch: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    let lines: [Range<Int>]
}
