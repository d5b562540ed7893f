import AccordDomain
import AccordHTTP
import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import NIOHTTP1
import Testing

/// A token for a new account of `role`.
func token(_ world: World, _ role: Role, parties: [PartyCode] = []) async throws -> String {
    let account = try await world.service.accounts.createAccount(name: "\(role.rawValue) \(UUID().uuidString.prefix(6))", role: role,
                                                                 parties: parties, by: systemActor)
    return try await world.service.accounts.issueToken(for: account, name: "test", expiresAt: nil, by: systemActor).secret
}

@Suite("Notification API", .serialized)
struct APITests {
    @Test("webhook subscriptions through the API: admins only; create, read, pause, resume, rotate, ping, deliveries, resend, delete",
          arguments: Backend.allCases)
    func webhookLifecycle(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let admin = try await token(world, .admin)
            let observer = try await token(world, .observer)
            let receiver = Receiver()
            try await receiver.start()
            try await withServer(world) { api in
                let body = #"{"url": "\#(receiver.url)", "description": "ops", "types": ["rule.*", "process.opened"]}"#
                #expect(try await api.call(.POST, "/v1/webhooks", json: body).status == 401)
                let forbidden = try await api.call(.POST, "/v1/webhooks", token: observer, json: body)
                #expect(forbidden.status == 403)
                #expect(forbidden.text("type") == "/problems/forbidden")
                #expect(try await api.call(.GET, "/v1/webhooks", token: observer).status == 403)

                let created = try await api.call(.POST, "/v1/webhooks", token: admin, json: body)
                #expect(created.status == 201)
                let id = try #require(created.text("webhook", "id"))
                let secret = try #require(created.text("secret"))
                #expect(secret.hasPrefix("whsec_"))
                #expect(created.headers["location"] == "/v1/webhooks/\(id)")
                #expect(created.text("webhook", "status") == "active")
                #expect(created.text("webhook", "types") == "process.opened,rule.failed,rule.lost,rule.satisfied")
                receiver.trust(secret)

                let list = try await api.call(.GET, "/v1/webhooks", token: admin)
                #expect(list.status == 200)
                #expect(list.body.count > 0 && !String(decoding: list.body, as: UTF8.self).contains("whsec_"))
                #expect(try await api.call(.GET, "/v1/webhooks/\(id)", token: admin).text("url") == receiver.url)

                let ping = try await api.call(.POST, "/v1/webhooks/\(id)/ping", token: admin)
                #expect(ping.status == 200)
                #expect(ping.text("outcome") == "delivered")
                #expect(receiver.requests.last?.verified == true)

                #expect(try await api.call(.POST, "/v1/webhooks/\(id)/pause", token: admin).text("status") == "paused")
                #expect(try await api.call(.POST, "/v1/webhooks/\(id)/resume", token: admin).text("status") == "active")

                let process = try await agree(world)
                try await receiver.waitUntil(.seconds(20), "the rule notification") { $0.contains { $0.type == "org.accord.rule.satisfied" } }
                // The receiver has the request before the sender has recorded the answer: wait for the record.
                var items: [[String: Any]] = []
                try await eventually(.seconds(20), "the delivery of the rule notification to be recorded") {
                    let deliveries = try await api.call(.GET, "/v1/webhooks/\(id)/deliveries", token: admin)
                    #expect(deliveries.status == 200)
                    items = deliveries.json["deliveries"] as? [[String: Any]] ?? []
                    return items.first?["status"] as? String == "delivered" && items.count == 2
                }
                #expect(items.map { $0["type"] as? String } == ["rule.satisfied", "process.opened"])
                let notification = try #require(items.first?["notification"] as? String)
                let detail = try await api.call(.GET, "/v1/webhooks/\(id)/deliveries/\(notification)", token: admin)
                #expect(detail.text("status") == "delivered")
                #expect((detail.json["log"] as? [[String: Any]])?.count == 1)
                let resend = try await api.call(.POST, "/v1/webhooks/\(id)/deliveries/\(notification)/resend", token: admin)
                #expect(resend.status == 409)
                #expect(resend.text("type") == "/problems/delivery-not-resendable")
                #expect(try await api.call(.GET, "/v1/webhooks/\(id)/deliveries?status=nope", token: admin).status == 400)
                #expect(try await api.call(.GET, "/v1/webhooks/\(id)/deliveries/unknown", token: admin).status == 404)

                let rotated = try await api.call(.POST, "/v1/webhooks/\(id)/rotate-secret", token: admin, json: #"{"graceSeconds": 60}"#)
                #expect(rotated.status == 200)
                #expect(rotated.text("secret") != secret)
                #expect(rotated.text("webhook", "previousSecretValidUntil") != nil)
                #expect(try await api.call(.POST, "/v1/webhooks/\(id)/rotate-secret", token: admin).status == 200)

                #expect(try await api.call(.DELETE, "/v1/webhooks/\(id)", token: admin).status == 204)
                let gone = try await api.call(.GET, "/v1/webhooks/\(id)", token: admin)
                #expect(gone.status == 404)
                #expect(gone.text("type") == "/problems/not-found")
                #expect(process.description.count == 36)
            }
            await receiver.stop()
        }
    }

