-- Which rendering made an article's stored HTML and excerpt (RENDER_VERSION in
-- src/domain/article.rs). Articles saved by an older one (before highlighted code and
-- plain-text excerpts) are rendered again by the maintenance pass, a batch at a time;
-- that is not an edit, so updated_at stays.
ALTER TABLE articles ADD COLUMN render_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX articles_render_version ON articles (render_version);
