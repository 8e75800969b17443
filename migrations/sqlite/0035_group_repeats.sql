-- The weekly repeats published together: each names the first session of its run, so
-- that a mentor can cancel one date and every later one at once (src/service/groups.rs,
-- `cancel`). NULL for a session published alone, and for those published before this.
ALTER TABLE group_sessions ADD COLUMN repeats_id TEXT;
CREATE INDEX group_sessions_repeats ON group_sessions (repeats_id, start_at) WHERE repeats_id IS NOT NULL;
