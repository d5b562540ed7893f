import AccordDomain

/// A rule's deciding figure over effective time: deposits 0 → 31 against the date, troops pledged against the
/// 25,000 target. For charts on the web page and in reports.
public struct ProgressSeries: Codable, Hashable, Sendable {
    public struct Point: Codable, Hashable, Sendable {
        public var at: Instant
        public var value: Int64
        public var status: RuleStatus
    }

    public var rule: RuleID
    public var label: String
    public var figure: String
    /// The value the rule needs (a target, the electorate's size), when there is one.
    public var threshold: Int64?
    public var points: [Point]
    /// When the rule last became satisfied, if it is.
    public var satisfiedAt: Instant?
}

extension QueryService {
    /// Every rule whose first figure is a count, sampled at each instant its process could change, up to `asOf`.
    public func progress(_ id: ProcessID, asOf: Instant, cutoff: KnowledgeCutoff) async throws(ServiceError) -> [ProgressSeries] {
        let view = await view(knownAt: cutoff)
        let process = try requireProcess(id, in: view)
        guard let final = await evaluation(id, in: view, asOf: asOf, cutoff: cutoff) else { return [] }
        var dependencies: [ProcessID: DependencyTimeline] = [:]
        for rule in process.definition.rules {
            if case .dependency(let d) = rule.condition, let other = await evaluation(d.process, in: view, asOf: asOf, cutoff: cutoff) {
                dependencies[d.process] = other.dependencyTimeline
            }
        }
        let instants = Set(ProcessEvaluator.candidateInstants(process, registry: view.registry, dependencies: dependencies)
            .filter { $0 <= asOf } + final.transitions.map(\.at)).sorted()
        var series: [RuleID: ProgressSeries] = [:]
        for result in final.results {
            guard let figure = result.figures.first, case .count = figure.value else { continue }
            var threshold: Int64?
            if case .count(let t)? = figure.threshold { threshold = t } else { threshold = figure.total }
            series[result.rule] = ProgressSeries(rule: result.rule, label: result.label, figure: figure.label, threshold: threshold,
                                                 points: [], satisfiedAt: result.status == .satisfied ? result.since : nil)
        }
        for instant in instants + [asOf] {
            let results = RuleEvaluator(snapshot: ProcessSnapshot(process: process, registry: view.registry, asOf: instant),
                                        dependencies: dependencies).evaluateAll()
            for result in results {
                guard series[result.rule] != nil, let figure = result.figures.first, case .count(let value) = figure.value else { continue }
                if let last = series[result.rule]?.points.last, last.value == value, last.status == result.status { continue }
                series[result.rule]?.points.append(.init(at: instant, value: value, status: result.status))
            }
        }
        return final.results.compactMap { series[$0.rule] }.filter { $0.points.count > 0 }
    }
}
