import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore

/// The secretariat's web page, served by `accord serve` next to the API: server-rendered HTML, a little plain
/// JavaScript for live updates and form conveniences, no external resources.
public struct WebApp: Sendable {
    let service: AccordService
    let sessions: SessionStore
    let pages: PageBuilder
    let views: MustacheLibrary
    let readsRequireSignIn: Bool

    public init(service: AccordService, readsRequireSignIn: Bool) throws {
        self.service = service
        self.sessions = SessionStore(accounts: service.accounts, database: service.store.database, clock: service.clock)
        self.pages = PageBuilder(service: service)
        self.views = try WebAssets.library()
        self.readsRequireSignIn = readsRequireSignIn
    }

    /// Session cookies become the request's principal (before token authentication).
    public var middleware: AccordServer.MiddlewareInstaller {
        let sessions = self.sessions
        return { router, _ in router.add(middleware: SessionMiddleware(sessions: sessions)) }
    }

    public var routes: AccordServer.RouteInstaller {
        let app = self
        return { router, _ in app.install(on: router) }
    }

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func install(on router: Router<AccordRequestContext>) {
        // Pages are not part of the JSON API contract: registered on the router directly, not through `Endpoints`.
        let web = router

        web.get("assets/app.css") { _, _ in WebAssets.response(WebAssets.css, type: "text/css; charset=utf-8") }
        web.get("assets/app.js") { _, _ in WebAssets.response(WebAssets.javascript, type: "text/javascript; charset=utf-8") }

        web.get("/") { request, context in
            try await page(request, context) { session, time in
                render("processes", await pages.processList(session: session, time: time, notice: request.uri.queryParameters["notice"].map(String.init)))
            }
        }
        web.get("processes/:process") { request, context in
            try await page(request, context) { session, time in
                let id = try processID(context)
                return render("process", try await pages.processPage(id, session: session, time: time,
                                                                      notice: request.uri.queryParameters["notice"].map(String.init), formProblem: nil,
                                                                      allEntries: request.uri.queryParameters["entries"] == "all"))
            }
        }
        web.get("parties") { request, context in
            try await page(request, context) { session, time in render("parties", await pages.partyList(session: session, time: time)) }
        }
        web.get("parties/:party") { request, context in
            try await page(request, context) { session, time in
                guard let code = context.parameters.get("party").flatMap(PartyCode.init) else { throw ServiceError.notFound("party") }
                return render("party", try await pages.partyPage(code, session: session, time: time))
            }
        }

        web.get("signin") { request, context in
            let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
            return html(render("signin", SignInPage(page: pages.chrome(title: "Sign in", session: nil, time: now()), error: nil, next: next)))
        }
        web.post("signin") { request, context in
            let form = FormData(try await formBody(request))
            let next = Self.safeNext(form["next"])
            guard let secret = form["token"], let (cookie, _) = try await sessions.open(secret: secret) else {
                context.logger.notice("web sign-in failed", metadata: ["remote": "\(context.remoteAddress)"])
                let page = SignInPage(page: pages.chrome(title: "Sign in", session: nil, time: now()),
                                      error: "That token is unknown, revoked or expired. Check it and try again.", next: next)
                return html(render("signin", page), status: .unauthorized)
            }
            var response = redirect(next)
            response.headers[.setCookie] = Self.cookie(cookie, secure: context.isSecure, maxAge: Int(SessionStore.lifetimeSeconds))
            return response
        }
        web.post("signout") { request, context in
            let form = FormData(try await formBody(request))
            if let cookie = request.cookies[SessionStore.cookieName]?.value, let session = try await sessions.session(cookie: cookie) {
                try checkCSRF(form, session)
                try await sessions.close(cookie: cookie)
            }
            var response = redirect("/")
            response.headers[.setCookie] = Self.cookie("", secure: context.isSecure, maxAge: 0)
            return response
        }

        web.post("processes/:process/steps") { request, context in
            try await submit(request, context, formName: "step") { session, form, id, process in
                let party = try FormReader.party(form, formName: "step")
                guard let stageText = form["stage"], let stageID = StageID(stageText), let stage = process.definition.stage(stageID) else {
                    throw FormProblem(form: "step", field: "stage", message: "Choose a stage.", values: form)
                }
                let details = try FormReader.details(form, kind: stage.kind, formName: "step")
                let occurredAt = try FormReader.instant(form, "occurredAt", formName: "step")
                try session.principal.require(.record(party))
                let outcome = try await service.commands.execute(
                    .recordStep(process: id, step: StepContent(party: party, stage: stageID, details: details, source: form["source"], note: form["note"]),
                                occurredAt: occurredAt),
                    context: CommandContext(actor: session.principal.actor))
                return "Recorded: \(party) — \(stage.label) (entry \(outcome.recorded.first.map { String($0.entry.description.prefix(8)) } ?? ""))"
            }
        }
        web.post("processes/:process/ballots") { request, context in
            try await submit(request, context, formName: "ballot") { session, form, id, _ in
                let party = try FormReader.party(form, formName: "ballot")
                guard let position = form["position"].flatMap(BallotPosition.init(rawValue:)) else {
                    throw FormProblem(form: "ballot", field: "position", message: "Choose a position.", values: form)
                }
                let occurredAt = try FormReader.instant(form, "occurredAt", formName: "ballot")
                try session.principal.require(.record(party))
                _ = try await service.commands.execute(
                    .castBallot(process: id, ballot: BallotContent(party: party, position: position, statement: form["statement"], source: form["source"], note: form["note"]),
                                occurredAt: occurredAt),
                    context: CommandContext(actor: session.principal.actor))
                return "Recorded: \(party) \(position.label)"
            }
        }
        web.post("processes/:process/retractions") { request, context in
            try await submit(request, context, formName: "amend") { session, form, id, process in
                guard let entry = form["entry"].flatMap(EntryID.init) else {
                    throw FormProblem(form: "amend", field: "entry", message: "Choose the entry to retract.", values: form)
                }
                guard let reason = form["reason"] else {
                    throw FormProblem(form: "amend", field: "reason", message: "Say why the entry is retracted.", values: form)
                }
                let party = process.steps[entry]?.current.content.party ?? process.ballots[entry]?.current.content.party
                try session.principal.require(party.map { .record($0) } ?? .manageProcesses)
                _ = try await service.commands.execute(.retract(process: id, entry: entry, reason: reason), context: CommandContext(actor: session.principal.actor))
                return "Retracted entry \(entry.description.prefix(8))"
            }
        }
        web.post("processes/:process/corrections") { request, context in
            try await submit(request, context, formName: "amend") { session, form, id, process in
                guard let entry = form["entry"].flatMap(EntryID.init), let original = process.steps[entry] else {
                    throw FormProblem(form: "amend", field: "entry", message: "Only stage steps can be corrected here.", values: form)
                }
                guard let reason = form["reason"] else {
                    throw FormProblem(form: "amend", field: "reason", message: "Say why the entry is corrected.", values: form)
                }
                let content = original.current.content
                let effectiveAt = try FormReader.instant(form, "occurredAt", formName: "amend")
                var corrected = content
                if let source = form["source"] { corrected.source = source }
                if let note = form["note"] { corrected.note = note }
                try session.principal.require(.record(content.party))
                _ = try await service.commands.execute(
                    .correct(process: id, entry: entry, reason: reason, effectiveAt: effectiveAt, step: corrected, ballot: nil),
                    context: CommandContext(actor: session.principal.actor))
                return "Corrected entry \(entry.description.prefix(8))"
            }
        }
        web.post("processes/:process/what-if") { request, context in
            let form = FormData(try await formBody(request))
            let session = try await requireSession(request, context, form: form)
            let id = try processID(context)
            let party = try? FormReader.party(form, formName: "whatif")
            var hypotheses: [ProcessCommand] = []
            var description = ""
            if let party, let stage = form["stage"].flatMap(StageID.init) {
                hypotheses.append(.recordStep(process: id, step: StepContent(party: party, stage: stage), occurredAt: nil))
                description = "If \(party) recorded \(stage)"
            } else if let party, let position = form["position"].flatMap(BallotPosition.init(rawValue:)) {
                hypotheses.append(.castBallot(process: id, ballot: BallotContent(party: party, position: position, statement: "what-if"), occurredAt: nil))
                description = "If \(party) \(position.label)"
            }
            let time = now()
            do {
                guard !hypotheses.isEmpty else {
                    throw FormProblem(form: "whatif", field: "party", message: "Choose a country and a stage or a position.", values: form)
                }
                let outcome = try await service.queries.whatIf(id, hypotheses: hypotheses, asOf: time.asOf)
                let rows = outcome.after.results.map { after in
                    let before = outcome.before.result(after.rule)
                    return WhatIfRow(label: after.label, before: StatusView(before?.status ?? .notApplicable), after: StatusView(after.status),
                                     beforeHeadline: before?.headline ?? "", afterHeadline: after.headline, changed: outcome.changed.contains(after.rule))
                }
                let page = try await pages.processPage(id, session: session, time: time, notice: nil, formProblem: nil,
                                                       whatIf: WhatIfView(description: description, rows: rows))
                return html(render("process", page))
            } catch let problem as FormProblem {
                return try await rerender(id, session: session, problem: problem)
            } catch let error as ServiceError {
                guard case .domain(let domain) = error else { throw error }
                return try await rerender(id, session: session, problem: explain(domain, id: id, form: form, formName: "whatif"))
            }
        }
    }

