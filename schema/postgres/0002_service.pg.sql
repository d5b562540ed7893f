-- Accounts, tokens, idempotency keys and read models of the service (PostgreSQL).
-- Times are bigint microseconds since the Unix epoch (UTC), as in the log.

CREATE TABLE accord_accounts (
    id          text     PRIMARY KEY,
    name        text     NOT NULL,
    role        text     NOT NULL CHECK (role IN ('admin', 'secretariat', 'delegate', 'auditor', 'observer')),
    parties     text     NOT NULL DEFAULT '',
    created_at  bigint   NOT NULL,
    disabled    smallint NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

-- Only the SHA-256 of a token is kept; the secret is shown once when it is issued.
CREATE TABLE accord_tokens (
    id            text   PRIMARY KEY,
    account_id    text   NOT NULL REFERENCES accord_accounts (id),
    name          text   NOT NULL,
    secret_hash   bytea  NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at    bigint NOT NULL,
    expires_at    bigint,
    revoked_at    bigint,
    last_used_at  bigint
);
CREATE INDEX accord_tokens_account ON accord_tokens (account_id);

CREATE TABLE accord_idempotency (
    account_id    text   NOT NULL,
    key           text   NOT NULL,
    request_hash  bytea  NOT NULL,
    status        bigint,
    content_type  text,
    headers       text,
    body          bytea,
    created_at    bigint NOT NULL,
    completed_at  bigint,
    PRIMARY KEY (account_id, key)
);

-- Where each read model is in the log; moved in the same transaction as the read model's rows.
CREATE TABLE accord_projection_checkpoints (
    name        text   PRIMARY KEY,
    position    bigint NOT NULL,
    updated_at  bigint NOT NULL
);

-- Which process and party each event concerns (projection `event-index`).
CREATE TABLE accord_event_index (
    position  bigint PRIMARY KEY,
    process   text,
    party     text,
    type      text NOT NULL
);
CREATE INDEX accord_event_index_process ON accord_event_index (process, position);
CREATE INDEX accord_event_index_party ON accord_event_index (party, position);
