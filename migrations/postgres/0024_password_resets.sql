-- Password reset links ("Forgot your password?"). Only the SHA-256 of a link's token
-- is kept, as for sessions: the token itself is in the email alone. A link works once
-- and until `expires_at`; using one (or changing the password) spends every link of
-- the account.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
