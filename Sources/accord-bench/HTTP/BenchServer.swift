import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `accord serve` with the demo loaded, on a free loopback port, with an admin token made by `accord token create`.
struct BenchServer: Sendable {
    let process: Process
    let port: Int
    let token: String
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func start(executable: URL, database: String, logLevel: String) async throws -> BenchServer {
        let token = try run(executable, ["token", "create", "--database", database, "--name", "Benchmark", "--role", "admin"])
        let port = try freePort()
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--database", database, "--port", "\(port)", "--demo", "--log-level", logLevel]
        // The request log goes nowhere, but it is still formatted and written, as in production.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = BenchServer(process: process, port: port, token: token)
        HTTPBenchLog.note("accord serve on \(database) at \(server.baseURL) (pid \(process.processIdentifier))")
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            guard process.isRunning else { throw BenchFailure("accord serve exited with status \(process.terminationStatus)") }
            if let (status, _) = try? await server.send("GET", "/healthz"), status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        await server.stop()
        throw BenchFailure("accord serve did not answer on port \(port)")
    }

    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<300 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// One request for the set-up (not measured).
    func send(_ method: String, _ path: String, json: String? = nil) async throws -> (Int, Data) {
        guard let url = URL(string: baseURL + path) else { throw BenchFailure("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Signs in to the web page with the token; the session cookie's value.
    func webSession() async throws -> String {
        guard let url = URL(string: baseURL + "/signin") else { throw BenchFailure("bad URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("token=\(token)".utf8)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (_, response) = try await session.data(for: request)
        let cookie = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie") ?? ""
        guard let value = cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last, cookie.hasPrefix("accord_session=") else {
            throw BenchFailure("signing in to the web page gave no session cookie")
        }
        return String(value)
    }

    /// A request that must succeed; its JSON answer.
    func expect(_ method: String, _ path: String, json: String? = nil) async throws -> [String: Any] {
        let (status, data) = try await send(method, path, json: json)
        guard (200..<300).contains(status) else {
            throw BenchFailure("\(method) \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    private static func run(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("accord \(arguments.first ?? "") failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A port nothing listens on now: the kernel's pick for an ephemeral bind.
    private static func freePort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(probe, pointer, length) == 0 else { return -1 }
                return getsockname(probe, pointer, &length)
            }
        }
        guard result == 0 else { throw BenchFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// What each measurement writes to. Recording a step costs more the more entries its process holds (the
/// domain folds a process's entries to validate each step), so every step measurement gets fresh processes of
/// the same shape: a force generation process (template coalition-force-generation) in which 12 nations hold a
/// pledge, so that a pledge amendment is always a valid step; for step-many, 64 of them. Reads use the demo's
/// force generation process (30 parties, 4 rules), which the step measurements leave alone.
struct BenchSetup {
    let server: BenchServer

    static let forceGeneration = "6f1c2a4e-0b7d-4c1e-9a51-2d7f3e8a9b01"
    static let pledgers = ["FR", "TR", "NO", "SE", "FI", "DK", "EE", "LT", "BE", "NL", "GB", "PL"]

    /// A new force generation process in which `parties` hold a pledge; its id.
    func pledgingProcess(_ parties: [String]) async throws -> String {
        let opened = try await server.expect("POST", "/v1/processes", json: #"{"title":"Benchmark force","template":"coalition-force-generation"}"#)
        guard let stream = opened["stream"] as? String, stream.hasPrefix("process-") else { throw BenchFailure("no process id") }
        let id = String(stream.dropFirst("process-".count))
        for party in parties {
            _ = try await server.expect("POST", "/v1/processes/\(id)/steps", json: #"{"party":"\#(party)","stage":"government-decision"}"#)
            _ = try await server.expect("POST", "/v1/processes/\(id)/steps",
                                        json: #"{"party":"\#(party)","stage":"pledged","details":{"pledge":{"troops":1000}}}"#)
        }
        return id
    }

    /// The NATO members: the page scenario's process has 32 parties.
    static let natoMembers = ["BE", "CA", "DK", "FR", "IS", "IT", "LU", "NL", "NO", "PT", "GB", "US", "GR", "TR", "DE", "ES",
                              "CZ", "HU", "PL", "BG", "EE", "LV", "LT", "RO", "SK", "SI", "AL", "HR", "ME", "MK", "FI", "SE"]

    /// A force generation process among NATO's 32 members, each with an expression of interest, a government
    /// decision and a pledge (96 entries, a pledge total and 4 rules with their progress charts): the web page's
    /// target is stated for 32 parties.
    func pageProcess() async throws -> String {
        let opened = try await server.expect("POST", "/v1/processes",
                                             json: #"{"title":"Benchmark force among 32","template":"coalition-force-generation","parameters":{"body":"nato"}}"#)
        guard let stream = opened["stream"] as? String, stream.hasPrefix("process-") else { throw BenchFailure("no process id") }
        let id = String(stream.dropFirst("process-".count))
        for (index, party) in Self.natoMembers.enumerated() {
            let day = String(format: "2025-%02d-%02d", 3 + index % 8, 1 + index % 27)
            _ = try await server.expect("POST", "/v1/processes/\(id)/steps",
                                        json: #"{"party":"\#(party)","stage":"interest","occurredAt":"\#(day)T09:00:00Z","source":"https://example.org/\#(party)/interest"}"#)
            _ = try await server.expect("POST", "/v1/processes/\(id)/steps",
                                        json: #"{"party":"\#(party)","stage":"government-decision","occurredAt":"\#(day)T12:00:00Z","note":"Cabinet decision"}"#)
            _ = try await server.expect("POST", "/v1/processes/\(id)/steps",
                                        json: #"{"party":"\#(party)","stage":"pledged","occurredAt":"\#(day)T15:00:00Z","details":{"pledge":{"troops":\#(300 + 37 * index),"capabilities":[{"component":"land"}]}}}"#)
        }
        return id
    }

    /// The wrk script of a scenario, with fresh processes for the writing ones: the requests it sends, in turn,
    /// and a `done` that prints the figures.
    func script(for scenario: Scenario, thinkMilliseconds: Int = 0) async throws -> String {
        let paths: [String]
        let parties: [String]
        let method: String
        var headers = ["Authorization": "Bearer \(server.token)", "Content-Type": "application/json"]
        switch scenario {
        case .healthz:
            (method, paths, parties) = ("GET", ["/healthz"], [])
        case .results:
            (method, paths, parties) = ("GET", ["/v1/processes/\(Self.forceGeneration)/results"], [])
        case .step:
            (method, paths, parties) = ("POST", ["/v1/processes/\(try await pledgingProcess(Self.pledgers))/steps"], Self.pledgers)
        case .stepMany:
            var many: [String] = []
            for _ in 0..<64 { many.append("/v1/processes/\(try await pledgingProcess(["DE"]))/steps") }
            (method, paths, parties) = ("POST", many, ["DE"])
        case .page:
            // As a signed-in secretariat member sees it: the forms are rendered too.
            (method, paths, parties) = ("GET", ["/processes/\(try await pageProcess())"], [])
            headers = ["Cookie": "accord_session=\(try await server.webSession())"]
        }
        func list(_ items: [String]) -> String { "{" + items.map { "\"\($0)\"" }.joined(separator: ",") + "}" }
        return """
            local paths = \(list(paths))
            local parties = \(list(parties))
            local method = "\(method)"
            local counter = 0
            \(headers.sorted { $0.key < $1.key }.map { "wrk.headers[\"\($0.key)\"] = \"\($0.value)\"" }.joined(separator: "\n"))
            request = function()
              counter = counter + 1
              local path = paths[(counter % #paths) + 1]
              if method == "GET" then return wrk.format("GET", path) end
              local party = parties[(counter % #parties) + 1]
              local body = string.format('{"party":"%s","stage":"pledged","details":{"pledge":{"troops":%d}}}', party, 1000 + (counter % 997))
              return wrk.format("POST", path, nil, body)
            end
            \(thinkMilliseconds > 0 ? "delay = function() return \(thinkMilliseconds) end" : "")
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format('WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
                summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
                latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
            end
            """
    }
}

/// The sign-in answer is a redirect that carries the cookie: read it, do not follow it.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
