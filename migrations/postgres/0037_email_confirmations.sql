-- Email confirmation links: an account proves it reads its address by following a
-- link mailed to it. A program open to an email domain admits only an address there
-- that was confirmed (src/service/programs/enrol.rs). As for password resets, only
-- the SHA-256 of a link's token is kept; a link works once and until `expires_at`,
-- for the address it was sent to (`email`).
CREATE TABLE email_confirmations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    email      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX email_confirmations_user ON email_confirmations (user_id, created_at);
