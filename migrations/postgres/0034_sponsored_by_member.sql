-- A member's program credits by member: the credits page lists them and their
-- movements beside the wallet's (src/store/ledger.rs, `sponsored_of`, `wallet_entries`),
-- which read them by user, not by program.
CREATE INDEX ledger_accounts_sponsored_member ON ledger_accounts (user_id) WHERE kind = 'sponsored';
