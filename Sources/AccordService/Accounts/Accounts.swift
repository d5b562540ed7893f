import AccordDomain
import AccordEventStore
import Crypto
import Foundation

/// What an account may do. Roles are fixed: the matrix is in `docs/api.md` and tested endpoint by endpoint.
public enum Role: String, Codable, CaseIterable, Sendable, Hashable {
    /// Accounts, templates, parties, bodies, weight tables; and everything a secretariat does.
    case admin
    /// Opens and closes processes, sets deadlines, records steps and ballots for any party, corrects entries.
    case secretariat
    /// Records steps and ballots for its own parties only.
    case delegate
    /// Reads and exports audit trails.
    case auditor
    /// Reads.
    case observer
}

public struct Account: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var role: Role
    /// For delegates: the parties they record for.
    public var parties: [PartyCode]
    public var createdAt: Instant
    public var disabled: Bool

    public var actor: ActorRef { ActorRef(id: id, name: name) }
}

public struct TokenRecord: Codable, Hashable, Sendable {
    public var id: String
    public var accountId: String
    public var name: String
    public var createdAt: Instant
    public var expiresAt: Instant?
    public var revokedAt: Instant?
    public var lastUsedAt: Instant?
}

/// A token as issued: the secret is shown once and never stored.
public struct IssuedToken: Codable, Hashable, Sendable {
    public var secret: String
    public var token: TokenRecord
    public var account: Account
}

/// The authenticated caller.
public struct Principal: Hashable, Sendable {
    public var account: Account
    public var tokenId: String

    public var actor: ActorRef { account.actor }

    public enum Permission: Hashable, Sendable {
        case read
        case export
        case manageAccounts
        case manageReferenceData
        case manageProcesses
        /// Replace text in recorded payloads (admins only; `docs/audit.md`).
        case redact
        /// Record a step or ballot for a party (nil: not party-specific).
        case record(PartyCode?)
    }

    public func may(_ permission: Permission) -> Bool {
        switch (account.role, permission) {
        case (_, .read): true
        case (.admin, _): true
        case (.auditor, .export): true
        case (.secretariat, .manageProcesses), (.secretariat, .record), (.secretariat, .export): true
        case (.delegate, .record(let party?)): account.parties.contains(party)
        default: false
        }
    }

    /// Throws `forbidden` with a sentence saying what is missing.
    public func require(_ permission: Permission) throws(ServiceError) {
        guard may(permission) else {
            let what: String = switch permission {
            case .read: "read"
            case .export: "export audit trails"
            case .manageAccounts: "manage accounts and tokens"
            case .manageReferenceData: "change parties, bodies, weight tables or templates"
            case .manageProcesses: "open, close or set deadlines of processes"
            case .redact: "redact recorded payloads"
            case .record(let party?): "record for \(party)"
            case .record(nil): "record entries"
            }
            let scope = account.role == .delegate ? " (delegate for \(account.parties.map(\.rawValue).joined(separator: ", ")))" : ""
            throw .forbidden("the \(account.role.rawValue) account '\(account.name)'\(scope) may not \(what)")
        }
    }
}

/// Accounts and API tokens, in the same database as the log. Tokens are 256-bit random secrets, stored only as
/// their SHA-256 hash; a token can be named, can expire, and can be revoked. Changes to accounts are also
/// recorded in the log (stream `accounts`), so an auditor sees who was given access, when and by whom.
public struct AccountStore: Sendable {
    public let store: any EventStore
    public let clock: any WallClock
    static let tokenPrefix = "accord_"

