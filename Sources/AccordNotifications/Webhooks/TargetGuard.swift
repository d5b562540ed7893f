import Foundation
import NIOCore
import NIOPosix

/// Keeps webhook requests away from addresses the operator has not allowed (server-side request forgery): by
/// default every loopback, private, link-local, shared, documentation, multicast and reserved range, in IPv4
/// and IPv6, including IPv4 addresses carried in IPv6 (mapped, compatible, NAT64, 6to4). The host is resolved
/// and every address checked before a request is sent, and the address actually connected to is checked again
/// (`allowsConnection`), so a name that resolves differently the second time (DNS rebinding) gets nowhere.
public struct TargetGuard: Sendable {
    public var allowPrivate: Bool

    public init(allowPrivate: Bool) {
        self.allowPrivate = allowPrivate
    }

    /// A webhook URL as accepted: http or https, a host, no credentials, no fragment.
    public struct Target: Sendable, Hashable {
        public var url: String
        public var host: String
        public var port: Int
    }

    /// Checks the URL's form (not its addresses).
    public static func parse(_ text: String) throws(NotificationError) -> Target {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 2000, let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            throw .targetNotAllowed(url: text, reason: "not a URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .targetNotAllowed(url: text, reason: "only http and https URLs are allowed")
        }
        guard let host = components.host, !host.isEmpty else { throw .targetNotAllowed(url: text, reason: "the URL has no host") }
        guard components.user == nil && components.password == nil else {
            throw .targetNotAllowed(url: text, reason: "credentials in the URL are not allowed; authenticate the request by its signature")
        }
        guard components.fragment == nil else { throw .targetNotAllowed(url: text, reason: "a URL fragment is never sent; remove it") }
        let unbracketed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return Target(url: trimmed, host: unbracketed, port: components.port ?? (scheme == "https" ? 443 : 80))
    }

    /// Parses and resolves the URL; refuses it when any address it resolves to is not allowed.
    @discardableResult
    public func check(_ text: String) async throws(NotificationError) -> Target {
        let target = try Self.parse(text)
        guard !allowPrivate else { return target }
        let addresses: [SocketAddress]
        do {
            addresses = try await Self.resolve(host: target.host, port: target.port)
        } catch {
            throw .targetNotAllowed(url: target.url, reason: "the host '\(target.host)' does not resolve")
        }
        guard !addresses.isEmpty else { throw .targetNotAllowed(url: target.url, reason: "the host '\(target.host)' does not resolve") }
        for address in addresses {
            if let range = Self.disallowedRange(address) {
                throw .targetNotAllowed(
                    url: target.url,
                    reason: "'\(target.host)' resolves to \(address.ipAddress ?? "?"), a \(range) address (start the server with --allow-private-webhooks to allow it)")
            }
        }
        return target
    }

    /// Whether a connection to `address` may carry a webhook.
    public func allowsConnection(to address: SocketAddress?) -> Bool {
        guard !allowPrivate else { return true }
        guard let address else { return false }
        return Self.disallowedRange(address) == nil
    }