    // MARK: Handlers' plumbing

    func now() -> TimeChoice {
        TimeChoice(asOf: service.clock.now(), cutoff: .everything, asOfText: "", knownAtText: "", isHistorical: false)
    }

    func timeChoice(_ request: Request) throws -> TimeChoice {
        let query = request.uri.queryParameters
        var choice = now()
        if let text = query["asOf"].map(String.init), !text.isEmpty {
            guard let date = CivilDate(iso8601: text) else { throw Problem.badParameter("asOf", "choose a date such as 2025-04-10") }
            choice.asOf = Instant(startOf: date.adding(days: 1)).adding(microseconds: -1)
            choice.asOfText = text
            choice.isHistorical = true
        }
        if let text = query["knownAt"].map(String.init), !text.isEmpty {
            if let position = Int64(text), position >= 0 {
                choice.cutoff = .position(position)
            } else if let instant = Instant(iso8601: text) ?? Instant(iso8601: text + ":00Z") ?? CivilDate(iso8601: text).map({ Instant(startOf: $0.adding(days: 1)).adding(microseconds: -1) }) {
                choice.cutoff = .recordedAt(instant)
            } else {
                throw Problem.badParameter("knownAt", "choose a date and time such as 2025-04-10T14:30")
            }
            choice.knownAtText = text
            choice.isHistorical = true
        }
        return choice
    }

