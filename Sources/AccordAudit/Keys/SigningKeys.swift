import AccordEventStore
import AccordTime
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Failures around signing keys, each with what to do about it.
public enum AuditKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    case insecurePermissions(path: String, mode: String)
    case malformedKeyFile(path: String, reason: String)
    case unreadable(path: String, reason: String)
    case malformedPublicKey(String)
    case noPublicKeys

    public var description: String {
        switch self {
        case let .insecurePermissions(path, mode):
            "\(path) is accessible to other users (mode \(mode)); only its owner may read it: chmod 600 the key and chmod 700 its folder"
        case let .malformedKeyFile(path, reason): "\(path) is not an Accord signing key: \(reason)"
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case .malformedPublicKey(let text): "'\(text.prefix(60))' is not an Ed25519 public key (base64 of 32 bytes, 'ed25519:BASE64', or a PEM public key) nor a readable file of them"
        case .noPublicKeys: "no public key given: pass --public-key with a key or a file of keys (accord key show prints them)"
        }
    }
}

/// An Ed25519 public key that checkpoints are verified with.
public struct AuditPublicKey: Hashable, Sendable, CustomStringConvertible {
    public let raw: [UInt8]

    public init?(raw: [UInt8]) {
        guard raw.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else { return nil }
        self.raw = raw
    }

    init(validRaw raw: [UInt8]) { self.raw = raw }

    /// `BASE64` or `ed25519:BASE64` of the 32 raw bytes.
    public init?(text: String) {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("ed25519:") { body.removeFirst("ed25519:".count) }
        guard let data = Data(base64Encoded: body) else { return nil }
        self.init(raw: Array(data))
    }

    /// A key's id: the first 16 hex digits of the SHA-256 of its raw bytes. Checkpoints name the key by it.
    public var keyId: String { String(SHA256Hash.of(raw).hex.prefix(16)) }

    public var base64: String { Data(raw).base64EncodedString() }

    /// `ed25519:BASE64`, the form `accord key show` prints and `accord verify --public-key` takes.
    public var description: String { "ed25519:" + base64 }

    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// SubjectPublicKeyInfo PEM, for `openssl pkeyutl -verify`.
    public var pem: String {
        PEM.encode(label: "PUBLIC KEY", der: Self.spkiPrefix + raw)
    }

    var cryptoKey: Curve25519.Signing.PublicKey? { try? Curve25519.Signing.PublicKey(rawRepresentation: raw) }

    /// Every key in `text`: PEM public keys, and whitespace-separated tokens that are `BASE64` or
    /// `ed25519:BASE64` keys. Lines starting with `#` are comments.
    public static func all(in text: String) -> [AuditPublicKey] {
        var keys: [AuditPublicKey] = []
        for der in PEM.decodeAll(label: "PUBLIC KEY", in: text) {
            if der.count == 44, Array(der.prefix(12)) == spkiPrefix, let key = AuditPublicKey(raw: Array(der.suffix(32))) { keys.append(key) }
        }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") && !line.hasPrefix("-----") {
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
                if let key = AuditPublicKey(text: String(token)), !keys.contains(key) { keys.append(key) }
            }
        }
        return keys
    }

    /// A `--public-key` value: a key, or the path of a file holding one or more.
    public static func parse(argument: String) throws(AuditKeyError) -> [AuditPublicKey] {
        if let key = AuditPublicKey(text: argument) { return [key] }
        guard FileManager.default.fileExists(atPath: argument) else { throw .malformedPublicKey(argument) }
        let text: String
        do {
            text = try String(contentsOfFile: argument, encoding: .utf8)
        } catch {
            throw .unreadable(path: argument, reason: error.localizedDescription)
        }
        let keys = all(in: text)
        guard !keys.isEmpty else { throw .malformedPublicKey(argument) }
        return keys
    }
}

/// The keys a verifier trusts, by key id.
public struct KeyRing: Sendable, Hashable {
    public private(set) var keys: [String: AuditPublicKey] = [:]

    public init(_ keys: [AuditPublicKey] = []) {
        for key in keys { self.keys[key.keyId] = key }
    }

    public subscript(keyId: String) -> AuditPublicKey? { keys[keyId] }
    public var isEmpty: Bool { keys.isEmpty }
}

/// The private key a server signs checkpoints with.
public struct AuditSigningKey: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey
    public let publicKey: AuditPublicKey

    init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        // swift-crypto's raw public key is always 32 valid bytes, so the failable initialiser's check is not needed.
        self.publicKey = AuditPublicKey(validRaw: Array(privateKey.publicKey.rawRepresentation))
    }

    public static func generate() -> AuditSigningKey { AuditSigningKey(privateKey: Curve25519.Signing.PrivateKey()) }

    public var keyId: String { publicKey.keyId }

    public func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try privateKey.signature(for: message))
    }

    static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    /// PKCS #8 PEM, as `openssl genpkey -algorithm ed25519` writes it.
    var pem: String { PEM.encode(label: "PRIVATE KEY", der: Self.pkcs8Prefix + Array(privateKey.rawRepresentation)) }

    init(pem text: String, path: String) throws(AuditKeyError) {
        guard let der = PEM.decodeAll(label: "PRIVATE KEY", in: text).first else {
            throw .malformedKeyFile(path: path, reason: "no PEM 'PRIVATE KEY' block")
        }
        guard der.count == 48, Array(der.prefix(16)) == Self.pkcs8Prefix,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)) else {
            throw .malformedKeyFile(path: path, reason: "not an Ed25519 PKCS #8 key")
        }
        self.init(privateKey: key)
    }
}

