-- A group session by its chat thread: the conversation list names a session's thread
-- by the session's current title and date (src/service/messages.rs, `ThreadSummary`).
CREATE INDEX group_sessions_thread ON group_sessions (thread_id);
