import AccordDomain
import AccordService
import HTTPTypes
import Hummingbird

struct AccountRequest: Codable, Sendable {
    var name: String
    var role: Role
    var parties: [PartyCode]?
}

struct TokenRequest: Codable, Sendable {
    var name: String
    var expiresAt: Instant?
}

struct WhoAmIReply: Codable, Sendable {
    var account: Account
    var tokenId: String
}

struct AccountListReply: Codable, Sendable {
    var accounts: [Account]
    var tokens: [TokenRecord]
}

/// Accounts and API tokens (admins), and `GET /v1/me`. A token's secret appears once, in the answer that
/// creates it.
enum AccountRoutes {
    static func install(on router: Router<AccordRequestContext>, _ env: APIEnvironment) {
        let api = Endpoints(router: router)

        api.get("v1/me") { _, context in
            let principal = try context.requirePrincipal()
            return Response.json(WhoAmIReply(account: principal.account, tokenId: principal.tokenId))
        }
        api.get("v1/accounts") { _, context in
            try context.requirePrincipal().require(.manageAccounts)
            return Response.json(AccountListReply(accounts: try await env.service.accounts.accounts(), tokens: try await env.service.accounts.tokens()))
        }
        api.post("v1/accounts") { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(.manageAccounts)
            let (body, _) = try await env.decode(AccountRequest.self, request)
            let account = try await env.service.accounts.createAccount(name: body.name, role: body.role, parties: body.parties ?? [], by: principal.actor)
            return Response.json(account, status: .created, headers: [.location: "/v1/accounts/\(account.id)"])
        }
        api.get("v1/accounts/:account") { _, context in
            try context.requirePrincipal().require(.manageAccounts)
            return Response.json(try await env.service.accounts.account(context.parameters.get("account") ?? ""))
        }
        api.post("v1/accounts/:account/tokens") { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(.manageAccounts)
            let account = try await env.service.accounts.account(context.parameters.get("account") ?? "")
            let (body, _) = try await env.decode(TokenRequest.self, request)
            let issued = try await env.service.accounts.issueToken(for: account, name: body.name, expiresAt: body.expiresAt, by: principal.actor)
            return Response.json(issued, status: .created, headers: [.cacheControl: "no-store"])
        }
        api.post("v1/accounts/:account/disable") { _, context in
            let principal = try context.requirePrincipal()
            try principal.require(.manageAccounts)
            try await env.service.accounts.setDisabled(context.parameters.get("account") ?? "", true, by: principal.actor)
            env.principals.invalidateAll()
            return Response(status: .noContent)
        }
        api.post("v1/tokens/:token/revoke") { _, context in
            let principal = try context.requirePrincipal()
            try principal.require(.manageAccounts)
            try await env.service.accounts.revokeToken(context.parameters.get("token") ?? "", by: principal.actor)
            env.principals.invalidateAll()
            return Response(status: .noContent)
        }
    }
}