/// The folder holding this instance's signing key: `<data folder>/keys`, mode 0700, with
/// - `signing-key.pem`: the private key (PKCS #8 PEM, mode 0600), created on first use;
/// - `public-keys.txt`: every public key this folder has signed with, newest last, kept across rotations.
public struct SigningKeyFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `<dataDirectory>/keys`.
    public init(dataDirectory: String) { self.path = (dataDirectory as NSString).appendingPathComponent("keys") }

    public var keyPath: String { (path as NSString).appendingPathComponent("signing-key.pem") }
    public var publicKeysPath: String { (path as NSString).appendingPathComponent("public-keys.txt") }

    /// The current key; made (with its folder) when there is none. Refuses a key or folder that other users
    /// can access.
    public func loadOrCreate() throws -> AuditSigningKey {
        try ensureFolder()
        if FileManager.default.fileExists(atPath: keyPath) { return try load() }
        let key = AuditSigningKey.generate()
        try install(key)
        return key
    }

    public func load() throws -> AuditSigningKey {
        try checkPrivate(path, folder: true)
        try checkPrivate(keyPath, folder: false)
        let text: String
        do {
            text = try String(contentsOfFile: keyPath, encoding: .utf8)
        } catch {
            throw AuditKeyError.unreadable(path: keyPath, reason: error.localizedDescription)
        }
        return try AuditSigningKey(pem: text, path: keyPath)
    }

    /// Replaces the key by a new one; the old public key stays in `public-keys.txt`. Returns the new key.
    public func rotate() throws -> AuditSigningKey {
        try ensureFolder()
        let key = AuditSigningKey.generate()
        try install(key)
        return key
    }

    /// The public keys this folder has used, oldest first.
    public func publicKeys() -> [AuditPublicKey] {
        guard let text = try? String(contentsOfFile: publicKeysPath, encoding: .utf8) else { return [] }
        return AuditPublicKey.all(in: text)
    }

    private func install(_ key: AuditSigningKey) throws {
        // Written beside the old key and renamed over it, so a crash leaves one whole key file.
        let temporary = keyPath + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        try writeFile(temporary, key.pem, mode: 0o600, exclusive: true)
        guard rename(temporary, keyPath) == 0 else {
            throw AuditKeyError.unreadable(path: keyPath, reason: String(cString: strerror(errno)))
        }
        let line = "\(key.publicKey) \(key.keyId) \(SystemWallClock().now().iso8601)\n"
        let existing = (try? String(contentsOfFile: publicKeysPath, encoding: .utf8)) ?? "# Every public key this instance has signed checkpoints with, oldest first.\n"
        try writeFile(publicKeysPath + ".new", existing + line, mode: 0o644, exclusive: false)
        guard rename(publicKeysPath + ".new", publicKeysPath) == 0 else {
            throw AuditKeyError.unreadable(path: publicKeysPath, reason: String(cString: strerror(errno)))
        }
    }

    private func ensureFolder() throws {
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw AuditKeyError.unreadable(path: path, reason: error.localizedDescription)
            }
        }
        try checkPrivate(path, folder: true)
    }

    private func checkPrivate(_ path: String, folder: Bool) throws {
        let mode: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        } catch {
            throw AuditKeyError.unreadable(path: path, reason: error.localizedDescription)
        }
        if mode & 0o077 != 0 {
            throw AuditKeyError.insecurePermissions(path: path, mode: "0" + String(mode & 0o777, radix: 8))
        }
    }

    private func writeFile(_ path: String, _ text: String, mode: mode_t, exclusive: Bool) throws {
        let flags = O_WRONLY | O_CREAT | O_TRUNC | (exclusive ? O_EXCL : 0)
        let fd = open(path, flags, mode)
        guard fd >= 0 else { throw AuditKeyError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw AuditKeyError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            written += n
        }
        guard fsync(fd) == 0 else { throw AuditKeyError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    }
}

/// PEM armour (RFC 7468).
enum PEM {
    static func encode(label: String, der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    static func decodeAll(label: String, in text: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var body: String?
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "-----BEGIN \(label)-----" {
                body = ""
            } else if line == "-----END \(label)-----" {
                if let b = body, let data = Data(base64Encoded: b) { out.append(Array(data)) }
                body = nil
            } else if let b = body {
                body = b + line
            }
        }
        return out
    }
}
