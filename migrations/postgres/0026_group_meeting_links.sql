-- A group session's meeting room: a link made from the configured meeting URL template
-- with a random room name when the session is published, shown to its mentor and to
-- whoever holds a seat (page, API, reminders, calendar files). Sessions published
-- before this column existed get theirs from the next maintenance pass (the template
-- is configuration, not something SQL can read).
ALTER TABLE group_sessions ADD COLUMN meeting_link TEXT NOT NULL DEFAULT '';
