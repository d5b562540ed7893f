import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or standard input, `-`) line by line in 1 MiB chunks, so a verifier's memory does not grow with
/// the file.
struct LineReader {
    let path: String

    /// Calls `line` with each line's bytes (without the newline) and its 1-based number; stops early when it
    /// returns false.
    func forEachLine(_ line: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws(VerificationError) {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable("\(path): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var carry: [UInt8] = []
        var number = 0
        do {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VerificationError.unreadable("\(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                let keepGoing = try buffer.withUnsafeBufferPointer { all -> Bool in
                    let data = UnsafeBufferPointer(rebasing: all[0..<n])
                    var start = 0
                    while start < n, let base = data.baseAddress, let found = memchr(base + start, 0x0A, n - start) {
                        let i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                        number += 1
                        if carry.isEmpty {
                            if try !line(UnsafeBufferPointer(rebasing: data[start..<i]), number) { return false }
                        } else {
                            carry.append(contentsOf: data[start..<i])
                            let whole = carry
                            carry.removeAll(keepingCapacity: true)
                            if try !whole.withUnsafeBufferPointer({ try line($0, number) }) { return false }
                        }
                        start = i + 1
                    }
                    carry.append(contentsOf: data[start..<n])
                    return true
                }
                if !keepGoing { return }
            }
            if !carry.isEmpty {
                number += 1
                _ = try carry.withUnsafeBufferPointer { try line($0, number) }
            }
        } catch let error as VerificationError {
            throw error
        } catch {
            throw .unreadable("\(path): \(error)")
        }
    }
}
