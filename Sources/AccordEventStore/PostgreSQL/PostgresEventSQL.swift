/// Statements only the PostgreSQL backend uses (it indexes `accord_events (stream, stream_version)` directly).
enum PostgresEventSQL {
    static let readStream = """
        SELECT \(EventTable.columns) FROM accord_events WHERE stream = $1 AND stream_version >= $2 \
        ORDER BY stream_version LIMIT $3
        """

    static let streamVersion = "SELECT max(stream_version) FROM accord_events WHERE stream = $1"

    /// The identities of every recorded event among the ids in array `$1`.
    static let recordedIdentities = """
        SELECT event_id, stream, stream_version, position, recorded_at, type, schema_version, payload_hash \
        FROM accord_events WHERE event_id = ANY ($1)
        """

    /// Each stream of array `$1` with its current version (-1: no stream).
    static let streamVersions = """
        SELECT s.stream, coalesce((SELECT max(e.stream_version) FROM accord_events e WHERE e.stream = s.stream), -1) \
        FROM unnest($1::text[]) AS s(stream)
        """
}
