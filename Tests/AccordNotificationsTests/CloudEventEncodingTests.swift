@testable import AccordNotifications
import AccordDomain
import AccordService
import AccordTestSupport
import Foundation
import Testing

@Suite("CloudEvent encoding")
struct CloudEventEncodingTests {
    @Test("every notification of the demo, a consensus and a silence procedure is written as Foundation writes it")
    func notificationsAsFoundationWrites() async throws {
        let clock = TestClock()
        try await withWorld(.sqlite, clock: clock) { world in
            _ = try await world.service.loadDemo()
            let consensus = try await world.open("nato-consensus", parties: ["DE", "FR"])
            try await world.vote(consensus, "DE", .yes)
            try await world.vote(consensus, "FR", .yes)
            let silence = try await world.open("nato-silence-procedure", title: "Silence \"quoted\" / slashed", parties: ["DE", "FR"])
            try await world.setDeadline(silence, at: clock.now().adding(seconds: 3600))
            try await world.system.settle()

            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let outbox = try await world.outbox()
            #expect(outbox.count > 20)
            var types = Set<String>()
            for row in outbox {
                let event = row.event
                let text = try #require(event["id"] as? String)
                let id = try #require(UUID(uuidString: text))
                let data = try JSONSerialization.data(withJSONObject: try #require(event["data"]))
                let payload = try JSONDecoder().decode(NotificationPayload.self, from: data)
                let rebuilt = CloudEvent(notification: id, payload: payload, subject: event["subject"] as? String)
                #expect(String(decoding: try encoder.encode(rebuilt), as: UTF8.self) == row.body, "\(row.type) at \(row.position)")
                #expect(rebuilt.encoded() == Array(row.body.utf8))
                types.insert(row.type)
            }
            #expect(types.isSuperset(of: ["process.opened", "step.recorded", "ballot.cast", "rule.satisfied", "deadline.approaching"]))
        }
    }
}
