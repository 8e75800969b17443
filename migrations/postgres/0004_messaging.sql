-- Messaging, notifications, email outbox and the durable job queue.

-- Background work: each row runs once (claimed with a lease; on Postgres with
-- FOR UPDATE SKIP LOCKED). A claimed job whose lease runs out (a crash) is claimed
-- again. Failures retry with backoff, then the job is dead-lettered.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    -- Makes enqueueing idempotent (e.g. one 24-hour reminder per booking and start).
    dedupe_key   TEXT,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 8,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, locked_until);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE threads (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title           TEXT NOT NULL DEFAULT '',
    created_by      TEXT REFERENCES users (id),
    -- For a direct thread: the two user ids, sorted and joined, so a pair has one.
    pair_key        TEXT,
    last_message_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX threads_pair ON threads (pair_key) WHERE pair_key IS NOT NULL;

CREATE TABLE thread_participants (
    thread_id    TEXT NOT NULL REFERENCES threads (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    -- The newest message id this participant has read (ids are time-ordered).
    last_read_id TEXT NOT NULL DEFAULT '',
    archived     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_participants_user ON thread_participants (user_id, archived);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY NOT NULL,
    thread_id  TEXT NOT NULL REFERENCES threads (id),
    sender_id  TEXT REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'image', 'invite', 'system')),
    content    TEXT NOT NULL DEFAULT '',
    metadata   TEXT NOT NULL DEFAULT '{}',
    booking_id TEXT REFERENCES bookings (id),
    edited_at  BIGINT,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_booking ON messages (booking_id);
CREATE INDEX messages_sender ON messages (sender_id);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    related_id TEXT,
    read_at    BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

-- Per kind and channel; a missing row means the kind's default.
CREATE TABLE notification_preferences (
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    in_app     BIGINT NOT NULL,
    email      BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Every email, durable before it is sent; a job delivers it (or logs it when no SMTP
-- server is configured).
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT REFERENCES users (id),
    to_email   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    ics        TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'logged', 'failed')),
    attempts   BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at    BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_status ON outbox (status, created_at);
CREATE INDEX outbox_user ON outbox (user_id);
