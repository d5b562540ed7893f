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
        let candidates = ProcessEvaluator.candidateInstants(process, registry: view.registry, dependencies: dependencies)
        let instants = Set(candidates.filter { $0 <= asOf } + final.transitions.map(\.at)).sorted()
        var series: [RuleID: ProgressSeries] = [:]
        for result in final.results {
            guard let figure = result.figures.first, case .count = figure.value else { continue }
            var threshold: Int64?
            if case .count(let t)? = figure.threshold { threshold = t } else { threshold = figure.total }
            series[result.rule] = ProgressSeries(rule: result.rule, label: result.label, figure: figure.label, threshold: threshold,
                                                 points: [], satisfiedAt: result.status == .satisfied ? result.since : nil)
        }
        // Sampling evaluates the rules once per instant. Without dependencies the samples depend only on what is
        // known (not on `asOf`), so they are kept per log position: a page asked "as of now" again and again
        // evaluates only its last point.
        let key = PositionCache<[Instant: [ProgressSample]]>.Key(process: id, position: view.position, cutoff: cutoff)
        var samples: [Instant: [ProgressSample]] = [:]
        if dependencies.isEmpty {
            if let cached = await progress.value(for: key) {
                samples = cached
            } else {
                var walk = SnapshotWalk(process: process, registry: view.registry)
                for instant in Set(candidates).sorted() {
                    samples[instant] = Self.sample(&walk, at: instant, dependencies: dependencies)
                }
                await progress.store(samples, for: key)
            }
        }
        func record(_ instant: Instant, _ sampled: [ProgressSample]) {
            for sample in sampled {
                guard series[sample.rule] != nil else { continue }
                if let last = series[sample.rule]?.points.last, last.value == sample.value, last.status == sample.status { continue }
                series[sample.rule]?.points.append(.init(at: instant, value: sample.value, status: sample.status))
            }
        }
        var walk = SnapshotWalk(process: process, registry: view.registry)
        for instant in instants {
            record(instant, samples[instant] ?? Self.sample(&walk, at: instant, dependencies: dependencies))
        }
        record(asOf, Self.samples(of: final.results))
        return final.results.compactMap { series[$0.rule] }.filter { $0.points.count > 0 }
    }

    static func sample(_ walk: inout SnapshotWalk, at instant: Instant, dependencies: [ProcessID: DependencyTimeline]) -> [ProgressSample] {
        samples(of: RuleEvaluator(snapshot: walk.snapshot(at: instant), dependencies: dependencies).evaluateAll())
    }

    static func samples(of results: [RuleResult]) -> [ProgressSample] {
        results.compactMap { result in
            guard let figure = result.figures.first, case .count(let value) = figure.value else { return nil }
            return ProgressSample(rule: result.rule, value: value, status: result.status)
        }
    }
}

/// A rule's counted figure and status at one instant.
struct ProgressSample: Sendable {
    var rule: RuleID
    var value: Int64
    var status: RuleStatus
}
