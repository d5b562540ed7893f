import AccordDomain
import AccordEventStore
import AccordService
import ArgumentParser
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage API tokens directly in the database (for the first admin; afterwards also through the API).",
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self])
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an account (or reuse the one with this name and role) and issue it a token. The token is shown once.")

    @OptionGroup var database: DatabaseOption

    @Option(help: "The account's name, as it will appear in the log (e.g. 'Jane Doe, Secretariat').")
    var name: String

    @Option(help: "admin, secretariat, delegate, auditor or observer.")
    var role: String

    @Option(name: .customLong("party"), help: "For a delegate: a party it records for (repeatable), e.g. --party DE.")
    var parties: [String] = []

    @Option(name: .customLong("token-name"), help: "A label for the token (e.g. 'laptop'). Default: 'cli'.")
    var tokenName = "cli"

    @Option(name: .customLong("expires-in-days"), help: "Days until the token expires. Default: never.")
    var expiresInDays: Int?

    func run() async throws {
        guard let role = Role(rawValue: role) else {
            throw ValidationError("--role must be one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let codes = try parties.map { text -> PartyCode in
            guard let code = PartyCode(text) else { throw ValidationError("--party \(text): not an ISO 3166-1 alpha-2 code") }
            return code
        }
        if let days = expiresInDays, days <= 0 { throw ValidationError("--expires-in-days must be positive") }
        let service = try await AccordService.open(try database.location())
        do {
            let actor = ActorRef(id: "cli", name: "accord token create (\(ProcessInfo.processInfo.environment["USER"] ?? "operator"))")
            let existing = try await service.accounts.account(named: name, role: role)
            let account: Account
            if let existing { account = existing } else {
                account = try await service.accounts.createAccount(name: name, role: role, parties: codes, by: actor)
            }
            let expires = expiresInDays.map { service.clock.now().adding(seconds: Int64($0) * 86_400) }
            let issued = try await service.accounts.issueToken(for: account, name: tokenName, expiresAt: expires, by: actor)
            await service.store.close()
            print(issued.secret)
            printError("token \(issued.token.id) for \(account.role.rawValue) account '\(account.name)' (\(account.id)); it is shown only once")
        } catch {
            await service.store.close()
            throw error
        }
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts and their tokens (never the secrets).")

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        let accounts = try await service.accounts.accounts()
        let tokens = try await service.accounts.tokens()
        await service.store.close()
        for account in accounts {
            print("\(account.id)  \(account.role.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(account.name)"
                  + (account.parties.isEmpty ? "" : " [\(account.parties.map(\.rawValue).joined(separator: ","))]") + (account.disabled ? " (disabled)" : ""))
            for token in tokens where token.accountId == account.id {
                let state = token.revokedAt != nil ? "revoked" : (token.expiresAt.map { $0 <= service.clock.now() ? "expired" : "expires \($0.iso8601)" } ?? "active")
                print("    \(token.id)  \(token.name)  \(state)" + (token.lastUsedAt.map { "  last used \($0.iso8601)" } ?? ""))
            }
        }
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (tok-…).")

    @OptionGroup var database: DatabaseOption

    @Argument(help: "The token id.")
    var token: String

    func run() async throws {
        let service = try await AccordService.open(try database.location())
        do {
            try await service.accounts.revokeToken(token, by: ActorRef(id: "cli", name: "accord token revoke"))
            await service.store.close()
            print("revoked \(token)")
        } catch {
            await service.store.close()
            throw error
        }
    }
}
