//! Articles, their tags, bookmarks, comments and daily views.
//!
//! Every list goes through [`visible`], the SQL form of
//! `domain::article::can_read` (plus: a suspended or closed author's articles are
//! hidden from everyone but admins), so the feed, a mentor's knowledge base, search,
//! the tags page and bookmarks can never show what a direct link would refuse.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Arg, Backend, SqlBuilder, Tx, column::row};
use crate::domain::article::{ArticleStatus, RENDER_VERSION, Visibility};

row! {
#[derive(Debug, Clone)]
pub struct ArticleRow {
    pub id: String,
    pub author_id: String,
    pub slug: String,
    pub title: String,
    pub content: String,
    pub html: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub status: ArticleStatus,
    pub published_at: Option<Timestamp>,
    pub listed_at: Timestamp,
    pub view_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub author_first_name: String,
    pub author_last_name: String,
    pub author_headline: String,
    pub author_avatar_url: String,
    /// The author's account is suspended or closed.
    pub author_inactive: bool,
    pub comment_count: i64,
    /// The reader of the query has bookmarked it.
    pub bookmarked: bool,
}
}

impl ArticleRow {
    pub fn is_published(&self) -> bool {
        self.status == ArticleStatus::Published
    }
}

/// Who is asking, for the visibility condition.
#[derive(Debug, Clone, Default)]
pub struct ReaderQ {
    pub user_id: Option<String>,
    pub is_admin: bool,
}

/// Selects [`ArticleRow`] columns; `$1` must be bound to the reader's id (or "").
/// Lists leave the body out (`content`, `html` empty): they show the excerpt.
fn select(body: bool) -> String {
    let body = if body {
        "a.content, a.html"
    } else {
        "'' AS content, '' AS html"
    };
    format!(
        "SELECT a.id, a.author_id, a.slug, a.title, {body}, a.excerpt, \
         a.tags, a.visibility, a.status, a.published_at, a.listed_at, a.view_count, a.created_at, \
         a.updated_at, u.first_name AS author_first_name, u.last_name AS author_last_name, \
         u.headline AS author_headline, u.avatar_url AS author_avatar_url, \
         CASE WHEN u.suspended_at IS NULL AND u.deleted_at IS NULL THEN 0 ELSE 1 END AS author_inactive, \
         (SELECT COUNT(*) FROM article_comments c WHERE c.article_id = a.id) AS comment_count, \
         (SELECT COUNT(*) FROM article_bookmarks b WHERE b.article_id = a.id AND b.user_id = $1) AS bookmarked "
    )
}

/// Appends the condition under which the reader may see article `a` (author `u`).
fn visible(b: &mut SqlBuilder, r: &ReaderQ) {
    if r.is_admin {
        return;
    }
    // Written against `a` alone (no join on users), so the planner can walk the feed
    // index in order; the few inactive accounts come from a small partial index.
    let active = "a.author_id NOT IN (SELECT x.id FROM users x \
        WHERE x.suspended_at IS NOT NULL OR x.deleted_at IS NOT NULL)";
    match &r.user_id {
        None => {
            b.push(&format!(
                " AND a.status = 'published' AND a.visibility = 'public' AND {active}"
            ));
        }
        Some(me) => {
            b.push(" AND (a.author_id = ")
                .bind(Arg::Text(me.clone()))
                .push(&format!(
                    " OR (a.status = 'published' AND {active} AND (a.visibility IN ('public', 'members') \
                     OR (a.visibility = 'my_mentees' AND EXISTS (SELECT 1 FROM mentorships m \
                     WHERE m.mentor_id = a.author_id AND m.status = 'accepted' AND m.mentee_id = "
                ))
                .bind(Arg::Text(me.clone()))
                .push(")))))");
        }
    }
}

fn start(r: &ReaderQ, body: bool) -> SqlBuilder {
    let mut b = SqlBuilder::new(&select(body));
    b.args
        .push(Arg::Text(r.user_id.clone().unwrap_or_default()));
    b
}

