-- Accounts, tokens, idempotency keys and read models of the service (SQLite).
-- Times are integer microseconds since the Unix epoch (UTC).

CREATE TABLE accord_accounts (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'secretariat', 'delegate', 'auditor', 'observer')),
    parties     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;

-- Only the SHA-256 of a token is kept; the secret is shown once when it is issued.
CREATE TABLE accord_tokens (
    id            TEXT    PRIMARY KEY,
    account_id    TEXT    NOT NULL REFERENCES accord_accounts (id),
    name          TEXT    NOT NULL,
    secret_hash   BLOB    NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX accord_tokens_account ON accord_tokens (account_id);

CREATE TABLE accord_idempotency (
    account_id    TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  BLOB    NOT NULL,
    status        INTEGER,
    content_type  TEXT,
    headers       TEXT,
    body          BLOB,
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER,
    PRIMARY KEY (account_id, key)
) STRICT;

-- Where each read model is in the log; moved in the same transaction as the read model's rows.
CREATE TABLE accord_projection_checkpoints (
    name        TEXT    PRIMARY KEY,
    position    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- Which process and party each event concerns (projection `event-index`).
CREATE TABLE accord_event_index (
    position  INTEGER PRIMARY KEY,
    process   TEXT,
    party     TEXT,
    type      TEXT NOT NULL
) STRICT;
CREATE INDEX accord_event_index_process ON accord_event_index (process, position);
CREATE INDEX accord_event_index_party ON accord_event_index (party, position);
