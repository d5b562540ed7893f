/// "If Hungary abstains and Poland opts out": a process's rules evaluated with hypothetical steps or ballots
/// added, writing nothing. Each hypothetical command is validated as if it were recorded, so an impossible
/// scenario is refused with the same error a real command would get.
public enum WhatIf {
    public struct Outcome: Hashable, Sendable {
        public var before: ProcessEvaluation
        public var after: ProcessEvaluation
        /// Rules whose status the hypothesis changes.
        public var changed: [RuleID]
    }

    public static func evaluate(
        _ process: ProcessState, registry: Registry, hypotheses: [ProcessCommand], asOf: Instant, now: Instant,
        dependencies: [ProcessID: DependencyTimeline] = [:], knownProcesses: Set<ProcessID> = []
    ) throws(DomainError) -> Outcome {
        var state = process
        var position = process.lastPosition
        for command in hypotheses {
            guard command.process == process.id else { throw .unknownProcess(command.process) }
            if case .open = command { throw .alreadyExists(what: "process \(process.id)") }
            for pending in try command.decide(state, registry: registry, now: now, knownProcesses: knownProcesses) {
                position += 1
                state.apply(DomainEnvelope(id: EntryID(), position: position, occurredAt: pending.occurredAt, recordedAt: now,
                                           actor: ActorRef(id: "what-if", name: "What-if"), event: pending.event))
            }
        }
        let before = ProcessEvaluator.evaluate(process, registry: registry, asOf: asOf, dependencies: dependencies)
        let after = ProcessEvaluator.evaluate(state, registry: registry, asOf: asOf, dependencies: dependencies)
        let changed = after.results.filter { result in before.result(result.rule)?.status != result.status }.map(\.rule)
        return Outcome(before: before, after: after, changed: changed)
    }
}