/// One article by id or slug, whoever may read it (the caller applies the rule).
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    reader: Option<&str>,
    id: Option<&str>,
    slug: Option<&str>,
) -> sqlx::Result<Option<ArticleRow>> {
    let mut b = start(
        &ReaderQ {
            user_id: reader.map(str::to_string),
            is_admin: false,
        },
        true,
    );
    b.push("FROM articles a JOIN users u ON u.id = a.author_id WHERE ");
    match (id, slug) {
        (Some(id), _) => b.push("a.id = ").bind(Arg::Text(id.into())),
        (None, Some(slug)) => b.push("a.slug = ").bind(Arg::Text(slug.into())),
        (None, None) => return Ok(None),
    };
    b.query_as().fetch_optional(ex).await
}

/// Which articles a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub reader: ReaderQ,
    pub author_id: Option<String>,
    pub tag: Option<String>,
    /// Full-text words (letters and digits only).
    pub words: Vec<String>,
    /// `Some("draft")`, `Some("published")`, or `None` for both (drafts still only
    /// where the reader may see them).
    pub status: Option<&'static str>,
    /// Only the articles this user bookmarked, most recently bookmarked first.
    pub bookmarked_by: Option<String>,
    /// Only articles by the current mentors of this user.
    pub mentors_of: Option<String>,
    /// Keyset cursor: the (sort key, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Newest first (by publication, or creation for drafts). Each row carries its sort
/// key (`listed_at`, or the bookmark time for bookmarks) for the next cursor.
///
/// Two phases, like mentor search: the narrow ids of one page are filtered and
/// ordered first, then only those rows are loaded with their author and counts.
pub async fn list<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    backend: Backend,
    q: &ListQuery,
) -> sqlx::Result<Vec<(ArticleRow, i64)>> {
    let mut b = SqlBuilder::new("SELECT a.id AS id, ");
    let sort = if let Some(by) = &q.bookmarked_by {
        b.push(
            "bk.created_at AS sort_key FROM articles a \
             JOIN article_bookmarks bk ON bk.article_id = a.id AND bk.user_id = ",
        )
        .bind(Arg::Text(by.clone()));
        "bk.created_at"
    } else {
        b.push("a.listed_at AS sort_key FROM articles a");
        "a.listed_at"
    };
    b.push(" WHERE 1 = 1");
    visible(&mut b, &q.reader);
    if let Some(s) = q.status {
        b.push(" AND a.status = ").bind(Arg::Text(s.into()));
    }
    if let Some(a) = &q.author_id {
        b.push(" AND a.author_id = ").bind(Arg::Text(a.clone()));
    }
    if let Some(m) = &q.mentors_of {
        b.push(
            " AND a.author_id IN (SELECT ms.mentor_id FROM mentorships ms \
             WHERE ms.status = 'accepted' AND ms.mentee_id = ",
        )
        .bind(Arg::Text(m.clone()))
        .push(")");
    }
    if let Some(t) = &q.tag {
        b.push(" AND a.id IN (SELECT t.article_id FROM article_tags t WHERE t.tag = ")
            .bind(Arg::Text(t.clone()))
            .push(")");
    }
    if !q.words.is_empty() {
        let m = Arg::Text(super::prefix_query(backend, &q.words));
        match backend {
            Backend::Sqlite => {
                b.push(" AND a.rowid IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ")
                    .bind(m)
                    .push(")");
            }
            Backend::Postgres => {
                b.push(" AND a.search_tsv @@ to_tsquery('english', ")
                    .bind(m)
                    .push(")");
            }
        }
    }
    if let Some((key, id)) = &q.after {
        b.push(&format!(" AND ({sort} < "))
            .bind(Arg::Int(*key))
            .push(&format!(" OR ({sort} = "))
            .bind(Arg::Int(*key))
            .push(" AND a.id < ")
            .bind(Arg::Text(id.clone()))
            .push("))");
    }
    b.push(&format!(" ORDER BY {sort} DESC, a.id DESC LIMIT "))
        .bind(Arg::Int(q.limit));
    let keys: Vec<(String, i64)> = b.query_as().fetch_all(ex).await?;
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let mut b = start(&q.reader, false);
    b.push("FROM articles a JOIN users u ON u.id = a.author_id WHERE a.id IN (");
    for (i, (id, _)) in keys.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::Text(id.clone()));
    }
    b.push(")");
    let rows: Vec<ArticleRow> = b.query_as().fetch_all(ex).await?;
    Ok(keys
        .into_iter()
        .filter_map(|(id, key)| rows.iter().find(|r| r.id == id).map(|r| (r.clone(), key)))
        .collect())
}

