-- Disputes of a finished session's outcome (src/domain/dispute.rs): the side that
-- lost credits by the other's word (marked done, reported absent) disagrees, once per
-- booking, within a week; an admin rejects it (the outcome stands) or grants it (the
-- session is settled again the other way, ledger key `dispute:<booking id>`).
CREATE TABLE booking_disputes (
    id          TEXT PRIMARY KEY NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    opened_by   TEXT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'rejected', 'granted')),
    resolution  TEXT NOT NULL DEFAULT '',
    resolved_by TEXT REFERENCES users (id),
    resolved_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- Once per booking, whatever the races.
CREATE UNIQUE INDEX booking_disputes_booking ON booking_disputes (booking_id);
CREATE INDEX booking_disputes_status ON booking_disputes (status, created_at);
CREATE INDEX booking_disputes_opened_by ON booking_disputes (opened_by);
