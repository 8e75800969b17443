//! Mentor articles: write, publish, read, search, bookmark, comment, count views.
//!
//! Rules (one place for the API and the pages):
//! - Only approved mentors with an active account create and publish; the author may
//!   always edit, unpublish or delete their own; admins may unpublish or delete any
//!   (moderation) but not rewrite one.
//! - Reading follows `domain::article::can_read`; an article the reader may not see
//!   answers 404 (as if it did not exist), never 403, so links do not leak drafts.
//!   The articles of a suspended or closed account are hidden from all but admins.
//! - A view counts once per viewer per UTC day; the author's own reads do not count.
//! - Comments: signed-in readers of a published article; the comment's author, the
//!   article's author and admins delete.

use serde::Deserialize;
use utoipa::ToSchema;

use super::Ctx;
use crate::{
    domain::{
        article::{self, COMMENT_MAX, CONTENT_MAX, MAX_TAGS, Reader, TITLE_MAX, Visibility},
        ids::new_id,
        mentor, text,
    },
    error::{AppError, AppResult, FieldError, Validator},
    store::{
        self,
        articles::{ArticleFields, ReaderQ},
        users::UserRow,
    },
};

pub use crate::store::articles::{ArticleRow, CommentRow, ListQuery};

/// `POST /api/v1/articles`: a new draft.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub title: String,
    /// Markdown.
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `public` (default), `members` or `my_mentees`.
    #[serde(default)]
    pub visibility: Option<String>,
}

/// `PATCH /api/v1/articles/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub content: Option<String>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<String>,
    /// The article's `updated_at` as the editor read it: when it changed since (saved
    /// from another tab, another device), nothing is saved and the answer is
    /// `409 edit_conflict` — one change never silently undoes another. Left out, the
    /// change applies whatever happened since.
    #[serde(default)]
    pub expected_updated_at: Option<String>,
}

fn edit_conflict() -> AppError {
    AppError::conflict(
        "edit_conflict",
        "This article was changed since you opened it (in another tab or window), so \
         these changes were not saved. Your text is kept here: open the article again to \
         see what is saved now, then make your changes there.",
    )
}

/// `POST /api/v1/articles/{id}/comments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
}

use super::admin::is_admin;

/// The visibility condition for lists.
pub fn reader_q(user: Option<&UserRow>) -> ReaderQ {
    ReaderQ {
        user_id: user.map(|u| u.id.to_string()),
        is_admin: user.is_some_and(is_admin),
    }
}

struct Checked {
    title: String,
    content: String,
    tags: Vec<String>,
    visibility: Visibility,
}

fn check(title: &str, content: &str, tags: &[String], visibility: &str) -> AppResult<Checked> {
    let mut v = Validator::new();
    let title = v.check(text::required_line_saying(
        "title", title, TITLE_MAX, UNTITLED,
    ));
    let content = v.check(text::optional_text("content", content, CONTENT_MAX));
    let tags = v.check(mentor::tags_up_to("tags", tags, MAX_TAGS));
    let visibility = v.check(Visibility::parse(visibility));
    v.finish()?;
    Ok(Checked {
        title: title.unwrap_or_default(),
        content: content.unwrap_or_default(),
        tags: tags.unwrap_or_default(),
        visibility: visibility.unwrap_or(Visibility::Public),
    })
}

/// A missing title, said in the same words whether a draft is saved or published.
const UNTITLED: &str = "Give the article a title.";

/// The fields made from the checked ones: HTML, excerpt, search text.
struct Derived {
    html: String,
    excerpt: String,
    search_doc: String,
}

impl Checked {
    fn derive(&self) -> Derived {
        Derived {
            html: article::render_markdown(&self.content),
            excerpt: article::excerpt(&self.content),
            search_doc: format!("{}\n{}\n{}", self.title, self.tags.join(" "), self.content),
        }
    }

