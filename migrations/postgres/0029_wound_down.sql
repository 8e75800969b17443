-- When a suspended person's coming sessions were last wound down
-- (src/service/wind_down.rs): the suspension commits first and the wind-down follows
-- it, so a crash or a failing database between the two left a suspended mentor's
-- bookings live. The maintenance pass finishes any suspension younger than its
-- wind-down (or without one) a few minutes on. Suspensions from before this column
-- were wound down when they were made.
ALTER TABLE users ADD COLUMN wound_down_at BIGINT;
UPDATE users SET wound_down_at = suspended_at WHERE suspended_at IS NOT NULL;
CREATE INDEX users_suspended ON users (suspended_at) WHERE suspended_at IS NOT NULL;
