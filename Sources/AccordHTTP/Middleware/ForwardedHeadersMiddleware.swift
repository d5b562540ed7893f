import Foundation
import HTTPTypes
import Hummingbird

/// Behind a trusted reverse proxy (nginx), the socket address is the proxy's: the client is the last hop the
/// proxy appended to `X-Forwarded-For`, and `X-Forwarded-Proto` says whether it came over HTTPS. Installed only
/// with `--trust-forwarded-headers`, since a client reaching the server directly could forge these headers.
struct ForwardedHeadersMiddleware: RouterMiddleware {
    typealias Context = AccordRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            context.remoteAddress = last
        }
        context.isSecure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        return try await next(request, context)
    }
}
