/// A value that changes over effective time. Entries are kept in effective order (ties by log position), so a
/// back-dated change lands where it belongs.
public struct EffectiveTimeline<Value: Hashable & Sendable>: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var from: Instant
        public var position: Int64
        public var value: Value
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func insert(_ value: Value, from: Instant, position: Int64) {
        let entry = Entry(from: from, position: position, value: value)
        let index = entries.firstIndex { ($0.from, $0.position) > (from, position) } ?? entries.endIndex
        entries.insert(entry, at: index)
    }

    /// The value in force at `instant` (the latest entry effective at or before it).
    public func value(at instant: Instant) -> Value? {
        entries.last { $0.from <= instant }?.value
    }

    public func entry(at instant: Instant) -> Entry? {
        entries.last { $0.from <= instant }
    }

    public var isEmpty: Bool { entries.isEmpty }
}

public struct PartyRecord: Hashable, Sendable {
    public var code: PartyCode
    public var name: String
    public var registeredAt: Instant
    public var population = EffectiveTimeline<Int64>()
    public var parliamentaryStep = EffectiveTimeline<ParliamentaryStepKind>()
    public var deploymentNeedsParliamentVote = EffectiveTimeline<Bool>()

    public func attributes(at instant: Instant) -> PartyAttributes {
        PartyAttributes(
            population: population.value(at: instant),
            parliamentaryStep: parliamentaryStep.value(at: instant),
            deploymentNeedsParliamentVote: deploymentNeedsParliamentVote.value(at: instant) ?? false)
    }
}

/// One membership period of a party in a body.
public struct MembershipPeriod: Hashable, Sendable {
    public var party: PartyCode
    public var joined: Instant
    /// The first instant the party is no longer a member.
    public var left: Instant?
    public var roles = EffectiveTimeline<[String]>()

    public func covers(_ instant: Instant) -> Bool {
        joined <= instant && (left.map { instant < $0 } ?? true)
    }
}

public struct BodyRecord: Hashable, Sendable {
    public var id: BodyID
    public var name: String
    public var kind: BodyKind
    public var periods: [MembershipPeriod] = []

    /// The members on a date, sorted by code.
    public func members(at instant: Instant) -> [PartyCode] {
        Set(periods.filter { $0.covers(instant) }.map(\.party)).sorted()
    }

    public func isMember(_ party: PartyCode, at instant: Instant) -> Bool {
        periods.contains { $0.party == party && $0.covers(instant) }
    }

    public func roles(of party: PartyCode, at instant: Instant) -> [String] {
        periods.last { $0.party == party && $0.covers(instant) }?.roles.value(at: instant) ?? []
    }

    /// The instants on which the membership changed: candidates for a rule's transition history.
    public var changeInstants: [Instant] {
        periods.flatMap { [$0.joined] + ($0.left.map { [$0] } ?? []) + $0.roles.entries.map(\.from) }
    }
}

public struct WeightTableVersion: Hashable, Sendable {
    public var name: String
    public var weights: [PartyCode: Int64]
    public var source: String?
}

public struct WeightTableRecord: Hashable, Sendable {
    public var id: WeightTableID
    public var versions = EffectiveTimeline<WeightTableVersion>()
}

public struct TemplateVersion: Hashable, Sendable {
    public var id: TemplateID
    public var version: Int64
    public var definition: JSONValue
    public var contentHash: String
    public var registeredAt: Instant
    public var name: String
}

/// The reference data every process is evaluated against: parties and their attributes, bodies and their
/// effective-dated membership, weight tables, templates. Folded from the reference streams.
public struct Registry: Hashable, Sendable {
    public var parties: [PartyCode: PartyRecord] = [:]
    public var bodies: [BodyID: BodyRecord] = [:]
    public var weightTables: [WeightTableID: WeightTableRecord] = [:]
    public var templates: [TemplateID: [TemplateVersion]] = [:]
    /// The last log position folded in.
    public private(set) var position: Int64 = 0

    public init() {}

    public init(folding envelopes: some Sequence<DomainEnvelope>, knownAt cutoff: KnowledgeCutoff = .everything) {
        self.init()
        for envelope in envelopes where cutoff.includes(envelope) { apply(envelope) }
    }

