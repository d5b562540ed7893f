/// The SQL both engines share for the events table (`$n` placeholders work on both).
enum EventTable {
    /// Every column of an event, in the order `RecordedEvent` is decoded from.
    static let columns = """
        position, event_id, stream, stream_version, type, schema_version, payload, actor_id, actor_name, \
        correlation_id, causation_id, occurred_at, recorded_at, payload_hash, previous_hash, chain_hash
        """

    static let readAll = "SELECT \(columns) FROM accord_events WHERE position > $1 ORDER BY position LIMIT $2"

    static let head = "SELECT position, chain_hash FROM accord_events ORDER BY position DESC LIMIT 1"

    /// The columns of `RecordedIdentity` for one event id, for idempotent retries (SQLite; PostgreSQL asks for
    /// all ids of a batch at once).
    static let recordedIdentity = """
        SELECT event_id, stream, stream_version, position, recorded_at, type, schema_version, payload_hash \
        FROM accord_events WHERE event_id = $1
        """

    static let insert = """
        INSERT INTO accord_events (\(columns)) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """

    /// Pages read by `verifyChain`.
    static let verificationPageSize = 2_000
}
