-- Two indexes hold only the rows that have what they look up: a chat line has no
-- booking, and a one-off booking (no accepted mentorship between the two) has no
-- mentorship, so neither writes an entry that no lookup reads (on SQLite a page of
-- the write-ahead log each). Every lookup is by an equality on the column
-- (`booking_id = $1`, `mentorship_id = $1`), which both engines know implies
-- `IS NOT NULL`, so they keep using these indexes.
DROP INDEX messages_booking;
CREATE INDEX messages_booking ON messages (booking_id) WHERE booking_id IS NOT NULL;
DROP INDEX bookings_mentorship;
CREATE INDEX bookings_mentorship ON bookings (mentorship_id) WHERE mentorship_id IS NOT NULL;
