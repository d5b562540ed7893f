import AccordDomain
import AccordEventStore
import Foundation

/// One command of a batch was refused: which one (0-based, in the order given) and why. Nothing of the
/// batch was recorded.
public struct BatchRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var error: ServiceError

    public init(index: Int, error: ServiceError) {
        self.index = index
        self.error = error
    }

    public var description: String { "item \(index + 1): \(error.description)" }
}

extension CommandService {
    /// The most commands one batch may carry; a bulk import of a whole coalition's history fits many times over.
    public static let maximumBatchSize = 2_000

    /// Runs several commands on one process as one unit: each is decided against the process as it stands
    /// with the batch's earlier events already applied (a parliamentary vote in row 2 allows the deployment
    /// in row 3), and all their events are appended in one atomic append — or nothing is, when any is refused.
    ///
    /// - Throws: `BatchRejection` naming the first refused command, or `ServiceError` for the batch as a whole
    ///   (an empty or oversized batch, commands on several processes, a version mismatch, the store).
    public func execute(batch commands: [ProcessCommand], context: CommandContext) async throws -> CommandOutcome {
        guard let id = commands.first?.process else { throw ServiceError.invalidRequest("the batch is empty") }
        guard commands.count <= Self.maximumBatchSize else {
            throw ServiceError.invalidRequest("a batch holds at most \(Self.maximumBatchSize) entries, not \(commands.count)")
        }
        if let index = commands.firstIndex(where: { $0.process != id }) {
            throw BatchRejection(index: index, error: .invalidRequest("every entry of a batch concerns the same process (\(id))"))
        }
        let (log, clock) = (log, clock)
        // A refused command is reported with its index, as `BatchRejection`, through the queue's result.
        let result = await run(aggregate: .process(id), context: context) { inputs in
            try inputs.requireVersion(context.expectedVersion, of: id)
            var inputs = inputs
            let now = clock.now()
            let known = await log.processIDs
            var pending: [PendingEvent] = []
            for (index, command) in commands.enumerated() {
                let events: [PendingEvent]
                do {
                    events = try command.decide(inputs.process, registry: inputs.registry, now: now, knownProcesses: known)
                } catch {
                    throw BatchRejection(index: index, error: ServiceError.wrap(error))
                }
                // Provisional ids: the events get theirs when the batch is appended.
                inputs.apply(events, ids: events.map { _ in UUID.timeOrdered(at: now) }, actor: context.actor, recordedAt: now)
                pending += events
            }
            return pending
        }
        switch result {
        case .success(let outcome): return outcome
        case .failure(let rejection as BatchRejection): throw rejection
        case .failure(let error): throw ServiceError.wrap(error)
        }
    }
}
