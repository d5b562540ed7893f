-- Notifications (PostgreSQL): the notifier's outbox and state, durable timers, webhook subscriptions and their
-- delivery log. Times are integer microseconds since the Unix epoch (UTC).

-- The outbox: every notification, in the order of the log position that caused it. Written by the notifier in
-- the same transaction as its checkpoint (`accord_projection_checkpoints`, name 'notifier').
CREATE TABLE accord_notifications (
    position      bigint  NOT NULL,
    ordinal       bigint  NOT NULL,
    id            text    NOT NULL UNIQUE,
    type          text    NOT NULL,
    process       text,
    effective_at  bigint  NOT NULL,
    recorded_at   bigint  NOT NULL,
    created_at    bigint  NOT NULL,
    body          text    NOT NULL,
    PRIMARY KEY (position, ordinal)
);
CREATE INDEX accord_notifications_process ON accord_notifications (process, position);

-- The status of each rule as last notified, so a transition is reported once.
CREATE TABLE accord_notifier_rules (
    process  text NOT NULL,
    rule     text NOT NULL,
    status   text NOT NULL,
    PRIMARY KEY (process, rule)
);

-- Deadline timers the notifier scheduled ('scheduled') and those already fired or reported ('done'). The
-- leader fires a due timer by appending a NotificationTimerFired event to the log; the notifier marks it done.
CREATE TABLE accord_notifier_timers (
    id             text    PRIMARY KEY,
    process        text    NOT NULL,
    kind           text    NOT NULL,
    subject        text    NOT NULL,
    target_at      bigint  NOT NULL,
    due_at         bigint  NOT NULL,
    basis          bigint  NOT NULL,
    state          text    NOT NULL CHECK (state IN ('scheduled', 'done')),
    done_position  bigint
);
CREATE INDEX accord_notifier_timers_due ON accord_notifier_timers (state, due_at);
CREATE INDEX accord_notifier_timers_process ON accord_notifier_timers (process);

CREATE TABLE accord_webhook_subscriptions (
    id                     text    PRIMARY KEY,
    url                    text    NOT NULL,
    description            text,
    types                  text    NOT NULL,
    processes              text    NOT NULL,
    secret                 text    NOT NULL,
    previous_secret        text,
    previous_secret_until  bigint,
    status                 text    NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
    status_reason          text,
    cursor_position        bigint  NOT NULL,
    cursor_ordinal         bigint  NOT NULL,
    created_at             bigint  NOT NULL,
    created_by             text    NOT NULL,
    updated_at             bigint  NOT NULL
);

-- One row per notification a subscription was sent (or failed to be sent), with its outcome so far.
CREATE TABLE accord_webhook_deliveries (
    subscription      text    NOT NULL REFERENCES accord_webhook_subscriptions (id) ON DELETE CASCADE,
    notification      text    NOT NULL,
    position          bigint  NOT NULL,
    ordinal           bigint  NOT NULL,
    type              text    NOT NULL,
    status            text    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'resend')),
    attempts          bigint  NOT NULL,
    first_attempt_at  bigint,
    last_attempt_at   bigint,
    next_attempt_at   bigint,
    last_status_code  bigint,
    last_error        text,
    PRIMARY KEY (subscription, notification)
);
CREATE INDEX accord_webhook_deliveries_status ON accord_webhook_deliveries (subscription, status, next_attempt_at);

-- Every attempt: when, how long, what came back (the first bytes of the response).
CREATE TABLE accord_webhook_attempts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription      text    NOT NULL REFERENCES accord_webhook_subscriptions (id) ON DELETE CASCADE,
    notification      text    NOT NULL,
    kind              text    NOT NULL CHECK (kind IN ('notification', 'resend', 'ping')),
    attempt           bigint  NOT NULL,
    started_at        bigint  NOT NULL,
    duration_us       bigint  NOT NULL,
    status_code       bigint,
    outcome           text    NOT NULL,
    error             text,
    response_excerpt  text
);
CREATE INDEX accord_webhook_attempts_delivery ON accord_webhook_attempts (subscription, notification, id);
