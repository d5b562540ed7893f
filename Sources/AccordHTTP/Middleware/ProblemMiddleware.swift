import AccordService
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into an RFC 9457 problem response and stamps each response with its request id, so a
/// user's report and the server log can be matched.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AccordRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            return response
        } catch {
            var problem = Problem.from(error, logger: context.logger)
            // The router knows no route for this method; if the path exists with others, say which.
            if problem.httpStatus == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound" {
                let allowed = RouteTable.methods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem("method-not-allowed", status: .methodNotAllowed,
                                      detail: "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: " or "))",
                                      headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            if problem.httpStatus.code >= 500 {
                context.logger.error("request failed", metadata: ["status": "\(problem.httpStatus.code)", "problem": "\(problem.code)"])
            } else {
                context.logger.info("request refused", metadata: ["status": "\(problem.httpStatus.code)", "problem": "\(problem.code)"])
            }
            var response = try problem.response(from: request, context: context)
            response.headers[.requestID] = context.id
            return response
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