    /// Every address of `host` (an IP literal is its own address), resolved off the event loops.
    static func resolve(host: String, port: Int) async throws -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &result)
            guard status == 0, let first = result else { throw ResolutionFailed(host: host) }
            defer { freeaddrinfo(first) }
            var addresses: [SocketAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let address = entry.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET:
                        addresses.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                    case AF_INET6:
                        addresses.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                    default:
                        break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return addresses
        }
    }

    struct ResolutionFailed: Error {
        var host: String
    }

    /// The name of the range `address` falls in when it is not a public unicast address; nil when allowed.
    public static func disallowedRange(_ address: SocketAddress) -> String? {
        switch address {
        case .v4(let v4):
            return disallowedRange(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return disallowedRange(ipv6: bytes)
        case .unixDomainSocket:
            return "local socket"
        }
    }

    /// IPv4 special-purpose ranges (IANA registry, RFC 6890 and later).
    static func disallowedRange(ipv4 a: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool {
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            return a & mask == base & mask
        }
        let ranges: [(UInt32, UInt32, String)] = [
            (0x0000_0000, 8, "\"this network\" (0.0.0.0/8)"),
            (0x0A00_0000, 8, "private (10.0.0.0/8)"),
            (0x6440_0000, 10, "shared (100.64.0.0/10)"),
            (0x7F00_0000, 8, "loopback (127.0.0.0/8)"),
            (0xA9FE_0000, 16, "link-local (169.254.0.0/16)"),
            (0xAC10_0000, 12, "private (172.16.0.0/12)"),
            (0xC000_0000, 24, "IETF protocol (192.0.0.0/24)"),
            (0xC000_0200, 24, "documentation (192.0.2.0/24)"),
            (0xC058_6300, 24, "6to4 relay (192.88.99.0/24)"),
            (0xC0A8_0000, 16, "private (192.168.0.0/16)"),
            (0xC612_0000, 15, "benchmarking (198.18.0.0/15)"),
            (0xC633_6400, 24, "documentation (198.51.100.0/24)"),
            (0xCB00_7100, 24, "documentation (203.0.113.0/24)"),
            (0xE000_0000, 4, "multicast (224.0.0.0/4)"),
            (0xF000_0000, 4, "reserved (240.0.0.0/4)"),
        ]
        return ranges.first { within($0.0, $0.1) }?.2
    }

    /// IPv6 special-purpose ranges; IPv4 carried inside IPv6 is judged as IPv4.
    static func disallowedRange(ipv6 b: [UInt8]) -> String? {
        guard b.count == 16 else { return "malformed" }
        func prefix(_ bytes: [UInt8], bits: Int) -> Bool {
            for i in 0..<(bits / 8) where b[i] != bytes[i] { return false }
            let rest = bits % 8
            if rest > 0 {
                let mask = UInt8(0xFF) << (8 - rest)
                if b[bits / 8] & mask != bytes[bits / 8] & mask { return false }
            }
            return true
        }
        func ipv4(at offset: Int) -> UInt32 {
            UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
        }
        /// `head` followed by zeros, 16 bytes.
        func padded(_ head: [UInt8]) -> [UInt8] { head + [UInt8](repeating: 0, count: 16 - head.count) }
        let zeros = padded([])
        if b == zeros { return "unspecified (::)" }
        if b == [UInt8](repeating: 0, count: 15) + [1] { return "loopback (::1)" }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): the IPv4 address decides.
        if prefix(padded([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]), bits: 96) || prefix(zeros, bits: 96) {
            return disallowedRange(ipv4: ipv4(at: 12)).map { "IPv4-in-IPv6 \($0)" }
        }
        // 64:ff9b::/96 (NAT64) translates to IPv4.
        if prefix(padded([0x00, 0x64, 0xFF, 0x9B]), bits: 96) {
            return disallowedRange(ipv4: ipv4(at: 12)).map { "NAT64 \($0)" }
        }
        // 2002::/16 (6to4) embeds an IPv4 address in bits 16-47.
        if prefix(padded([0x20, 0x02]), bits: 16) {
            return disallowedRange(ipv4: ipv4(at: 2)).map { "6to4 \($0)" }
        }
        let ranges: [([UInt8], Int, String)] = [
            (padded([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]), 48, "local NAT64 (64:ff9b:1::/48)"),
            (padded([0x01, 0x00]), 64, "discard (100::/64)"),
            (padded([0x20, 0x01, 0x00, 0x00]), 32, "Teredo (2001::/32)"),
            (padded([0x20, 0x01, 0x00, 0x02]), 48, "benchmarking (2001:2::/48)"),
            (padded([0x20, 0x01, 0x0D, 0xB8]), 32, "documentation (2001:db8::/32)"),
            (padded([0x3F, 0xFF]), 20, "documentation (3fff::/20)"),
            (padded([0xFC]), 7, "unique local (fc00::/7)"),
            (padded([0xFE, 0x80]), 10, "link-local (fe80::/10)"),
            (padded([0xFE, 0xC0]), 10, "site-local (fec0::/10)"),
            (padded([0xFF]), 8, "multicast (ff00::/8)"),
        ]
        return ranges.first { prefix($0.0, bits: $0.1) }?.2
    }
}
