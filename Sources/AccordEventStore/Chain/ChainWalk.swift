extension EventStore {
    /// Reads the whole log in position order and checks every event against the chain; both backends'
    /// `verifyChain` use it.
    func walkChain(progress: (@Sendable (Int64) -> Void)?) async throws -> ChainVerification {
        var verifier = ChainVerifier()
        while true {
            let page = try await readAll(after: verifier.nextPosition - 1, limit: EventTable.verificationPageSize)
            for event in page {
                if let problem = verifier.check(event) {
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