    /// Applies one reference event; process events are ignored.
    public mutating func apply(_ envelope: DomainEnvelope) {
        let at = envelope.occurredAt
        switch envelope.event {
        case .partyRegistered(let e):
            parties[e.party] = PartyRecord(code: e.party, name: e.name, registeredAt: at)
        case .partyAttributeSet(let e):
            guard var party = parties[e.party] else { break }
            switch e.value {
            case .population(let v): party.population.insert(v, from: at, position: envelope.position)
            case .parliamentaryStep(let v): party.parliamentaryStep.insert(v, from: at, position: envelope.position)
            case .deploymentNeedsParliamentVote(let v):
                party.deploymentNeedsParliamentVote.insert(v, from: at, position: envelope.position)
            }
            parties[e.party] = party
        case .bodyDefined(let e):
            bodies[e.body] = BodyRecord(id: e.body, name: e.name, kind: e.kind)
        case .memberJoined(let e):
            guard var body = bodies[e.body] else { break }
            var period = MembershipPeriod(party: e.party, joined: at)
            period.roles.insert(e.roles, from: at, position: envelope.position)
            body.periods.append(period)
            bodies[e.body] = body
        case .memberLeft(let e):
            guard var body = bodies[e.body],
                  let index = body.periods.lastIndex(where: { $0.party == e.party && $0.left == nil })
            else { break }
            body.periods[index].left = at
            bodies[e.body] = body
        case .memberRolesChanged(let e):
            guard var body = bodies[e.body],
                  let index = body.periods.lastIndex(where: { $0.party == e.party && $0.covers(at) })
            else { break }
            body.periods[index].roles.insert(e.roles, from: at, position: envelope.position)
            bodies[e.body] = body
        case .weightTablePublished(let e):
            var table = weightTables[e.table] ?? WeightTableRecord(id: e.table)
            table.versions.insert(WeightTableVersion(name: e.name, weights: e.weights, source: e.source), from: at, position: envelope.position)
            weightTables[e.table] = table
        case .templateRegistered(let e):
            let name = e.definition["name"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? e.template.rawValue
            templates[e.template, default: []].append(
                TemplateVersion(id: e.template, version: e.version, definition: e.definition, contentHash: e.contentHash,
                                registeredAt: envelope.recordedAt, name: name))
        default:
            return
        }
        position = max(position, envelope.position)
    }

    public func latestTemplate(_ id: TemplateID) -> TemplateVersion? { templates[id]?.last }

    public func template(_ id: TemplateID, version: Int64) -> TemplateVersion? {
        templates[id]?.first { $0.version == version }
    }

    public func attributes(of party: PartyCode, at instant: Instant) -> PartyAttributes {
        parties[party]?.attributes(at: instant) ?? PartyAttributes()
    }

    /// A party's weight on a date from a weight source; nil when the source has no figure for it.
    public func weight(of party: PartyCode, from source: WeightSource, at instant: Instant) -> Int64? {
        switch source {
        case .table(let id): weightTables[id]?.versions.value(at: instant)?.weights[party]
        case .populationAttribute: parties[party]?.population.value(at: instant)
        }
    }

    /// The version of a weight source used on a date, for display ("EU Council population 2025").
    public func weightSourceLabel(_ source: WeightSource, at instant: Instant) -> String {
        switch source {
        case .table(let id):
            guard let entry = weightTables[id]?.versions.entry(at: instant) else { return "\(id) (no version in force)" }
            return "\(entry.value.name), in force from \(entry.from.utcDate)"
        case .populationAttribute:
            return "party population attribute"
        }
    }

    /// Effective instants at which reference data relevant to rules changes.
    public func changeInstants(bodies ids: [BodyID], weights sources: [WeightSource]) -> [Instant] {
        var instants = ids.flatMap { bodies[$0]?.changeInstants ?? [] }
        for source in sources {
            switch source {
            case .table(let id): instants += weightTables[id]?.versions.entries.map(\.from) ?? []
            case .populationAttribute: instants += parties.values.flatMap { $0.population.entries.map(\.from) }
            }
        }
        return instants
    }
}