    public init(store: any EventStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    var database: any SQLDatabase { store.database }

    public func createAccount(name: String, role: Role, parties: [PartyCode], by actor: ActorRef) async throws(ServiceError) -> Account {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 200, Self.isPlainText(trimmed) else {
            throw .invalidRequest("an account name is 1 to 200 characters without control or bidirectional override characters")
        }
        if role == .delegate && parties.isEmpty { throw .invalidRequest("a delegate account names the parties it records for") }
        if role != .delegate && !parties.isEmpty { throw .invalidRequest("only delegate accounts are scoped to parties") }
        let account = Account(id: "acct-" + Self.randomToken(bytes: 9), name: trimmed, role: role, parties: parties.sorted(),
                              createdAt: clock.now(), disabled: false)
        do {
            _ = try await database.transaction { conn in
                try conn.execute(
                    "INSERT INTO accord_accounts (id, name, role, parties, created_at, disabled) VALUES ($1, $2, $3, $4, $5, 0)",
                    [.text(account.id), .text(account.name), .text(role.rawValue), .text(account.parties.map(\.rawValue).joined(separator: ",")),
                     .integer(account.createdAt.microsecondsSinceEpoch)])
            }
            try await audit("AccountCreated", ["account": account.id, "name": account.name, "role": role.rawValue,
                                               "parties": account.parties.map(\.rawValue).joined(separator: ",")], by: actor)
        } catch {
            throw ServiceError.wrap(error)
        }
        return account
    }

    public func issueToken(for account: Account, name: String, expiresAt: Instant?, by actor: ActorRef) async throws(ServiceError) -> IssuedToken {
        let label = name.trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, label.count <= 100, Self.isPlainText(label) else {
            throw .invalidRequest("a token name is 1 to 100 characters without control or bidirectional override characters")
        }
        if let expiresAt, expiresAt <= clock.now() { throw .invalidRequest("the expiry lies in the past") }
        let secret = Self.tokenPrefix + Self.randomToken(bytes: 32)
        let record = TokenRecord(id: "tok-" + Self.randomToken(bytes: 9), accountId: account.id, name: label, createdAt: clock.now(),
                                 expiresAt: expiresAt, revokedAt: nil, lastUsedAt: nil)
        do {
            _ = try await database.transaction { conn in
                try conn.execute(
                    "INSERT INTO accord_tokens (id, account_id, name, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    [.text(record.id), .text(account.id), .text(label), .blob(Self.hash(secret)), .integer(record.createdAt.microsecondsSinceEpoch),
                     SQLValue(expiresAt?.microsecondsSinceEpoch)])
            }
            try await audit("TokenIssued", ["account": account.id, "token": record.id, "name": label,
                                            "expiresAt": expiresAt?.iso8601 ?? ""], by: actor)
        } catch {
            throw ServiceError.wrap(error)
        }
        return IssuedToken(secret: secret, token: record, account: account)
    }

