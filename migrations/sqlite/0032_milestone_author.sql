-- Who added a milestone: NULL for those copied from a program with its goals (and for
-- those written before this column). A program's goals and milestones stay on a
-- mentorship (renamed at most); what the pair adds is theirs to remove
-- (src/service/programs/progress.rs, `Progress::set_by_program`).
ALTER TABLE mentorship_milestones ADD COLUMN created_by TEXT REFERENCES users (id);
