-- A seat taken with an Idempotency-Key keeps it: the same request sent again (a retry
-- after a timeout) answers that seat instead of "already joined".
ALTER TABLE group_seats ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX group_seats_key ON group_seats (session_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
