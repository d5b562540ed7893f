import AccordDomain
import AccordEventStore
import AccordHTTP
import AccordService
import AccordTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import AccordWeb

/// The web page driven through the router, as a browser would: form posts, a session cookie, the CSRF token
/// read from the page. (Tests/browser/ drives the same pages in a real Chromium, JavaScript and accessibility
/// included.)
@Suite("Web page")
struct WebTests {
    static let force = DemoScenario.forceGeneration.description

    @Test("signing in with a token opens an HttpOnly, SameSite session; an unknown token is answered with a message")
    func signIn() async throws {
        try await withWeb { web in
            let page = try await web.get("/signin")
            #expect(page.status == .ok)
            #expect(page.text.contains("name=\"token\""))

            let refused = try await web.form("/signin", ["token": "acc_not-a-real-token"])
            #expect(refused.status == .unauthorized)
            #expect(refused.text.contains("That token is unknown, revoked or expired"))
            #expect(refused.headers[.setCookie] == nil)

            let session = try await web.signIn(.secretariat)
            #expect(session.setCookie.contains("HttpOnly"))
            #expect(session.setCookie.contains("SameSite=Lax"))
            #expect(!session.setCookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            let home = try await web.get("/", session: session)
            #expect(home.text.contains("Test secretariat"))
        }
    }

