import AccordDomain
import AccordEventStore
import AccordService
import HTTPTypes
import Hummingbird

// Request bodies of the process endpoints. Field names are the API's; see schema/openapi.json.

struct OpenProcessRequest: Codable, Sendable {
    var id: ProcessID?
    var title: String
    var reference: String?
    var template: TemplateID
    var templateVersion: Int64?
    var parameters: [String: JSONValue]?
    var electorate: ElectorateSpec?
    var occurredAt: Instant?
}

struct StepRequest: Codable, Sendable {
    var party: PartyCode
    var stage: StageID
    var details: StepDetails?
    var source: String?
    var note: String?
    var occurredAt: Instant?

    var content: StepContent { StepContent(party: party, stage: stage, details: details, source: source, note: note) }
}

struct BallotRequest: Codable, Sendable {
    var party: PartyCode
    var position: BallotPosition
    var statement: String?
    var source: String?
    var note: String?
    var occurredAt: Instant?

    var content: BallotContent { BallotContent(party: party, position: position, statement: statement, source: source, note: note) }
}

struct BallotWithdrawalRequest: Codable, Sendable {
    var party: PartyCode
    var reason: String?
    var occurredAt: Instant?
}

struct DeadlineRequest: Codable, Sendable {
    var deadline: DeadlineID
    var localTime: String
    var timeZone: String?
    var reason: String?
    var occurredAt: Instant?
}

struct DeadlineExtensionRequest: Codable, Sendable {
    var localTime: String
    var timeZone: String?
    var reason: String?
    var occurredAt: Instant?
}

struct CloseRequest: Codable, Sendable {
    var note: String?
    var occurredAt: Instant?
}

struct RetractionRequest: Codable, Sendable {
    var entry: EntryID
    var reason: String
}

struct CorrectionRequest: Codable, Sendable {
    var entry: EntryID
    var reason: String
    var effectiveAt: Instant?
    var step: StepContent?
    var ballot: BallotContent?
}

struct WhatIfRequest: Codable, Sendable {
    struct Hypothesis: Codable, Sendable {
        enum Kind: String, Codable, Sendable { case step, ballot, ballotWithdrawal = "ballot-withdrawal" }
        var kind: Kind
        var party: PartyCode
        var stage: StageID?
        var details: StepDetails?
        var position: BallotPosition?
        var statement: String?
        var occurredAt: Instant?
    }

    var asOf: Instant?
    var hypotheses: [Hypothesis]
}

struct WhatIfReply: Codable, Sendable {
    var asOf: Instant
    var before: [RuleResult]
    var after: [RuleResult]
    var changed: [RuleID]
}

struct HistoryReply: Codable, Sendable {
    var process: ProcessID
    var asOf: Instant
    var transitions: [RuleTransition]
}

struct ProcessListReply: Codable, Sendable {
    var asOf: Instant
    var knownAtPosition: Int64
    var processes: [ProcessSummary]
}

