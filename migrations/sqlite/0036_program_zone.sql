-- A program's dates are days in its own time zone (the one it was made in, or given):
-- "applications close 18 Dec" is that day for every reader, wherever they are
-- (src/http/web/programs.rs, `card`). Programs made before take their creator's zone.
ALTER TABLE programs ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
UPDATE programs SET timezone = COALESCE((SELECT u.timezone FROM users u WHERE u.id = programs.created_by), 'UTC');
