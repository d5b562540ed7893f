/// A rule changing status on an effective date, and what made it change.
public struct RuleTransition: Hashable, Sendable, Codable {
    public var rule: RuleID
    public var from: RuleStatus?
    public var to: RuleStatus
    public var at: Instant
    public var cause: DecidingEntry
    public var headline: String
}

/// A process evaluated "as of" a date, with what was known at the cut-off the state was folded with.
public struct ProcessEvaluation: Hashable, Sendable, Codable {
    public var process: ProcessID
    public var title: String
    public var asOf: Instant
    public var decision: RuleID
    /// Every rule, in the template's order.
    public var results: [RuleResult]
    /// Status changes over effective time up to `asOf`: "when was unanimity reached, and by whose step?"
    public var transitions: [RuleTransition]

    public var decisionResult: RuleResult? { results.first { $0.rule == decision } }

    public func result(_ rule: RuleID) -> RuleResult? { results.first { $0.rule == rule } }

    /// The form a dependent process reads this one's outcome in.
    public var dependencyTimeline: DependencyTimeline {
        var rules: [RuleID: [DependencyTimeline.Point]] = [:]
        for t in transitions { rules[t.rule, default: []].append(.init(at: t.at, status: t.to)) }
        for r in results where rules[r.rule] == nil { rules[r.rule] = [] }
        return DependencyTimeline(process: process, title: title, decision: decision, rules: rules)
    }
}

public enum ProcessEvaluator {
    /// Evaluates every rule of `process` as of `asOf`, and the history of each rule's status up to then.
    /// `process` and `registry` must already be folded with the wanted knowledge cut-off ("as known at").
    public static func evaluate(
        _ process: ProcessState, registry: Registry, asOf: Instant, dependencies: [ProcessID: DependencyTimeline] = [:]
    ) -> ProcessEvaluation {
        let causes = CauseIndex(process: process, registry: registry)
        // The instants to visit, in order; a rule may add later ones as it goes.
        var seen = Set(candidateInstants(process, registry: registry, dependencies: dependencies).filter { $0 <= asOf })
        var instants = seen.sorted()
        var next = 0
        var previous: [RuleID: RuleResult] = [:]
        var transitions: [RuleTransition] = []
        var walk = SnapshotWalk(process: process, registry: registry)
        while next < instants.count {
            let t = instants[next]
            next += 1
            let results = RuleEvaluator(snapshot: walk.snapshot(at: t), dependencies: dependencies).evaluateAll()
            for result in results {
                if previous[result.rule]?.status != result.status {
                    transitions.append(RuleTransition(rule: result.rule, from: previous[result.rule]?.status, to: result.status, at: t,
                                                      cause: causes.cause(at: t, rule: result), headline: result.headline))
                }
                previous[result.rule] = result
                // Dates a rule foresees (an entry into force, a deadline) are instants at which it may change.
                if let expected = result.expectedAt, expected > t, expected <= asOf, seen.insert(expected).inserted {
                    let at = instants[next...].firstIndex { $0 > expected } ?? instants.endIndex
                    instants.insert(expected, at: at)
                }
            }
        }
        var results = RuleEvaluator(snapshot: ProcessSnapshot(process: process, registry: registry, asOf: asOf), dependencies: dependencies).evaluateAll()
        for index in results.indices {
            let last = transitions.last { $0.rule == results[index].rule }
            if let last, last.to == results[index].status {
                results[index].since = last.at
                results[index].decidedBy = last.cause
            }
        }
        return ProcessEvaluation(process: process.id, title: process.title, asOf: asOf, decision: process.definition.decision,
                                 results: results, transitions: transitions)
    }

    /// The first instant after `asOf` at which the evaluation could change without anything new being recorded
    /// (a deadline, an entry into force, a mandate's end, a back-dated or future-effective change): results
    /// computed at `asOf` hold until then.
    public static func nextChange(after asOf: Instant, of evaluation: ProcessEvaluation, process: ProcessState, registry: Registry,
                                  dependencies: [ProcessID: DependencyTimeline] = [:]) -> Instant {
        var next = firstCandidate(after: asOf, process, registry: registry, dependencies: dependencies) ?? .distantFuture
        for r in evaluation.results { if let t = r.expectedAt, t > asOf, t < next { next = t } }
        return next
    }

    /// The first of `candidateInstants` after `asOf`, found without listing every entry's: steps and ballots
    /// are kept in effective order, so only the first one after `asOf` can count. (The notifier asks this at
    /// every event.)
    public static func firstCandidate(after asOf: Instant, _ process: ProcessState, registry: Registry,
                                      dependencies: [ProcessID: DependencyTimeline]) -> Instant? {
        var next: Instant?
        func consider(_ t: Instant) {
            if t > asOf, next.map({ t < $0 }) ?? true { next = t }
        }
        consider(process.openedAt)
        if let step = process.orderedSteps.firstEffective(after: asOf) { consider(step.effectiveAt) }
        process.mandateLapses.forEach(consider)
        if let ballot = process.orderedBallots.firstEffective(after: asOf) { consider(ballot.effectiveAt) }
        for instant in deadlineAndClosureInstants(process) { consider(instant) }
        for instant in outsideInstants(process, registry: registry, dependencies: dependencies) { consider(instant) }
        return next
    }

