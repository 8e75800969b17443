-- A group session's title and description as its search matches them: lower case,
-- common accents dropped ("resume" finds "Résumé clinic"). Written with the session;
-- sessions published before are filled by the maintenance pass ('' until then).
ALTER TABLE group_sessions ADD COLUMN search_doc TEXT NOT NULL DEFAULT '';
