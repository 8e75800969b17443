-- Mentor articles: drafts and published pieces, their tags, full-text search,
-- bookmarks, comments, and views counted once per viewer per day.

CREATE TABLE articles (
    id           TEXT PRIMARY KEY NOT NULL,
    author_id    TEXT NOT NULL REFERENCES users (id),
    -- Stable: made once from the first title and the id, never changed.
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    -- The Markdown the author wrote, and the sanitised HTML made from it on save.
    content      TEXT NOT NULL DEFAULT '',
    html         TEXT NOT NULL DEFAULT '',
    excerpt      TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    visibility   TEXT NOT NULL CHECK (visibility IN ('public', 'members', 'my_mentees')),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- First publication (kept when an article is unpublished and published again).
    published_at BIGINT,
    -- The order of lists: published_at once published, created_at for a draft.
    listed_at    BIGINT NOT NULL,
    view_count   BIGINT NOT NULL DEFAULT 0,
    -- Text the full-text index covers: title, tags, body.
    search_doc   TEXT NOT NULL DEFAULT '',
    -- Never selected (the Any driver cannot decode TSVECTOR): only searched.
    search_tsv   TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', search_doc)) STORED,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX articles_feed ON articles (status, listed_at DESC, id DESC);
CREATE INDEX articles_author ON articles (author_id, listed_at DESC, id DESC);

-- One row per (article, tag), lower-cased: the tag filter and the tags page read here.
CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX article_tags_tag ON article_tags (tag, article_id);

CREATE INDEX articles_search ON articles USING GIN (search_tsv);

CREATE TABLE article_bookmarks (
    user_id    TEXT NOT NULL REFERENCES users (id),
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
CREATE INDEX article_bookmarks_article ON article_bookmarks (article_id);

CREATE TABLE article_comments (
    id         TEXT PRIMARY KEY NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX article_comments_article ON article_comments (article_id, id);

-- A view counts once per viewer per day: a signed-in reader by `u:<user id>`, an
-- anonymous one by a daily salted hash (see domain::article::anonymous_viewer_key).
CREATE TABLE article_views (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    viewer_key TEXT NOT NULL,
    day        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, viewer_key, day)
);

-- Installation-wide values made once (e.g. the salt of anonymous view keys).
CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
