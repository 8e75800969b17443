-- Whose action a system line in a chat reports ("Booking accepted" by the mentor):
-- the line is no news to them, so it never counts as unread for them, even while
-- something older in the thread is still unread (src/store/messages.rs). NULL for
-- people's own messages and for lines about nobody's action.
ALTER TABLE messages ADD COLUMN actor_id TEXT;