    /// Finds the account behind a token secret; nil for an unknown, revoked or expired token or a disabled account.
    public func authenticate(_ secret: String) async throws(ServiceError) -> Principal? {
        guard secret.hasPrefix(Self.tokenPrefix), secret.utf8.count < 200 else { return nil }
        let now = clock.now().microsecondsSinceEpoch
        do {
            let rows = try await database.read { conn in
                try conn.query(
                    """
                    SELECT t.id, a.id, a.name, a.role, a.parties, a.created_at, a.disabled, t.expires_at, t.revoked_at
                    FROM accord_tokens t JOIN accord_accounts a ON a.id = t.account_id WHERE t.secret_hash = $1
                    """, [.blob(Self.hash(secret))])
            }
            guard let row = rows.first else { return nil }
            if try row.optionalInt(8) != nil { return nil }
            if let expires = try row.optionalInt(7), expires <= now { return nil }
            if try row.bool(6) { return nil }
            let account = try Self.account(row, offset: 1)
            return Principal(account: account, tokenId: try row.string(0))
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The account behind a token id, if the token is still valid (not revoked or expired, account enabled).
    /// Web sessions are tied to the token they were opened with.
    public func principal(tokenId: String) async throws(ServiceError) -> Principal? {
        let now = clock.now().microsecondsSinceEpoch
        do {
            let rows = try await database.read { conn in
                try conn.query(
                    """
                    SELECT t.id, a.id, a.name, a.role, a.parties, a.created_at, a.disabled, t.expires_at, t.revoked_at
                    FROM accord_tokens t JOIN accord_accounts a ON a.id = t.account_id WHERE t.id = $1
                    """, [.text(tokenId)])
            }
            guard let row = rows.first, try row.optionalInt(8) == nil, try !row.bool(6) else { return nil }
            if let expires = try row.optionalInt(7), expires <= now { return nil }
            return Principal(account: try Self.account(row, offset: 1), tokenId: try row.string(0))
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Records when a token was last used, at most once a minute per token to keep writes off the read path.
    public func touch(_ tokenId: String) async {
        let now = clock.now().microsecondsSinceEpoch
        _ = try? await database.transaction { conn in
            try conn.execute("UPDATE accord_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                             [.integer(now), .text(tokenId), .integer(now - 60_000_000)])
        }
    }

    public func revokeToken(_ id: String, by actor: ActorRef) async throws(ServiceError) {
        let now = clock.now().microsecondsSinceEpoch
        do {
            let changed = try await database.transaction { conn in
                try conn.execute("UPDATE accord_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [.integer(now), .text(id)])
            }
            guard changed == 1 else { throw ServiceError.notFound("active token \(id)") }
            try await audit("TokenRevoked", ["token": id], by: actor)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func setDisabled(_ accountId: String, _ disabled: Bool, by actor: ActorRef) async throws(ServiceError) {
        do {
            let changed = try await database.transaction { conn in
                try conn.execute("UPDATE accord_accounts SET disabled = $1 WHERE id = $2", [.integer(disabled ? 1 : 0), .text(accountId)])
            }
            guard changed == 1 else { throw ServiceError.notFound("account \(accountId)") }
            try await audit(disabled ? "AccountDisabled" : "AccountEnabled", ["account": accountId], by: actor)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func accounts() async throws(ServiceError) -> [Account] {
        do {
            return try await database.read { conn in
                try conn.query("SELECT id, name, role, parties, created_at, disabled FROM accord_accounts ORDER BY created_at, id")
                    .map { try Self.account($0, offset: 0) }
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func account(_ id: String) async throws(ServiceError) -> Account {
        guard let account = try await accounts().first(where: { $0.id == id }) else { throw .notFound("account \(id)") }
        return account
    }

    /// Finds an account by exact name and role (the CLI's `token create` reuses it).
    public func account(named name: String, role: Role) async throws(ServiceError) -> Account? {
        try await accounts().first { $0.name == name && $0.role == role && !$0.disabled }
    }

    public func tokens(of accountId: String? = nil) async throws(ServiceError) -> [TokenRecord] {
        do {
            return try await database.read { conn in
                let rows = try conn.query(
                    "SELECT id, account_id, name, created_at, expires_at, revoked_at, last_used_at FROM accord_tokens ORDER BY created_at, id")
                return try rows.map { row in
                    TokenRecord(id: try row.string(0), accountId: try row.string(1), name: try row.string(2),
                                createdAt: Instant(microsecondsSinceEpoch: try row.int(3)),
                                expiresAt: try row.optionalInt(4).map(Instant.init(microsecondsSinceEpoch:)),
                                revokedAt: try row.optionalInt(5).map(Instant.init(microsecondsSinceEpoch:)),
                                lastUsedAt: try row.optionalInt(6).map(Instant.init(microsecondsSinceEpoch:)))
                }.filter { accountId == nil || $0.accountId == accountId }
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func hasActiveAdmin() async throws(ServiceError) -> Bool {
        let now = clock.now().microsecondsSinceEpoch
        do {
            return try await database.read { conn in
                let rows = try conn.query(
                    """
                    SELECT count(*) FROM accord_tokens t JOIN accord_accounts a ON a.id = t.account_id
                    WHERE a.role = 'admin' AND a.disabled = 0 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)
                    """, [.integer(now)])
                return try (rows.first?.int(0) ?? 0) > 0
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    static func account(_ row: SQLRow, offset o: Int) throws -> Account {
        let partiesText = try row.string(o + 3)
        return Account(
            id: try row.string(o), name: try row.string(o + 1), role: Role(rawValue: try row.string(o + 2)) ?? .observer,
            parties: partiesText.split(separator: ",").compactMap { PartyCode(String($0)) },
            createdAt: Instant(microsecondsSinceEpoch: try row.int(o + 4)), disabled: try row.bool(o + 5))
    }

    /// Account changes in the log: never the secret, only who was given what.
    func audit(_ type: String, _ fields: [String: String], by actor: ActorRef) async throws {
        var json: [UInt8] = [UInt8(ascii: "{")]
        for (i, (key, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { json.append(UInt8(ascii: ",")) }
            CanonicalJSON.appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            CanonicalJSON.appendString(value, to: &json)
        }
        json.append(UInt8(ascii: "}"))
        let event = ProposedEvent(type: type, payload: try JSONPayload(canonicalizing: json), actor: EventActor(id: actor.id, name: actor.name),
                                  occurredAt: clock.now())
        try await store.append(to: StreamName(trusted: "accounts"), expectedVersion: .any, events: [event])
    }

    /// Names appear in the log, exports and pages: no control characters, no bidirectional overrides or
    /// isolates that could make a name read as another, nothing unassigned or private-use.
    static func isPlainText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            let category = scalar.properties.generalCategory
            return category != .control && category != .privateUse && category != .unassigned
                && !(0x202A...0x202E).contains(scalar.value) && !(0x2066...0x2069).contains(scalar.value)
        }
    }

    static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }

    static func randomToken(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