enum ProcessRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        let api = Endpoints(router: router)

        api.get("v1/processes") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            let query = request.uri.queryParameters
            let template = try env.query(request, "template", "a template id", TemplateID.init)
            let party = try env.query(request, "party", "a party code", PartyCode.init)
            let status = query["status"].map(String.init)
            guard status == nil || status == "open" || status == "all" else {
                throw Problem.badParameter("status", "use 'open' or 'all'")
            }
            let processes = await env.service.queries.processes(asOf: asOf, cutoff: cutoff, template: template, party: party,
                                                                includeClosed: status != "open")
            return Response.json(ProcessListReply(asOf: asOf, knownAtPosition: await env.service.log.position, processes: processes))
        }

        api.post("v1/processes") { request, context in
            let (body, bytes) = try await env.decode(OpenProcessRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageProcesses) { commandContext in
                let id = body.id ?? ProcessID()
                let outcome = try await env.service.commands.execute(
                    .open(OpenProcess(process: id, title: body.title, reference: body.reference, template: body.template,
                                      templateVersion: body.templateVersion, parameters: body.parameters ?? [:], electorate: body.electorate,
                                      occurredAt: body.occurredAt)),
                    context: commandContext)
                return Reply.json(RecordedReply(outcome), status: .created, headers: versionHeaders(outcome, location: "/v1/processes/\(id)"))
            }
        }

        api.get("v1/processes/:process") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            let detail = try await env.service.queries.detail(try env.processID(context), asOf: asOf, cutoff: cutoff)
            return Response.json(detail, headers: [.eTag: ETag.value(detail.summary.version)])
        }

        api.get("v1/processes/:process/matrix") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(try await env.service.queries.matrix(try env.processID(context), asOf: asOf, cutoff: cutoff))
        }

        api.get("v1/processes/:process/results") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            return Response.json(try await env.service.queries.results(try env.processID(context), asOf: asOf, cutoff: cutoff))
        }

        api.get("v1/processes/:process/history") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            let id = try env.processID(context)
            let evaluation = try await env.service.queries.results(id, asOf: asOf, cutoff: cutoff)
            let rule = request.uri.queryParameters["rule"].flatMap { RuleID(String($0)) }
            return Response.json(HistoryReply(process: id, asOf: asOf, transitions: evaluation.transitions.filter { rule == nil || $0.rule == rule }))
        }

        api.get("v1/processes/:process/timeline") { request, context in
            _ = try env.reader(context)
            let (_, cutoff) = try env.timeQuery(request)
            return Response.json(try await env.service.queries.timeline(try env.processID(context), cutoff: cutoff))
        }

        api.post("v1/processes/:process/steps") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(StepRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .record(body.party)) { commandContext in
                recorded(try await env.service.commands.execute(.recordStep(process: id, step: body.content, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/ballots") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(BallotRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .record(body.party)) { commandContext in
                recorded(try await env.service.commands.execute(.castBallot(process: id, ballot: body.content, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/ballot-withdrawals") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(BallotWithdrawalRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .record(body.party)) { commandContext in
                recorded(try await env.service.commands.execute(
                    .withdrawBallot(process: id, party: body.party, reason: body.reason, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/deadlines") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(DeadlineRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageProcesses) { commandContext in
                recorded(try await env.service.commands.execute(
                    .setDeadline(process: id, deadline: body.deadline, localTime: body.localTime, timeZone: body.timeZone, reason: body.reason,
                                 occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/deadlines/:deadline/extensions") { request, context in
            let id = try env.processID(context)
            guard let deadline = context.parameters.get("deadline").flatMap(DeadlineID.init) else {
                throw Problem("not-found", status: .notFound, detail: "no such deadline")
            }
            let (body, bytes) = try await env.decode(DeadlineExtensionRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageProcesses) { commandContext in
                recorded(try await env.service.commands.execute(
                    .extendDeadline(process: id, deadline: deadline, localTime: body.localTime, timeZone: body.timeZone, reason: body.reason,
                                    occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/close") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(CloseRequest.self, request)
            return try await env.write(request, context, body: bytes, permission: .manageProcesses) { commandContext in
                recorded(try await env.service.commands.execute(.close(process: id, note: body.note, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/retractions") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(RetractionRequest.self, request)
            let process = await env.service.log.process(id)
            let party = process.flatMap { entryParty(body.entry, in: $0) }
            return try await env.write(request, context, body: bytes, permission: .record(party)) { commandContext in
                recorded(try await env.service.commands.execute(.retract(process: id, entry: body.entry, reason: body.reason), context: commandContext))
            }
        }

        api.post("v1/processes/:process/corrections") { request, context in
            let id = try env.processID(context)
            let (body, bytes) = try await env.decode(CorrectionRequest.self, request)
            // A delegate corrects only its own party's entries, and cannot move them to another party.
            let process = await env.service.log.process(id)
            let party = process.flatMap { entryParty(body.entry, in: $0) }
            let newParty = body.step?.party ?? body.ballot?.party
            let principal = try context.requirePrincipal()
            if let newParty, newParty != party { try principal.require(.record(newParty)) }
            return try await env.write(request, context, body: bytes, permission: .record(party)) { commandContext in
                recorded(try await env.service.commands.execute(
                    .correct(process: id, entry: body.entry, reason: body.reason, effectiveAt: body.effectiveAt, step: body.step, ballot: body.ballot),
                    context: commandContext))
            }
        }

        api.post("v1/processes/:process/what-if") { request, context in
            _ = try env.reader(context)
            let id = try env.processID(context)
            let (body, _) = try await env.decode(WhatIfRequest.self, request)
            guard body.hypotheses.count <= 100 else { throw Problem.malformed("at most 100 hypotheses") }
            var commands: [ProcessCommand] = []
            for (index, h) in body.hypotheses.enumerated() {
                switch h.kind {
                case .step:
                    guard let stage = h.stage else { throw Problem.malformed("hypotheses[\(index)].stage: required for a step") }
                    commands.append(.recordStep(process: id, step: StepContent(party: h.party, stage: stage, details: h.details), occurredAt: h.occurredAt))
                case .ballot:
                    guard let position = h.position else { throw Problem.malformed("hypotheses[\(index)].position: required for a ballot") }
                    commands.append(.castBallot(process: id, ballot: BallotContent(party: h.party, position: position, statement: h.statement),
                                                occurredAt: h.occurredAt))
                case .ballotWithdrawal:
                    commands.append(.withdrawBallot(process: id, party: h.party, reason: nil, occurredAt: h.occurredAt))
                }
            }
            let asOf = body.asOf ?? env.service.clock.now()
            let outcome = try await env.service.queries.whatIf(id, hypotheses: commands, asOf: asOf)
            return Response.json(WhatIfReply(asOf: asOf, before: outcome.before.results, after: outcome.after.results, changed: outcome.changed))
        }
    }

    static func versionHeaders(_ outcome: CommandOutcome, location: String? = nil) -> [String: String] {
        var headers: [String: String] = [:]
        if let version = outcome.version { headers["ETag"] = ETag.value(version) }
        if let location { headers["Location"] = location }
        return headers
    }

    static func recorded(_ outcome: CommandOutcome) -> Reply {
        Reply.json(RecordedReply(outcome), status: outcome.wasAlreadyRecorded ? .ok : .created, headers: versionHeaders(outcome))
    }

    /// The party an entry concerns (for a delegate's right to retract or correct it).
    static func entryParty(_ entry: EntryID, in process: ProcessState) -> PartyCode? {
        process.steps[entry]?.current.content.party ?? process.ballots[entry]?.current.content.party
    }
}
