import ArgumentParser
import Foundation

/// Why a client command failed, with the exit code that tells a script which kind of failure it was.
///
/// | code | meaning |
/// |------|---------|
/// | 64   | usage: a flag, an argument or an input file is wrong (nothing was sent) |
/// | 65   | refused: the server answered 4xx (not allowed, not found, invalid, conflict…); nothing was recorded |
/// | 69   | unavailable: the server could not be reached, timed out or answered 5xx |
enum ClientFailure: Error, CustomStringConvertible {
    case usage(String)
    /// A 4xx answer: the problem's detail and type, and for a batch the index of the refused item.
    case refused(status: Int, type: String, detail: String, index: Int? = nil)
    /// A 5xx answer.
    case server(status: Int, type: String, detail: String)
    /// No answer: connection refused, timed out, reset.
    case unreachable(String)

    static let usageExitCode: Int32 = 64
    static let refusedExitCode: Int32 = 65
    static let unavailableExitCode: Int32 = 69

    var exitCode: Int32 {
        switch self {
        case .usage: Self.usageExitCode
        case .refused: Self.refusedExitCode
        case .server, .unreachable: Self.unavailableExitCode
        }
    }

    /// One line for standard error.
    var description: String {
        let text: String = switch self {
        case .usage(let message): message
        case let .refused(status, type, detail, _), let .server(status, type, detail): "\(detail) (\(type), HTTP \(status))"
        case .unreachable(let message): message
        }
        return "error: " + text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Runs a client command's body; a failure becomes one line on standard error and its exit code.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as ClientFailure {
        printError(failure.description)
        throw ExitCode(failure.exitCode)
    }
}
