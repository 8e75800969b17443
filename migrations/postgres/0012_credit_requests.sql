-- Credit requests (issue 15): a member asks the admins for credits with a note; an
-- admin grants them (the ledger transfer is written in the same transaction, with the
-- key `credit_request:<id>`, so a request is granted once) or declines with a reason;
-- the member may withdraw while it is open. One open request per member, whatever the
-- races.
CREATE TABLE credit_requests (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    credits    BIGINT NOT NULL CHECK (credits > 0),
    note       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'granted', 'declined', 'withdrawn')),
    granted    BIGINT NOT NULL DEFAULT 0,
    answer     TEXT NOT NULL DEFAULT '',
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_requests_open_once ON credit_requests (user_id) WHERE status = 'open';
CREATE INDEX credit_requests_status ON credit_requests (status, id);
CREATE INDEX credit_requests_user ON credit_requests (user_id, id);
