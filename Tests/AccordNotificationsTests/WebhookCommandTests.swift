import AccordTestSupport
import Foundation
import Testing

@Suite("accord webhook", .serialized)
struct WebhookCommandTests {
    @Test("the CLI manages subscriptions on the database: create, list, show, pause, resume, ping, rotate, deliveries, delete; errors are one line and a failure exit",
          arguments: Backend.allCases)
    func lifecycle(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, receiver in
            let database = ["--database", fleet.prepared.database.argument]
            let created = try await runAccord(["webhook", "create"] + database + ["--url", receiver.url, "--type", "rule.*", "--allow-private-webhooks"])
            #expect(created.status == 0)
            let lines = created.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            let id = try #require(lines.first)
            let secret = try #require(lines.last)
            #expect(id.hasPrefix("wh-") && secret.hasPrefix("whsec_"))
            receiver.trust(secret)

            let refused = try await runAccord(["webhook", "create"] + database + ["--url", receiver.url])
            #expect(refused.status != 0)
            #expect(refused.errors.contains("is not allowed") && refused.errors.contains("loopback"))
            #expect(refused.errors.split(separator: "\n").count == 1)
            let badType = try await runAccord(["webhook", "create"] + database + ["--url", "https://example.org/", "--type", "rule.won"])
            #expect(badType.status != 0)
            #expect(badType.errors.contains("unknown notification type 'rule.won'"))
            let beyond = try await runAccord(["webhook", "create"] + database + ["--url", "https://example.org/", "--start-after", "999999999"])
            #expect(beyond.status != 0)
            #expect(beyond.errors.contains("999999999 is not a log position"))
            #expect(beyond.errors.split(separator: "\n").count == 1)

            let list = try await runAccord(["webhook", "list"] + database)
            #expect(list.output.contains(id) && list.output.contains("active") && list.output.contains("rule.failed,rule.lost,rule.satisfied"))
            #expect(try await runAccord(["webhook", "pause", id] + database).output.contains("paused"))
            #expect(try await runAccord(["webhook", "resume", id] + database).output.contains("active"))
            let ping = try await runAccord(["webhook", "ping", id, "--allow-private-webhooks"] + database)
            #expect(ping.status == 0)
            #expect(ping.output.contains("delivered"))
            #expect(receiver.requests.last?.verified == true)
            let rotated = try await runAccord(["webhook", "rotate-secret", id, "--grace", "1h"] + database)
            #expect(rotated.output.hasPrefix("whsec_") && !rotated.output.contains(secret))
            let deliveries = try await runAccord(["webhook", "deliveries", id, "--status", "failed"] + database)
            #expect(deliveries.status == 0 && deliveries.output.isEmpty)
            #expect(try await runAccord(["webhook", "show", id] + database).output.contains(receiver.url))
            #expect(try await runAccord(["webhook", "delete", id] + database).status == 0)
            let missing = try await runAccord(["webhook", "delete", id] + database)
            #expect(missing.status != 0)
            #expect(missing.errors.contains("webhook subscription \(id) not found"))
        }
    }
}
