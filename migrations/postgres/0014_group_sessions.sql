-- Group sessions (issue 17): a mentor's session at a concrete time with a number of
-- seats. A seat's credits are held in escrow like a booking's (ledger transfers keyed
-- `seat:<seat id>:…`); a full session has a waitlist, ordered by arrival, that seats
-- the first person who can pay whenever a seat frees. `seated` counts the seats taken
-- and its CHECK is the last guard against selling more seats than there are.
CREATE TABLE group_sessions (
    id               TEXT PRIMARY KEY NOT NULL,
    mentor_id        TEXT NOT NULL REFERENCES users (id),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    start_at         BIGINT NOT NULL,
    end_at           BIGINT NOT NULL,
    -- The mentor's zone when it was published (its times are shown in both zones).
    timezone         TEXT NOT NULL,
    seats            BIGINT NOT NULL CHECK (seats BETWEEN 2 AND 200),
    credits_per_seat BIGINT NOT NULL CHECK (credits_per_seat >= 0),
    audience         TEXT NOT NULL CHECK (audience IN ('public', 'members', 'my_mentees')),
    -- Too few seated by decide_at: the session is cancelled and everyone refunded.
    min_attendance   BIGINT,
    decide_at        BIGINT,
    -- When the minimum was checked (once, at decide_at).
    decided_at       BIGINT,
    join_until       BIGINT NOT NULL,
    -- Attendees see each other's first names (the mentor always sees the roster).
    show_names       BIGINT NOT NULL DEFAULT 0,
    thread_id        TEXT NOT NULL REFERENCES threads (id),
    seated           BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('open', 'cancelled', 'completed')),
    cancel_reason    TEXT NOT NULL DEFAULT '',
    -- Bumped on every change an attendee's calendar should see.
    sequence         BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (end_at > start_at),
    CHECK (seated >= 0 AND seated <= seats),
    CHECK ((min_attendance IS NULL) = (decide_at IS NULL))
);
CREATE INDEX group_sessions_mentor ON group_sessions (mentor_id, status, start_at);
CREATE INDEX group_sessions_upcoming ON group_sessions (status, start_at);
CREATE INDEX group_sessions_ending ON group_sessions (status, end_at);
CREATE INDEX group_sessions_deciding ON group_sessions (status, decide_at) WHERE decided_at IS NULL;

-- One row per person and session: seated (credits held), waiting (in line, nothing
-- held), or how it ended: left, skipped (a seat freed but they could not take it),
-- refunded (the session was cancelled), attended or absent (the mentor's record after
-- the session; both seats pay the mentor).
CREATE TABLE group_seats (
    id           TEXT PRIMARY KEY NOT NULL,
    session_id   TEXT NOT NULL REFERENCES group_sessions (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    status       TEXT NOT NULL CHECK (status IN ('seated', 'waiting', 'left', 'skipped', 'refunded', 'attended', 'absent')),
    credits_held BIGINT NOT NULL DEFAULT 0 CHECK (credits_held >= 0),
    -- The order of the waitlist (with the id to break ties).
    queued_at    BIGINT NOT NULL,
    seated_at    BIGINT,
    ended_at     BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX group_seats_live ON group_seats (session_id, user_id)
    WHERE status IN ('seated', 'waiting');
CREATE INDEX group_seats_line ON group_seats (session_id, status, queued_at, id);
CREATE INDEX group_seats_user ON group_seats (user_id, status);

-- One review per attended seat, counted in the mentor's rating with their 1:1 reviews.
CREATE TABLE group_reviews (
    id         TEXT PRIMARY KEY NOT NULL,
    seat_id    TEXT NOT NULL REFERENCES group_seats (id),
    session_id TEXT NOT NULL REFERENCES group_sessions (id),
    mentor_id  TEXT NOT NULL REFERENCES users (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    rating     BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX group_reviews_seat ON group_reviews (seat_id);
CREATE INDEX group_reviews_mentor ON group_reviews (mentor_id, id);
CREATE INDEX group_reviews_session ON group_reviews (session_id, id);
