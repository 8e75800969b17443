-- Program credits (issue 18): a program's funding account (`program`, funded from
-- `world` by an admin) and each matched mentee's sponsored credits in it
-- (`sponsored`, one per mentee and program), spent before their own credits on the
-- program's sessions and returned to the funding account when the program ends.
-- PostgreSQL changes the kind's constraints in place; SQLite rebuilds the table.
ALTER TABLE ledger_accounts ADD COLUMN program_id TEXT REFERENCES programs (id);
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check1;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
    CHECK (kind IN ('wallet', 'escrow', 'revenue', 'world', 'program', 'sponsored'));
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_check
    CHECK ((kind IN ('wallet', 'sponsored')) = (user_id IS NOT NULL));
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_program_check
    CHECK ((kind IN ('program', 'sponsored')) = (program_id IS NOT NULL));
CREATE UNIQUE INDEX ledger_accounts_sponsored ON ledger_accounts (program_id, user_id)
    WHERE kind = 'sponsored';
