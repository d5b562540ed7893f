import AccordDomain
import Synchronization

/// A command waiting for its stream: what it decides, and for whom.
struct QueuedCommand: Sendable {
    var context: CommandContext
    /// Set when the command is decided on this party's entries alone (a step, a ballot, a withdrawal).
    var party: PartyCode?
    var decide: @Sendable (DecisionInputs) async throws -> [PendingEvent]
}

/// The commands waiting on each stream, in arrival order. The first in line leads: it takes the commands
/// behind it (up to a limit), decides and appends them with its own, answers them, and hands the lead to the
/// next in line. A mutex rather than an actor: joining and leaving a queue then costs no hop to another executor.
final class CommandQueues: Sendable {
    enum Turn: Sendable {
        /// Decide and append for the group that `take` returns, then `handOver`.
        case lead
        /// Another command's lead decided this one.
        case done(Result<CommandOutcome, any Error>)
    }

    struct Waiting: Sendable {
        var command: QueuedCommand
        /// Nil for the leader, which is running already.
        var continuation: CheckedContinuation<Turn, Never>?
    }

    /// A stream with an entry has a leader at work; the entry holds the commands waiting behind it.
    private let queues = Mutex<[String: [Waiting]]>([:])

    /// Joins the queue of `stream`: leads at once when nobody does, or waits for a leader's answer or the lead.
    func enter(_ stream: String, _ command: QueuedCommand) async -> Turn {
        let leads = queues.withLock { queues -> Bool in
            guard queues[stream] == nil else { return false }
            queues[stream] = []
            return true
        }
        if leads { return .lead }
        return await withCheckedContinuation { continuation in
            let leads = queues.withLock { queues -> Bool in
                guard queues[stream] != nil else {
                    queues[stream] = []
                    return true
                }
                queues[stream, default: []].append(Waiting(command: command, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
    }

    /// The leader's group: itself first, then the commands waiting behind it, in order. A command whose
    /// idempotency namespace is already in the group waits for the next one (the same request sent twice at
    /// once must not append its events twice in one append).
    func take(_ stream: String, leader: QueuedCommand, maximum: Int) -> [Waiting] {
        queues.withLock { queues in
            var group = [Waiting(command: leader, continuation: nil)]
            var requests = Set(leader.context.idempotencyNamespace.map { [$0] } ?? [])
            var rest: [Waiting] = []
            for waiting in queues[stream] ?? [] {
                let request = waiting.command.context.idempotencyNamespace
                if group.count < maximum, request.map({ !requests.contains($0) }) ?? true {
                    group.append(waiting)
                    if let request { requests.insert(request) }
                } else {
                    rest.append(waiting)
                }
            }
            queues[stream] = rest
            return group
        }
    }

    /// Ends a lead: `deferred` (commands of the group left for the next one) go back to the front of the line,
    /// in their order; the first command waiting leads next, or the stream is free.
    func handOver(_ stream: String, deferred: [Waiting] = []) {
        let next = queues.withLock { queues -> CheckedContinuation<Turn, Never>? in
            guard var waiting = queues[stream].map({ deferred + $0 }), !waiting.isEmpty else {
                queues[stream] = nil
                return nil
            }
            let next = waiting.removeFirst()
            queues[stream] = waiting
            return next.continuation
        }
        next?.resume(returning: .lead)
    }
}
