-- A web form that creates something does so once, however often it is sent: going
-- Back to it and sending it again (or a second click while the first is on its way)
-- finds the first sending here, by the random key its page was rendered with, and
-- leads to what it made instead of making it twice. Rows are kept for a day.
CREATE TABLE form_submissions (
    user_id    TEXT NOT NULL REFERENCES users (id),
    form_key   TEXT NOT NULL,
    -- Where the first sending led (empty while it is being handled).
    location   TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, form_key)
);
CREATE INDEX form_submissions_created ON form_submissions (created_at);
