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
