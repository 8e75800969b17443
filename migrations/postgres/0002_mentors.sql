-- Mentors and discovery: mentor and mentee profiles, tags, services, search, mentorships.

CREATE TABLE mentor_profiles (
    user_id         TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    -- draft: signed up as a mentor, profile not filled in yet (not in the admin queue).
    status          TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'approved', 'rejected', 'suspended')),
    bio             TEXT NOT NULL DEFAULT '',
    expertise       TEXT NOT NULL DEFAULT '[]',
    skills          TEXT NOT NULL DEFAULT '[]',
    industries      TEXT NOT NULL DEFAULT '[]',
    company         TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    experience      TEXT NOT NULL DEFAULT '[]',
    hourly_rate     BIGINT NOT NULL CHECK (hourly_rate >= 0),
    max_mentees     BIGINT NOT NULL CHECK (max_mentees >= 1),
    is_public       BIGINT NOT NULL DEFAULT 1,
    rating_avg      DOUBLE PRECISION NOT NULL DEFAULT 0,
    rating_count    BIGINT NOT NULL DEFAULT 0,
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_by      TEXT REFERENCES users (id),
    decided_at      BIGINT,
    -- Text the full-text index covers: name, headline, bio, expertise, skills, company.
    search_doc      TEXT NOT NULL DEFAULT '',
    -- Never selected (the Any driver cannot decode TSVECTOR): only searched.
    search_tsv      TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', search_doc)) STORED,
    applied_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX mentor_profiles_status ON mentor_profiles (status, applied_at);
-- Discovery lists listed mentors by rating or by price: these indexes give those
-- orders directly, so a page is read in order and the scan stops after it.
CREATE INDEX mentor_profiles_by_rating ON mentor_profiles
    (status, is_public, rating_avg DESC, rating_count DESC, user_id);
CREATE INDEX mentor_profiles_by_price ON mentor_profiles
    (status, is_public, hourly_rate, rating_avg DESC, user_id);
CREATE INDEX mentor_profiles_company ON mentor_profiles (company);

-- One row per (mentor, kind, tag), lower-cased: the filters and recommendations look here.
CREATE TABLE mentor_tags (
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('expertise', 'skill', 'industry')),
    tag        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, tag)
);
CREATE INDEX mentor_tags_lookup ON mentor_tags (kind, tag, user_id);

CREATE INDEX mentor_profiles_search ON mentor_profiles USING GIN (search_tsv);

CREATE TABLE mentee_profiles (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    bio        TEXT NOT NULL DEFAULT '',
    goals      TEXT NOT NULL DEFAULT '[]',
    skills     TEXT NOT NULL DEFAULT '[]',
    interests  TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE services (
    id               TEXT PRIMARY KEY NOT NULL,
    mentor_id        TEXT NOT NULL REFERENCES users (id),
    kind             TEXT NOT NULL CHECK (kind IN ('session', 'resume_review', 'linkedin_review', 'custom')),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
    credit_cost      BIGINT NOT NULL CHECK (credit_cost >= 0),
    active           BIGINT NOT NULL DEFAULT 1,
    deleted_at       BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX services_mentor_id ON services (mentor_id, active);

CREATE TABLE mentorships (
    id             TEXT PRIMARY KEY NOT NULL,
    mentor_id      TEXT NOT NULL REFERENCES users (id),
    mentee_id      TEXT NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'ended', 'expired')),
    message        TEXT NOT NULL DEFAULT '',
    answer         TEXT NOT NULL DEFAULT '',
    ended_by       TEXT REFERENCES users (id),
    expires_at     BIGINT NOT NULL,
    responded_at   BIGINT,
    started_at     BIGINT,
    ended_at       BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK (mentor_id <> mentee_id)
);
-- At most one live (pending or accepted) relationship per pair, whatever the races.
CREATE UNIQUE INDEX mentorships_live_pair ON mentorships (mentor_id, mentee_id)
    WHERE status IN ('pending', 'accepted');
CREATE INDEX mentorships_mentor ON mentorships (mentor_id, status);
CREATE INDEX mentorships_mentee ON mentorships (mentee_id, status);
CREATE INDEX mentorships_expiry ON mentorships (status, expires_at);
