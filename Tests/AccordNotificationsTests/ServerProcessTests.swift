import AccordDomain
import AccordEventStore
import AccordTestSupport
import Foundation
import NIOHTTP1
import Testing

/// The real `accord serve`, killed with SIGKILL.
@Suite("accord serve: crashes, restarts and several instances", .serialized)
struct ServerProcessTests {
    @Test("killing accord serve during a retry loop and starting it again loses nothing", arguments: Backend.allCases)
    func killDuringRetries(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, receiver in
            receiver.script([], then: .status(500))
            let port = ServerProcess.freePort()
            let first = try await fleet.start(port: port)
            let token = fleet.prepared.adminToken
            _ = try await first.api.subscribe(receiver, token: token)
            let process = try await first.api.openConsensus(token: token, parties: ["DE", "FR"])
            try await first.api.vote(process, "DE", "yes", token: token)
            try await first.api.vote(process, "FR", "yes", token: token)
            try await receiver.waitUntil(.seconds(30), "the retry loop") { $0.count >= 5 }
            await first.kill()

            receiver.script([], then: .status(200))
            let second = try await fleet.start(port: port)
            try await receiver.waitUntil(.seconds(30), "every notification after the restart") { Set($0.filter { $0.answered == 200 }.map(\.webhookID)).count >= 4 }
            let ids = try await second.api.outboxIDs()
            await second.terminate()
            #expect(ids.count == 4)
            // Only 500s before the crash: each notification was received once, in order.
            expectCompleteAndOrdered(receiver, ids.map { Outboxed(position: 0, ordinal: 0, id: $0, type: "", process: nil, body: "") })
            #expect(Set(receiver.requests.filter { $0.answered == 500 }.map(\.webhookID)) == [ids[0]])
        }
    }

    @Test("a silence deadline that passes while the server is down fires after the restart, effective at the deadline", arguments: Backend.allCases)
    func deadlineAfterRestart(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, receiver in
            let port = ServerProcess.freePort()
            let first = try await fleet.start(port: port)
            let token = fleet.prepared.adminToken
            _ = try await first.api.subscribe(receiver, token: token, types: ["deadline.*", "rule.*"])
            let process = try await first.api.openConsensus(token: token, parties: ["DE", "FR"], template: "nato-silence-procedure")
            let deadline = Instant(secondsSinceEpoch: SystemWallClock().now().microsecondsSinceEpoch / 1_000_000 + 4)
            let set = try await first.api.call(.POST, "/v1/processes/\(process)/deadlines", token: token,
                                               json: #"{"deadline": "silence", "localTime": "\#(World.utcLocal(deadline))", "timeZone": "UTC"}"#)
            #expect(set.status == 201)
            try await receiver.waitUntil(.seconds(20), "the announcement") { $0.contains { $0.type == "org.accord.deadline.approaching" } }
            await first.kill()
            // Down while the deadline passes.
            try await Task.sleep(until: .now + .seconds(6))
            let restartedAt = SystemWallClock().now()
            #expect(restartedAt > deadline)
            let second = try await fleet.start(port: port)
            try await receiver.waitUntil(.seconds(30), "the deadline and the rule") { requests in
                requests.contains { $0.type == "org.accord.deadline.passed" } && requests.contains { $0.type == "org.accord.rule.satisfied" }
            }
            await second.terminate()
            let passed = try #require(receiver.requests.first { $0.type == "org.accord.deadline.passed" })
            #expect(passed.event["time"] as? String == deadline.iso8601)
            #expect(JSONPath.text(passed.event, ["data", "deadline", "outcome"]) == "deemed-adopted")
            // Recorded after the restart, effective when it really happened.
            let recorded = try #require((passed.event["recordedtime"] as? String).flatMap(Instant.init(iso8601:)))
            #expect(recorded >= restartedAt)
            let rule = try #require(receiver.requests.first { $0.type == "org.accord.rule.satisfied" })
            #expect(JSONPath.text(rule.event, ["data", "rule", "since"]) == deadline.iso8601)
            #expect(receiver.requests.filter { $0.type == "org.accord.deadline.passed" }.count == 1)
        }
    }

    @Test("two instances on one PostgreSQL: each notification is delivered once; when the leader is killed the other takes over and nothing is lost")
    func twoInstances() async throws {
        try await withFleet(.postgres) { fleet, receiver in
            let a = try await fleet.start()
            try await eventually(.seconds(10), "the first instance to lead") { a.leads }
            let second = try await fleet.start()
            #expect(!second.leads)
            let token = fleet.prepared.adminToken
            _ = try await second.api.subscribe(receiver, token: token)
            // The standby instance streams too: it wakes through LISTEN/NOTIFY and reads the leader's outbox.
            let stream = StreamClient(second.api.base + "/v1/stream?types=*")
            try await stream.waitFor("the stream to open") { $0.status == 200 }

            for (index, instance) in [a, second, a].enumerated() {
                let process = try await instance.api.openConsensus(token: token, parties: ["DE", "FR"])
                try await instance.api.vote(process, "DE", "yes", token: token)
                try await instance.api.vote(process, "FR", index == 1 ? "objection" : "yes", token: token)
            }
            // Opened, two ballots and the rule satisfied; the objected one has no rule change.
            try await eventually(.seconds(20), "the notifier") { try await second.api.outboxIDs().count == 4 + 3 + 4 }
            let ids = try await second.api.outboxIDs()
            try await receiver.waitUntil(.seconds(30), "the first notifications") { $0.filter { $0.answered == 200 }.count >= ids.count }
            try await Task.sleep(for: .milliseconds(300))
            expectCompleteAndOrdered(receiver, ids.map { Outboxed(position: 0, ordinal: 0, id: $0, type: "", process: nil, body: "") })
            try await stream.waitFor("the stream to follow") { $0.events.count >= ids.count }
            #expect(stream.events.map(\.webhookID) == ids)

            // Kill the leader while a delivery is in flight: the receiver has it, the leader never hears back.
            receiver.script([.delay(.seconds(2))])
            let before = receiver.requests.count
            let process = try await second.api.openConsensus(token: token, parties: ["DE", "FR"])
            try await receiver.waitUntil(.seconds(20), "a delivery in flight") { $0.count > before }
            let inFlight = receiver.requests[before].webhookID
            await a.kill()
            let killedAt = ContinuousClock.now
            try await eventually(.seconds(10), "the other instance to take over") { second.leads }
            let takeover = ContinuousClock.now - killedAt
            #expect(takeover < .seconds(5))
            try await second.api.vote(process, "DE", "yes", token: token)
            try await second.api.vote(process, "FR", "yes", token: token)
            try await eventually(.seconds(20), "the new leader's notifier") { try await second.api.outboxIDs().count >= ids.count + 4 }
            let all = try await second.api.outboxIDs()
            try await receiver.waitUntil(.seconds(30), "every notification") { Set($0.filter { $0.answered == 200 }.map(\.webhookID)).count >= all.count }
            try await stream.waitFor("the stream across the takeover") { $0.events.count >= all.count }
            await stream.close()
            await second.terminate()
            // Across the crash a notification may come twice, with the same id; none is missing or out of order.
            expectCompleteAndOrdered(receiver, all.map { Outboxed(position: 0, ordinal: 0, id: $0, type: "", process: nil, body: "") }, exactlyOnce: false)
            #expect(stream.events.map(\.webhookID) == all)
            let repeated = Set(Dictionary(grouping: receiver.delivered, by: \.webhookID).filter { $0.value.count > 1 }.keys)
            #expect(repeated.isSubset(of: [inFlight]))
            print("two instances: takeover after \(takeover), \(receiver.delivered.count) deliveries of \(all.count) notifications")
        }
    }
}