    @Test("bad subscriptions are refused with a specific problem and nothing is stored", arguments: [Backend.sqlite])
    func refusals(_ backend: Backend) async throws {
        try await withWorld(backend, configuration: testConfiguration(allowPrivate: false)) { world in
            let admin = try await token(world, .admin)
            try await withServer(world) { api in
                let privateTarget = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "http://127.0.0.1:9/hook"}"#)
                #expect(privateTarget.status == 422)
                #expect(privateTarget.text("type") == "/problems/webhook-target-not-allowed")
                #expect(privateTarget.text("title") == "Webhook target not allowed")
                let scheme = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "ftp://example.org/x"}"#)
                #expect(scheme.text("type") == "/problems/webhook-target-not-allowed")
                let type = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "https://example.org/x", "types": ["rule.won"]}"#)
                #expect(type.status == 422)
                #expect(type.text("detail")?.contains("rule.won") == true)
                let secret = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "https://example.org/x", "secret": "hunter2"}"#)
                #expect(secret.status == 422)
                let unknown = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "https://example.org/x", "colour": "red"}"#)
                #expect(unknown.status == 400)
                #expect(unknown.text("type") == "/problems/malformed-request")
                let beyond = try await api.call(.POST, "/v1/webhooks", token: admin, json: #"{"url": "https://example.org/x", "startAfter": 999999999}"#)
                #expect(beyond.status == 422)
                #expect(beyond.text("detail")?.contains("startAfter") == true)
                let media = try await api.call(.POST, "/v1/webhooks", token: admin, headers: ["Content-Type": "text/plain"])
                #expect(media.status == 415)
                let list = try await api.call(.GET, "/v1/webhooks", token: admin)
                #expect((list.json["webhooks"] as? [Any])?.isEmpty == true)
                #expect(try await api.call(.POST, "/v1/webhooks/wh-none/pause", token: admin).status == 404)
            }
        }
    }

    @Test("GET /v1/notifications pages the outbox by log position with the stream's filters", arguments: [Backend.sqlite])
    func notificationList(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            try await withServer(world) { api in
                let process = try await agree(world)
                try await agree(world)
                try await eventually(.seconds(20), "the notifier") {
                    try await world.outbox().count == 8
                }
                let all = try await world.outbox()
                let page = try await api.call(.GET, "/v1/notifications?types=*&limit=3")
                #expect(page.status == 200)
                let first = page.json["notifications"] as? [[String: Any]] ?? []
                // Whole positions: the third notification's position has two (a ballot and the rule it satisfied).
                #expect(first.map { $0["id"] as? String } == all.prefix(first.count).map(\.id))
                let next = try #require(page.json["next"] as? NSNumber)
                let rest = try await api.call(.GET, "/v1/notifications?types=*&after=\(next)")
                let second = rest.json["notifications"] as? [[String: Any]] ?? []
                #expect((first + second).map { $0["id"] as? String } == all.map(\.id))
                #expect(rest.json["next"] == nil)
                let filtered = try await api.call(.GET, "/v1/notifications?process=\(process)")
                #expect((filtered.json["notifications"] as? [[String: Any]])?.map { $0["type"] as? String }
                        == ["org.accord.process.opened", "org.accord.rule.satisfied"])
                #expect(try await api.call(.GET, "/v1/notifications?types=nope").status == 400)
                #expect(try await api.call(.GET, "/v1/notifications?after=-1").status == 400)
            }
        }
    }
}

