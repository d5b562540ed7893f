import AccordDomain

/// What a read computed for a process as known at a log position (and cut-off): evaluations and progress
/// samples. Older positions are never asked for again once a write happened, so a full cache starts afresh
/// rather than tracking which entry is oldest.
actor PositionCache<Value: Sendable> {
    struct Key: Hashable, Sendable {
        var process: ProcessID
        var position: Int64
        var cutoff: KnowledgeCutoff
    }

    private var values: [Key: Value] = [:]
    private var stored = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func value(for key: Key) -> Value? { values[key] }

    func store(_ value: Value, for key: Key) {
        makeRoom()
        values[key] = value
    }

    /// Adds `element` to the list kept for `key` (an evaluation per span of "as of" instants).
    func append<Element: Sendable>(_ element: Element, for key: Key) where Value == [Element] {
        makeRoom()
        values[key, default: []].append(element)
    }

    private func makeRoom() {
        if stored >= capacity {
            values.removeAll(keepingCapacity: true)
            stored = 0
        }
        stored += 1
    }
}

/// An evaluation and the span of "as of" instants over which it holds.
struct EvaluationSpan: Sendable {
    var from: Instant
    var until: Instant
    var evaluation: ProcessEvaluation
}
