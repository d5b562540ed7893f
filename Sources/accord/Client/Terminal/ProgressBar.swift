import Foundation
import Synchronization

/// A one-line progress bar on standard error, drawn only when standard error is a terminal (scripts and
/// logs get no control characters). Redraws at most ten times a second.
final class ProgressBar: Sendable {
    private struct State {
        var done: Int64 = 0
        var total: Int64?
        var lastDrawn: ContinuousClock.Instant?
        var drawn = false
    }

    private let label: String
    private let enabled: Bool
    private let state: Mutex<State>
    static let width = 30

    init(_ label: String, total: Int64? = nil, enabled: Bool = ProgressBar.isTerminal) {
        self.label = label
        self.enabled = enabled
        state = Mutex(State(total: total))
    }

    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    func update(_ done: Int64, total: Int64? = nil) {
        guard enabled else { return }
        let line: String? = state.withLock { s in
            s.done = done
            if let total { s.total = total }
            let now = ContinuousClock.now
            if let last = s.lastDrawn, now - last < .milliseconds(100), done != s.total { return nil }
            s.lastDrawn = now
            s.drawn = true
            return Self.render(label: label, done: s.done, total: s.total)
        }
        if let line { write("\r" + line + "\u{1B}[K") }
    }

    /// Draws the final state and ends the line.
    func finish() {
        guard enabled else { return }
        let line: String? = state.withLock { s in
            guard s.drawn else { return nil }
            return Self.render(label: label, done: s.done, total: s.total)
        }
        if let line { write("\r" + line + "\u{1B}[K\n") }
    }

    static func render(label: String, done: Int64, total: Int64?) -> String {
        guard let total, total > 0 else { return "\(label) \(done)" }
        let clamped = min(max(done, 0), total)
        let filled = Int(clamped * Int64(width) / total)
        let percent = clamped * 100 / total
        return "\(label) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(percent)% \(clamped)/\(total)"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
