import AccordAudit
import AccordAuditHTTP
import AccordHTTP
import AccordNotifications
import AccordService
import AccordTestSupport
import Foundation
import Logging

/// The routes `accord serve` adds to the core API through `extraRoutes` — the audit routes and the notification
/// routes — on a service of the tests, so that they are held to `schema/openapi.json` like the core routes.
/// The signing key lives in a fresh temporary folder; `close()` releases the notification side's HTTP client and
/// lock and removes the folder.
struct InstalledModules: Sendable {
    let audit: AuditService
    let notifications: NotificationSystem
    let keyFolder: URL

    /// `allowPrivateWebhooks` is `accord serve --allow-private-webhooks`: loopback webhook targets are accepted.
    init(service: AccordService, database: TestDatabase, allowPrivateWebhooks: Bool = true) {
        keyFolder = FileManager.default.temporaryDirectory.appendingPathComponent("accord-keys-\(UUID().uuidString.lowercased())")
        audit = AuditService(service: service, keyFolder: SigningKeyFolder(path: keyFolder.appendingPathComponent("keys").path))
        let configuration = NotificationConfiguration(client: WebhookClientSettings(connectTimeout: .seconds(1), responseTimeout: .seconds(2),
                                                                                   allowPrivateTargets: allowPrivateWebhooks))
        notifications = NotificationSystem(service: service, lock: Leadership.lock(for: database.location), configuration: configuration,
                                           logger: .init(label: "test.notifications"))
    }

    /// As `ServeCommand` wires them.
    var routes: [AccordServer.RouteInstaller] { [AuditRoutes.installer(audit)] + notifications.routes }

    func close() async {
        await notifications.close()
        try? FileManager.default.removeItem(at: keyFolder)
    }
}
