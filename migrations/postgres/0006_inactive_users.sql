-- The few suspended or closed accounts, whose articles are hidden from readers: the
-- article lists check authors against this small index instead of joining users.
CREATE INDEX users_inactive ON users (id) WHERE suspended_at IS NOT NULL OR deleted_at IS NOT NULL;
