-- Notifications (SQLite): the notifier's outbox and state, durable timers, webhook subscriptions and their
-- delivery log. Times are integer microseconds since the Unix epoch (UTC).

-- The outbox: every notification, in the order of the log position that caused it. Written by the notifier in
-- the same transaction as its checkpoint (`accord_projection_checkpoints`, name 'notifier').
CREATE TABLE accord_notifications (
    position      INTEGER NOT NULL,
    ordinal       INTEGER NOT NULL,
    id            TEXT    NOT NULL UNIQUE,
    type          TEXT    NOT NULL,
    process       TEXT,
    effective_at  INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (position, ordinal)
) STRICT;
CREATE INDEX accord_notifications_process ON accord_notifications (process, position);

-- The status of each rule as last notified, so a transition is reported once.
CREATE TABLE accord_notifier_rules (
    process  TEXT NOT NULL,
    rule     TEXT NOT NULL,
    status   TEXT NOT NULL,
    PRIMARY KEY (process, rule)
) STRICT;

-- Deadline timers the notifier scheduled ('scheduled') and those already fired or reported ('done'). The
-- leader fires a due timer by appending a NotificationTimerFired event to the log; the notifier marks it done.
CREATE TABLE accord_notifier_timers (
    id             TEXT    PRIMARY KEY,
    process        TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    target_at      INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    basis          INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('scheduled', 'done')),
    done_position  INTEGER
) STRICT;
CREATE INDEX accord_notifier_timers_due ON accord_notifier_timers (state, due_at);
CREATE INDEX accord_notifier_timers_process ON accord_notifier_timers (process);

CREATE TABLE accord_webhook_subscriptions (
    id                     TEXT    PRIMARY KEY,
    url                    TEXT    NOT NULL,
    description            TEXT,
    types                  TEXT    NOT NULL,
    processes              TEXT    NOT NULL,
    secret                 TEXT    NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  INTEGER,
    status                 TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
    status_reason          TEXT,
    cursor_position        INTEGER NOT NULL,
    cursor_ordinal         INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    created_by             TEXT    NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;

-- One row per notification a subscription was sent (or failed to be sent), with its outcome so far.
CREATE TABLE accord_webhook_deliveries (
    subscription      TEXT    NOT NULL REFERENCES accord_webhook_subscriptions (id) ON DELETE CASCADE,
    notification      TEXT    NOT NULL,
    position          INTEGER NOT NULL,
    ordinal           INTEGER NOT NULL,
    type              TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'resend')),
    attempts          INTEGER NOT NULL,
    first_attempt_at  INTEGER,
    last_attempt_at   INTEGER,
    next_attempt_at   INTEGER,
    last_status_code  INTEGER,
    last_error        TEXT,
    PRIMARY KEY (subscription, notification)
) STRICT;
CREATE INDEX accord_webhook_deliveries_status ON accord_webhook_deliveries (subscription, status, next_attempt_at);

-- Every attempt: when, how long, what came back (the first bytes of the response).
CREATE TABLE accord_webhook_attempts (
    id                INTEGER PRIMARY KEY,
    subscription      TEXT    NOT NULL REFERENCES accord_webhook_subscriptions (id) ON DELETE CASCADE,
    notification      TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('notification', 'resend', 'ping')),
    attempt           INTEGER NOT NULL,
    started_at        INTEGER NOT NULL,
    duration_us       INTEGER NOT NULL,
    status_code       INTEGER,
    outcome           TEXT    NOT NULL,
    error             TEXT,
    response_excerpt  TEXT
) STRICT;
CREATE INDEX accord_webhook_attempts_delivery ON accord_webhook_attempts (subscription, notification, id);
