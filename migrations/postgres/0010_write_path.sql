-- The booking write path (issue 13).

-- Readiness writes (and deletes) one row here to find out whether the database can
-- take a write at all (a full disk, a read-only file system).
CREATE TABLE write_probes (
    id         TEXT PRIMARY KEY NOT NULL,
    filler     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- An email being handed to the SMTP server is claimed by one worker until
-- claimed_until, so two live workers never send the same outbox row at once.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by IS NOT NULL;

-- Escrow in sixteen accounts: every booking holds its credits in the one its id picks
-- (and is settled from the one that holds them), so concurrent bookings no longer
-- queue for a single row. 'escrow' itself is the first (and holds what was booked
-- before); `ledger verify` checks them together against the live bookings.
INSERT INTO ledger_accounts (id, kind, user_id, balance, created_at, updated_at) VALUES
    ('escrow-1', 'escrow', NULL, 0, 0, 0), ('escrow-2', 'escrow', NULL, 0, 0, 0),
    ('escrow-3', 'escrow', NULL, 0, 0, 0), ('escrow-4', 'escrow', NULL, 0, 0, 0),
    ('escrow-5', 'escrow', NULL, 0, 0, 0), ('escrow-6', 'escrow', NULL, 0, 0, 0),
    ('escrow-7', 'escrow', NULL, 0, 0, 0), ('escrow-8', 'escrow', NULL, 0, 0, 0),
    ('escrow-9', 'escrow', NULL, 0, 0, 0), ('escrow-10', 'escrow', NULL, 0, 0, 0),
    ('escrow-11', 'escrow', NULL, 0, 0, 0), ('escrow-12', 'escrow', NULL, 0, 0, 0),
    ('escrow-13', 'escrow', NULL, 0, 0, 0), ('escrow-14', 'escrow', NULL, 0, 0, 0),
    ('escrow-15', 'escrow', NULL, 0, 0, 0);
