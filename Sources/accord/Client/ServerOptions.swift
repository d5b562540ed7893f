import AsyncHTTPClient
import ArgumentParser
import Foundation
import NIOCore

/// How a client command reaches the server: `--server`, the token and the time limits. Shared by every
/// command that talks to a running `accord serve`.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Accord server. [ACCORD_SERVER, default http://127.0.0.1:8080]", valueName: "url"))
    var server: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "A file holding the API token (its first line). Default: the ACCORD_TOKEN environment variable.", valueName: "path"))
    var tokenFile: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp(
        "Seconds to wait for an answer before giving up. [default 30; 600 for imports]", valueName: "seconds"))
    var timeoutSeconds: Int64?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Seconds to wait for a connection. [default 5]", valueName: "seconds"))
    var connectTimeoutSeconds: Int64 = 5

    func validate() throws {
        guard timeoutSeconds ?? 1 > 0, connectTimeoutSeconds > 0 else { throw ValidationError("--timeout and --connect-timeout must be positive") }
    }

    /// The server's base URL, without a trailing slash.
    func baseURL() throws(ClientFailure) -> String {
        let text = environmentValue(server, "ACCORD_SERVER") ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw .usage("--server \(text): not an http:// or https:// URL")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// The API token: the first line of `--token-file`, else `ACCORD_TOKEN`; nil when neither is given (reads
    /// may not need one).
    func token() throws(ClientFailure) -> String? {
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw .usage("--token-file \(tokenFile): cannot read the file")
            }
            let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let line, !line.isEmpty else { throw .usage("--token-file \(tokenFile): the file is empty") }
            return line
        }
        return environmentValue(nil, "ACCORD_TOKEN")
    }

    /// Runs `body` with a client for the server, then shuts the client down; failures become one line on
    /// standard error and the matching exit code.
    func withClient(defaultTimeoutSeconds: Int64 = 30, _ body: (APIClient) async throws -> Void) async throws {
        try await reportingFailures {
            let client = APIClient(
                base: try baseURL(), token: try token(),
                connectTimeout: .seconds(connectTimeoutSeconds), readTimeout: .seconds(timeoutSeconds ?? defaultTimeoutSeconds))
            do {
                try await body(client)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }
}

/// `--json`: the API's JSON instead of the human-readable text.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the API's JSON (for scripts) instead of text.")
    var json = false
}