@Suite("Server-Sent Events", .serialized)
struct StreamTests {
    @Test("a stream resumed with Last-Event-ID misses nothing and repeats nothing already complete", arguments: Backend.allCases)
    func resume(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            try await withServer(world) { api in
                let url = api.base + "/v1/stream?types=*"
                let first = StreamClient(url)
                try await first.waitFor("the stream to open") { $0.status == 200 && !$0.comments.isEmpty }
                try await agree(world)
                try await first.waitFor("the first process's notifications") { $0.events.count == 4 }
                let lastID = try #require(first.lastEventID)
                await first.close()

                // While nobody listens.
                try await agree(world)
                try await eventually(.seconds(20), "the notifier") { try await world.outbox().count == 8 }
                let all = try await world.outbox()

                let resumed = StreamClient(url, lastEventID: lastID)
                try await resumed.waitFor("the missed notifications") { $0.events.count >= 4 }
                try await agree(world)
                try await resumed.waitFor("the live notifications") { $0.events.count >= 8 }
                try await Task.sleep(for: .milliseconds(200))
                let seen = first.events + resumed.events
                let complete = try await world.outbox()
                #expect(seen.map(\.webhookID) == complete.map(\.id))
                #expect(Array(complete.prefix(8)) == all)
                // Ids name positions, on the last event of each position.
                #expect(resumed.events.compactMap(\.id) == Array(Set(complete.dropFirst(4).map { String($0.position) })).sorted { Int64($0)! < Int64($1)! })
                #expect(resumed.events.map(\.event) == complete.dropFirst(4).map(\.type))
                await resumed.close()

                // From the beginning of the log (older than the hub keeps in memory: read from the database).
                let replay = StreamClient(api.base + "/v1/stream?types=*&lastEventId=0")
                try await replay.waitFor("the whole history") { $0.events.count >= complete.count }
                #expect(replay.events.map(\.webhookID) == complete.map(\.id))
                await replay.close()
            }
        }
    }

    @Test("streams filter like webhooks, send heartbeats, and check access like any read", arguments: [Backend.sqlite])
    func filtersHeartbeatsAccess(_ backend: Backend) async throws {
        try await withWorld(backend, configuration: testConfiguration(heartbeat: .milliseconds(300))) { world in
            let observer = try await token(world, .observer)
            try await withServer(world) { api in
                let process = try await world.open("nato-consensus", parties: ["DE", "FR"])
                let stream = StreamClient(api.base + "/v1/stream?types=rule.satisfied&process=\(process)")
                try await stream.waitFor("a heartbeat") { $0.comments.contains("heartbeat") }
                try await world.vote(process, "DE", .yes)
                try await agree(world)
                try await world.vote(process, "FR", .yes)
                try await stream.waitFor("the rule notification") { !$0.events.isEmpty }
                try await Task.sleep(for: .milliseconds(300))
                #expect(stream.events.map(\.event) == ["rule.satisfied"])
                #expect(stream.events.first?.data.contains(process.description) == true)
                await stream.close()
                #expect(try await api.call(.GET, "/v1/stream?types=rule.won").status == 400)
                #expect(try await api.call(.GET, "/v1/stream", headers: ["Last-Event-ID": "x"]).status == 400)
            }
            var strict = ServerConfiguration()
            strict.readsRequireToken = true
            try await withServer(world, configuration: strict) { api in
                #expect(try await api.call(.GET, "/v1/stream").status == 401)
                let allowed = StreamClient(api.base + "/v1/stream", token: observer)
                try await allowed.waitFor("the stream to open") { $0.status == 200 }
                await allowed.close()
            }
        }
    }
}