/// Tags of the published articles the reader may see, most used first.
pub async fn tag_counts<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    reader: &ReaderQ,
    limit: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    let mut b = SqlBuilder::new(
        "SELECT t.tag AS tag, COUNT(*) AS n FROM article_tags t \
         JOIN articles a ON a.id = t.article_id WHERE a.status = 'published'",
    );
    visible(&mut b, reader);
    b.push(" GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ")
        .bind(Arg::Int(limit));
    b.query_as::<(String, i64)>().fetch_all(ex).await
}

/// The stored fields of a new or edited article.
pub struct ArticleFields<'a> {
    pub title: &'a str,
    pub content: &'a str,
    pub html: &'a str,
    pub excerpt: &'a str,
    pub tags: &'a [String],
    pub visibility: &'a str,
    pub search_doc: &'a str,
}

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    author_id: &str,
    slug: &str,
    f: &ArticleFields<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO articles (id, author_id, slug, title, content, html, excerpt, tags, \
         visibility, status, listed_at, search_doc, render_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12, $10, $10)",
    )
    .bind(id)
    .bind(author_id)
    .bind(slug)
    .bind(f.title)
    .bind(f.content)
    .bind(f.html)
    .bind(f.excerpt)
    .bind(serde_json::to_string(f.tags).unwrap_or_else(|_| "[]".into()))
    .bind(f.visibility)
    .bind(now.stored())
    .bind(f.search_doc)
    .bind(RENDER_VERSION)
    .execute(&mut **tx)
    .await?;
    set_tags(tx, id, f.tags, now).await
}

/// `updated_at` set by a write at the instant parameter `$p`: later than it was, always
/// (a clock that reads the same twice still tells two saves apart, which is what an
/// editor's `expected_updated_at` compares).
macro_rules! later_updated_at {
    ($p:literal) => {
        concat!(
            "updated_at = CASE WHEN ",
            $p,
            " > updated_at THEN ",
            $p,
            " ELSE updated_at + 1 END"
        )
    };
}

/// Writes an article's fields; with `expected`, only while its `updated_at` is that
/// (false: it changed since, nothing written).
pub async fn update(
    tx: &mut Tx,
    id: &str,
    f: &ArticleFields<'_>,
    expected: Option<Timestamp>,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(concat!(
        "UPDATE articles SET title = $2, content = $3, html = $4, excerpt = $5, tags = $6, \
         visibility = $7, search_doc = $8, ",
        later_updated_at!("$9"),
        ", render_version = $10 WHERE id = $1 AND ($11 = 0 OR updated_at = $12)"
    ))
    .bind(id)
    .bind(f.title)
    .bind(f.content)
    .bind(f.html)
    .bind(f.excerpt)
    .bind(serde_json::to_string(f.tags).unwrap_or_else(|_| "[]".into()))
    .bind(f.visibility)
    .bind(f.search_doc)
    .bind(now.stored())
    .bind(RENDER_VERSION)
    .bind(i64::from(expected.is_some()))
    .bind(expected.map_or(0, |t| t.stored()))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    set_tags(tx, id, f.tags, now).await?;
    Ok(true)
}

