import HTTPTypes
import Hummingbird
import Logging

/// One structured log line per request (method, path, status, duration, client address), under the request id
/// that the response carries in `X-Request-Id`, so a user's report and the server log can be matched. Health
/// probes and metric scrapes log at debug level only: they arrive every few seconds and say nothing.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AccordRequestContext

    static let quietPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let level: Logger.Level = Self.quietPaths.contains(request.uri.path) ? .debug : .info
        do {
            let response = try await next(request, context)
            log(request, context, status: Int(response.status.code), since: start, level: level)
            return response
        } catch {
            // The problem middleware answers every error; anything arriving here closes the connection.
            log(request, context, status: nil, since: start, level: .error)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int?, since start: ContinuousClock.Instant, level: Logger.Level) {
        guard context.logger.logLevel <= level else { return }
        let elapsed = ContinuousClock.now - start
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        context.logger.log(level: level, "request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .string(status.map(String.init) ?? "aborted"),
            "durationUs": .string(String(microseconds)),
            "remote": .string(context.remoteAddress),
        ])
    }
}
