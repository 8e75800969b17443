-- no-transaction
-- Program credits (issue 18): a program's funding account (`program`, funded from
-- `world` by an admin) and each matched mentee's sponsored credits in it
-- (`sponsored`, one per mentee and program), spent before their own credits on the
-- program's sessions and returned to the funding account when the program ends.
-- SQLite cannot change a CHECK in place: the table is rebuilt the documented way
-- (foreign keys off, one transaction, renamed into place), which is why this file
-- runs outside the migrator's transaction. Running it again after a crash between
-- its COMMIT and the migrator's bookkeeping rebuilds the same table again.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE IF EXISTS ledger_accounts_next;
CREATE TABLE ledger_accounts_next (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('wallet', 'escrow', 'revenue', 'world', 'program', 'sponsored')),
    user_id    TEXT REFERENCES users (id),
    balance    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    program_id TEXT REFERENCES programs (id),
    CHECK (kind IN ('world') OR balance >= 0),
    CHECK ((kind IN ('wallet', 'sponsored')) = (user_id IS NOT NULL)),
    CHECK ((kind IN ('program', 'sponsored')) = (program_id IS NOT NULL))
);
INSERT INTO ledger_accounts_next (id, kind, user_id, balance, created_at, updated_at)
    SELECT id, kind, user_id, balance, created_at, updated_at FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_next RENAME TO ledger_accounts;
CREATE UNIQUE INDEX ledger_accounts_wallet ON ledger_accounts (user_id) WHERE kind = 'wallet';
CREATE UNIQUE INDEX ledger_accounts_sponsored ON ledger_accounts (program_id, user_id)
    WHERE kind = 'sponsored';
COMMIT;
PRAGMA foreign_keys = ON;
