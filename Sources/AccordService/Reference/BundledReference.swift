import AccordDomain
import AccordEventStore
import AccordSchema
import Foundation

/// The templates and reference data shipped in `schema/` and embedded in the binary: turned into registry
/// commands. Loading them twice changes nothing.
public enum BundledReference {
    /// The canonical-JSON SHA-256 of a template definition: its content hash, recorded when it is registered.
    public static func contentHash(of bytes: [UInt8]) throws -> String {
        SHA256Hash.of(try JSONPayload(canonicalizing: bytes, maximumBytes: 1 << 20).bytes).hex
    }

    public static func templateCommand(_ bytes: [UInt8]) throws -> RegistryCommand {
        let definition = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        return .registerTemplate(definition: definition, contentHash: try contentHash(of: bytes))
    }

    public static func templateCommands() throws -> [RegistryCommand] {
        try AccordSchema.templates.map { try templateCommand($0.bytes) }
    }

    struct PartiesFile: Decodable {
        struct Party: Decodable {
            var party: PartyCode
            var name: String
            var parliamentaryStep: ParliamentaryStepKind?
            var deploymentNeedsParliamentVote: Bool?
        }
        var parties: [Party]
    }

    struct BodiesFile: Decodable {
        struct Member: Decodable {
            var party: PartyCode
            var joined: CivilDate
            var left: CivilDate?
            var roles: [String]?
        }
        struct Body: Decodable {
            var body: BodyID
            var name: String
            var kind: BodyKind
            var members: [Member]
        }
        var bodies: [Body]
    }

    struct WeightsFile: Decodable {
        var table: WeightTableID
        var name: String
        var effectiveFrom: CivilDate
        var source: String?
        var weights: [String: Int64]
    }

    /// Parties with their parliamentary steps, the bodies (NATO, the EU Council, the UN Security Council, the
    /// Coalition of the Willing) with dated membership, and the EU Council population table.
    public static func referenceCommands() throws -> [RegistryCommand] {
        let decoder = JSONDecoder()
        var commands: [RegistryCommand] = []
        let parties = try decoder.decode(PartiesFile.self, from: Data(AccordSchema.reference("parties.json")))
        // Parliamentary arrangements are recorded as in force since 2000; the reference file does not date them.
        let since = Instant(secondsSinceEpoch: 946_684_800)
        for p in parties.parties {
            commands.append(.registerParty(party: p.party, name: p.name))
            if let kind = p.parliamentaryStep {
                commands.append(.setPartyAttribute(party: p.party, value: .parliamentaryStep(kind), effectiveFrom: since))
            }
            if let needs = p.deploymentNeedsParliamentVote {
                commands.append(.setPartyAttribute(party: p.party, value: .deploymentNeedsParliamentVote(needs), effectiveFrom: since))
            }
        }
        let weights = try decoder.decode(WeightsFile.self, from: Data(AccordSchema.reference("eu-council-population-2025.json")))
        for (code, value) in weights.weights.sorted(by: { $0.key < $1.key }) {
            guard let party = PartyCode(code) else { continue }
            commands.append(.setPartyAttribute(party: party, value: .population(value), effectiveFrom: Instant(startOf: weights.effectiveFrom)))
        }
        let bodies = try decoder.decode(BodiesFile.self, from: Data(AccordSchema.reference("bodies.json")))
        for b in bodies.bodies {
            commands.append(.defineBody(body: b.body, name: b.name, kind: b.kind))
            for m in b.members {
                commands.append(.admitMember(body: b.body, party: m.party, roles: m.roles ?? [], effectiveFrom: Instant(startOf: m.joined)))
                if let left = m.left { commands.append(.removeMember(body: b.body, party: m.party, effectiveFrom: Instant(startOf: left))) }
            }
        }
        commands.append(.publishWeightTable(
            table: weights.table, name: weights.name,
            weights: Dictionary(uniqueKeysWithValues: weights.weights.compactMap { k, v in PartyCode(k).map { ($0, v) } }),
            source: weights.source, effectiveFrom: Instant(startOf: weights.effectiveFrom)))
        return commands
    }

    /// Whether a command would only repeat what the registry already holds (so loading twice is harmless).
    public static func isAlreadyApplied(_ command: RegistryCommand, in registry: Registry) -> Bool {
        switch command {
        case .registerParty(let party, _): return registry.parties[party] != nil
        case .setPartyAttribute(let party, let value, let from):
            guard let record = registry.parties[party] else { return false }
            switch value {
            case .population(let v): return record.population.entries.contains { $0.from == from && $0.value == v }
            case .parliamentaryStep(let v): return record.parliamentaryStep.entries.contains { $0.from == from && $0.value == v }
            case .deploymentNeedsParliamentVote(let v): return record.deploymentNeedsParliamentVote.entries.contains { $0.from == from && $0.value == v }
            }
        case .defineBody(let body, _, _): return registry.bodies[body] != nil
        case .admitMember(let body, let party, _, let from):
            return registry.bodies[body]?.periods.contains { $0.party == party && $0.joined == from } ?? false
        case .removeMember(let body, let party, let from):
            return registry.bodies[body]?.periods.contains { $0.party == party && $0.left == from } ?? false
        case .changeMemberRoles: return false
        case .publishWeightTable(let table, _, _, _, let from):
            return registry.weightTables[table]?.versions.entries.contains { $0.from == from } ?? false
        case .registerTemplate(_, let hash):
            return registry.templates.values.contains { $0.contains { $0.contentHash == hash } }
        }
    }
}
