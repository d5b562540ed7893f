-- Web page sessions (SQLite). The cookie carries a random session id; only its SHA-256 is stored. A session
-- is tied to the token it was opened with: revoking the token ends the session.
CREATE TABLE accord_web_sessions (
    id_hash     BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    token_id    TEXT    NOT NULL REFERENCES accord_tokens (id),
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX accord_web_sessions_expiry ON accord_web_sessions (expires_at);