/// Articles whose stored HTML and excerpt an older rendering made: `(id, content)`.
pub async fn stale_renderings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT id, content FROM articles WHERE render_version < $1 ORDER BY id LIMIT $2",
    )
    .bind(RENDER_VERSION)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Stores an article's HTML and excerpt rendered again from `content` — unless the
/// article was saved (or rendered) meanwhile: false then, and nothing changes.
pub async fn set_rendering(
    tx: &mut Tx,
    id: &str,
    content: &str,
    html: &str,
    excerpt: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE articles SET html = $3, excerpt = $4, render_version = $5 \
         WHERE id = $1 AND content = $2 AND render_version < $5",
    )
    .bind(id)
    .bind(content)
    .bind(html)
    .bind(excerpt)
    .bind(RENDER_VERSION)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn set_tags(tx: &mut Tx, id: &str, tags: &[String], now: Timestamp) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for t in tags {
        sqlx::query(
            "INSERT INTO article_tags (article_id, tag, created_at, updated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(id)
        .bind(t)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Publishes a draft: keeps the first publication time if it was published before.
pub async fn publish(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "UPDATE articles SET status = 'published', published_at = COALESCE(published_at, $2), \
             listed_at = COALESCE(published_at, $2), ",
        later_updated_at!("$2"),
        " WHERE id = $1"
    ))
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn unpublish(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "UPDATE articles SET status = 'draft', ",
        later_updated_at!("$2"),
        " WHERE id = $1"
    ))
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes an article with its tags, bookmarks, comments and views.
pub async fn delete(tx: &mut Tx, id: &str) -> sqlx::Result<()> {
    for table in [
        "article_tags",
        "article_bookmarks",
        "article_comments",
        "article_views",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE article_id = $1"
        )))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM articles WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records one view; true (and the counter moves) only for the viewer's first view
/// of the article that day.
pub async fn record_view(
    tx: &mut Tx,
    article_id: &str,
    viewer_key: &str,
    day: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO article_views (article_id, viewer_key, day, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(article_id)
    .bind(viewer_key)
    .bind(day)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE articles SET view_count = view_count + 1 WHERE id = $1")
        .bind(article_id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Whether this viewer's view of the article that day is already counted.
pub async fn has_view<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    article_id: &str,
    viewer_key: &str,
    day: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM article_views WHERE article_id = $1 AND viewer_key = $2 AND day = $3",
    )
    .bind(article_id)
    .bind(viewer_key)
    .bind(day)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// True when `mentee_id` has an accepted mentorship with `mentor_id`.
pub async fn is_current_mentee<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    mentee_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mentorships WHERE mentor_id = $1 AND mentee_id = $2 AND status = 'accepted'",
    )
    .bind(mentor_id)
    .bind(mentee_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Adds a bookmark; false when it was already there.
pub async fn add_bookmark(
    tx: &mut Tx,
    user_id: &str,
    article_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO article_bookmarks (user_id, article_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(article_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many articles `user_id` saved, readable now or not.
pub async fn bookmark_count<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM article_bookmarks WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(ex)
        .await
}

pub async fn remove_bookmark<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    article_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_bookmarks WHERE user_id = $1 AND article_id = $2")
        .bind(user_id)
        .bind(article_id)
        .execute(ex)
        .await?;
    Ok(())
}

row! {
#[derive(Debug, Clone)]
pub struct CommentRow {
    pub id: String,
    pub article_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: String,
}
}

const COMMENT_SELECT: &str = "SELECT c.id, c.article_id, c.author_id, c.body, c.created_at, \
    c.updated_at, u.first_name, u.last_name, u.avatar_url \
    FROM article_comments c JOIN users u ON u.id = c.author_id";

/// Comments in the order they were written, after the cursor id.
pub async fn comments<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    article_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COMMENT_SELECT} WHERE c.article_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3"
    )))
    .bind(article_id)
    .bind(after_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn comment<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<CommentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COMMENT_SELECT} WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

