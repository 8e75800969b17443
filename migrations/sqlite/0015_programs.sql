-- Mentorship programs (issue 18): an admin runs a program (a cohort with an
-- application window and a running window); mentors opt in with a capacity, mentees
-- apply with intake answers and up to three ranked mentors; a manager computes match
-- proposals, reviews them and publishes them, which creates the program's mentorships
-- and grants each matched mentee the program's credit budget (see 0016).
CREATE TABLE programs (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    -- Who may join: anyone signed in, holders of the invite code, or addresses at the
    -- email domain.
    join_rule         TEXT NOT NULL CHECK (join_rule IN ('anyone', 'invite', 'domain')),
    invite_code       TEXT NOT NULL DEFAULT '',
    email_domain      TEXT NOT NULL DEFAULT '',
    applications_open_at  BIGINT NOT NULL,
    applications_close_at BIGINT NOT NULL,
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL,
    -- The most mentees a mentor takes in this program unless they say fewer.
    mentor_capacity   BIGINT NOT NULL CHECK (mentor_capacity BETWEEN 1 AND 50),
    -- Sessions each mentee is expected to have (the minimum the report measures).
    sessions_expected BIGINT NOT NULL CHECK (sessions_expected BETWEEN 0 AND 100),
    -- Credits granted to each matched mentee from the program's funding account.
    budget_per_mentee BIGINT NOT NULL CHECK (budget_per_mentee >= 0),
    -- A mentee may ask a program mentor directly instead of waiting for matching.
    self_matching     BIGINT NOT NULL DEFAULT 0,
    -- JSON: intake questions for mentees and for mentors, goals with milestones, and
    -- session agendas (see domain::program).
    mentee_questions  TEXT NOT NULL DEFAULT '[]',
    mentor_questions  TEXT NOT NULL DEFAULT '[]',
    goals             TEXT NOT NULL DEFAULT '[]',
    agendas           TEXT NOT NULL DEFAULT '[]',
    -- The template it was started from ('' for none).
    template          TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL CHECK (status IN ('draft', 'open', 'running', 'completed', 'cancelled')),
    created_by        TEXT NOT NULL REFERENCES users (id),
    completed_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CHECK (applications_close_at > applications_open_at),
    CHECK (ends_at > starts_at)
);
CREATE INDEX programs_status ON programs (status, starts_at);

-- Programs saved as templates by admins (the built-in ones live in the code).
CREATE TABLE program_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON: questions, goals, agendas and defaults (see domain::program::Template).
    body        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A manager sees and acts within one program only.
CREATE TABLE program_managers (
    program_id TEXT NOT NULL REFERENCES programs (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    added_by   TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, user_id)
);
CREATE INDEX program_managers_user ON program_managers (user_id);

-- A mentor's place in a program's pool.
CREATE TABLE program_mentors (
    program_id TEXT NOT NULL REFERENCES programs (id),
    mentor_id  TEXT NOT NULL REFERENCES users (id),
    capacity   BIGINT NOT NULL CHECK (capacity BETWEEN 1 AND 50),
    answers    TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, mentor_id)
);
CREATE INDEX program_mentors_mentor ON program_mentors (mentor_id, status);

-- A mentee's application: intake answers and up to three mentors in order of
-- preference. One live application per mentee and program, whatever the races.
CREATE TABLE program_applications (
    id          TEXT PRIMARY KEY NOT NULL,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    mentee_id   TEXT NOT NULL REFERENCES users (id),
    answers     TEXT NOT NULL DEFAULT '{}',
    -- JSON array of mentor ids, first choice first.
    choices     TEXT NOT NULL DEFAULT '[]',
    -- The mentee's goals and skills as they applied (matched against expertise).
    topics      TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL CHECK (status IN ('applied', 'matched', 'withdrawn')),
    -- Why the last proposal left them out ('' while none has).
    unmatched_reason TEXT NOT NULL DEFAULT '',
    matched_at  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX program_applications_live ON program_applications (program_id, mentee_id)
    WHERE status <> 'withdrawn';
CREATE INDEX program_applications_program ON program_applications (program_id, status, created_at);
CREATE INDEX program_applications_mentee ON program_applications (mentee_id);

-- A pairing: a draft proposal (computed or made by hand) until published, then the
-- program mentorship it created.
CREATE TABLE program_matches (
    id             TEXT PRIMARY KEY NOT NULL,
    program_id     TEXT NOT NULL REFERENCES programs (id),
    application_id TEXT NOT NULL REFERENCES program_applications (id),
    mentee_id      TEXT NOT NULL REFERENCES users (id),
    mentor_id      TEXT NOT NULL REFERENCES users (id),
    -- Which of the mentee's choices this mentor was (1 to 3), or none.
    choice_rank    BIGINT,
    score          BIGINT NOT NULL DEFAULT 0,
    explanation    TEXT NOT NULL DEFAULT '',
    -- 'manual': made or changed by a manager.
    origin         TEXT NOT NULL CHECK (origin IN ('computed', 'manual')),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'removed')),
    mentorship_id  TEXT REFERENCES mentorships (id),
    published_at   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX program_matches_live ON program_matches (application_id)
    WHERE status IN ('draft', 'published');
CREATE INDEX program_matches_program ON program_matches (program_id, status, mentor_id);

ALTER TABLE mentorships ADD COLUMN program_id TEXT REFERENCES programs (id);
CREATE INDEX mentorships_program ON mentorships (program_id, status);