    @Test("behind a trusted HTTPS proxy (X-Forwarded-Proto) the session cookie is Secure")
    func secureCookie() async throws {
        try await withWeb(trustForwardedHeaders: true) { web in
            let answer = try await web.form("/signin", ["token": web.tokens[.secretariat] ?? ""], headers: ["X-Forwarded-Proto": "https"])
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.setCookie]?.contains("; Secure") == true)
        }
    }

    @Test("X-Forwarded-Proto is ignored unless the server trusts its proxy")
    func untrustedForwardedProto() async throws {
        try await withWeb { web in
            let answer = try await web.form("/signin", ["token": web.tokens[.secretariat] ?? ""], headers: ["X-Forwarded-Proto": "https"])
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.setCookie]?.contains("Secure") == false)
        }
    }

    @Test("every page carries a Content-Security-Policy and loads nothing from another site")
    func securityHeadersAndNoExternalResources() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            for path in ["/", "/processes/\(Self.force)", "/parties", "/parties/DE", "/signin", "/processes/\(Self.force)?asOf=2025-06-01"] {
                let page = try await web.get(path, session: session)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(path)")
                #expect(page.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                let external = page.text.matches(of: /(src|href|action)="(https?:)?\/\//).count
                #expect(external == 0, "\(path) refers to another site")
            }
        }
    }

    @Test("the process list shows each process's decision and its other rules, or says the decision is the only one")
    func processList() async throws {
        try await withWeb { web in
            let page = try await web.get("/")
            #expect(page.text.contains("21,500 of 25,000 troops pledged"))
            let natoRow = page.text.firstMatch(of: /NAC decision: NATO command and control and ISR for the reassurance force<\/a>.*?<\/tr>/.dotMatchesNewlines())?.output ?? ""
            #expect(natoRow.contains("The decision is its only rule."))
            let forceRow = page.text.firstMatch(of: /Reassurance Force for Ukraine — force generation<\/a>.*?<\/tr>/.dotMatchesNewlines())?.output ?? ""
            #expect(!forceRow.isEmpty)
            #expect(!forceRow.contains("The decision is its only rule."))
        }
    }

    @Test("a form without the CSRF token, or with another session's, is refused and records nothing")
    func csrf() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let other = try await web.signIn(.admin)
            let before = try await web.head()
            let missing = try await web.form("/processes/\(Self.force)/steps", ["party": "ES", "stage": "interest"], session: session)
            #expect(missing.status == .forbidden)
            let foreign = try await web.form("/processes/\(Self.force)/steps", ["party": "ES", "stage": "interest", "_csrf": other.csrf], session: session)
            #expect(foreign.status == .forbidden)
            #expect(try await web.head() == before)
        }
    }

    @Test("a step recorded through the form is in the log under the signed-in account and on the page")
    func recordStep() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let before = try await web.head()
            let answer = try await web.form("/processes/\(Self.force)/steps",
                                            ["party": "ES", "stage": "interest", "source": "Moncloa press release", "note": "", "_csrf": session.csrf],
                                            session: session)
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location]?.hasPrefix("/processes/\(Self.force)?notice=") == true)
            let events = try await web.service.store.readAll(after: before, limit: 10)
            #expect(events.count == 1)
            #expect(events.first?.actor.name == "Test secretariat")
            #expect(events.first?.payload.string.contains("\"source\":\"Moncloa press release\"") == true)
            let page = try await web.get("/processes/\(Self.force)", session: session)
            #expect(web.row(page, "Spain")?.contains("Interest expressed") == true)
        }
    }

    @Test("a step the template does not allow next is explained in plain words next to its field, and nothing is recorded")
    func refusedStepIsExplained() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let before = try await web.head()
            let answer = try await web.form("/processes/\(Self.force)/steps", ["party": "IT", "stage": "ready", "_csrf": session.csrf], session: session)
            #expect(answer.status == .unprocessableContent)
            let error = answer.text.firstMatch(of: /id="step-stage-error" role="alert">([^<]*)</)?.output.1
            #expect(error?.contains("Italy cannot record “Ready” after “Interest expressed”") == true, "\(String(describing: error))")
            #expect(answer.text.contains("aria-invalid=\"true\""))
            #expect(try await web.head() == before)
        }
    }

    @Test("a form with a malformed date names the field and records nothing")
    func malformedDate() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let before = try await web.head()
            let answer = try await web.form("/processes/\(Self.force)/steps",
                                            ["party": "ES", "stage": "interest", "occurredAt": "yesterday-ish", "_csrf": session.csrf], session: session)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.text.contains("id=\"step-date-error\""))
            #expect(try await web.head() == before)
        }
    }

    @Test("an observer finds no forms; a delegate is offered only its own nation and cannot record for another")
    func rolesShapeTheForms() async throws {
        try await withWeb { web in
            let observer = try await web.signIn(.observer)
            let seen = try await web.get("/processes/\(Self.force)", session: observer)
            #expect(!seen.text.contains("class=\"record\""))
            #expect(seen.text.matches(of: /<form [^>]*method="post"/).count == 1, "only the sign-out form")

            let delegate = try await web.signIn(.delegateDE)
            let page = try await web.get("/processes/\(Self.force)", session: delegate)
            let select = page.text.firstMatch(of: /<select id="step-party"[^>]*>(.*?)<\/select>/)?.output.1 ?? ""
            let offered = select.matches(of: /<option value="([A-Z]{2})"/).map { String($0.output.1) }
            #expect(offered == ["DE"])

            let before = try await web.head()
            let answer = try await web.form("/processes/\(Self.force)/steps", ["party": "FR", "stage": "interest", "_csrf": delegate.csrf], session: delegate)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.text.contains("You may not do this"))
            #expect(try await web.head() == before)
        }
    }

    @Test("a retraction needs a reason; with one it is recorded and shown beside the entry")
    func retraction() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let recorded = try await web.service.commands.execute(
                .recordStep(process: DemoScenario.forceGeneration, step: StepContent(party: PartyCode("ES")!, stage: StageID("interest")!), occurredAt: nil),
                context: CommandContext(actor: ActorRef(id: "t", name: "Test")))
            let entry = try #require(recorded.recorded.first?.entry)
            let before = try await web.head()
            let noReason = try await web.form("/processes/\(Self.force)/retractions", ["entry": entry.description, "_csrf": session.csrf], session: session)
            #expect(noReason.status == .unprocessableContent)
            #expect(noReason.text.contains("id=\"amend-error-\(entry)\" role=\"alert\">Say why the entry is retracted.<"))
            #expect(try await web.head() == before)

            let answer = try await web.form("/processes/\(Self.force)/retractions",
                                            ["entry": entry.description, "reason": "Recorded for the wrong country", "_csrf": session.csrf], session: session)
            #expect(answer.status == .seeOther)
            #expect(try await web.head() == before + 1)
            let page = try await web.get("/processes/\(Self.force)", session: session)
            #expect(page.text.contains("Recorded for the wrong country"))
            #expect(web.row(page, "Spain")?.contains("Interest expressed") == false)
        }
    }

    @Test("a process with more entries than the page lists shows the newest, says how many are left out and links to all")
    func longTimeline() async throws {
        try await withWeb { web in
            let context = CommandContext(actor: ActorRef(id: "t", name: "Test"))
            let id = ProcessID()
            _ = try await web.service.commands.execute(
                .open(OpenProcess(process: id, title: "Long", template: TemplateID("coalition-force-generation")!,
                                  electorate: .parties([PartyCode("AT")!]), occurredAt: Instant(iso8601: "2025-01-01T00:00:00Z"))),
                context: context)
            // 150 steps: Austria turns interested and declines again and again, a minute apart; the last is the newest.
            let start = try #require(Instant(iso8601: "2025-02-01T00:00:00Z"))
            let steps = (0..<150).map { n in
                ProcessCommand.recordStep(process: id, step: StepContent(party: PartyCode("AT")!, stage: StageID(n % 2 == 0 ? "interest" : "declined")!),
                                          occurredAt: start.adding(seconds: Int64(60 * n)))
            }
            let recorded = try await web.service.commands.execute(batch: steps, context: context)
            let newest = try #require(recorded.recorded.last?.entry), oldest = try #require(recorded.recorded.first?.entry)

            let page = try await web.get("/processes/\(id)")
            #expect(page.text.components(separatedBy: "<li class=\"entry ").count - 1 == PageBuilder.timelineLength)
            #expect(page.text.contains("id=\"entry-\(newest)\""))
            #expect(!page.text.contains("id=\"entry-\(oldest)\""))
            // 151 entries: the opening and 150 steps.
            #expect(page.text.contains("51 older ones are not."))
            #expect(page.text.contains("href=\"/processes/\(id)?entries=all#timeline-heading\">Show all 151 entries</a>"))

            let all = try await web.get("/processes/\(id)?entries=all")
            #expect(all.text.components(separatedBy: "<li class=\"entry ").count - 1 == 151)
            #expect(all.text.contains("id=\"entry-\(oldest)\""))
            #expect(!all.text.contains("Show all"))
        }
    }

    @Test("the page as of an earlier date shows what stood then, without live updates; a bad date is explained")
    func asOf() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let now = try await web.get("/processes/\(Self.force)", session: session)
            #expect(now.text.contains("data-live-url=\"/v1/stream?process=\(Self.force)&amp;types=*\""))
            let then = try await web.get("/processes/\(Self.force)?asOf=2020-01-01", session: session)
            #expect(then.status == .ok)
            #expect(!then.text.contains("data-live-url"))
            #expect(then.text.contains("2020-01-01"))
            #expect(now.text != then.text)
            let bad = try await web.get("/processes/\(Self.force)?asOf=last-tuesday", session: session)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("choose a date such as 2025-04-10"))
        }
    }

    @Test("when reads require sign-in, pages send anonymous visitors to the sign-in page and back")
    func readsRequireSignIn() async throws {
        try await withWeb(readsRequireSignIn: true) { web in
            let answer = try await web.get("/processes/\(Self.force)")
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location]?.hasPrefix("/signin?next=") == true)
            let session = try await web.signIn(.observer)
            #expect(try await web.get("/processes/\(Self.force)", session: session).status == .ok)
        }
    }

    @Test("after signing in, only local pages are offered as the next page", arguments: [
        ("/processes/x", "/processes/x"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"), (nil, "/"),
    ] as [(String?, String)])
    func safeNext(next: String?, expected: String) {
        #expect(WebApp.safeNext(next) == expected)
    }

    @Test("signing out ends the session: its cookie no longer opens forms")
    func signOut() async throws {
        try await withWeb { web in
            let session = try await web.signIn(.secretariat)
            let answer = try await web.form("/signout", ["_csrf": session.csrf], session: session)
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.setCookie]?.contains("Max-Age=0") == true)
            let after = try await web.get("/processes/\(Self.force)", session: session)
            #expect(!after.text.contains("class=\"record\""))
        }
    }
}

