-- Accord event store on PostgreSQL: the append-only, hash-chained log.
--
-- Positions are allocated by the store as head + 1 while holding a transaction-scoped advisory lock, so they are
-- dense and commit order is position order (PostgreSQL releases the lock only after the commit is visible).
-- Times are integer microseconds since the Unix epoch (UTC); hashes are 32-byte SHA-256 digests (layout in
-- docs/event-store.md). The payload is `json`, which keeps the canonical bytes exactly as appended.
CREATE TABLE accord_events (
    position        bigint  PRIMARY KEY CHECK (position > 0),
    event_id        uuid    NOT NULL UNIQUE,
    stream          text    NOT NULL,
    stream_version  bigint  NOT NULL CHECK (stream_version >= 0),
    type            text    NOT NULL,
    schema_version  integer NOT NULL,
    payload         json    NOT NULL,
    actor_id        text    NOT NULL,
    actor_name      text    NOT NULL,
    correlation_id  uuid,
    causation_id    uuid,
    occurred_at     bigint  NOT NULL,
    recorded_at     bigint  NOT NULL,
    payload_hash    bytea   NOT NULL CHECK (octet_length(payload_hash) = 32),
    previous_hash   bytea   NOT NULL CHECK (octet_length(previous_hash) = 32),
    chain_hash      bytea   NOT NULL CHECK (octet_length(chain_hash) = 32),
    UNIQUE (stream, stream_version)
);

-- History cannot be rewritten through SQL: the log only grows. Statement-level triggers fire even when no row
-- matches, so an attempt is always reported.
CREATE FUNCTION accord_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'accord_events is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER accord_events_no_update BEFORE UPDATE ON accord_events
    FOR EACH STATEMENT EXECUTE FUNCTION accord_events_refuse_change();
CREATE TRIGGER accord_events_no_delete BEFORE DELETE ON accord_events
    FOR EACH STATEMENT EXECUTE FUNCTION accord_events_refuse_change();
CREATE TRIGGER accord_events_no_truncate BEFORE TRUNCATE ON accord_events
    FOR EACH STATEMENT EXECUTE FUNCTION accord_events_refuse_change();

-- One append (a group commit of one or more requests) in one round trip.
--
-- The store computes positions and chain hashes from the head it believes in and the stream versions it
-- assumes; this function takes the append lock and checks those assumptions. It inserts every row and notifies
-- listeners, or inserts nothing: it returns false when the head or a stream's version is not as assumed, and
-- the insert fails with unique_violation (SQLSTATE 23505) when an event id was recorded before or a stream
-- version is taken. Either way the store re-reads the state under the lock and tries again.
--
--   p_head, p_head_hash   the head position (0 for an empty log) and its chain hash the rows were chained to
--   p_streams, p_versions the streams whose version the store assumed from the request (-1: no stream) and
--                         that must be checked; the store knows the other streams' versions exactly, since
--                         they held at the head it passes, which is checked first
--   p_ids ... p_chain_hashes  one element per event, in position order starting at p_head + 1
CREATE FUNCTION accord_append(
    p_head bigint, p_head_hash bytea, p_streams text[], p_versions bigint[],
    p_ids uuid[], p_event_streams text[], p_stream_versions bigint[], p_types text[], p_schema_versions integer[],
    p_payloads json[], p_actor_ids text[], p_actor_names text[], p_correlation_ids uuid[], p_causation_ids uuid[],
    p_occurred_at bigint[], p_recorded_at bigint[], p_payload_hashes bytea[], p_previous_hashes bytea[],
    p_chain_hashes bytea[]
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_head bigint;
    v_head_hash bytea;
BEGIN
    -- Serialises appends until commit; released only once the commit is visible, so no reader following
    -- positions can see position n + 1 before n.
    PERFORM pg_advisory_xact_lock(4702676443866595329);

    SELECT e.position, e.chain_hash INTO v_head, v_head_hash
      FROM accord_events e ORDER BY e.position DESC LIMIT 1;
    IF NOT FOUND THEN
        v_head := 0;
        v_head_hash := decode(repeat('00', 32), 'hex');
    END IF;
    IF v_head <> p_head OR v_head_hash <> p_head_hash THEN
        RETURN false;
    END IF;

    -- A stream assumed at version n must hold version n; the unique index on (stream, stream_version) then
    -- refuses the insert if it holds more. A stream assumed absent (-1) is checked by that index alone.
    IF EXISTS (
        SELECT 1
          FROM unnest(p_streams, p_versions) AS s(stream, assumed)
         WHERE s.assumed >= 0
           AND NOT EXISTS (SELECT 1 FROM accord_events e WHERE e.stream = s.stream AND e.stream_version = s.assumed)
    ) THEN
        RETURN false;
    END IF;

    INSERT INTO accord_events (
        position, event_id, stream, stream_version, type, schema_version, payload, actor_id, actor_name,
        correlation_id, causation_id, occurred_at, recorded_at, payload_hash, previous_hash, chain_hash)
    SELECT p_head + r.ord, r.id, r.stream, r.stream_version, r.type, r.schema_version, r.payload, r.actor_id,
           r.actor_name, r.correlation_id, r.causation_id, r.occurred_at, r.recorded_at, r.payload_hash,
           r.previous_hash, r.chain_hash
      FROM unnest(p_ids, p_event_streams, p_stream_versions, p_types, p_schema_versions, p_payloads, p_actor_ids,
                  p_actor_names, p_correlation_ids, p_causation_ids, p_occurred_at, p_recorded_at,
                  p_payload_hashes, p_previous_hashes, p_chain_hashes)
           WITH ORDINALITY AS r(id, stream, stream_version, type, schema_version, payload, actor_id, actor_name,
                                correlation_id, causation_id, occurred_at, recorded_at, payload_hash,
                                previous_hash, chain_hash, ord);

    -- Delivered at commit; listeners only take it as a hint to read by position.
    PERFORM pg_notify('accord_events', (p_head + cardinality(p_ids))::text);
    RETURN true;
END
$$;