    func currentSession(_ request: Request) async throws -> WebSession? {
        guard let cookie = request.cookies[SessionStore.cookieName]?.value else { return nil }
        return try await sessions.session(cookie: cookie)
    }

    /// A read page: anonymous unless the server requires sign-in for reads.
    func page(_ request: Request, _ context: AccordRequestContext, _ body: (WebSession?, TimeChoice) async throws -> String) async throws -> Response {
        let session = try await currentSession(request)
        if session == nil && readsRequireSignIn {
            return redirect("/signin?next=" + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        do {
            return html(try await body(session, try timeChoice(request)))
        } catch let error as ServiceError {
            if case .notFound = error { return html(errorPage(session, "Not found", error.description), status: .notFound) }
            throw error
        } catch let problem as Problem {
            return html(errorPage(session, problem.title, problem.detail), status: problem.status)
        }
    }

    func errorPage(_ session: WebSession?, _ heading: String, _ message: String) -> String {
        render("error", ErrorPage(page: pages.chrome(title: heading, session: session, time: now()), heading: heading, message: message))
    }

    func requireSession(_ request: Request, _ context: AccordRequestContext, form: FormData) async throws -> WebSession {
        guard let session = try await currentSession(request) else {
            throw ServiceError.unauthenticated("sign in first")
        }
        try checkCSRF(form, session)
        return session
    }

    /// Every form carries the session's CSRF token; a cross-site request cannot know it.
    func checkCSRF(_ form: FormData, _ session: WebSession) throws {
        guard let token = form["_csrf"], SessionStore.same(token, session.csrf) else {
            throw Problem("forbidden", status: .forbidden, detail: "the form's security token is missing or out of date: reload the page and try again")
        }
    }

    /// A write from a form: on success, back to the process page with a notice; on a refusal, the page again with
    /// the form open and the error next to its field.
    func submit(_ request: Request, _ context: AccordRequestContext, formName: String,
                _ perform: (WebSession, FormData, ProcessID, ProcessState) async throws -> String) async throws -> Response {
        let form = FormData(try await formBody(request))
        let session = try await requireSession(request, context, form: form)
        let id = try processID(context)
        guard let process = await service.log.process(id) else { throw ServiceError.notFound("process \(id)") }
        do {
            let notice = try await perform(session, form, id, process)
            return redirect("/processes/\(id)?notice=" + (notice.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        } catch let problem as FormProblem {
            return try await rerender(id, session: session, problem: problem)
        } catch let error as ServiceError {
            switch error {
            case .domain(let domain): return try await rerender(id, session: session, problem: explain(domain, id: id, form: form, formName: formName))
            case .forbidden(let why):
                return try await rerender(id, session: session, problem: FormProblem(form: formName, field: "party", message: "You may not do this: \(why).", values: form))
            case .conflict, .versionMismatch:
                return try await rerender(id, session: session, problem: FormProblem(
                    form: formName, field: "form", message: "Someone recorded something at the same moment. Check the page and submit again.", values: form))
            default: throw error
            }
        }
    }

    func explain(_ error: DomainError, id: ProcessID, form: FormData, formName: String) async -> FormProblem {
        let registry = await service.log.registry()
        let template = await service.log.process(id)?.definition
        let (field, message) = PlainWords.explain(error, registry: registry, template: template)
        return FormProblem(form: formName, field: field, message: message, values: form)
    }

    func rerender(_ id: ProcessID, session: WebSession, problem: FormProblem) async throws -> Response {
        let page = try await pages.processPage(id, session: session, time: now(), notice: nil, formProblem: problem)
        return html(render("process", page), status: .unprocessableContent)
    }

    func formBody(_ request: Request) async throws -> [UInt8] {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { throw Problem.unsupportedMediaType(request.headers[.contentType]) }
        return Array(try await request.body.collect(upTo: 256 * 1024).readableBytesView)
    }

    func processID(_ context: AccordRequestContext) throws -> ProcessID {
        guard let id = context.parameters.get("process").flatMap(ProcessID.init) else { throw ServiceError.notFound("process") }
        return id
    }

    func render(_ template: String, _ value: Any) -> String {
        views.render(MustacheTree.convert(value) ?? [String: Any](), withTemplate: template) ?? "<!doctype html><title>Error</title><p>The page could not be rendered.</p>"
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: Self.securityHeaders(type: "text/html; charset=utf-8"), body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ location: String) -> Response {
        var headers = Self.securityHeaders(type: "text/plain; charset=utf-8")
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    static func securityHeaders(type: String) -> HTTPFields {
        [.contentType: type, .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
         HTTPField.Name("Referrer-Policy")!: "same-origin", .cacheControl: "no-store"]
    }

    /// HttpOnly, SameSite=Lax (the sign-in redirect must carry it), Secure when the request came over HTTPS —
    /// as the server sees it: behind a reverse proxy, only with `--trust-forwarded-headers`
    /// (`ForwardedHeadersMiddleware` sets `isSecure` from X-Forwarded-Proto).
    static func cookie(_ value: String, secure: Bool, maxAge: Int) -> String {
        "\(SessionStore.cookieName)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
    }

    /// Only local paths: never redirect to another site after sign-in.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }
}