// MARK: - Harness

enum WebCaller: String, CaseIterable, Sendable {
    case admin, secretariat, delegateDE = "delegate-DE", observer

    var role: Role {
        switch self {
        case .admin: .admin
        case .secretariat: .secretariat
        case .delegateDE: .delegate
        case .observer: .observer
        }
    }
}

struct WebResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
}

struct WebSessionCookie: Sendable {
    var cookie: String
    var setCookie: String
    var csrf: String
}

struct WebClient: Sendable {
    let client: any TestClientProtocol
    let service: AccordService
    let tokens: [WebCaller: String]

    func get(_ uri: String, session: WebSessionCookie? = nil) async throws -> WebResponse {
        var headers = HTTPFields()
        if let session { headers[.cookie] = "\(SessionStore.cookieName)=\(session.cookie)" }
        return try await client.execute(uri: uri, method: .get, headers: headers, body: nil) {
            WebResponse(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
        }
    }

    func form(_ uri: String, _ fields: [String: String], session: WebSessionCookie? = nil, headers extra: [String: String] = [:]) async throws -> WebResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let session { headers[.cookie] = "\(SessionStore.cookieName)=\(session.cookie)" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            WebResponse(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
        }
    }

    /// Signs in through the form and reads the CSRF token from the page, as a browser would.
    func signIn(_ caller: WebCaller) async throws -> WebSessionCookie {
        let answer = try await form("/signin", ["token": tokens[caller] ?? ""])
        let setCookie = try #require(answer.headers[.setCookie])
        let value = try #require(setCookie.firstMatch(of: /accord_session=([^;]+);/)?.output.1)
        var session = WebSessionCookie(cookie: String(value), setCookie: setCookie, csrf: "")
        let page = try await get("/processes/\(WebTests.force)", session: session)
        session.csrf = String(try #require(page.text.firstMatch(of: /name="_csrf" value="([^"]+)"/)?.output.1))
        return session
    }

    func head() async throws -> Int64 { try await service.store.headPosition() }

    /// The text of a party's row in the matrix.
    func row(_ page: WebResponse, _ name: String) -> String? {
        let rows = page.text.matches(of: /<tr[^>]*>\s*<th scope="row"[^>]*>(.*?)<\/tr>/.dotMatchesNewlines())
        return rows.map { String($0.output.1) }.first { $0.contains(name) }
    }
}

func withWeb(readsRequireSignIn: Bool = false, trustForwardedHeaders: Bool = false, _ body: @escaping @Sendable (WebClient) async throws -> Void) async throws {
    try await withTestStore(.sqlite) { store, _ in
        let service = AccordService(store: store, clock: SystemWallClock())
        let outcome: Result<Void, any Error>
        do {
            try await service.start()
            _ = try await service.loadDemo()
            var tokens: [WebCaller: String] = [:]
            let setup = ActorRef(id: "test", name: "Test setup")
            for caller in WebCaller.allCases {
                let account = try await service.accounts.createAccount(
                    name: "Test \(caller.rawValue)", role: caller.role, parties: caller == .delegateDE ? [PartyCode("DE")!] : [], by: setup)
                tokens[caller] = try await service.accounts.issueToken(for: account, name: "test", expiresAt: nil, by: setup).secret
            }
            var configuration = ServerConfiguration()
            configuration.readsRequireToken = readsRequireSignIn
            configuration.trustForwardedHeaders = trustForwardedHeaders
            let web = try WebApp(service: service, readsRequireSignIn: readsRequireSignIn)
            let router = AccordServer.makeRouter(service: service, configuration: configuration, extraRoutes: [web.routes], extraMiddleware: [web.middleware])
            let issued = tokens
            try await Application(router: router).test(.router) { client in
                try await body(WebClient(client: client, service: service, tokens: issued))
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await service.log.stop()
        await service.eventIndex.stop()
        try outcome.get()
    }
}
