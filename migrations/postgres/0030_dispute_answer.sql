-- The other side's answer to a dispute (src/service/disputes.rs): while the admins
-- have not decided, the person whose word settled the session may give their account
-- of it, once, so that the admins read both sides before deciding.
ALTER TABLE booking_disputes ADD COLUMN answer TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_disputes ADD COLUMN answered_at BIGINT;
