-- Fewer index entries per booking: every index on a table is written by each insert
-- (on SQLite a page of the write-ahead log each, on PostgreSQL an index insert and the
-- lock and open of the index in every statement that writes the table).
-- * No query reads the outbox by status or by user (the job worker reads its emails by
--   id, a lease by `claimed_by`), and no row of `users` is ever deleted, so the two
--   indexes only cost: an entry each per email, and a moved entry at each send.
-- * Services are retired (`deleted_at`), never deleted, and no query reads bookings by
--   service: the index only supported a parent delete that never happens.
-- * Only accepted bookings are looked for past their end (the settlement sweep): new,
--   pending bookings no longer write an entry to that index, and it no longer grows
--   with every booking ever settled or cancelled.
DROP INDEX outbox_status;
DROP INDEX outbox_user;
DROP INDEX bookings_service;
DROP INDEX bookings_ending;
CREATE INDEX bookings_ending ON bookings (status, end_at) WHERE status = 'accepted';
