import AccordTime
import AccordEventStore
import Logging

/// A read model kept in SQL tables. `apply` runs inside the same transaction that moves its checkpoint, so a
/// crash between reading and writing never applies an event twice or skips it.
public protocol SQLProjection: Sendable {
    /// The checkpoint's name, e.g. `event-index`.
    var name: String { get }
    func apply(_ events: [RecordedEvent], in connection: any SQLConnection) throws
    /// Empties the read model (for `accord rebuild`).
    func reset(in connection: any SQLConnection) throws
}

/// Follows the log for one projection: read a page after the checkpoint, apply it and move the checkpoint in
/// one transaction, repeat; wait for a wake-up when caught up.
public actor ProjectionRunner {
    public let projection: any SQLProjection
    let store: any EventStore
    let logger: Logger
    let pageSize: Int
    private var task: Task<Void, Never>?
    public private(set) var position: Int64 = 0

    public init(projection: any SQLProjection, store: any EventStore, pageSize: Int = 500,
                logger: Logger = Logger(label: "accord.projection")) {
        self.projection = projection
        self.store = store
        self.pageSize = pageSize
        self.logger = logger
    }

    public static func checkpoint(of name: String, in database: any SQLDatabase) async throws -> Int64 {
        try await database.read { conn in try checkpoint(of: name, in: conn) }
    }

    /// Applies everything up to the log's current head; returns the new checkpoint.
    @discardableResult
    public func catchUp() async throws -> Int64 {
        position = try await Self.checkpoint(of: projection.name, in: store.database)
        while try await step() {}
        return position
    }

    /// One page: returns false when there was nothing to apply.
    func step() async throws -> Bool {
        let page = try await store.readAll(after: position, limit: pageSize)
        guard let last = page.last else { return false }
        let projection = self.projection
        let from = position
        // Rebuilt from the log after a power loss (the checkpoint moves in the same transaction): no need to wait
        // for the disk, which the appends behind it on the same writer would otherwise do too.
        let applied = try await store.database.transaction(.rebuildable) { conn -> Int64 in
            // Another instance may have moved the checkpoint meanwhile: apply only what it has not.
            let current = try Self.checkpoint(of: projection.name, in: conn)
            guard current == from else { return current }
            try projection.apply(page, in: conn)
            try Self.moveCheckpoint(of: projection.name, to: last, in: conn)
            return last.position
        }
        position = applied
        return true
    }

    /// The checkpoint as seen inside a transaction (0 before the first page).
    public static func checkpoint(of name: String, in conn: any SQLConnection) throws -> Int64 {
        try conn.query("SELECT position FROM accord_projection_checkpoints WHERE name = $1", [.text(name)]).first?.int(0) ?? 0
    }

    /// Moves the checkpoint to `event` inside the transaction that wrote the read model up to it. Projections
    /// with their own runner (the notifier) share the table and this statement.
    public static func moveCheckpoint(of name: String, to event: RecordedEvent, in conn: any SQLConnection) throws {
        try conn.execute(
            """
            INSERT INTO accord_projection_checkpoints (name, position, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
            """, [.text(name), .integer(event.position), .integer(event.recordedAt.microsecondsSinceEpoch)])
    }

    public func start() {
        guard task == nil else { return }
        task = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                do {
                    if try await !self.step() {
                        await self.store.waitForEvents(after: await self.position, timeout: .seconds(1))
                    }
                } catch {
                    self.logger.warning("projection failed; retrying", metadata: ["projection": "\(self.projection.name)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    public func stop() {
        task?.cancel()
        task = nil
    }

    /// Empties the read model and its checkpoint; the next catch-up rebuilds it from the log.
    public func reset() async throws {
        let projection = self.projection
        try await store.database.transaction { conn in
            try projection.reset(in: conn)
            try conn.execute("DELETE FROM accord_projection_checkpoints WHERE name = $1", [.text(projection.name)])
        }
        position = 0
    }
}
