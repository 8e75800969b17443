-- Escrow in 256 accounts (was 16): a booking's id now picks one by its last two hex
-- digits. With sixteen, concurrent bookings often met on the same row and the second
-- waited for the first one's commit (on PostgreSQL about a third of a booking's time at
-- 32 connections). Settling reads where a hold went, so bookings and seats held before
-- keep being settled from their own account; `ledger verify` sums every escrow account.
INSERT INTO ledger_accounts (id, kind, user_id, balance, created_at, updated_at)
SELECT 'escrow-' || n, 'escrow', NULL, 0, 0, 0 FROM generate_series(16, 255) AS n;
