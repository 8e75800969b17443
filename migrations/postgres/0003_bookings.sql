-- Scheduling and booking: availability, the credits ledger, bookings and their
-- history, reviews, calendar feeds.

CREATE TABLE availability (
    mentor_id             TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    timezone              TEXT NOT NULL,
    -- JSON: [{"weekday": "monday", "start": "09:00", "end": "12:00"}]
    weekly                TEXT NOT NULL DEFAULT '[]',
    -- JSON: [{"date": "2026-03-02", "available": false, "start": null, "end": null}]
    overrides             TEXT NOT NULL DEFAULT '[]',
    min_notice_minutes    BIGINT NOT NULL,
    buffer_before_minutes BIGINT NOT NULL,
    buffer_after_minutes  BIGINT NOT NULL,
    horizon_days          BIGINT NOT NULL,
    slot_step_minutes     BIGINT NOT NULL,
    max_per_day           BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- When the mentor's next free slot starts (for any active service), kept fresh by the
-- server; NULL when there is none. Discovery sorts and pre-filters on it.
ALTER TABLE mentor_profiles ADD COLUMN next_free_at BIGINT;
-- Sessions the mentor missed, as reported by mentees.
ALTER TABLE mentor_profiles ADD COLUMN no_show_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX mentor_profiles_next_free ON mentor_profiles (status, is_public, next_free_at);

-- Double-entry credits. Every user has a wallet; escrow holds booked credits; revenue
-- collects platform fees; world is the outside (grants, purchases) and so is the only
-- account that goes negative. Balances are kept here for fast checks and verified
-- against the entries by `mentorhub ledger verify`.
CREATE TABLE ledger_accounts (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('wallet', 'escrow', 'revenue', 'world')),
    user_id    TEXT REFERENCES users (id),
    balance    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (kind IN ('world') OR balance >= 0),
    CHECK ((kind = 'wallet') = (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX ledger_accounts_wallet ON ledger_accounts (user_id) WHERE kind = 'wallet';
INSERT INTO ledger_accounts (id, kind, user_id, balance, created_at, updated_at) VALUES
    ('escrow', 'escrow', NULL, 0, 0, 0),
    ('revenue', 'revenue', NULL, 0, 0, 0),
    ('world', 'world', NULL, 0, 0, 0);

-- A transfer moves credits between accounts in entries that sum to zero. Its
-- idempotency key is unique: replaying a transfer is a no-op.
CREATE TABLE ledger_transfers (
    id              TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL,
    kind            TEXT NOT NULL,
    booking_id      TEXT,
    actor_id        TEXT REFERENCES users (id),
    memo            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_transfers_key ON ledger_transfers (idempotency_key);
CREATE INDEX ledger_transfers_booking ON ledger_transfers (booking_id);

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY NOT NULL,
    transfer_id TEXT NOT NULL REFERENCES ledger_transfers (id),
    account_id  TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount      BIGINT NOT NULL CHECK (amount <> 0),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);

CREATE TABLE bookings (
    id                 TEXT PRIMARY KEY NOT NULL,
    mentor_id          TEXT NOT NULL REFERENCES users (id),
    mentee_id          TEXT NOT NULL REFERENCES users (id),
    service_id         TEXT NOT NULL REFERENCES services (id),
    -- Snapshot of the service when booked.
    kind               TEXT NOT NULL,
    title              TEXT NOT NULL,
    duration_minutes   BIGINT NOT NULL,
    -- 1 for a meeting at a time (sessions, custom); 0 for a review with a deadline.
    timed              BIGINT NOT NULL,
    -- A meeting's start and end; for a review, the request time and the deadline.
    start_at           BIGINT NOT NULL,
    end_at             BIGINT NOT NULL,
    timezone           TEXT NOT NULL,
    topic              TEXT NOT NULL DEFAULT '',
    message            TEXT NOT NULL DEFAULT '',
    mentorship_id      TEXT REFERENCES mentorships (id),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled', 'completed', 'no_show')),
    credits_held       BIGINT NOT NULL CHECK (credits_held >= 0),
    credits_refunded   BIGINT NOT NULL DEFAULT 0,
    credits_paid       BIGINT NOT NULL DEFAULT 0,
    meeting_link       TEXT NOT NULL DEFAULT '',
    expires_at         BIGINT NOT NULL,
    mentee_pre_notes   TEXT NOT NULL DEFAULT '',
    mentee_pre_shared  BIGINT NOT NULL DEFAULT 1,
    mentor_pre_notes   TEXT NOT NULL DEFAULT '',
    mentor_pre_shared  BIGINT NOT NULL DEFAULT 1,
    mentee_post_notes  TEXT NOT NULL DEFAULT '',
    mentee_post_shared BIGINT NOT NULL DEFAULT 0,
    mentor_post_notes  TEXT NOT NULL DEFAULT '',
    mentor_post_shared BIGINT NOT NULL DEFAULT 0,
    decline_reason     TEXT NOT NULL DEFAULT '',
    cancel_reason      TEXT NOT NULL DEFAULT '',
    cancelled_by       TEXT REFERENCES users (id),
    -- Who did not show up: 'mentee' or 'mentor'.
    no_show_party      TEXT NOT NULL DEFAULT '',
    delivery_text      TEXT NOT NULL DEFAULT '',
    delivery_url       TEXT NOT NULL DEFAULT '',
    delivered_at       BIGINT,
    accepted_at        BIGINT,
    finished_at        BIGINT,
    -- iCalendar SEQUENCE: bumped whenever the event changes for attendees.
    sequence           BIGINT NOT NULL DEFAULT 0,
    idempotency_key    TEXT,
    request_hash       TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK (mentor_id <> mentee_id),
    CHECK (end_at > start_at)
);
CREATE INDEX bookings_mentor ON bookings (mentor_id, status, start_at);
CREATE INDEX bookings_mentee ON bookings (mentee_id, status, start_at);
CREATE INDEX bookings_expiry ON bookings (status, expires_at);
CREATE INDEX bookings_ending ON bookings (status, end_at);
CREATE INDEX bookings_mentorship ON bookings (mentorship_id);
CREATE INDEX bookings_service ON bookings (service_id);
CREATE UNIQUE INDEX bookings_idempotency ON bookings (mentee_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- What happened to a booking, in order (requests, answers, reschedules, endings).
CREATE TABLE booking_events (
    id          TEXT PRIMARY KEY NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    actor_id    TEXT REFERENCES users (id),
    kind        TEXT NOT NULL,
    from_start  BIGINT,
    to_start    BIGINT,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

CREATE TABLE reviews (
    id         TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    mentor_id  TEXT NOT NULL REFERENCES users (id),
    mentee_id  TEXT NOT NULL REFERENCES users (id),
    rating     BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    reply      TEXT NOT NULL DEFAULT '',
    replied_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reviews_booking ON reviews (booking_id);
CREATE INDEX reviews_mentor ON reviews (mentor_id, id);
CREATE INDEX reviews_mentee ON reviews (mentee_id);

-- A secret per-user calendar feed URL; only the token's hash is kept.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_token ON calendar_feeds (token_hash);
