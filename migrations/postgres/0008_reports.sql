-- Reports: a member flags an article, a comment, a chat message or a user for the
-- admins, with a reason; an admin dismisses it or acts (unpublish, delete, suspend).

CREATE TABLE reports (
    id          TEXT PRIMARY KEY NOT NULL,
    reporter_id TEXT NOT NULL REFERENCES users (id),
    target_type TEXT NOT NULL CHECK (target_type IN ('article', 'comment', 'message', 'user')),
    target_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'dismissed', 'actioned')),
    resolution  TEXT NOT NULL DEFAULT '',
    resolved_by TEXT REFERENCES users (id),
    resolved_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- One open report per reporter and target, whatever the races.
CREATE UNIQUE INDEX reports_open_once ON reports (reporter_id, target_type, target_id) WHERE status = 'open';
CREATE INDEX reports_status ON reports (status, id);
CREATE INDEX reports_target ON reports (target_type, target_id);
