-- A session its mentor moved to a time within the cancellation notice (fewer than
-- `cancel_notice_hours` ahead): its mentee may cancel that time for everything back,
-- as the late-cancellation terms are for times the mentee chose
-- (src/service/bookings/transition.rs). Set by each move: the mentor's to such a time
-- sets it, any other move clears it.
ALTER TABLE bookings ADD COLUMN short_notice_by_mentor BIGINT NOT NULL DEFAULT 0;
