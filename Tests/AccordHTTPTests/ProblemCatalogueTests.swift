import AccordDomain
import AccordHTTP
import Testing

@Suite("Problem catalogue")
struct ProblemCatalogueTests {
    @Test("problem codes are unique and every domain error's code is catalogued")
    func everyCodeIsCatalogued() {
        let codes = ProblemCatalogue.all.map(\.code)
        #expect(Set(codes).count == codes.count)
        let domainErrors: [DomainError] = [
            .unknownParty(PartyCode("DE")!), .transitionNotAllowed(party: PartyCode("DE")!, from: nil, to: StageID("a")!, allowed: [], rule: "r"),
            .requirementNotMet(party: PartyCode("DE")!, stage: StageID("a")!, requires: StageID("b")!, rule: "r"),
            .objectionAfterDeadline(deadline: DeadlineValue(at: Instant(secondsSinceEpoch: 0), timeZone: "UTC", localTime: "1970-01-01T00:00"), occurredAt: Instant(secondsSinceEpoch: 1)),
            .invalidParameter(name: "x", reason: "y"), .occurredInFuture(occurredAt: Instant(secondsSinceEpoch: 1), now: Instant(secondsSinceEpoch: 0), allowanceSeconds: 300),
        ]
        for error in domainErrors {
            #expect(ProblemCatalogue.entry(error.code) != nil, "\(error.code) is not in the catalogue")
        }
    }
}
