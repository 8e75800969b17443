-- Program progress (issue 18): goals with milestones on a mentorship (copied from its
-- program when the pairing is published, then the pair's to edit), the mentee's skill
-- self-assessments (1 to 5, at the start and at the end), and the program's nudges:
-- rules a manager sets, and every nudge sent (once per person, rule and subject,
-- whatever the instances and the retries).
CREATE TABLE mentorship_goals (
    id            TEXT PRIMARY KEY NOT NULL,
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    title         TEXT NOT NULL,
    position      BIGINT NOT NULL,
    created_by    TEXT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX mentorship_goals_mentorship ON mentorship_goals (mentorship_id, position);

CREATE TABLE mentorship_milestones (
    id            TEXT PRIMARY KEY NOT NULL,
    goal_id       TEXT NOT NULL REFERENCES mentorship_goals (id),
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    title         TEXT NOT NULL,
    position      BIGINT NOT NULL,
    done_at       BIGINT,
    done_by       TEXT REFERENCES users (id),
    -- The session whose notes cover it, if the pair linked one.
    booking_id    TEXT REFERENCES bookings (id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX mentorship_milestones_goal ON mentorship_milestones (goal_id, position);
CREATE INDEX mentorship_milestones_mentorship ON mentorship_milestones (mentorship_id, done_at);

CREATE TABLE skill_assessments (
    id            TEXT PRIMARY KEY NOT NULL,
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id),
    skill         TEXT NOT NULL,
    phase         TEXT NOT NULL CHECK (phase IN ('start', 'end')),
    level         BIGINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX skill_assessments_one ON skill_assessments (mentorship_id, skill, phase);

-- A program's nudge rules: `no_session` (a pair without a session N days after the
-- pairing), `no_contact` (no session or message for N days), `unmatched` (an applicant
-- still waiting N days after applying), `ending` (N days before the program ends).
CREATE TABLE program_nudge_rules (
    program_id TEXT NOT NULL REFERENCES programs (id),
    rule       TEXT NOT NULL CHECK (rule IN ('no_session', 'no_contact', 'unmatched', 'ending')),
    days       BIGINT NOT NULL CHECK (days BETWEEN 1 AND 365),
    enabled    BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, rule)
);

-- Every nudge sent. `subject_id` is what it is about (the mentorship or the
-- application); the unique index makes a nudge go out once, however often it is due.
CREATE TABLE program_nudges (
    id         TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    rule       TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    subject_id TEXT NOT NULL,
    sent_at    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX program_nudges_once ON program_nudges (program_id, rule, user_id, subject_id);
CREATE INDEX program_nudges_program ON program_nudges (program_id, sent_at);
