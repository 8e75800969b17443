-- Foundation: accounts, sessions and tokens, audit log.
-- Conventions (both databases): ids are TEXT (UUIDv7), instants are BIGINT microseconds
-- since the Unix epoch, booleans are INTEGER 0/1, JSON is TEXT.

CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    roles            TEXT NOT NULL DEFAULT ',mentee,',
    first_name       TEXT NOT NULL,
    last_name        TEXT NOT NULL,
    headline         TEXT NOT NULL DEFAULT '',
    bio              TEXT NOT NULL DEFAULT '',
    avatar_url       TEXT NOT NULL DEFAULT '',
    resume_url       TEXT NOT NULL DEFAULT '',
    linkedin_url     TEXT NOT NULL DEFAULT '',
    timezone         TEXT NOT NULL DEFAULT 'UTC',
    suspended_at     BIGINT,
    suspended_reason TEXT NOT NULL DEFAULT '',
    deleted_at       BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_created_at ON users (created_at);
CREATE INDEX users_suspended_at ON users (suspended_at);
CREATE INDEX users_deleted_at ON users (deleted_at);

-- A session is one sign-in: an API token family or a web cookie. Revoking it (logout,
-- password change, suspension, refresh-token reuse) ends every token in it at once.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('api', 'web')),
    csrf_token   TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Only the SHA-256 of a token is stored. A refresh token is single-use: `used_at` is
-- set when it is rotated, and presenting it again revokes its session.
CREATE TABLE session_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'web')),
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX session_tokens_session_id ON session_tokens (session_id);
CREATE INDEX session_tokens_expires_at ON session_tokens (expires_at);

-- Every admin action: who, what, on what, before and after (JSON).
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_actor_id ON audit_log (actor_id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE INDEX audit_log_created_at ON audit_log (created_at);
