import AccordDomain
import AccordEventStore
import AccordService
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An RFC 9457 problem: `application/problem+json` with a stable `type` per kind of error. The type is a
/// relative URI (`/problems/stage-out-of-order`) that the server itself answers with an explanation.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var code: String
    public var title: String
    public var httpStatus: HTTPResponse.Status
    public var detail: String
    /// Extra members: `currentVersion`, `rule`, `errors`, `retryAfter`...
    public var extensions: [String: JSONValue]
    public var headers: HTTPFields

    public init(_ code: String, status: HTTPResponse.Status, detail: String, extensions: [String: JSONValue] = [:], headers: HTTPFields = [:]) {
        self.code = code
        self.httpStatus = status
        self.title = ProblemCatalogue.entry(code)?.title ?? status.reasonPhrase
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    public var status: HTTPResponse.Status { httpStatus }

    public var type: String { "/problems/\(code)" }

    public func body(instance: String?, requestID: String?) -> [UInt8] {
        var object: [String: JSONValue] = extensions
        object["type"] = .string(type)
        object["title"] = .string(title)
        object["status"] = .integer(Int64(httpStatus.code))
        object["detail"] = .string(detail)
        if let instance { object["instance"] = .string(instance) }
        if let requestID { object["requestId"] = .string(requestID) }
        return APICoding.encode(JSONValue.object(object))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let bytes = body(instance: request.uri.path, requestID: context.id)
        return Response(status: httpStatus, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: Kinds raised by the HTTP layer itself

    public static func malformed(_ detail: String, errors: [String] = []) -> Problem {
        Problem("malformed-request", status: .badRequest, detail: detail,
                extensions: errors.isEmpty ? [:] : ["errors": .array(errors.map { .string($0) })])
    }

    public static func unsupportedMediaType(_ given: String?) -> Problem {
        Problem("unsupported-media-type", status: .unsupportedMediaType,
                detail: "send the body as application/json" + (given.map { " (got \($0))" } ?? " (no Content-Type given)"))
    }

    public static func tooLarge(limit: Int) -> Problem {
        Problem("body-too-large", status: .contentTooLarge, detail: "the request body is larger than the limit of \(limit) bytes",
                extensions: ["limit": .integer(Int64(limit))])
    }

    public static func badParameter(_ name: String, _ detail: String) -> Problem {
        Problem("invalid-parameter", status: .badRequest, detail: "\(name): \(detail)", extensions: ["parameter": .string(name)])
    }

    /// Maps every error a handler can throw to a problem. Unknown errors become a 500 that says nothing
    /// about internals (the log has the detail, under the same request id).
    public static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let service as ServiceError:
            return from(service, logger: logger)
        case let domain as DomainError:
            return from(ServiceError.domain(domain), logger: logger)
        case let store as EventStoreError:
            return from(ServiceError.store(store), logger: logger)
        case let http as HTTPError:
            switch http.status {
            case .notFound: return Problem("not-found", status: .notFound, detail: http.body ?? "no such resource")
            case .methodNotAllowed: return Problem("method-not-allowed", status: .methodNotAllowed, detail: http.body ?? "method not allowed here")
            case .contentTooLarge: return Problem("body-too-large", status: .contentTooLarge, detail: http.body ?? "the request body is too large")
            default:
                if http.status.code < 500 { return Problem("bad-request", status: http.status, detail: http.body ?? http.status.reasonPhrase) }
            }
        case is NIOTooManyBytesError:
            return Problem("body-too-large", status: .contentTooLarge, detail: "the request body is too large")
        case is CancellationError:
            return Problem("unavailable", status: .serviceUnavailable, detail: "the server is shutting down; retry")
        default:
            break
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return Problem("internal-error", status: .internalServerError, detail: "an unexpected error occurred; it was logged with this request's id")
    }

    static func from(_ error: ServiceError, logger: Logger) -> Problem {
        switch error {
        case .domain(let e):
            var ext: [String: JSONValue] = [:]
            if let rule = e.templateRule { ext["rule"] = .string(rule) }
            return Problem(e.code, status: e.isNotFound ? .notFound : .unprocessableContent, detail: e.description, extensions: ext)
        case .store(let e):
            switch e {
            case let .wrongExpectedVersion(_, _, actual):
                return Problem("version-conflict", status: .conflict, detail: e.description, extensions: ["currentVersion": actual.map { .integer($0) } ?? .null])
            case .payloadTooLarge(_, let limit):
                return Problem("payload-too-large", status: .contentTooLarge, detail: e.description, extensions: ["limit": .integer(Int64(limit))])
            case .invalidPayload, .invalidStreamName, .invalidEventType, .invalidExpectedVersion, .emptyAppend, .duplicateEventInAppend,
                 .duplicateStreamInAppend, .invalidActor:
                return Problem("invalid-event", status: .unprocessableContent, detail: e.description)
            case .idempotencyConflict:
                return Problem("idempotency-key-reused", status: .unprocessableContent, detail: e.description)
            case .unavailable:
                logger.warning("database unavailable", metadata: ["error": "\(e)"])
                return Problem("unavailable", status: .serviceUnavailable, detail: "the database is unavailable; retry shortly",
                               headers: [.retryAfter: "2"])
            case .databaseTooNew, .migrationFailed, .database:
                logger.error("database error", metadata: ["error": "\(e)"])
                return Problem("internal-error", status: .internalServerError, detail: "a database error occurred; it was logged with this request's id")
            }
        case let .versionMismatch(_, current):
            return Problem("precondition-failed", status: .preconditionFailed, detail: error.description,
                           extensions: ["currentVersion": .integer(current)], headers: [.eTag: ETag.value(current)])
        case .conflict(let current):
            return Problem("version-conflict", status: .conflict, detail: error.description, extensions: ["currentVersion": .integer(current)])
        case .notFound:
            return Problem("not-found", status: .notFound, detail: error.description)
        case .unauthenticated:
            return Problem("unauthenticated", status: .unauthorized, detail: error.description, headers: [.wwwAuthenticate: "Bearer realm=\"accord\""])
        case .forbidden:
            return Problem("forbidden", status: .forbidden, detail: error.description)
        case .invalidRequest:
            return Problem("invalid-request", status: .unprocessableContent, detail: error.description)
        case .idempotencyKeyReused:
            return Problem("idempotency-key-reused", status: .unprocessableContent, detail: error.description)
        case .idempotencyInProgress:
            return Problem("idempotency-in-progress", status: .conflict, detail: error.description, headers: [.retryAfter: "1"])
        case .tooManyRequests(let seconds):
            return Problem("too-many-requests", status: .tooManyRequests, detail: error.description,
                           extensions: ["retryAfter": .integer(Int64(seconds))], headers: [.retryAfter: String(seconds)])
        }
    }
}

/// Entity tags for processes: the stream version, quoted.
public enum ETag {
    public static func value(_ version: Int64) -> String { "\"\(version)\"" }

    /// Parses `If-Match`: `"3"`, `W/"3"`, `3`, or `*` (nil: any version).
    public static func parse(_ header: String) throws -> Int64? {
        let trimmed = header.trimmingHTTPWhitespace
        if trimmed == "*" { return nil }
        var text = trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed
        if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        guard let version = Int64(text), version >= 0 else {
            throw Problem.badParameter("If-Match", "'\(header)' is not a process version such as \"3\"")
        }
        return version
    }
}
