import AccordDomain
import AccordService
import HTTPTypes
import Hummingbird

struct PartyRequest: Codable, Sendable {
    var party: PartyCode
    var name: String
}

struct PartyAttributeRequest: Codable, Sendable {
    var value: PartyAttributeValue
    var effectiveFrom: Instant

    enum CodingKeys: String, CodingKey { case attribute, value, effectiveFrom }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        value = try PartyAttributeValue(from: decoder)
        effectiveFrom = try c.decode(Instant.self, forKey: .effectiveFrom)
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(effectiveFrom, forKey: .effectiveFrom)
    }
}

struct BodyRequest: Codable, Sendable {
    var body: BodyID
    var name: String
    var kind: BodyKind
}

struct MembershipRequest: Codable, Sendable {
    var party: PartyCode
    var roles: [String]?
    var effectiveFrom: Instant
}

struct WeightTableRequest: Codable, Sendable {
    var table: WeightTableID
    var name: String
    var weights: [String: Int64]
    var source: String?
    var effectiveFrom: Instant
}

struct ListReply<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
}

/// Parties, bodies and their membership, weight tables and templates: reference data, changed by admins.
enum ReferenceRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        let api = Endpoints(router: router)

        api.get("v1/parties") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(ListReply(items: await env.service.queries.parties(asOf: asOf, cutoff: cutoff)))
        }
        api.post("v1/parties") { request, context in
            let (body, bytes) = try await env.decode(PartyRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(.registerParty(party: body.party, name: body.name), context: c))
            }
        }
        api.get("v1/parties/:party") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(try await env.service.queries.party(try party(context), asOf: asOf, cutoff: cutoff))
        }
        api.post("v1/parties/:party/attributes") { request, context in
            let code = try party(context)
            let (body, bytes) = try await env.decode(PartyAttributeRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(
                    .setPartyAttribute(party: code, value: body.value, effectiveFrom: body.effectiveFrom), context: c))
            }
        }

        api.get("v1/bodies") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(ListReply(items: await env.service.queries.bodies(asOf: asOf, cutoff: cutoff)))
        }
        api.post("v1/bodies") { request, context in
            let (body, bytes) = try await env.decode(BodyRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(.defineBody(body: body.body, name: body.name, kind: body.kind), context: c))
            }
        }
        api.get("v1/bodies/:body") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(try await env.service.queries.body(try bodyID(context), asOf: asOf, cutoff: cutoff))
        }
        api.post("v1/bodies/:body/members") { request, context in
            let id = try bodyID(context)
            let (body, bytes) = try await env.decode(MembershipRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(
                    .admitMember(body: id, party: body.party, roles: body.roles ?? [], effectiveFrom: body.effectiveFrom), context: c))
            }
        }
        api.post("v1/bodies/:body/departures") { request, context in
            let id = try bodyID(context)
            let (body, bytes) = try await env.decode(MembershipRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(
                    .removeMember(body: id, party: body.party, effectiveFrom: body.effectiveFrom), context: c))
            }
        }
        api.post("v1/bodies/:body/roles") { request, context in
            let id = try bodyID(context)
            let (body, bytes) = try await env.decode(MembershipRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(
                    .changeMemberRoles(body: id, party: body.party, roles: body.roles ?? [], effectiveFrom: body.effectiveFrom), context: c))
            }
        }

        api.get("v1/weight-tables") { request, context in
            _ = try env.reader(context)
            let (_, cutoff) = try env.timeQuery(request)
            return Response.json(ListReply(items: await env.service.queries.weightTables(cutoff: cutoff)))
        }
        api.post("v1/weight-tables") { request, context in
            let (body, bytes) = try await env.decode(WeightTableRequest.self, request)
            var weights: [PartyCode: Int64] = [:]
            for (key, value) in body.weights {
                guard let code = PartyCode(key) else { throw Problem.malformed("weights.\(key): not a party code") }
                weights[code] = value
            }
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { [weights] c in
                ProcessRoutes.recorded(try await env.service.commands.execute(
                    .publishWeightTable(table: body.table, name: body.name, weights: weights, source: body.source, effectiveFrom: body.effectiveFrom),
                    context: c))
            }
        }

        api.get("v1/templates") { request, context in
            _ = try env.reader(context)
            let (_, cutoff) = try env.timeQuery(request)
            return Response.json(ListReply(items: await env.service.queries.templates(cutoff: cutoff)))
        }
        api.get("v1/templates/:template") { request, context in
            _ = try env.reader(context)
            let (_, cutoff) = try env.timeQuery(request)
            guard let id = context.parameters.get("template").flatMap(TemplateID.init) else {
                throw Problem("not-found", status: .notFound, detail: "no such template")
            }
            let version = try env.query(request, "version", "a version number ≥ 1") { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
            return Response.json(try await env.service.queries.template(id, version: version, cutoff: cutoff))
        }
        api.post("v1/templates") { request, context in
            let bytes = try await env.jsonBody(request)
            let definition = try APICoding.decode(JSONValue.self, from: bytes)
            let hash: String
            do {
                hash = try BundledReference.contentHash(of: bytes)
            } catch {
                throw Problem.malformed("the template is not a JSON object")
            }
            return try await env.write(request, context, body: bytes, permission: .manageReferenceData) { c in
                ProcessRoutes.recorded(try await env.service.commands.execute(.registerTemplate(definition: definition, contentHash: hash), context: c))
            }
        }
    }

    static func party(_ context: AccordRequestContext) throws -> PartyCode {
        let text = context.parameters.get("party") ?? ""
        guard let code = PartyCode(text) else { throw Problem("not-found", status: .notFound, detail: "'\(text)' is not a party code") }
        return code
    }

    static func bodyID(_ context: AccordRequestContext) throws -> BodyID {
        let text = context.parameters.get("body") ?? ""
        guard let id = BodyID(text) else { throw Problem("not-found", status: .notFound, detail: "'\(text)' is not a body id") }
        return id
    }
}