    /// Every effective instant at which a rule's status could change.
    public static func candidateInstants(_ process: ProcessState, registry: Registry, dependencies: [ProcessID: DependencyTimeline]) -> [Instant] {
        var instants: [Instant] = [process.openedAt]
        instants += process.orderedSteps.map(\.effectiveAt)
        instants += process.mandateLapses
        instants += process.orderedBallots.map(\.effectiveAt)
        instants += deadlineAndClosureInstants(process)
        instants += outsideInstants(process, registry: registry, dependencies: dependencies)
        return instants
    }

    static func deadlineAndClosureInstants(_ process: ProcessState) -> [Instant] {
        var instants: [Instant] = []
        for history in process.deadlines.values {
            for change in history.changes where !change.retracted {
                instants.append(change.effectiveAt)
                instants.append(change.value.at)
            }
        }
        instants += process.closures.filter(\.isActive).map(\.effectiveAt)
        return instants
    }

    /// Instants at which something outside the process changes: the electorate's body, weights, dependencies.
    static func outsideInstants(_ process: ProcessState, registry: Registry, dependencies: [ProcessID: DependencyTimeline]) -> [Instant] {
        var instants: [Instant] = []
        var weightSources: [WeightSource] = []
        for rule in process.definition.rules {
            switch rule.condition {
            case .qualifiedMajority(let r): weightSources.append(r.weights)
            case .constructiveAbstention(let r): weightSources.append(r.weights)
            default: break
            }
        }
        instants += registry.changeInstants(bodies: process.electorateBody.map { [$0] } ?? [], weights: weightSources)
        for rule in process.definition.rules {
            if case .dependency(let d) = rule.condition { instants += dependencies[d.process]?.changeInstants ?? [] }
        }
        return instants
    }
}

/// Describes what happened at an effective instant, for "decided by".
struct CauseIndex {
    let process: ProcessState
    let registry: Registry

    func cause(at t: Instant, rule: RuleResult) -> DecidingEntry {
        let steps = process.steps.values.filter { $0.isActive && $0.effectiveAt == t }.sorted { $0.position < $1.position }
        let ballots = process.ballots.values.filter { $0.isActive && $0.effectiveAt == t }.sorted { $0.position < $1.position }
        // Prefer an entry of a party the rule names, then the latest entry at that instant.
        let named = Set(rule.blockers.compactMap(\.party))
        if let step = steps.last(where: { named.contains($0.current.content.party) }) ?? steps.last,
           ballots.last.map({ $0.position < step.position }) ?? true {
            let c = step.current.content
            return DecidingEntry(entry: step.id, party: c.party,
                                 summary: "\(c.party): \(process.definition.stage(c.stage)?.label ?? c.stage.rawValue)",
                                 position: step.current.recorded.position)
        }
        if let ballot = ballots.last {
            let summary: String
            switch ballot.current.content {
            case .cast(let b): summary = "\(b.party) \(b.position.label)"
            case .withdrawn(let party, _): summary = "\(party) withdrew its position"
            }
            return DecidingEntry(entry: ballot.id, party: ballot.current.content.party, summary: summary, position: ballot.current.recorded.position)
        }
        for history in process.deadlines.values {
            let def = process.definition.deadline(history.id)?.label ?? history.id.rawValue
            if let change = history.changes.first(where: { !$0.retracted && $0.value.at == t && history.value(asOf: t)?.entry == $0.entry }) {
                return DecidingEntry(entry: change.entry, summary: "\(def) passed (\(change.value.display))", position: change.recorded.position)
            }
            if let change = history.changes.first(where: { !$0.retracted && $0.effectiveAt == t }) {
                return DecidingEntry(entry: change.entry, summary: "\(def) \(change.isExtension ? "extended to" : "set for") \(change.value.display)",
                                     position: change.recorded.position)
            }
        }
        if let closure = process.closures.first(where: { $0.isActive && $0.effectiveAt == t }) {
            return DecidingEntry(entry: closure.id, summary: "process closed", position: closure.original.recorded.position)
        }
        if let body = process.electorateBody.flatMap({ registry.bodies[$0] }) {
            if let joined = body.periods.first(where: { $0.joined == t }) {
                return DecidingEntry(party: joined.party, summary: "\(joined.party) joined \(body.name)")
            }
            if let left = body.periods.first(where: { $0.left == t }) {
                return DecidingEntry(party: left.party, summary: "\(left.party) left \(body.name)")
            }
        }
        for step in process.steps.values where step.isActive {
            if let end = step.current.content.details?.parliamentary?.mandate?.endDate, Instant(startOf: end.adding(days: 1)) == t {
                return DecidingEntry(entry: step.id, party: step.current.content.party,
                                     summary: "\(step.current.content.party): parliamentary mandate ended on \(end)")
            }
        }
        if rule.expectedAt == t {
            return DecidingEntry(summary: "date reached: \(t.utcDate)")
        }
        if t == process.openedAt {
            return DecidingEntry(entry: process.opened.event, summary: "process opened", position: process.opened.position)
        }
        return DecidingEntry(summary: "reference data changed on \(t.utcDate)")
    }
}
