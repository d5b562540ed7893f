import AccordDomain
@testable import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import NIOCore
import Testing

@Suite("Server-side request forgery guard")
struct TargetGuardTests {
    static let refused = [
        "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.10", "198.18.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1",
    ]
    static let allowed = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]

    @Test("loopback, private, link-local and reserved addresses are refused, in IPv4, IPv6 and IPv4 carried in IPv6", arguments: refused)
    func refusesPrivate(_ address: String) throws {
        let socket = try SocketAddress(ipAddress: address, port: 443)
        #expect(TargetGuard.disallowedRange(socket) != nil)
        #expect(!TargetGuard(allowPrivate: false).allowsConnection(to: socket))
        #expect(TargetGuard(allowPrivate: true).allowsConnection(to: socket))
    }

    @Test("public addresses are allowed", arguments: allowed)
    func allowsPublic(_ address: String) throws {
        #expect(TargetGuard.disallowedRange(try SocketAddress(ipAddress: address, port: 443)) == nil)
    }

    @Test("webhook URLs: http(s) with a host, no credentials, no fragment; names are resolved and every address checked")
    func urls() async throws {
        let strict = TargetGuard(allowPrivate: false)
        for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook", "http://[::ffff:7f00:1]/hook", "https://10.0.0.5/x",
                    "http://169.254.169.254/latest/meta-data"] {
            await #expect(throws: NotificationError.self, "\(url)") { try await strict.check(url) }
        }
        for url in ["ftp://example.org/x", "file:///etc/passwd", "http://user:pw@example.org/", "https:///nohost", "not a url", "http://example.org/#x"] {
            await #expect(throws: NotificationError.self, "\(url)") { try await strict.check(url) }
        }
        let allowing = TargetGuard(allowPrivate: true)
        let target = try await allowing.check("http://127.0.0.1:8080/hook")
        #expect(target.host == "127.0.0.1" && target.port == 8080)
        #expect(try TargetGuard.parse("https://[::1]/x").host == "::1")
        #expect(try TargetGuard.parse("https://example.org/x").port == 443)
        do {
            try await strict.check("http://127.0.0.1:9/hook")
        } catch {
            #expect(error.description.contains("loopback"))
            #expect(error.description.contains("--allow-private-webhooks"))
        }
    }

    @Test("when private targets are not allowed, a subscription to one is refused and a delivery to one is never sent")
    func deliveryRefused() async throws {
        try await withWorld(.sqlite, configuration: testConfiguration(allowPrivate: false)) { world in
            let receiver = Receiver()
            try await receiver.start()
            await #expect(throws: NotificationError.self) {
                try await world.system.webhooks.create(url: receiver.url, description: nil, filter: NotificationFilter(), secret: nil, startAfter: nil,
                                                       by: systemActor)
            }
            // A subscription made while allowed (or a name that now resolves elsewhere) is still not sent to.
            let permissive = WebhookStore(store: world.service.store, clock: world.clock, guardian: TargetGuard(allowPrivate: true))
            let (subscription, _) = try await permissive.create(url: receiver.url, description: nil, filter: NotificationFilter(), secret: nil,
                                                                startAfter: nil, by: systemActor)
            try await world.open("nato-consensus", parties: ["DE"])
            try await world.system.settle()
            await receiver.stop()
            #expect(receiver.requests.isEmpty)
            let failed = try await world.system.webhooks.store.deliveries(subscription.id, status: .failed, before: nil, limit: 5)
            #expect(failed.count == 1)
            let attempt = try await world.system.webhooks.store.delivery(subscription.id, notification: failed[0].notification).log?.first
            #expect(attempt?.outcome == "refused")
            #expect(attempt?.error?.contains("loopback") == true)
        }
    }
}
