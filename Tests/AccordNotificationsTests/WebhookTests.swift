import AccordDomain
import AccordEventStore
@testable import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import Testing

/// Opens a consensus of DE and FR and has both agree: 4 notifications for a subscriber of every type
/// (opened, two ballots, satisfied).
@discardableResult
func agree(_ world: World) async throws -> ProcessID {
    let process = try await world.open("nato-consensus", parties: ["DE", "FR"])
    try await world.vote(process, "DE", .yes)
    try await world.vote(process, "FR", .yes)
    return process
}

func subscribe(_ world: World, _ receiver: Receiver, types: [String] = ["*"], processes: [String] = []) async throws -> WebhookSubscription {
    let (subscription, secret) = try await world.system.webhooks.create(
        url: receiver.url, description: "test receiver",
        filter: NotificationFilter(types: try NotificationFilter.parseTypes(types), processes: try NotificationFilter.parseProcesses(processes)),
        secret: nil, startAfter: nil, by: systemActor)
    receiver.trust(secret.text)
    return subscription
}

/// Checks what a subscriber must be able to rely on: every notification of the outbox it asked for arrived,
/// signed, in log order (by first arrival); a notification that arrived more than once (a timeout, a crash)
/// carried the same `webhook-id` each time, so the receiver can drop the repeat. With `exactlyOnce`, none came
/// twice.
func expectCompleteAndOrdered(_ receiver: Receiver, _ expected: [Outboxed], exactlyOnce: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    let delivered = receiver.delivered
    var seen = Set<String>()
    let firsts = delivered.filter { seen.insert($0.webhookID).inserted }
    #expect(firsts.map(\.webhookID) == expected.map(\.id), sourceLocation: sourceLocation)
    let unverified = delivered.filter { !$0.verified }
    #expect(unverified.isEmpty, sourceLocation: sourceLocation)
    let order = firsts.map { [$0.position, $0.ordinal] }
    #expect(order == order.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }, sourceLocation: sourceLocation)
    if exactlyOnce { #expect(delivered.count == firsts.count, sourceLocation: sourceLocation) }
    // The same id always carried the same body.
    let bodies = Dictionary(grouping: delivered, by: \.webhookID).values.filter { Set($0.map(\.body)).count > 1 }
    #expect(bodies.isEmpty, sourceLocation: sourceLocation)
}

@Suite("Webhooks", .serialized)
struct WebhookTests {
    @Test("a delivery is a signed CloudEvent: Standard Webhooks headers, the outbox's body, verified with the secret", arguments: Backend.allCases)
    func signedDelivery(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver, types: [])
            let process = try await agree(world)
            try await world.system.settle()
            await receiver.stop()

            let expected = try await world.notices().filter { $0.process == process.description }
            #expect(expected.map(\.type) == ["process.opened", "rule.satisfied"])
            expectCompleteAndOrdered(receiver, expected)
            let request = try #require(receiver.requests.last)
            #expect(request.contentType.hasPrefix("application/cloudevents+json"))
            #expect(String(decoding: request.body, as: UTF8.self) == expected.last?.body)
            #expect(request.signature.hasPrefix("v1,"))
            let sent = try #require(Int64(request.timestamp))
            #expect(abs(sent - TestClock.system().microsecondsSinceEpoch / 1_000_000) < 60)
            #expect(request.event["id"] as? String == request.webhookID)

            let deliveries = try await world.system.webhooks.store.deliveries(subscription.id, status: nil, before: nil, limit: 10)
            #expect(deliveries.map(\.status) == [.delivered, .delivered])
            let log = try await world.system.webhooks.store.delivery(subscription.id, notification: request.webhookID).log
            #expect(log?.count == 1)
            #expect(log?.first?.statusCode == 200)
            #expect(log?.first?.response == "answer 200")
            #expect(try await world.system.webhooks.store.subscription(subscription.id).handledThrough == request.position)
        }
    }

    @Test("the signer reproduces the Standard Webhooks test vector and verifies what it signs")
    func signatureVector() throws {
        let secret = try WebhookSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: body, header: "v1,bogus " + signature,
                                        secret: secret, now: 1_614_265_330 + 10))
        #expect(!WebhookSignature.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: body + [32], header: signature,
                                         secret: secret, now: 1_614_265_330))
        #expect(!WebhookSignature.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: body, header: signature,
                                         secret: secret, now: 1_614_265_330 + 3600))
        #expect(throws: NotificationError.self) { try WebhookSecret(parsing: "whsec_c2hvcnQ=") }
        #expect(throws: NotificationError.self) { try WebhookSecret(parsing: "secret") }
        #expect(WebhookSecret.generate() != WebhookSecret.generate())
        #expect("\(WebhookSecret.generate())" == "whsec_…")
    }

    @Test("while the receiver answers 500, times out, then is down, deliveries are retried; when it recovers every notification arrives in order, each with one stable webhook-id",
          arguments: Backend.allCases)
    func retriesUntilRecovery(_ backend: Backend) async throws {
        try await withWorld(backend, configuration: testConfiguration(responseTimeout: .milliseconds(500))) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver)
            receiver.script([.status(500), .status(503), .delay(.seconds(2))])
            try await whileRunning(world.system) {
                try await agree(world)
                try await receiver.waitUntil(.seconds(20), "three failed attempts") { $0.count >= 3 }
                await receiver.stop()
                // Connection refused for a while.
                try await Task.sleep(for: .milliseconds(700))
                try await receiver.start()
                try await receiver.waitUntil(.seconds(30), "all four notifications") { requests in
                    Set(requests.filter { (200..<300).contains($0.answered) }.map(\.webhookID)).count >= 4
                }
            }
            let expected = try await world.outbox()
            #expect(expected.count == 4)
            // The request that timed out was received all the same: it comes twice, with the same id.
            expectCompleteAndOrdered(receiver, expected, exactlyOnce: false)
            // Every attempt at the first notification carried its id; nothing after it went out before it.
            let first = try #require(expected.first)
            #expect(receiver.requests.prefix(3).allSatisfy { $0.webhookID == first.id })
            let delivery = try await world.system.webhooks.store.delivery(subscription.id, notification: first.id)
            #expect(delivery.status == .delivered)
            let outcomes = delivery.log?.map(\.outcome) ?? []
            #expect(outcomes.count == delivery.attempts)
            #expect(outcomes.prefix(3) == ["retry", "retry", "retry"])
            #expect(delivery.log?.first?.statusCode == 500)
            #expect(delivery.log?[2].error == "response timeout")
            #expect(outcomes.last == "delivered")
            #expect(outcomes.count >= 4)
        }
    }

    @Test("429 with Retry-After is honoured", arguments: [Backend.sqlite])
    func retryAfter(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            _ = try await subscribe(world, receiver, types: ["process.opened"])
            receiver.script([.status(429, headers: ["Retry-After": "1"])])
            try await whileRunning(world.system) {
                try await world.open("nato-consensus", parties: ["DE"])
                try await receiver.waitUntil(.seconds(20), "the retry") { $0.count >= 2 }
            }
            await receiver.stop()
            let requests = receiver.requests
            let gap = requests[1].arrivedAt.microsecondsSinceEpoch - requests[0].arrivedAt.microsecondsSinceEpoch
            #expect(gap >= 1_000_000)
            #expect(requests[1].answered == 200)
        }
    }

    @Test("410 Gone disables the subscription; resuming sends what waited", arguments: [Backend.sqlite])
    func goneDisables(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver)
            receiver.script([.status(410)])
            try await agree(world)
            try await world.system.settle()
            var current = try await world.system.webhooks.store.subscription(subscription.id)
            #expect(current.status == .disabled)
            #expect(current.statusReason == "the receiver answered 410 Gone")
            #expect(receiver.requests.count == 1)
            try await world.system.settle()
            #expect(receiver.requests.count == 1)
            current = try await world.system.webhooks.resume(subscription.id)
            #expect(current.status == .active)
            try await world.system.settle()
            await receiver.stop()
            expectCompleteAndOrdered(receiver, try await world.outbox())
        }
    }

    @Test("another 4xx fails that delivery without retry and the next goes out; a failed delivery can be re-sent, a delivered one cannot",
          arguments: Backend.allCases)
    func clientErrorFailsAndResend(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver)
            receiver.script([.status(400)])
            try await agree(world)
            try await world.system.settle()
            let outbox = try await world.outbox()
            #expect(receiver.requests.map(\.webhookID) == outbox.map(\.id))
            let failed = try await world.system.webhooks.store.deliveries(subscription.id, status: .failed, before: nil, limit: 10)
            #expect(failed.map(\.notification) == [outbox[0].id])
            #expect(failed.first?.attempts == 1)
            #expect(failed.first?.lastStatusCode == 400)

            let resent = try await world.system.webhooks.resend(subscription.id, notification: outbox[0].id)
            #expect(resent.status == .resend)
            try await world.system.settle()
            await receiver.stop()
            #expect(receiver.requests.last?.webhookID == outbox[0].id)
            #expect(receiver.requests.last?.answered == 200)
            let delivery = try await world.system.webhooks.store.delivery(subscription.id, notification: outbox[0].id)
            #expect(delivery.status == .delivered)
            #expect(delivery.log?.map(\.kind) == ["notification", "resend"])
            await #expect(throws: NotificationError.notResendable(notification: outbox[1].id, status: "delivered")) {
                try await world.system.webhooks.resend(subscription.id, notification: outbox[1].id)
            }
            await #expect(throws: NotificationError.deliveryNotFound(subscription: subscription.id, notification: "nope")) {
                try await world.system.webhooks.resend(subscription.id, notification: "nope")
            }
        }
    }

    @Test("a paused subscription receives nothing; resumed, it receives what waited, in order", arguments: [Backend.sqlite])
    func pauseAndResume(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver)
            #expect(try await world.system.webhooks.pause(subscription.id).status == .paused)
            try await agree(world)
            try await world.system.settle()
            #expect(receiver.requests.isEmpty)
            _ = try await world.system.webhooks.resume(subscription.id)
            try await world.system.settle()
            await receiver.stop()
            expectCompleteAndOrdered(receiver, try await world.outbox())
        }
    }

    @Test("a failing receiver holds back only its own subscription; filters by type and process apply", arguments: [Backend.sqlite])
    func subscriptionsAreIndependent(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let healthy = Receiver()
            let failing = Receiver()
            try await healthy.start()
            try await failing.start()
            let process = try await world.open("nato-consensus", parties: ["DE", "FR"])
            let other = try await world.open("nato-consensus", parties: ["DE"])
            _ = try await subscribe(world, healthy, types: ["rule.*", "ballot.cast"], processes: [process.description])
            _ = try await subscribe(world, failing)
            failing.script([], then: .status(500))
            try await world.vote(process, "DE", .yes)
            try await world.vote(other, "DE", .yes)
            try await world.vote(process, "FR", .yes)
            try await world.system.settle()
            await healthy.stop()
            await failing.stop()
            let expected = try await world.outbox().filter {
                $0.process == process.description && ($0.type.hasPrefix("rule.") || $0.type == "ballot.cast")
            }
            #expect(expected.map(\.type) == ["ballot.cast", "ballot.cast", "rule.satisfied"])
            expectCompleteAndOrdered(healthy, expected)
            #expect(failing.delivered.isEmpty)
            #expect(Set(failing.requests.map(\.webhookID)).count == 1)
        }
    }

    @Test("after the retry horizon a delivery fails for good and the queue moves on", arguments: [Backend.sqlite])
    func retryHorizon(_ backend: Backend) async throws {
        let configuration = testConfiguration(retry: RetryPolicy(initialInterval: .milliseconds(50), maximumInterval: .milliseconds(100), horizon: .milliseconds(400)))
        try await withWorld(backend, configuration: configuration) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver, types: ["process.opened"])
            receiver.script([], then: .status(502))
            try await whileRunning(world.system) {
                try await world.open("nato-consensus", parties: ["DE"])
                try await eventually(.seconds(20), "the delivery to fail for good") {
                    try await !world.system.webhooks.store.deliveries(subscription.id, status: .failed, before: nil, limit: 1).isEmpty
                }
                receiver.script([], then: .status(200))
                try await world.open("nato-consensus", parties: ["FR"])
                try await receiver.waitUntil(.seconds(20), "the next notification") { !$0.filter { $0.answered == 200 }.isEmpty }
            }
            await receiver.stop()
            let opened = try await world.outbox().filter { $0.type == "process.opened" }
            let failed = try await world.system.webhooks.store.delivery(subscription.id, notification: opened[0].id)
            #expect(failed.status == .failed)
            #expect(failed.attempts >= 2)
            #expect(receiver.delivered.map(\.webhookID) == [opened[1].id])
        }
    }

    @Test("rotating the secret signs with both secrets during the grace period", arguments: [Backend.sqlite])
    func rotation(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let oldReceiver = Receiver()
            try await oldReceiver.start()
            let subscription = try await subscribe(world, oldReceiver, types: ["process.opened"])
            let (_, newSecret) = try await world.system.webhooks.rotateSecret(subscription.id, grace: .seconds(3600))
            try await world.open("nato-consensus", parties: ["DE"])
            try await world.system.settle()
            let request = try #require(oldReceiver.requests.first)
            #expect(request.verified)
            #expect(request.signature.split(separator: " ").count == 2)
            let key = Array(Data(base64Encoded: String(newSecret.text.dropFirst(6)))!)
            #expect(Receiver.verify(id: request.webhookID, timestamp: request.timestamp, body: request.body, header: request.signature, secrets: [key]))

            // Without grace, only the newest secret signs.
            let (_, newest) = try await world.system.webhooks.rotateSecret(subscription.id, grace: .zero)
            let attempt = try await world.system.webhooks.ping(subscription.id)
            await oldReceiver.stop()
            #expect(attempt.outcome == "delivered")
            let ping = try #require(oldReceiver.requests.last)
            #expect(ping.signature.split(separator: " ").count == 1)
            let newestKey = Array(Data(base64Encoded: String(newest.text.dropFirst(6)))!)
            #expect(Receiver.verify(id: ping.webhookID, timestamp: ping.timestamp, body: ping.body, header: ping.signature, secrets: [newestKey]))
            #expect(!Receiver.verify(id: ping.webhookID, timestamp: ping.timestamp, body: ping.body, header: ping.signature, secrets: [key]))
            await #expect(throws: NotificationError.self) { try await world.system.webhooks.rotateSecret(subscription.id, grace: .seconds(-1)) }
        }
    }

    @Test("a test ping is a signed org.accord.webhook.ping event, sent at once and logged", arguments: [Backend.sqlite])
    func ping(_ backend: Backend) async throws {
        try await withWorld(backend) { world in
            let receiver = Receiver()
            try await receiver.start()
            let subscription = try await subscribe(world, receiver)
            _ = try await world.system.webhooks.pause(subscription.id)
            let attempt = try await world.system.webhooks.ping(subscription.id)
            await receiver.stop()
            #expect(attempt.outcome == "delivered")
            #expect(attempt.statusCode == 200)
            let request = try #require(receiver.requests.first)
            #expect(request.verified)
            #expect(request.type == "org.accord.webhook.ping")
            #expect((request.event["data"] as? [String: Any])?["subscription"] as? String == subscription.id)
            await #expect(throws: NotificationError.subscriptionNotFound("wh-missing")) { try await world.system.webhooks.ping("wh-missing") }
        }
    }
}
