import AccordDomain
import AccordService
import Synchronization

/// The JSON of a process's rule results, kept for as long as the results themselves do not change: encoding
/// them costs more than everything else a results read does, and dashboards read the same results again and
/// again. Results are identified by the process, the log position and the cut-off they reflect and the span
/// of "as of" instants over which they hold (`QueryService.ReusableResults`); between two reads in that span
/// only the `asOf` member differs, and it is written afresh each time.
final class RenderedResultsCache: Sendable {
    struct Key: Hashable {
        var process: ProcessID
        var position: Int64
        var cutoff: KnowledgeCutoff
        var validFrom: Instant
    }

    private let entries = Mutex<[Key: [UInt8]]>([:])
    static let capacity = 1024

    /// The response body for `results` as of `asOf`.
    func body(_ results: QueryService.ReusableResults, cutoff: KnowledgeCutoff) -> [UInt8] {
        let asOf = results.evaluation.asOf
        let key = Key(process: results.evaluation.process, position: results.position, cutoff: cutoff, validFrom: results.validFrom)
        if let rest = entries.withLock({ $0[key] }) { return Self.asOfMember(asOf) + rest }
        let body = APICoding.encode(results.evaluation)
        // Keys are sorted, so the body starts with the asOf member; what follows it is the same for every read.
        let prefix = Self.asOfMember(asOf)
        guard body.starts(with: prefix) else { return body }
        let rest = Array(body[prefix.count...])
        entries.withLock { all in
            if all.count >= Self.capacity { all.removeAll(keepingCapacity: true) }
            all[key] = rest
        }
        return body
    }

    static func asOfMember(_ asOf: Instant) -> [UInt8] {
        Array(#"{"asOf":""#.utf8) + Array(asOf.iso8601.utf8) + [UInt8(ascii: "\"")]
    }
}
