-- Audit trails (PostgreSQL): signing keys, signed checkpoints of the chain head, and redactions.
-- Times are bigint microseconds since the Unix epoch (UTC). See docs/audit.md.

-- The public half of every key that ever signed a checkpoint. Private keys never enter the database: each
-- instance keeps its own in its data folder (owner-only permissions), or several share one mounted key file.
-- A rotated key stays listed with the time it was retired, so checkpoints it signed still verify.
CREATE TABLE accord_signing_keys (
    key_id      text   PRIMARY KEY,
    algorithm   text   NOT NULL CHECK (algorithm = 'ed25519'),
    public_key  text   NOT NULL UNIQUE,
    created_at  bigint NOT NULL,
    retired_at  bigint
);

-- Signed chain heads: made at a fixed interval and on demand, so that a later export can be held against them.
CREATE TABLE accord_checkpoints (
    id          bigserial PRIMARY KEY,
    position    bigint NOT NULL CHECK (position >= 0),
    chain_hash  text   NOT NULL,
    signed_at   bigint NOT NULL,
    key_id      text   NOT NULL REFERENCES accord_signing_keys (key_id),
    signature   text   NOT NULL,
    reason      text   NOT NULL CHECK (reason IN ('interval', 'request'))
);
CREATE INDEX accord_checkpoints_position ON accord_checkpoints (position);

-- One row per recorded redaction (a `PayloadRedacted` event): which event, which fields, and the payload the
-- log serves from then on. Filled by the trigger below in the same transaction as the redaction event.
CREATE TABLE accord_redactions (
    redaction_position  bigint PRIMARY KEY,
    target_position     bigint NOT NULL,
    paths               text   NOT NULL,
    payload             text   NOT NULL
);
CREATE INDEX accord_redactions_target ON accord_redactions (target_position, redaction_position);

-- Recording a redaction replaces the redacted event's payload in the same transaction: the original text is
-- no longer in the table that every read path (the domain log, /v1/events, exports, reports) reads. The chain
-- commits to the payload's hash, which stays, so the chain still verifies. `->>` returns the string's exact
-- decoded text, which is the canonical payload.
CREATE FUNCTION accord_events_apply_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO accord_redactions (redaction_position, target_position, paths, payload)
    VALUES (NEW.position, (NEW.payload ->> 'position')::bigint, (NEW.payload -> 'paths')::text,
            NEW.payload ->> 'redactedPayload');
    PERFORM set_config('accord.redacting', 'on', true);
    UPDATE accord_events SET payload = (NEW.payload ->> 'redactedPayload')::json
     WHERE position = (NEW.payload ->> 'position')::bigint;
    PERFORM set_config('accord.redacting', '', true);
    RETURN NULL;
END
$$;

CREATE TRIGGER accord_events_apply_redaction AFTER INSERT ON accord_events
    FOR EACH ROW WHEN (NEW.type = 'PayloadRedacted') EXECUTE FUNCTION accord_events_apply_redaction();

-- History still cannot be rewritten. Any UPDATE statement is refused unless it runs inside the redaction
-- trigger above, and even there each row may only have its payload replaced by the one its newest recorded
-- redaction names.
CREATE OR REPLACE FUNCTION accord_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND coalesce(current_setting('accord.redacting', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'accord_events is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION accord_events_check_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.position, NEW.event_id, NEW.stream, NEW.stream_version, NEW.type, NEW.schema_version, NEW.actor_id,
        NEW.actor_name, NEW.correlation_id, NEW.causation_id, NEW.occurred_at, NEW.recorded_at, NEW.payload_hash,
        NEW.previous_hash, NEW.chain_hash)
       IS DISTINCT FROM
       (OLD.position, OLD.event_id, OLD.stream, OLD.stream_version, OLD.type, OLD.schema_version, OLD.actor_id,
        OLD.actor_name, OLD.correlation_id, OLD.causation_id, OLD.occurred_at, OLD.recorded_at, OLD.payload_hash,
        OLD.previous_hash, OLD.chain_hash)
       OR NEW.payload::text IS DISTINCT FROM (SELECT r.payload FROM accord_redactions r
                                               WHERE r.target_position = OLD.position
                                               ORDER BY r.redaction_position DESC LIMIT 1) THEN
        RAISE EXCEPTION 'accord_events is append-only: UPDATE is refused (only a recorded redaction replaces a payload)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accord_events_check_redaction BEFORE UPDATE ON accord_events
    FOR EACH ROW EXECUTE FUNCTION accord_events_check_redaction();
