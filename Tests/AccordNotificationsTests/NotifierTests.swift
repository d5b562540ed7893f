import AccordDomain
import AccordEventStore
import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("Notifier")
struct NotifierTests {
    @Test("a ballot completing a consensus is reported once as rule.satisfied, with figures and the deciding ballot; an objection loses it; closing fails it",
          arguments: Backend.allCases)
    func ruleTransitions(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let process = try await world.open("nato-consensus", title: "Use of NATO C2", parties: ["DE", "FR"])
            try await world.vote(process, "DE", .yes)
            let deciding = try await world.vote(process, "FR", .yes)
            try await world.system.notifier.catchUp()
            try await world.system.notifier.catchUp()

            let first = try await world.outbox().filter { $0.process == process.description }
            #expect(first.map(\.type) == ["process.opened", "ballot.cast", "ballot.cast", "rule.satisfied"])
            let satisfied = try #require(first.last)
            let position = try #require(deciding.recorded.first?.position)
            #expect(satisfied.position == position)
            #expect(satisfied.rule["id"] as? String == "consensus")
            #expect(satisfied.rule["from"] as? String == "not-yet")
            #expect(satisfied.rule["status"] as? String == "satisfied")
            #expect(satisfied.rule["decision"] as? Bool == true)
            #expect(satisfied.rule["headline"] as? String == "2 of 2 agree, no objection")
            #expect((satisfied.rule["figures"] as? [[String: Any]])?.map { $0["key"] as? String } == ["positions", "objections"])
            let decidedBy = try #require(satisfied.rule["decidedBy"] as? [String: Any])
            #expect(decidedBy["entry"] as? String == deciding.recorded.first?.entry.description)
            #expect(decidedBy["party"] as? String == "FR")
            #expect((decidedBy["position"] as? NSNumber)?.int64Value == position)

            // The CloudEvent around it.
            let event = satisfied.event
            #expect(event["specversion"] as? String == "1.0")
            #expect(event["id"] as? String == satisfied.id)
            #expect(event["type"] as? String == "org.accord.rule.satisfied")
            #expect(event["source"] as? String == "/v1/processes/\(process)")
            #expect(event["subject"] as? String == "rules/consensus")
            #expect(event["datacontenttype"] as? String == "application/json")
            #expect(event["sequence"] as? String == String(format: "%019lld", position))
            #expect(event["recordedtime"] as? String == deciding.recorded.first?.recordedAt.iso8601)
            #expect(event["time"] as? String == deciding.recorded.first?.occurredAt.iso8601)
            #expect((satisfied.data["process"] as? [String: Any])?["title"] as? String == "Use of NATO C2")

            try await world.vote(process, "FR", .objection)
            _ = try await world.service.commands.execute(.close(process: process, note: nil, occurredAt: nil), context: CommandContext(actor: officer))
            try await world.system.notifier.catchUp()
            let later = try await world.outbox().filter { $0.process == process.description }.dropFirst(first.count)
            #expect(later.map(\.type) == ["ballot.cast", "rule.lost", "process.closed", "rule.failed"])
            #expect(later.dropFirst().first?.rule["from"] as? String == "satisfied")
            let closed = try #require(later.first { $0.type == "process.closed" })
            #expect((closed.data["decision"] as? [String: Any])?["status"] as? String == "failed")
        }
    }

    @Test("rebuilding the notifier from the log produces the same notifications with the same ids, and a second notifier adds nothing",
          arguments: Backend.allCases)
    func rebuildIsDeterministic(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            try await world.service.loadDemo()
            let process = try await world.open("nato-consensus", parties: ["DE", "FR"])
            try await world.vote(process, "DE", .yes)
            try await world.vote(process, "FR", .yes)
            try await world.system.notifier.catchUp()
            let original = try await world.outbox()
            #expect(original.count > 20)
            #expect(Set(original.map(\.id)).count == original.count)

            // Another instance's notifier (a former leader finishing its page) finds the checkpoint moved.
            let other = world.restartedSystem(testConfiguration())
            try await other.notifier.catchUp()
            let outbox1 = try await world.outbox()
            #expect(outbox1 == original)
            await other.close()

            try await world.system.notifier.reset(keepOutbox: false)
            let outbox2 = try await world.outbox()
            #expect(outbox2.isEmpty)
            try await world.system.notifier.catchUp()
            let outbox3 = try await world.outbox()
            #expect(outbox3 == original)

            try await world.system.notifier.reset(keepOutbox: true)
            try await world.system.notifier.catchUp()
            let outbox4 = try await world.outbox()
            #expect(outbox4 == original)
        }
    }

    @Test("a retraction and a correction are each notified with the entry they concern, the party and the reason; on request only",
          arguments: [Backend.sqlite])
    func amendments(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let process = try await world.open("nato-consensus", title: "Use of NATO C2", parties: ["DE", "FR"])
            let cast = try await world.vote(process, "DE", .yes)
            let ballot = try #require(cast.recorded.first?.entry)
            let context = CommandContext(actor: officer)
            _ = try await world.service.commands.execute(
                .correct(process: process, entry: ballot, reason: "Wrong date in the minutes", effectiveAt: nil, step: nil,
                         ballot: BallotContent(party: PartyCode("DE")!, position: .yes, statement: "as corrected")), context: context)
            _ = try await world.service.commands.execute(.retract(process: process, entry: ballot, reason: "Recorded for the wrong capital"),
                                                         context: context)
            try await world.system.notifier.catchUp()
            let amendments = try await world.outbox().filter { $0.process == process.description && $0.type.hasPrefix("entry.") }
            #expect(amendments.map(\.type) == ["entry.corrected", "entry.retracted"])
            for notice in amendments {
                let amendment = try #require(notice.data["amendment"] as? [String: Any])
                #expect(amendment["concerns"] as? String == ballot.description)
                #expect(amendment["party"] as? String == "DE")
                #expect(notice.event["subject"] as? String == "parties/DE")
            }
            #expect((amendments.last?.data["amendment"] as? [String: Any])?["reason"] as? String == "Recorded for the wrong capital")
            #expect(!NotificationFilter().matches(type: .entryRetracted, process: process))
            #expect(try NotificationFilter.parseTypes(["entry.*"]) == [.entryCorrected, .entryRetracted])
        }
    }

    @Test("steps and ballots are produced but go only to subscribers who ask; filters accept families and '*'")
    func filters() throws {
        let process = ProcessID()
        let defaults = NotificationFilter()
        #expect(defaults.matches(type: .ruleSatisfied, process: process))
        #expect(!defaults.matches(type: .ballotCast, process: process))
        #expect(!defaults.matches(type: .stepRecorded, process: process))
        let rules = NotificationFilter(types: try NotificationFilter.parseTypes(["rule.*"]), processes: [process])
        #expect(rules.matches(type: .ruleLost, process: process))
        #expect(!rules.matches(type: .ruleLost, process: ProcessID()))
        #expect(!rules.matches(type: .deadlinePassed, process: process))
        #expect(try NotificationFilter.parseTypes(["*"]) == Set(NotificationType.allCases))
        #expect(try NotificationFilter.parseTypes(["ballot.cast, step.recorded"]) == [.ballotCast, .stepRecorded])
        #expect(try NotificationFilter.parseTypes([]) == nil)
        #expect(throws: NotificationError.unknownType("rule.won")) { try NotificationFilter.parseTypes(["rule.won"]) }
        #expect(throws: NotificationError.unknownType("quorum.*")) { try NotificationFilter.parseTypes(["quorum.*"]) }
        #expect(throws: NotificationError.self) { try NotificationFilter.parseProcesses(["not-a-uuid"]) }
    }
}

