-- Web page sessions (PostgreSQL). The cookie carries a random session id; only its SHA-256 is stored. A
-- session is tied to the token it was opened with: revoking the token ends the session.
CREATE TABLE accord_web_sessions (
    id_hash     bytea  PRIMARY KEY CHECK (length(id_hash) = 32),
    token_id    text   NOT NULL REFERENCES accord_tokens (id),
    csrf        text   NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL
);
CREATE INDEX accord_web_sessions_expiry ON accord_web_sessions (expires_at);