    fn fields<'a>(&'a self, d: &'a Derived) -> ArticleFields<'a> {
        ArticleFields {
            title: &self.title,
            content: &self.content,
            html: &d.html,
            excerpt: &d.excerpt,
            tags: &self.tags,
            visibility: self.visibility.as_str(),
            search_doc: &d.search_doc,
        }
    }
}

async fn require_writer(ctx: &Ctx, user: &UserRow) -> AppResult<()> {
    if super::mentors::is_approved(ctx, &user.id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only approved mentors write articles. Apply as a mentor from your settings.",
        ))
    }
}

#[tracing::instrument(name = "articles::create", skip_all, fields(user_id = %user.id))]
pub async fn create(ctx: &Ctx, user: &UserRow, input: &ArticleInput) -> AppResult<ArticleRow> {
    require_writer(ctx, user).await?;
    let c = check(
        &input.title,
        &input.content,
        &input.tags,
        input.visibility.as_deref().unwrap_or("public"),
    )?;
    let id = new_id();
    let slug = article::slug(&c.title, &id);
    let now = ctx.now();
    let d = c.derive();
    let mut tx = ctx.db.begin_write().await?;
    store::articles::insert(&mut tx, &id, &user.id, &slug, &c.fields(&d), now).await?;
    tx.commit().await?;
    load(ctx, Some(user), &id).await
}

/// Loads an article the reader may see (by id), else 404.
pub async fn load(ctx: &Ctx, reader: Option<&UserRow>, id: &str) -> AppResult<ArticleRow> {
    let row = store::articles::get(&ctx.db.pool, reader.map(|u| u.id.as_str()), Some(id), None)
        .await?
        .ok_or(AppError::NotFound)?;
    readable(ctx, reader, row).await
}

