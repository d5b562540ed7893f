import AccordDomain
import AccordEventStore

/// Remembers the response to each `Idempotency-Key` (per account), so a retried request is recorded once and
/// answered as the first time. Event ids of the request are also derived from the key
/// (`EventCodec.deterministicID`), which covers a crash between the append and saving the response.
public struct IdempotencyStore: Sendable {
    public let database: any SQLDatabase
    public let clock: any WallClock
    /// A request that started but never completed (the process died) is taken over after this long.
    static let staleAfterMicroseconds: Int64 = 60_000_000

    public init(database: any SQLDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    public struct StoredResponse: Sendable, Hashable {
        public var status: Int
        public var contentType: String
        public var headers: [String: String]
        public var body: [UInt8]

        public init(status: Int, contentType: String, headers: [String: String], body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.headers = headers
            self.body = body
        }
    }

    public enum Claim: Sendable, Hashable {
        /// First time: go ahead, then `complete`.
        case proceed
        /// Seen before with the same request: answer with this.
        case replay(StoredResponse)
    }

    /// Claims a key for a request (identified by the hash of its method, path and body).
    public func claim(account: String, key: String, requestHash: [UInt8]) async throws(ServiceError) -> Claim {
        guard !key.isEmpty, key.utf8.count <= 255, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .invalidRequest("an Idempotency-Key is 1 to 255 visible ASCII characters")
        }
        let now = clock.now().microsecondsSinceEpoch
        let result: Result<Claim, ServiceError>
        do {
            result = try await database.transaction { conn in
                let inserted = try conn.execute(
                    "INSERT INTO accord_idempotency (account_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    [.text(account), .text(key), .blob(requestHash), .integer(now)])
                if inserted == 1 { return .success(.proceed) }
                let rows = try conn.query(
                    "SELECT request_hash, status, content_type, headers, body, created_at FROM accord_idempotency WHERE account_id = $1 AND key = $2",
                    [.text(account), .text(key)])
                guard let row = rows.first else { return .success(.proceed) }
                guard try row.blob(0) == requestHash else { return .failure(.idempotencyKeyReused) }
                guard let status = try row.optionalInt(1) else {
                    if try row.int(5) < now - Self.staleAfterMicroseconds {
                        try conn.execute("UPDATE accord_idempotency SET created_at = $1 WHERE account_id = $2 AND key = $3",
                                         [.integer(now), .text(account), .text(key)])
                        return .success(.proceed)
                    }
                    return .failure(.idempotencyInProgress)
                }
                let headers = try row.string(3).split(separator: "\n").reduce(into: [String: String]()) { out, line in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
                }
                return .success(.replay(StoredResponse(status: Int(status), contentType: try row.string(2), headers: headers, body: try row.blob(4))))
            }
        } catch {
            throw ServiceError.wrap(error)
        }
        return try result.get()
    }

    public func complete(account: String, key: String, response: StoredResponse) async {
        let headers = response.headers.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: "\n")
        _ = try? await database.transaction { conn in
            try conn.execute(
                "UPDATE accord_idempotency SET status = $1, content_type = $2, headers = $3, body = $4, completed_at = $5 WHERE account_id = $6 AND key = $7",
                [.integer(Int64(response.status)), .text(response.contentType), .text(headers), .blob(response.body),
                 .integer(clock.now().microsecondsSinceEpoch), .text(account), .text(key)])
        }
    }

    /// Forgets a claim whose request failed before anything was recorded, so the client can retry.
    public func release(account: String, key: String) async {
        _ = try? await database.transaction { conn in
            try conn.execute("DELETE FROM accord_idempotency WHERE account_id = $1 AND key = $2 AND status IS NULL", [.text(account), .text(key)])
        }
    }

    /// Drops answers older than `age` (keys are kept 24 hours by default).
    public func expire(olderThanSeconds age: Int64 = 86_400) async {
        let cutoff = clock.now().microsecondsSinceEpoch - age * 1_000_000
        _ = try? await database.transaction { conn in
            try conn.execute("DELETE FROM accord_idempotency WHERE created_at < $1", [.integer(cutoff)])
        }
    }
}
