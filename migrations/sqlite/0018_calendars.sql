-- Calendar integration (issue 19): a mentor's CalDAV connections (the password sealed
-- with the operator's key), the calendars found there (which count as busy, which one
-- receives bookings), the busy intervals last read from them (cut into pieces of at
-- most a day so an overlap query reads an index range), and the events written for
-- bookings (one resource per booking, so a retry overwrites rather than duplicates).
CREATE TABLE calendar_connections (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    server_url      TEXT NOT NULL,
    username        TEXT NOT NULL,
    password_sealed TEXT NOT NULL,
    -- The calendar home found by discovery.
    home_url        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('ok', 'failing')),
    last_error      TEXT NOT NULL DEFAULT '',
    last_attempt_at BIGINT,
    last_success_at BIGINT,
    failing_since   BIGINT,
    -- Write pending requests too, as tentative events.
    write_tentative BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX calendar_connections_user ON calendar_connections (user_id);
CREATE INDEX calendar_connections_attempt ON calendar_connections (last_attempt_at);

CREATE TABLE calendar_calendars (
    id            TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES calendar_connections (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    url           TEXT NOT NULL,
    name          TEXT NOT NULL,
    color         TEXT NOT NULL DEFAULT '',
    busy          BIGINT NOT NULL DEFAULT 1,
    target        BIGINT NOT NULL DEFAULT 0,
    -- The server's change token (sync-token or getctag) when last read, and the
    -- window that read covered.
    change_token  TEXT NOT NULL DEFAULT '',
    synced_from   BIGINT,
    synced_to     BIGINT,
    events        BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (connection_id, url)
);
CREATE UNIQUE INDEX calendar_calendars_target ON calendar_calendars (user_id) WHERE target = 1;

CREATE TABLE calendar_busy (
    calendar_id TEXT NOT NULL REFERENCES calendar_calendars (id),
    mentor_id   TEXT NOT NULL,
    start_at    BIGINT NOT NULL,
    end_at      BIGINT NOT NULL
);
CREATE INDEX calendar_busy_mentor ON calendar_busy (mentor_id, start_at);
CREATE INDEX calendar_busy_calendar ON calendar_busy (calendar_id);

CREATE TABLE calendar_pushes (
    booking_id  TEXT PRIMARY KEY NOT NULL,
    mentor_id   TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    href        TEXT NOT NULL,
    etag        TEXT NOT NULL DEFAULT '',
    -- What was written: the booking's sequence and the event's status.
    sequence    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
