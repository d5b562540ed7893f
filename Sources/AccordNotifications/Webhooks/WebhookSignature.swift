import Crypto
import Foundation

/// A subscription's signing secret in the Standard Webhooks form: `whsec_` followed by the base64 of 24 to 64
/// random bytes. The bytes (not the text) are the HMAC key.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "whsec_"
    public let key: [UInt8]

    /// A new random secret (32 bytes).
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    init(key: [UInt8]) { self.key = key }

    public init(parsing text: String) throws(NotificationError) {
        guard text.hasPrefix(Self.prefix), let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
              (24...64).contains(key.count)
        else {
            throw .invalidValue(field: "secret", reason: "a secret is 'whsec_' followed by the base64 of 24 to 64 random bytes")
        }
        self.key = Array(key)
    }

    public var text: String { Self.prefix + Data(key).base64EncodedString() }

    /// Never the secret itself: logs and errors only ever show this.
    public var description: String { "whsec_…" }
}

/// Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")).
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret (during a rotation, the new and the old one),
    /// separated by spaces.
    public static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [WebhookSecret]) -> String {
        secrets.map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// What a receiver does: recompute the signature with its secret and compare in constant time with each
    /// signature of the header; refuse timestamps further than `tolerance` seconds from `now` (replays).
    public static func verify(id: String, timestamp: String, body: [UInt8], header: String, secret: WebhookSecret,
                              now: Int64, tolerance: Int64 = 300) -> Bool {
        guard let sent = Int64(timestamp), abs(now - sent) <= tolerance else { return false }
        var message = Array("\(id).\(sent).".utf8)
        message.append(contentsOf: body)
        let key = SymmetricKey(data: secret.key)
        for signature in header.split(separator: " ") {
            let parts = signature.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) { return true }
        }
        return false
    }
}
