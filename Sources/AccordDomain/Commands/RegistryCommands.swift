/// Commands on reference data: parties, bodies and their membership, weight tables, templates.
/// Reference data may be effective in the future (next year's population table, a scheduled accession).
public enum RegistryCommand: Hashable, Sendable {
    case registerParty(party: PartyCode, name: String)
    case setPartyAttribute(party: PartyCode, value: PartyAttributeValue, effectiveFrom: Instant)
    case defineBody(body: BodyID, name: String, kind: BodyKind)
    case admitMember(body: BodyID, party: PartyCode, roles: [String], effectiveFrom: Instant)
    case removeMember(body: BodyID, party: PartyCode, effectiveFrom: Instant)
    case changeMemberRoles(body: BodyID, party: PartyCode, roles: [String], effectiveFrom: Instant)
    case publishWeightTable(table: WeightTableID, name: String, weights: [PartyCode: Int64], source: String?, effectiveFrom: Instant)
    /// `contentHash` is the SHA-256 of the definition's canonical JSON, computed by the caller.
    case registerTemplate(definition: JSONValue, contentHash: String)

    public var aggregate: AggregateKey {
        switch self {
        case .registerParty(let p, _), .setPartyAttribute(let p, _, _): .party(p)
        case .defineBody(let b, _, _), .admitMember(let b, _, _, _), .removeMember(let b, _, _), .changeMemberRoles(let b, _, _, _): .body(b)
        case .publishWeightTable(let t, _, _, _, _): .weightTable(t)
        case .registerTemplate(let definition, _):
            .template(definition["id"].flatMap { if case .string(let s) = $0 { TemplateID(s) } else { nil } } ?? TemplateID(uncheckedRawValue: "invalid"))
        }
    }

    /// Validates the command against the registry and returns the events to record (none when it changes
    /// nothing, e.g. a template registered again unchanged).
    public func decide(_ registry: Registry, now: Instant) throws(DomainError) -> [PendingEvent] {
        switch self {
        case let .registerParty(party, name):
            if registry.parties[party] != nil { throw .alreadyExists(what: "party \(party)") }
            let name = try TextRules.singleLine(name, field: "name", maximum: 200)
            return [PendingEvent(.partyRegistered(PartyRegistered(party: party, name: name)), occurredAt: now)]

        case let .setPartyAttribute(party, value, effectiveFrom):
            guard registry.parties[party] != nil else { throw .unknownParty(party) }
            if case .population(let n) = value, !(0...10_000_000_000).contains(n) {
                throw .invalidValue(field: "population", reason: "must be between 0 and 10,000,000,000")
            }
            return [PendingEvent(.partyAttributeSet(PartyAttributeSet(party: party, value: value)), occurredAt: effectiveFrom)]

        case let .defineBody(body, name, kind):
            if registry.bodies[body] != nil { throw .alreadyExists(what: "body \(body)") }
            let name = try TextRules.singleLine(name, field: "name", maximum: 200)
            return [PendingEvent(.bodyDefined(BodyDefined(body: body, name: name, kind: kind)), occurredAt: now)]

        case let .admitMember(body, party, roles, effectiveFrom):
            guard let record = registry.bodies[body] else { throw .unknownBody(body) }
            guard registry.parties[party] != nil else { throw .unknownParty(party) }
            if record.isMember(party, at: effectiveFrom)
                || record.periods.contains(where: { $0.party == party && $0.joined > effectiveFrom && ($0.left == nil) }) {
                throw .alreadyAMember(party, body: body)
            }
            let roles = try Self.roles(roles)
            return [PendingEvent(.memberJoined(MemberJoined(body: body, party: party, roles: roles)), occurredAt: effectiveFrom)]

        case let .removeMember(body, party, effectiveFrom):
            guard let record = registry.bodies[body] else { throw .unknownBody(body) }
            guard record.isMember(party, at: effectiveFrom) else { throw .notAMember(party, body: body) }
            return [PendingEvent(.memberLeft(MemberLeft(body: body, party: party)), occurredAt: effectiveFrom)]

        case let .changeMemberRoles(body, party, roles, effectiveFrom):
            guard let record = registry.bodies[body] else { throw .unknownBody(body) }
            guard record.isMember(party, at: effectiveFrom) else { throw .notAMember(party, body: body) }
            let roles = try Self.roles(roles)
            return [PendingEvent(.memberRolesChanged(MemberRolesChanged(body: body, party: party, roles: roles)), occurredAt: effectiveFrom)]

        case let .publishWeightTable(table, name, weights, source, effectiveFrom):
            guard !weights.isEmpty else { throw .invalidValue(field: "weights", reason: "a weight table lists at least one party") }
            for (party, weight) in weights.sorted(by: { $0.key < $1.key }) {
                guard registry.parties[party] != nil else { throw .unknownParty(party) }
                guard (0...10_000_000_000).contains(weight) else {
                    throw .invalidValue(field: "weights.\(party)", reason: "must be between 0 and 10,000,000,000")
                }
            }
            let name = try TextRules.singleLine(name, field: "name", maximum: 200)
            return [PendingEvent(.weightTablePublished(WeightTablePublished(table: table, name: name, weights: weights, source: try TextRules.source(source))),
                                 occurredAt: effectiveFrom)]

        case let .registerTemplate(definition, contentHash):
            let template = try TemplateCompiler.validate(definition)
            let existing = registry.templates[template.id] ?? []
            if existing.last?.contentHash == contentHash { return [] }
            let version = (existing.last?.version ?? 0) + 1
            return [PendingEvent(.templateRegistered(TemplateRegistered(template: template.id, version: version, definition: definition, contentHash: contentHash)),
                                 occurredAt: now)]
        }
    }

    static func roles(_ roles: [String]) throws(DomainError) -> [String] {
        for role in roles where StageID(role) == nil {
            throw .invalidValue(field: "roles", reason: "'\(role)' is not a role name (lower-case letters, digits and '-')")
        }
        return Array(Set(roles)).sorted()
    }
}