@Suite("Deadlines and timers")
struct DeadlineTests {
    @Test("a silence deadline is announced within the lead time, then passes: deemed adopted, effective at the deadline, recorded in the log",
          arguments: Backend.allCases)
    func silenceDeemedAdopted(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock) { world in
            let process = try await world.open("nato-silence-procedure", title: "Silence", parties: ["DE", "FR"])
            let deadline = clock.now().adding(seconds: 3600)
            try await world.setDeadline(process, at: deadline)
            try await world.system.settle()
            var outbox = try await world.outbox().filter { $0.process == process.description }
            #expect(outbox.map(\.type) == ["process.opened", "deadline.approaching"])
            let approaching = try #require(outbox.last)
            let notice = try #require(approaching.data["deadline"] as? [String: Any])
            #expect(notice["at"] as? String == deadline.iso8601)
            #expect((notice["leadSeconds"] as? NSNumber)?.int64Value == 86_400)
            #expect(approaching.event["subject"] as? String == "deadlines/silence")

            // Nothing fires before the deadline.
            clock.advance(seconds: 3599)
            try await world.system.settle()
            let outbox5 = try await world.outbox()
            #expect(outbox5.filter { $0.process == process.description }.count == 2)

            clock.advance(seconds: 2)
            try await world.system.settle()
            outbox = try await world.outbox().filter { $0.process == process.description }
            #expect(outbox.map(\.type) == ["process.opened", "deadline.approaching", "deadline.passed", "rule.satisfied"])
            let passed = outbox[2]
            #expect((passed.data["deadline"] as? [String: Any])?["outcome"] as? String == "deemed-adopted")
            #expect(passed.event["time"] as? String == deadline.iso8601)
            #expect(outbox[3].rule["since"] as? String == deadline.iso8601)
            #expect(outbox[3].event["time"] as? String == deadline.iso8601)
            // The firing is a fact in the log, effective at the deadline.
            let fired = try await world.service.store.readAll(after: passed.position - 1, limit: 1)
            #expect(fired.first?.type == "NotificationTimerFired")
            #expect(fired.first?.occurredAt == deadline)

            // Firing again changes nothing.
            clock.advance(seconds: 60)
            try await world.system.settle()
            let outbox6 = try await world.outbox()
            #expect(outbox6.filter { $0.process == process.description }.count == 4)
        }
    }

    @Test("an objection standing at the deadline breaks the silence: deadline.passed names the objector and the rule fails", arguments: Backend.allCases)
    func silenceBroken(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock) { world in
            let process = try await world.open("nato-silence-procedure", parties: ["DE", "FR", "HU"])
            let deadline = clock.now().adding(seconds: 600)
            try await world.setDeadline(process, at: deadline)
            try await world.vote(process, "HU", .objection, statement: "needs more time")
            clock.advance(seconds: 601)
            try await world.system.settle()
            let outbox = try await world.notices().filter { $0.process == process.description }
            #expect(outbox.map(\.type) == ["process.opened", "deadline.approaching", "deadline.passed", "rule.failed"])
            let notice = try #require(outbox[2].data["deadline"] as? [String: Any])
            #expect(notice["outcome"] as? String == "silence-broken")
            #expect(notice["objections"] as? [String] == ["HU"])
            #expect(outbox[3].rule["since"] as? String == deadline.iso8601)
        }
    }

    @Test("an extended deadline passes once, at its new time; the timers of the old one are cancelled", arguments: Backend.allCases)
    func extendedDeadline(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock, configuration: testConfiguration(deadlineLead: .seconds(3600))) { world in
            let process = try await world.open("nato-silence-procedure", parties: ["DE", "FR"])
            let first = clock.now().adding(seconds: 7200)
            let second = clock.now().adding(seconds: 18_000)
            try await world.setDeadline(process, at: first)
            try await world.system.settle()
            try await world.extendDeadline(process, to: second)
            clock.advance(seconds: 3 * 3600)
            try await world.system.settle()
            let outbox7 = try await world.outbox()
            let types7 = outbox7.filter { $0.process == process.description }.map { $0.type }
            #expect(types7 == ["process.opened"])
            clock.advance(seconds: 3600 + 60)
            try await world.system.settle()
            let approaching = try await world.outbox().filter { $0.type == "deadline.approaching" }
            #expect(approaching.count == 1)
            #expect(approaching.first?.text("data", "deadline", "at") == second.iso8601)
            clock.advance(seconds: 3600)
            try await world.system.settle()
            let passed = try await world.outbox().filter { $0.type == "deadline.passed" }
            #expect(passed.count == 1)
            #expect(passed.first?.text("time") == second.iso8601)
        }
    }

    @Test("deadlines that passed while nothing ran fire at start-up with their real effective time; a stale announcement is not sent",
          arguments: Backend.allCases)
    func firesAfterRestart(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock, configuration: testConfiguration(deadlineLead: .seconds(600))) { world in
            let process = try await world.open("nato-silence-procedure", parties: ["DE", "FR"])
            let deadline = clock.now().adding(seconds: 3600)
            try await world.setDeadline(process, at: deadline)
            try await world.system.notifier.catchUp()
            await world.system.close()
            // Down for two hours: the announcement (due 10 min before) and the deadline both passed meanwhile.
            clock.advance(seconds: 7200)
            let restarted = world.restartedSystem(testConfiguration(deadlineLead: .seconds(600)))
            try await restarted.settle()
            await restarted.close()
            let outbox = try await world.outbox().filter { $0.process == process.description }
            #expect(outbox.map(\.type) == ["process.opened", "deadline.passed", "rule.satisfied"])
            #expect(outbox[1].event["time"] as? String == deadline.iso8601)
            #expect(outbox[2].rule["since"] as? String == deadline.iso8601)
        }
    }

    @Test("an entry into force foreseen for a later date is reported on that date, without anything else being recorded", arguments: Backend.allCases)
    func ruleChangesByItself(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock) { world in
            let process = try await world.open("treaty-entry-into-force", parties: ["DE", "FR"],
                                               parameters: ["signatories": .array([.string("DE"), .string("FR")]), "instruments": .integer(2), "days": .integer(1)])
            for party in ["DE", "FR"] {
                try await world.step(process, party, "parliament-approved")
                try await world.step(process, party, "instrument-deposited")
            }
            try await world.system.settle()
            let outbox8 = try await world.outbox()
            #expect(outbox8.filter { $0.type.hasPrefix("rule.") }.isEmpty)
            let entryIntoForce = Instant(startOf: clock.now().utcDate.adding(days: 1))
            clock.set(entryIntoForce.adding(seconds: 1))
            try await world.system.settle()
            let satisfied = try await world.outbox().filter { $0.type == "rule.satisfied" }
            #expect(satisfied.count == 1)
            #expect(satisfied.first?.rule["since"] as? String == entryIntoForce.iso8601)
        }
    }

    @Test("a parliamentary approval ending soon is announced, and its end reported", arguments: Backend.allCases)
    func approvalExpiry(_ backend: Backend) async throws {
        let clock = TestClock()
        try await withWorld(backend, clock: clock) { world in
            let process = try await world.open("coalition-force-generation", parties: ["DE", "FR"])
            let end = clock.now().utcDate.adding(days: 10)
            try await world.step(process, "DE", "government-decision")
            try await world.step(process, "DE", "parliamentary-approval", details: StepDetails(parliamentary: ParliamentaryDetails(
                chamber: "Bundestag", procedure: .vote, votesFor: 400, votesAgainst: 200, mandate: Mandate(maxTroops: 5000, endDate: end))))
            try await world.system.settle()
            let expiring = try await world.outbox().filter { $0.type == "approval.expiring" }
            #expect(expiring.count == 1)
            let approval = try #require(expiring.first?.data["approval"] as? [String: Any])
            #expect(approval["party"] as? String == "DE")
            #expect(approval["chamber"] as? String == "Bundestag")
            #expect(approval["endDate"] as? String == end.iso8601)
            #expect(approval["lapsesAt"] as? String == Instant(startOf: end.adding(days: 1)).iso8601)
            clock.set(Instant(startOf: end.adding(days: 1)).adding(seconds: 5))
            try await world.system.settle()
            let expired = try await world.outbox().filter { $0.type == "approval.expired" }
            #expect(expired.count == 1)
            #expect(expired.first?.event["time"] as? String == Instant(startOf: end.adding(days: 1)).iso8601)
            let outbox9 = try await world.outbox()
            #expect(outbox9.filter { $0.type == "approval.expiring" }.count == 1)
        }
    }
}
