-- Accord event store on SQLite: the append-only, hash-chained log.
--
-- Positions are allocated by the store as head + 1 inside `BEGIN IMMEDIATE`, so they are dense and commit order
-- is position order. Times are integer microseconds since the Unix epoch (UTC); ids are the 16 raw UUID bytes;
-- hashes are 32-byte SHA-256 digests (layout in docs/event-store.md).
CREATE TABLE accord_events (
    position        INTEGER PRIMARY KEY CHECK (position > 0),
    event_id        BLOB    NOT NULL UNIQUE CHECK (length(event_id) = 16),
    stream          TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version >= 0),
    type            TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_name      TEXT    NOT NULL,
    correlation_id  BLOB    CHECK (correlation_id IS NULL OR length(correlation_id) = 16),
    causation_id    BLOB    CHECK (causation_id IS NULL OR length(causation_id) = 16),
    occurred_at     INTEGER NOT NULL,
    recorded_at     INTEGER NOT NULL,
    payload_hash    BLOB    NOT NULL CHECK (length(payload_hash) = 32),
    previous_hash   BLOB    NOT NULL CHECK (length(previous_hash) = 32),
    chain_hash      BLOB    NOT NULL CHECK (length(chain_hash) = 32)
) STRICT;

-- The stream index: which positions hold a stream's versions. Instead of an index on
-- accord_events(stream, stream_version), whose pages are spread by stream (an append touching 100 streams
-- rewrites 100 index pages into the WAL), each stream keeps its version and the positions of its newest
-- versions (up to 31, 8-byte big-endian each) in one small row here; every 32 versions move, as one row, to
-- accord_stream_chunks. Written by the store in the same transaction as the events.
CREATE TABLE accord_streams (
    stream   TEXT    PRIMARY KEY,
    version  INTEGER NOT NULL CHECK (version >= 0),
    tail     BLOB    NOT NULL CHECK (length(tail) % 8 = 0 AND length(tail) < 256)
) WITHOUT ROWID, STRICT;

CREATE TABLE accord_stream_chunks (
    stream         TEXT    NOT NULL,
    first_version  INTEGER NOT NULL CHECK (first_version % 32 = 0),
    positions      BLOB    NOT NULL CHECK (length(positions) = 256),
    PRIMARY KEY (stream, first_version)
) WITHOUT ROWID, STRICT;

-- History cannot be rewritten through SQL: the log only grows.
CREATE TRIGGER accord_events_no_update BEFORE UPDATE ON accord_events
BEGIN
    SELECT RAISE(ABORT, 'accord_events is append-only: UPDATE is refused');
END;

CREATE TRIGGER accord_events_no_delete BEFORE DELETE ON accord_events
BEGIN
    SELECT RAISE(ABORT, 'accord_events is append-only: DELETE is refused');
END;

CREATE TRIGGER accord_stream_chunks_no_update BEFORE UPDATE ON accord_stream_chunks
BEGIN
    SELECT RAISE(ABORT, 'accord_stream_chunks is append-only: UPDATE is refused');
END;

CREATE TRIGGER accord_stream_chunks_no_delete BEFORE DELETE ON accord_stream_chunks
BEGIN
    SELECT RAISE(ABORT, 'accord_stream_chunks is append-only: DELETE is refused');
END;