/// Loads an article the reader may see (by slug), else 404.
pub async fn load_slug(ctx: &Ctx, reader: Option<&UserRow>, slug: &str) -> AppResult<ArticleRow> {
    let row = store::articles::get(
        &ctx.db.pool,
        reader.map(|u| u.id.as_str()),
        None,
        Some(slug),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    readable(ctx, reader, row).await
}

/// For a visitor who is not signed in and was refused an article: whom it is shared
/// with when signing in may open it (a published article of an active author, for
/// members or the author's mentees), else `None` (nothing to say: a 404).
pub async fn shared_with(ctx: &Ctx, slug: &str) -> AppResult<Option<Visibility>> {
    let row = store::articles::get(&ctx.db.pool, None, None, Some(slug)).await?;
    Ok(row
        .filter(|r| r.is_published() && !r.author_inactive && r.visibility != Visibility::Public)
        .map(|r| r.visibility))
}

async fn readable(ctx: &Ctx, reader: Option<&UserRow>, row: ArticleRow) -> AppResult<ArticleRow> {
    let admin = reader.is_some_and(is_admin);
    let is_author = reader.is_some_and(|u| u.id == row.author_id);
    let visibility = row.visibility;
    let is_current_mentee = match reader {
        Some(u) if visibility == Visibility::MyMentees && !admin && !is_author => {
            store::articles::is_current_mentee(&ctx.db.pool, &row.author_id, &u.id).await?
        }
        _ => false,
    };
    let r = Reader {
        user_id: reader.map(|u| u.id.as_str()),
        is_admin: admin,
        is_current_mentee,
    };
    let hidden_author = row.author_inactive && !admin && !is_author;
    if hidden_author || !article::can_read(r, &row.author_id, visibility, row.is_published()) {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// Loads an article the user may change: the author (or, with `admin_ok`, an admin).
async fn load_own(ctx: &Ctx, user: &UserRow, id: &str, admin_ok: bool) -> AppResult<ArticleRow> {
    let row = load(ctx, Some(user), id).await?;
    if row.author_id == user.id || (admin_ok && is_admin(user)) {
        Ok(row)
    } else {
        Err(AppError::forbidden(
            "Only the article's author can do this.",
        ))
    }
}

#[tracing::instrument(name = "articles::update", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn update(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    patch: &ArticlePatch,
) -> AppResult<ArticleRow> {
    let row = load_own(ctx, user, id, false).await?;
    let tags = match &patch.tags {
        Some(t) => t.clone(),
        None => row.tags.clone(),
    };
    let c = check(
        patch.title.as_deref().unwrap_or(&row.title),
        patch.content.as_deref().unwrap_or(&row.content),
        &tags,
        patch
            .visibility
            .as_deref()
            .unwrap_or(row.visibility.as_str()),
    )?;
    let expected = match patch.expected_updated_at.as_deref() {
        None => None,
        Some(raw) => Some(crate::clock::parse_instant(raw).map_err(|_| {
            AppError::invalid(
                "expected_updated_at",
                "invalid_datetime",
                "expected_updated_at is the article's updated_at as you read it.",
            )
        })?),
    };
    if expected.is_some_and(|t| t != row.updated_at) {
        return Err(edit_conflict());
    }
    let now = ctx.now();
    let d = c.derive();
    let mut tx = ctx.db.begin_write().await?;
    // Checked again in the write (a save from elsewhere between the read and here).
    if !store::articles::update(&mut tx, id, &c.fields(&d), expected, now).await? {
        return Err(edit_conflict());
    }
    tx.commit().await?;
    load(ctx, Some(user), id).await
}

/// The tags as saving would check them, for the editor's preview to say what saving
/// would refuse (more than ten, one too long) before anything is sent to be saved.
pub fn check_tags(tags: &[String]) -> AppResult<()> {
    mentor::tags_up_to("tags", tags, MAX_TAGS)
        .map(|_| ())
        .map_err(|e| AppError::Invalid(vec![e]))
}

/// A published article only its author's mentees may read, while the author has none:
/// nobody can read it yet (the editor says so rather than "your readers can find it").
pub async fn unread_for_want_of_mentees(ctx: &Ctx, a: &ArticleRow) -> AppResult<bool> {
    if !a.is_published() || a.visibility != Visibility::MyMentees {
        return Ok(false);
    }
    Ok(store::mentors::active_mentees(&ctx.db.pool, &a.author_id).await? == 0)
}

/// Whether an article with this title and text may be published: both written. The
/// editor asks before it saves a new article to publish it, so that a refused
/// "Publish" leaves no empty draft behind. Each part missing is said on its own field.
pub fn publishable(title: &str, content: &str) -> AppResult<()> {
    let mut errors = vec![];
    if title.trim().is_empty() {
        errors.push(FieldError::new("title", "empty", UNTITLED));
    }
    if content.trim().is_empty() {
        errors.push(FieldError::new(
            "content",
            "empty",
            "Write something before publishing.",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

#[tracing::instrument(name = "articles::publish", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn publish(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ArticleRow> {
    let row = load_own(ctx, user, id, false).await?;
    require_writer(ctx, user).await?;
    publishable(&row.title, &row.content)?;
    if !row.is_published() {
        let mut tx = ctx.db.begin_write().await?;
        store::articles::publish(&mut tx, id, ctx.now()).await?;
        tx.commit().await?;
    }
    load(ctx, Some(user), id).await
}

#[tracing::instrument(name = "articles::unpublish", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn unpublish(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ArticleRow> {
    let row = load_own(ctx, user, id, true).await?;
    if row.is_published() {
        let mut tx = ctx.db.begin_write().await?;
        unpublish_in(&mut tx, user, &row, ctx.now()).await?;
        tx.commit().await?;
    }
    load(ctx, Some(user), id).await
}

/// Takes `row` (published) back to its author's drafts inside `tx`, audited when
/// someone else (an admin) does it.
pub(crate) async fn unpublish_in(
    tx: &mut store::Tx,
    user: &UserRow,
    row: &ArticleRow,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::articles::unpublish(tx, &row.id, now).await?;
    if row.author_id != user.id {
        audit(
            tx,
            &user.id,
            "article.unpublish",
            ("article", &row.id),
            serde_json::json!({"status": row.status, "title": row.title}),
            serde_json::json!({"status": "draft"}),
            now,
        )
        .await?;
    }
    Ok(())
}

#[tracing::instrument(name = "articles::delete", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn delete(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<()> {
    let row = load_own(ctx, user, id, true).await?;
    let mut tx = ctx.db.begin_write().await?;
    store::articles::delete(&mut tx, id).await?;
    if row.author_id != user.id {
        audit(
            &mut tx,
            &user.id,
            "article.delete",
            ("article", id),
            serde_json::json!({"title": row.title, "author_id": row.author_id, "status": row.status}),
            serde_json::Value::Null,
            ctx.now(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Counts a view of an article the reader may see: once per viewer per UTC day, not
/// the author's own. `client` identifies an anonymous viewer (address, user agent).
/// Returns the article's view count after it.
pub async fn record_view(
    ctx: &Ctx,
    reader: Option<&UserRow>,
    client: &super::ClientInfo,
    row: &ArticleRow,
) -> AppResult<i64> {
    if !row.is_published() || reader.is_some_and(|u| u.id == row.author_id) {
        return Ok(row.view_count);
    }
    let now = ctx.clock.now();
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let key = match reader {
        Some(u) => format!("u:{}", u.id),
        None => {
            let salt = view_salt(ctx).await?;
            article::anonymous_viewer_key(salt.as_bytes(), &day, &client.ip, &client.user_agent)
        }
    };
    // A repeated read (the common case) is answered without taking the write lock.
    if store::articles::has_view(&ctx.db.pool, &row.id, &key, &day).await? {
        return Ok(row.view_count);
    }
    let mut tx = ctx.db.begin_write().await?;
    let counted = store::articles::record_view(&mut tx, &row.id, &key, &day, ctx.now()).await?;
    tx.commit().await?;
    Ok(row.view_count + i64::from(counted))
}

/// The installation's salt for anonymous view keys (made once, shared by instances).
async fn view_salt(ctx: &Ctx) -> AppResult<String> {
    if let Some(s) = ctx.view_salt.get() {
        return Ok(s.clone());
    }
    let s = store::articles::instance_setting(
        &ctx.db.pool,
        "article_view_salt",
        &super::auth::new_token(),
        ctx.now(),
    )
    .await?;
    let _ = ctx.view_salt.set(s.clone());
    Ok(s)
}

/// An author's totals: articles published, views, comments.
pub async fn author_stats(ctx: &Ctx, author_id: &str) -> AppResult<(i64, i64, i64)> {
    Ok(store::articles::author_stats(&ctx.db.pool, author_id).await?)
}

pub async fn list(ctx: &Ctx, q: &ListQuery) -> AppResult<Vec<(ArticleRow, i64)>> {
    Ok(store::articles::list(&ctx.db.pool, ctx.db.backend, q).await?)
}

pub async fn tags(
    ctx: &Ctx,
    reader: Option<&UserRow>,
    limit: i64,
) -> AppResult<Vec<(String, i64)>> {
    Ok(store::articles::tag_counts(&ctx.db.pool, &reader_q(reader), limit).await?)
}

/// How many articles `user` saved, including those they cannot read now (unpublished,
/// or for mentees they no longer are one of): a bookmark waits for them to come back.
pub async fn bookmarks_saved(ctx: &Ctx, user: &UserRow) -> AppResult<i64> {
    Ok(store::articles::bookmark_count(&ctx.db.pool, &user.id).await?)
}

/// Bookmarks an article the user may read (idempotent).
pub async fn bookmark(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ArticleRow> {
    let row = load(ctx, Some(user), id).await?;
    if !row.is_published() {
        return Err(AppError::conflict(
            "not_published",
            "Only published articles can be bookmarked.",
        ));
    }
    let mut tx = ctx.db.begin_write().await?;
    store::articles::add_bookmark(&mut tx, &user.id, id, ctx.now()).await?;
    tx.commit().await?;
    load(ctx, Some(user), id).await
}

/// Removes a bookmark (idempotent; works even if the article is no longer visible).
pub async fn unbookmark(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<()> {
    store::articles::remove_bookmark(&ctx.db.pool, &user.id, id).await?;
    Ok(())
}

pub async fn comments(
    ctx: &Ctx,
    reader: Option<&UserRow>,
    article_id: &str,
    after: Option<&str>,
    limit: i64,
) -> AppResult<(ArticleRow, Vec<CommentRow>)> {
    let row = load(ctx, reader, article_id).await?;
    let list = store::articles::comments(&ctx.db.pool, article_id, after, limit).await?;
    Ok((row, list))
}

#[tracing::instrument(name = "articles::add_comment", skip_all, fields(user_id = %user.id))]
pub async fn add_comment(
    ctx: &Ctx,
    user: &UserRow,
    article_id: &str,
    input: &CommentInput,
) -> AppResult<CommentRow> {
    let row = load(ctx, Some(user), article_id).await?;
    if !row.is_published() {
        return Err(AppError::conflict(
            "not_published",
            "Comments open when the article is published.",
        ));
    }
    let body = text::optional_text("body", &input.body, COMMENT_MAX)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if body.is_empty() {
        return Err(AppError::invalid(
            "body",
            "required",
            "Write a comment first.",
        ));
    }
    let id = new_id();
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    store::articles::insert_comment(&mut tx, &id, article_id, &user.id, &body, now).await?;
    // The author hears of it (not of their own replies).
    if row.author_id != *user.id
        && let Some(author) = store::users::by_id(&mut *tx, &row.author_id).await?
        && author.deleted_at.is_none()
    {
        let note = super::notify::Note {
            reader: None,
            user_id: &author.id,
            email: &author.email,
            kind: super::notify::ARTICLE_COMMENT,
            title: format!(
                "{} {} commented on “{}”",
                user.first_name, user.last_name, row.title
            ),
            body: comment_excerpt(&body),
            link: format!("/articles/{}#comments", row.slug),
            related_id: Some(&row.id),
            ics: None,
        };
        super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    store::articles::comment(&ctx.db.pool, &id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What the article's author is told of a comment: its first 280 characters.
fn comment_excerpt(body: &str) -> String {
    body.chars().take(280).collect()
}

/// How long an identical comment or article from the same person counts as the first
/// one sent again rather than a new one (see [`resent_comment`]).
pub const RESENT_WITHIN_MINUTES: i64 = 10;

fn resent_since(ctx: &Ctx) -> jiff::Timestamp {
    ctx.now()
        .checked_sub(jiff::SignedDuration::from_mins(RESENT_WITHIN_MINUTES))
        .unwrap_or(jiff::Timestamp::MIN)
}

/// The same person's identical comment on this article in the last minutes, if any:
/// the comment form sent again. Going Back after posting reloads the page (pages are
/// not stored), which puts the typed text back but gives the form a new key, so the
/// form's key alone ([`crate::service::forms`]) cannot tell; the text can.
pub async fn resent_comment(
    ctx: &Ctx,
    user: &UserRow,
    article_id: &str,
    input: &CommentInput,
) -> AppResult<Option<String>> {
    let Ok(body) = text::optional_text("body", &input.body, COMMENT_MAX) else {
        return Ok(None);
    };
    if body.is_empty() {
        return Ok(None);
    }
    Ok(store::articles::same_comment_since(
        &ctx.db.pool,
        article_id,
        &user.id,
        &body,
        resent_since(ctx),
    )
    .await?)
}

/// The same person's article started with the same title in the last minutes, if any:
/// the editor of a new article sent again (see [`resent_comment`]).
pub async fn resent_article(
    ctx: &Ctx,
    user: &UserRow,
    input: &ArticleInput,
) -> AppResult<Option<ArticleRow>> {
    let Ok(title) = text::required_line("title", &input.title, article::TITLE_MAX) else {
        return Ok(None);
    };
    match store::articles::same_title_since(&ctx.db.pool, &user.id, &title, resent_since(ctx))
        .await?
    {
        Some(id) => Ok(Some(load(ctx, Some(user), &id).await?)),
        None => Ok(None),
    }
}

/// A comment `user` may delete (theirs, on their article, or as an admin), with its
/// article: what deleting it would remove, for the page that asks first.
pub async fn deletable_comment(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
) -> AppResult<(store::articles::CommentRow, ArticleRow)> {
    let c = store::articles::comment(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A comment on an article the user cannot see does not exist for them.
    let row = load(ctx, Some(user), &c.article_id).await?;
    let admin = is_admin(user);
    if c.author_id != user.id && row.author_id != user.id && !admin {
        return Err(AppError::forbidden(
            "Only the comment's author, the article's author or an admin can delete it.",
        ));
    }
    Ok((c, row))
}

/// Deletes a comment: its author, the article's author, or an admin. Returns the
/// article it was on.
pub async fn delete_comment(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ArticleRow> {
    let (c, row) = deletable_comment(ctx, user, id).await?;
    let mut tx = ctx.db.begin_write().await?;
    delete_comment_in(&mut tx, user, &c, &row, ctx.now()).await?;
    tx.commit().await?;
    Ok(row)
}

/// Deletes comment `c` on `article` inside `tx`, audited when an admin deletes what is
/// neither theirs nor on their article.
pub(crate) async fn delete_comment_in(
    tx: &mut store::Tx,
    user: &UserRow,
    c: &store::articles::CommentRow,
    article: &ArticleRow,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::articles::delete_comment(&mut **tx, &c.id).await?;
    // The article's author was told of it with its words: those go too.
    store::notify::redact_body(
        tx,
        (
            &article.author_id,
            super::notify::ARTICLE_COMMENT,
            &article.id,
        ),
        &comment_excerpt(&c.body),
        "(This comment was deleted.)",
        now,
    )
    .await?;
    if is_admin(user) && c.author_id != user.id && article.author_id != user.id {
        audit(
            tx,
            &user.id,
            "comment.delete",
            ("comment", &c.id),
            serde_json::json!({"body": c.body, "author_id": c.author_id, "article_id": c.article_id}),
            serde_json::Value::Null,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Records an admin's moderation in the audit log, in the same transaction.
async fn audit(
    tx: &mut store::Tx,
    actor: &str,
    action: &str,
    (target_type, target_id): (&str, &str),
    before: serde_json::Value,
    after: serde_json::Value,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::audit::insert(
        &mut **tx,
        &store::audit::NewAudit {
            actor_id: Some(actor),
            action,
            target_type,
            target_id,
            before,
            after,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Renders again, up to `batch` at a time, the articles an older rendering stored
/// ([`article::RENDER_VERSION`]); run by the maintenance pass until none is left.
/// An article saved meanwhile keeps what its save stored. Returns how many changed.
pub async fn refresh_rendering(ctx: &Ctx, batch: i64) -> AppResult<usize> {
    let stale = store::articles::stale_renderings(&ctx.db.pool, batch).await?;
    if stale.is_empty() {
        return Ok(0);
    }
    let rendered: Vec<(String, String, String, String)> = stale
        .into_iter()
        .map(|(id, content)| {
            let html = article::render_markdown(&content);
            let excerpt = article::excerpt(&content);
            (id, content, html, excerpt)
        })
        .collect();
    let mut tx = ctx.db.begin_write().await?;
    let mut changed = 0;
    for (id, content, html, excerpt) in &rendered {
        if store::articles::set_rendering(&mut tx, id, content, html, excerpt).await? {
            changed += 1;
        }
    }
    tx.commit().await?;
    Ok(changed)
}
