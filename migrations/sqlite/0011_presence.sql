-- Who is connected to which instance (issue 16): a user with a live socket on any
-- instance is "online", so a message they see live is not also notified and emailed
-- to them. Each instance renews its rows while it lives; rows of a crashed instance
-- stop counting once they are older than a minute.
CREATE TABLE presence (
    instance_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);
CREATE INDEX presence_user ON presence (user_id, seen_at);
