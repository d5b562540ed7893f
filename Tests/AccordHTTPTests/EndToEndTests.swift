import AccordDomain
import AccordEventStore
import AccordTestSupport
import Foundation
import Testing

/// A real `accord serve` on a loopback port, on each backend: a token made with `accord token create`, a
/// process opened and recorded in over HTTP, reads as of a date and as known at a log position, and a
/// SIGTERM that lets a request in flight finish before the server exits cleanly.
@Suite("End to end", .serialized)
struct EndToEndTests {
    @Test("accord serve: token, open, record, read back with asOf and knownAt, graceful shutdown on SIGTERM", arguments: Backend.allCases)
    func serve(_ backend: Backend) async throws {
        guard let accord = AccordExecutable.find() else { return }
        let database = try await TestDatabase.fresh(backend)
        let outcome: Result<Void, any Error>
        do {
            try await serve(accord, database)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await database.cleanUp()
        try outcome.get()
    }

    private func serve(_ accord: AccordExecutable, _ database: TestDatabase) async throws {
        let token = try await accord.run(["token", "create", "--database", database.argument, "--name", "E2E Secretariat", "--role", "admin"])
        #expect(token.hasPrefix("accord_"))

        let port = try LoopbackConnection.freePort()
        let server = try CollectedProcess(accord.url, ["serve", "--database", database.argument, "--port", "\(port)", "--demo"])
        try await waitUntilListening(server, port: port)

        // Open a consensus procedure three days ago; Germany agrees two days ago, France one day ago.
        let now = Date()
        func daysAgo(_ days: Double) -> String {
            ISO8601DateFormatter().string(from: now.addingTimeInterval(-days * 86_400))
        }
        let id = ProcessID().description
        let opened = try await LoopbackConnection.request(port: port, "POST", "/v1/processes", token: token,
                                                          json: #"{"id":"\#(id)","title":"E2E consensus","template":"nato-consensus","occurredAt":"\#(daysAgo(3))"}"#)
        #expect(opened.status == 201, "\(String(decoding: opened.body, as: UTF8.self))")
        #expect(opened.headers["location"] == "/v1/processes/\(id)")
        let germany = try await LoopbackConnection.request(port: port, "POST", "/v1/processes/\(id)/ballots", token: token,
                                                           json: #"{"party":"DE","position":"yes","occurredAt":"\#(daysAgo(2))"}"#)
        #expect(germany.status == 201)
        let germanyPosition = try #require(germany.json["recorded"]?[0]?["position"]?.int)
        let france = try await LoopbackConnection.request(port: port, "POST", "/v1/processes/\(id)/ballots", token: token,
                                                          json: #"{"party":"FR","position":"objection","statement":"Not yet","occurredAt":"\#(daysAgo(1))"}"#)
        #expect(france.status == 201)
        #expect(try await LoopbackConnection.request(port: port, "POST", "/v1/processes/\(id)/ballots", json: #"{"party":"IT","position":"yes"}"#).status == 401)

        func ballots(_ query: String) async throws -> [String: String] {
            let matrix = try await LoopbackConnection.request(port: port, "GET", "/v1/processes/\(id)/matrix?\(query)")
            var out: [String: String] = [:]
            for row in matrix.json["rows"]?.array ?? [] {
                if let party = row["party"]?.string, let position = row["ballot"]?["position"]?.string { out[party] = position }
            }
            return out
        }
        #expect(try await ballots("") == ["DE": "yes", "FR": "objection"])
        #expect(try await ballots("knownAt=\(germanyPosition)") == ["DE": "yes"])
        #expect(try await ballots("asOf=\(daysAgo(1.5))") == ["DE": "yes"])
        let results = try await LoopbackConnection.request(port: port, "GET", "/v1/processes/\(id)/results")
        #expect(results.json["results"]?[0]?["status"]?.string == "failed" || results.json["results"]?[0]?["status"]?.string == "not-yet")
        let earlier = try await LoopbackConnection.request(port: port, "GET", "/v1/processes/\(id)/results?knownAt=\(germanyPosition)")
        #expect(earlier.json["results"]?[0]?["blockers"]?.array?.contains { $0["party"]?.string == "FR" && $0["reason"]?.string == "objection" } == false)

        // A request in flight when SIGTERM arrives: its head and half its body are sent before the signal, the
        // rest after. The server finishes it, answers, and only then exits with status 0.
        let headBefore = try #require(try await LoopbackConnection.request(port: port, "GET", "/v1/events?limit=1").json["head"]?.int)
        let inFlight = try LoopbackConnection(port: port)
        let bytes = LoopbackConnection.encode("POST", "/v1/processes/\(id)/ballots", token: token, json: #"{"party":"IT","position":"yes","note":"sent across a shutdown"}"#)
        try inFlight.send(bytes.prefix(bytes.count - 20))
        try await Task.sleep(for: .milliseconds(300))
        server.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.exitStatus == nil, "the server exited with a request in flight")
        try inFlight.send(bytes.suffix(20))
        let answer = try await Task.detached { try inFlight.receive() }.value
        #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
        try await server.waitForExit(within: .seconds(30))
        #expect(server.exitStatus == 0, "\(server.standardError.suffix(2000))")
        #expect(server.terminationReason == .exit)
        #expect(throws: (any Error).self) { try LoopbackConnection(port: port) }

        let store = try await database.open()
        #expect(try await store.headPosition() == headBefore + 1)
        #expect(try await store.readAll(after: headBefore, limit: 1).first?.type == "BallotCast")
        guard case .intact(let last, _) = try await store.verifyChain(progress: nil) else {
            Issue.record("the chain is broken after the shutdown")
            await store.close()
            return
        }
        #expect(last == headBefore + 1)
        await store.close()
    }

    private func waitUntilListening(_ server: CollectedProcess, port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if server.exitStatus != nil { throw LoopbackConnection.Failure(description: "accord serve exited: \(server.output.suffix(2000))") }
            if let health = try? await LoopbackConnection.request(port: port, "GET", "/healthz"), health.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LoopbackConnection.Failure(description: "accord serve did not listen on \(port): \(server.output.suffix(2000))")
    }
}
