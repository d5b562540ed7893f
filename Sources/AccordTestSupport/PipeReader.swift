import Foundation
import Synchronization

/// Reads a pipe to its end on a thread of its own: no dispatch sources (a readability handler left on a pipe
/// whose descriptor is closed crashes libdispatch on Linux), no blocking of Swift's cooperative threads.
public final class PipeReader: Sendable {
    private let state = Mutex<(text: String, done: Bool)>(("", false))

    public init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                state.withLock { $0.text += String(decoding: data, as: UTF8.self) }
            }
            state.withLock { $0.done = true }
        }
    }

    public var contents: String { state.withLock { $0.text } }

    /// Everything, once the writer has closed its end.
    public func finished() async -> String {
        while !state.withLock({ $0.done }) { try? await Task.sleep(for: .milliseconds(5)) }
        return contents
    }
}
