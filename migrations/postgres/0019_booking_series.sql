-- Recurring sessions (issue 19): a series is one request for the same service at the
-- same local time (in the mentor's zone) every week or every two weeks; each
-- occurrence is its own booking with its own credits in escrow, tied to the series.
CREATE TABLE booking_series (
    id          TEXT PRIMARY KEY NOT NULL,
    mentor_id   TEXT NOT NULL REFERENCES users (id),
    mentee_id   TEXT NOT NULL REFERENCES users (id),
    service_id  TEXT NOT NULL,
    every_weeks BIGINT NOT NULL CHECK (every_weeks IN (1, 2)),
    occurrences BIGINT NOT NULL,
    -- The zone whose wall-clock time the series keeps (the mentor's).
    timezone    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
ALTER TABLE bookings ADD COLUMN series_id TEXT REFERENCES booking_series (id);
CREATE INDEX bookings_series ON bookings (series_id, start_at) WHERE series_id IS NOT NULL;
