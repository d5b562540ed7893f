import AccordDomain
import AccordEventStore

/// Failures of the service layer that a caller can act on, mapped one-to-one onto problem types by the HTTP
/// adapter and onto one-line messages and exit codes by the CLI.
public enum ServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    case domain(DomainError)
    case store(EventStoreError)
    /// `If-Match` named another version of the process than the current one.
    case versionMismatch(expected: Int64, current: Int64)
    /// Writers kept changing the process while this command was retried.
    case conflict(current: Int64)
    case notFound(String)
    case unauthenticated(String)
    case forbidden(String)
    case invalidRequest(String)
    case idempotencyKeyReused
    case idempotencyInProgress
    case tooManyRequests(retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .domain(let e): e.description
        case .store(let e): e.description
        case let .versionMismatch(expected, current): "the process is at version \(current), not \(expected); reload it and try again"
        case .conflict(let current): "the process changed while recording (now at version \(current)); try again"
        case .notFound(let what): "\(what) not found"
        case .unauthenticated(let why): why
        case .forbidden(let why): why
        case .invalidRequest(let why): why
        case .idempotencyKeyReused: "this Idempotency-Key was already used for a different request"
        case .idempotencyInProgress: "a request with this Idempotency-Key is still being processed"
        case .tooManyRequests(let seconds): "too many failed attempts; try again in \(seconds) s"
        }
    }

    /// Wraps any error from the layers below.
    public static func wrap(_ error: any Error) -> ServiceError {
        switch error {
        case let e as ServiceError: e
        case let e as DomainError: .domain(e)
        case let e as EventStoreError: .store(e)
        default: .store(.database(String(describing: error)))
        }
    }
}