pub async fn insert_comment(
    tx: &mut Tx,
    id: &str,
    article_id: &str,
    author_id: &str,
    body: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO article_comments (id, article_id, author_id, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id)
    .bind(article_id)
    .bind(author_id)
    .bind(body)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_comment<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_comments WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// An installation-wide value, made on first use (the first writer wins, so every
/// instance reads the same one).
pub async fn instance_setting(
    pool: &sqlx::AnyPool,
    key: &str,
    value_if_new: &str,
    now: Timestamp,
) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO instance_settings (key, value, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(key)
    .bind(value_if_new)
    .bind(now.stored())
    .execute(pool)
    .await?;
    sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
        .bind(key)
        .fetch_one(pool)
        .await
}

/// What an account wrote or saved here, for its data export: articles (any status),
/// comments, and bookmarked article ids.
pub async fn export_of<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<(Vec<ArticleRow>, Vec<CommentRow>, Vec<(String, Timestamp)>)> {
    let mut b = start(
        &ReaderQ {
            user_id: Some(user_id.into()),
            is_admin: false,
        },
        true,
    );
    b.push("FROM articles a JOIN users u ON u.id = a.author_id WHERE a.author_id = ")
        .bind(Arg::Text(user_id.into()))
        .push(" ORDER BY a.id");
    let articles = b.query_as().fetch_all(ex).await?;
    let comments = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COMMENT_SELECT} WHERE c.author_id = $1 ORDER BY c.id"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    let bookmarks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT article_id, created_at FROM article_bookmarks WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    let bookmarks = bookmarks
        .into_iter()
        .map(|(id, at)| Ok((id, super::column::instant(at, "created_at")?)))
        .collect::<sqlx::Result<_>>()?;
    Ok((articles, comments, bookmarks))
}

/// Erases what a closing account wrote or saved: its articles (with their comments,
/// bookmarks and views), its comments and bookmarks elsewhere, and its view records.
pub async fn erase_user(tx: &mut Tx, user_id: &str) -> sqlx::Result<()> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM articles WHERE author_id = $1")
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
    for id in ids {
        delete(tx, &id).await?;
    }
    for sql in [
        "DELETE FROM article_comments WHERE author_id = $1",
        "DELETE FROM article_bookmarks WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
    }
    sqlx::query("DELETE FROM article_views WHERE viewer_key = $1")
        .bind(format!("u:{user_id}"))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An author's figures: published articles, drafts, and views of all of them.
pub async fn author_stats<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    author_id: &str,
) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        // SUM is NUMERIC on PostgreSQL, which the Any driver cannot decode: cast it.
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'draft' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(view_count), 0) AS BIGINT) FROM articles WHERE author_id = $1",
    )
    .bind(author_id)
    .fetch_one(ex)
    .await
}

/// The newest comment `author_id` wrote on `article_id` with exactly `body` since
/// `since`, if any (a comment form sent again).
pub async fn same_comment_since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    article_id: &str,
    author_id: &str,
    body: &str,
    since: Timestamp,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM article_comments WHERE article_id = $1 AND author_id = $2 \
         AND body = $3 AND created_at >= $4 ORDER BY id DESC LIMIT 1",
    )
    .bind(article_id)
    .bind(author_id)
    .bind(body)
    .bind(since.stored())
    .fetch_optional(ex)
    .await
}

/// The newest article `author_id` started with exactly `title` since `since`, if any
/// (an editor sent again): its id.
pub async fn same_title_since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    author_id: &str,
    title: &str,
    since: Timestamp,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM articles WHERE author_id = $1 AND title = $2 AND created_at >= $3 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(author_id)
    .bind(title)
    .bind(since.stored())
    .fetch_optional(ex)
    .await
}
