-- How a person reads the time of day: '24h' (14:00) or '12h' (2:00 PM); '' while
-- unknown (accounts from before this column, or made through the API without saying).
-- Set from the browser's language when the account is made or first signs in on the
-- web, and changed on the profile page or with PATCH /api/v1/me. Emails and
-- notifications write times this way; pages too, once it is set.
ALTER TABLE users ADD COLUMN clock TEXT NOT NULL DEFAULT '';
