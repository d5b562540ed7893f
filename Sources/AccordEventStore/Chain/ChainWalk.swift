extension EventStore {
    /// Reads the whole log in position order and checks every event against the chain; both backends'
    /// `verifyChain` use it.
    func walkChain(progress: (@Sendable (Int64) -> Void)?) async throws -> ChainVerification {
        var verifier = ChainVerifier()
        while true {
            let page = try await readAll(after: verifier.nextPosition - 1, limit: EventTable.verificationPageSize)
            let redacted = try await redactedPositions(in: page)
            for event in page {
                if let problem = verifier.check(event, payloadRedacted: redacted.contains(event.position)) {
                    return .broken(position: verifier.nextPosition, problem: problem)
                }
            }
            progress?(verifier.nextPosition - 1)
            if page.count < EventTable.verificationPageSize {
                return .intact(lastPosition: verifier.nextPosition - 1, head: verifier.previous)
            }
        }
    }
}

extension EventStore {
    /// The positions among `page` whose payload a recorded redaction replaced (table `accord_redactions`,
    /// migration 4; `docs/audit.md`).
    public func redactedPositions(in page: [RecordedEvent]) async throws -> Set<Int64> {
        guard let first = page.first?.position, let last = page.last?.position else { return [] }
        return try await database.read { conn in
            var positions = Set<Int64>()
            for row in try conn.query(
                "SELECT DISTINCT target_position FROM accord_redactions WHERE target_position BETWEEN $1 AND $2",
                [.integer(first), .integer(last)])
            {
                positions.insert(try row.int(0))
            }
            return positions
        }
    }
}
