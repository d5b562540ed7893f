import AccordDomain
import AccordEventStore
import AccordService
import HTTPTypes
import Hummingbird
import NIOCore

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
            return Response.json(ProcessListReply(asOf: asOf, knownAtPosition: await env.service.log.knownPosition(cutoff), processes: processes))
        }

        api.post("v1/processes") { request, context in
            try await env.write(request, context, OpenProcessRequest.self, permission: .fixed(.manageProcesses)) { body, commandContext in
                let id = body.id ?? ProcessID()
                let outcome = try await env.service.commands.execute(
                    .open(OpenProcess(process: id, title: body.title, reference: body.reference, template: body.template,
                                      templateVersion: body.templateVersion, parameters: body.parameters ?? [:], electorate: body.electorate,
                                      occurredAt: body.occurredAt)),
                    context: commandContext)
                return Reply.json(RecordedReply(outcome), status: outcome.wasAlreadyRecorded ? .ok : .created,
                                  headers: versionHeaders(outcome, location: "/v1/processes/\(id)"))
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
            let results = try await env.service.queries.reusableResults(try env.processID(context), asOf: asOf, cutoff: cutoff)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: env.renderedResults.body(results, cutoff: cutoff))))
        }

        api.get("v1/processes/:process/history") { request, context in
            _ = try env.reader(context)
            let (asOf, cutoff) = try env.timeQuery(request)
            let id = try env.processID(context)
            let rule = try request.uri.queryParameters["rule"].map { text throws -> RuleID in
                guard let id = RuleID(String(text)) else { throw Problem.badParameter("rule", "'\(text)' is not a rule id") }
                return id
            }
            let evaluation = try await env.service.queries.results(id, asOf: asOf, cutoff: cutoff)
            return Response.json(HistoryReply(process: id, asOf: asOf, transitions: evaluation.transitions.filter { rule == nil || $0.rule == rule }))
        }

        api.get("v1/processes/:process/timeline") { request, context in
            _ = try env.reader(context)
            let (_, cutoff) = try env.timeQuery(request)
            return Response.json(ListReply(items: try await env.service.queries.timeline(try env.processID(context), cutoff: cutoff)))
        }

        api.post("v1/processes/:process/steps") { request, context in
            let id = try env.processID(context)
            return try await env.write(request, context, StepRequest.self, permission: .recording { [$0.party] }) { body, commandContext in
                recorded(try await env.service.commands.execute(.recordStep(process: id, step: body.content, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/ballots") { request, context in
            let id = try env.processID(context)
            return try await env.write(request, context, BallotRequest.self, permission: .recording { [$0.party] }) { body, commandContext in
                recorded(try await env.service.commands.execute(.castBallot(process: id, ballot: body.content, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/ballot-withdrawals") { request, context in
            let id = try env.processID(context)
            return try await env.write(request, context, BallotWithdrawalRequest.self, permission: .recording { [$0.party] }) { body, commandContext in
                recorded(try await env.service.commands.execute(
                    .withdrawBallot(process: id, party: body.party, reason: body.reason, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/deadlines") { request, context in
            let id = try env.processID(context)
            return try await env.write(request, context, DeadlineRequest.self, permission: .fixed(.manageProcesses)) { body, commandContext in
                recorded(try await env.service.commands.execute(
                    .setDeadline(process: id, deadline: body.deadline, localTime: body.localTime, timeZone: body.timeZone, reason: body.reason,
                                 occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/deadlines/:deadline/extensions") { request, context in
            let id = try env.processID(context)
            let text = context.parameters.get("deadline") ?? ""
            guard let deadline = DeadlineID(text) else {
                throw Problem("not-found", status: .notFound, detail: "'\(text)' is not a deadline id")
            }
            return try await env.write(request, context, DeadlineExtensionRequest.self, permission: .fixed(.manageProcesses)) { body, commandContext in
                recorded(try await env.service.commands.execute(
                    .extendDeadline(process: id, deadline: deadline, localTime: body.localTime, timeZone: body.timeZone, reason: body.reason,
                                    occurredAt: body.occurredAt), context: commandContext))
            }
        }

        api.post("v1/processes/:process/close") { request, context in
            let id = try env.processID(context)
            return try await env.write(request, context, CloseRequest.self, permission: .fixed(.manageProcesses)) { body, commandContext in
                recorded(try await env.service.commands.execute(.close(process: id, note: body.note, occurredAt: body.occurredAt), context: commandContext))
            }
        }

        // A delegate retracts and corrects only its own party's entries, and cannot move one to another party.
        api.post("v1/processes/:process/retractions") { request, context in
            let id = try env.processID(context)
            let permission = WritePermission<RetractionRequest>.recording { body in [await entryParty(body.entry, process: id, env)] }
            return try await env.write(request, context, RetractionRequest.self, permission: permission) { body, commandContext in
                recorded(try await env.service.commands.execute(.retract(process: id, entry: body.entry, reason: body.reason), context: commandContext))
            }
        }

        api.post("v1/processes/:process/corrections") { request, context in
            let id = try env.processID(context)
            let permission = WritePermission<CorrectionRequest>.recording { body in
                let current = await entryParty(body.entry, process: id, env)
                let corrected = body.step?.party ?? body.ballot?.party
                return corrected.map { $0 == current ? [current] : [current, $0] } ?? [current]
            }
            return try await env.write(request, context, CorrectionRequest.self, permission: permission) { body, commandContext in
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
            // Hypotheses without a date happen now, and "now" is the default asOf: the same instant, so that
            // they count in the evaluation.
            let now = env.service.clock.now()
            var commands: [ProcessCommand] = []
            for (index, h) in body.hypotheses.enumerated() {
                let at = h.occurredAt ?? now
                switch h.kind {
                case .step:
                    guard let stage = h.stage else { throw Problem.malformed("hypotheses[\(index)].stage: required for a step") }
                    commands.append(.recordStep(process: id, step: StepContent(party: h.party, stage: stage, details: h.details), occurredAt: at))
                case .ballot:
                    guard let position = h.position else { throw Problem.malformed("hypotheses[\(index)].position: required for a ballot") }
                    commands.append(.castBallot(process: id, ballot: BallotContent(party: h.party, position: position, statement: h.statement), occurredAt: at))
                case .ballotWithdrawal:
                    commands.append(.withdrawBallot(process: id, party: h.party, reason: nil, occurredAt: at))
                }
            }
            let asOf = body.asOf ?? now
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

    /// The party an entry concerns (for a delegate's right to retract or correct it); nil for an entry that
    /// concerns no party (a deadline, a closure) or does not exist, which only the secretariat may touch.
    static func entryParty(_ entry: EntryID, process id: ProcessID, _ env: APIEnvironment) async -> PartyCode? {
        guard let process = await env.service.log.process(id) else { return nil }
        return process.steps[entry]?.current.content.party ?? process.ballots[entry]?.current.content.party
    }
}
