-- Audit trails (SQLite): signing keys, signed checkpoints of the chain head, and redactions.
-- Times are integer microseconds since the Unix epoch (UTC). See docs/audit.md.

-- The public half of every key that ever signed a checkpoint. Private keys never enter the database: each
-- instance keeps its own in its data folder (owner-only permissions). A rotated key stays listed with the time
-- it was retired, so checkpoints it signed still verify.
CREATE TABLE accord_signing_keys (
    key_id      TEXT    PRIMARY KEY,
    algorithm   TEXT    NOT NULL CHECK (algorithm = 'ed25519'),
    public_key  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;

-- Signed chain heads: made at a fixed interval and on demand, so that a later export can be held against them.
CREATE TABLE accord_checkpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    position    INTEGER NOT NULL CHECK (position >= 0),
    chain_hash  TEXT    NOT NULL,
    signed_at   INTEGER NOT NULL,
    key_id      TEXT    NOT NULL REFERENCES accord_signing_keys (key_id),
    signature   TEXT    NOT NULL,
    reason      TEXT    NOT NULL CHECK (reason IN ('interval', 'request'))
) STRICT;
CREATE INDEX accord_checkpoints_position ON accord_checkpoints (position);

-- One row per recorded redaction (a `PayloadRedacted` event): which event, which fields, and the payload the
-- log serves from then on. Filled by the trigger below in the same transaction as the redaction event.
CREATE TABLE accord_redactions (
    redaction_position  INTEGER PRIMARY KEY,
    target_position     INTEGER NOT NULL,
    paths               TEXT    NOT NULL,
    payload             TEXT    NOT NULL
) STRICT;
CREATE INDEX accord_redactions_target ON accord_redactions (target_position, redaction_position);

-- Recording a redaction replaces the redacted event's payload in the same transaction: the original text is
-- no longer in the table that every read path (the domain log, /v1/events, exports, reports) reads. The chain
-- commits to the payload's hash, which stays, so the chain still verifies.
CREATE TRIGGER accord_events_apply_redaction AFTER INSERT ON accord_events
WHEN NEW.type = 'PayloadRedacted'
BEGIN
    INSERT INTO accord_redactions (redaction_position, target_position, paths, payload)
    VALUES (NEW.position, json_extract(NEW.payload, '$.position'), json_extract(NEW.payload, '$.paths'),
            json_extract(NEW.payload, '$.redactedPayload'));
    UPDATE accord_events SET payload = json_extract(NEW.payload, '$.redactedPayload')
     WHERE position = json_extract(NEW.payload, '$.position');
END;

-- History still cannot be rewritten: the only UPDATE allowed replaces a payload by the one its newest recorded
-- redaction names, and changes nothing else.
DROP TRIGGER accord_events_no_update;
CREATE TRIGGER accord_events_no_update BEFORE UPDATE ON accord_events
WHEN NOT (
    NEW.position IS OLD.position AND NEW.event_id IS OLD.event_id AND NEW.stream IS OLD.stream
    AND NEW.stream_version IS OLD.stream_version AND NEW.type IS OLD.type AND NEW.schema_version IS OLD.schema_version
    AND NEW.actor_id IS OLD.actor_id AND NEW.actor_name IS OLD.actor_name AND NEW.correlation_id IS OLD.correlation_id
    AND NEW.causation_id IS OLD.causation_id AND NEW.occurred_at IS OLD.occurred_at AND NEW.recorded_at IS OLD.recorded_at
    AND NEW.payload_hash IS OLD.payload_hash AND NEW.previous_hash IS OLD.previous_hash AND NEW.chain_hash IS OLD.chain_hash
    AND NEW.payload IS (SELECT r.payload FROM accord_redactions r WHERE r.target_position = OLD.position
                         ORDER BY r.redaction_position DESC LIMIT 1)
)
BEGIN
    SELECT RAISE(ABORT, 'accord_events is append-only: UPDATE is refused (only a recorded redaction replaces a payload)');
END;
