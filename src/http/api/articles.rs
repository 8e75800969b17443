//! `/api/v1/articles*`, `/api/v1/mentors/{id}/articles`, `/api/v1/me/bookmarks`,
//! `/api/v1/comments/{id}`: mentor articles, bookmarks and comments.
//!
//! Reading needs no account for public articles; an article the caller may not read
//! answers 404 everywhere (feed, knowledge base, direct link, bookmarks, comments).

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, parse_limit, ts};
use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, Client, CurrentUser, IdPath, MaybeUser},
        problem::Problem,
    },
    service::{
        accounts::UserRow,
        articles::{ArticleRow, CommentRow, ListQuery},
    },
    service::{
        articles::{self, ArticleInput, ArticlePatch, CommentInput, reader_q},
        mentors::search_words,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed, create))
        .routes(routes!(get_one, patch, delete))
        .routes(routes!(publish))
        .routes(routes!(unpublish))
        .routes(routes!(knowledge_base))
        .routes(routes!(bookmark, unbookmark))
        .routes(routes!(my_bookmarks))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(delete_comment))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorRef {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
}

/// An article. Lists leave out `content` and `html`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    /// Stable; the page is `/articles/{slug}`.
    pub slug: String,
    pub title: String,
    /// The Markdown source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Sanitised HTML rendered from `content`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Plain text, at most about 240 characters.
    pub excerpt: String,
    pub tags: Vec<String>,
    /// `public`, `members` or `my_mentees`.
    pub visibility: String,
    /// `draft` or `published`.
    pub status: String,
    pub author: AuthorRef,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Views, counted once per viewer per day.
    pub views: i64,
    pub comment_count: i64,
    /// Whether the caller has bookmarked it.
    pub bookmarked: bool,
}

impl ArticleView {
    fn new(r: &ArticleRow, with_body: bool) -> Self {
        ArticleView {
            id: r.id.clone(),
            slug: r.slug.clone(),
            title: r.title.clone(),
            content: with_body.then(|| r.content.clone()),
            html: with_body.then(|| r.html.clone()),
            excerpt: r.excerpt.clone(),
            tags: r.tags.clone(),
            visibility: r.visibility.as_str().to_string(),
            status: r.status.as_str().to_string(),
            author: AuthorRef {
                id: r.author_id.clone(),
                first_name: r.author_first_name.clone(),
                last_name: r.author_last_name.clone(),
                headline: r.author_headline.clone(),
                avatar_url: r.author_avatar_url.clone(),
            },
            published_at: r.published_at.map(ts),
            created_at: ts(r.created_at),
            updated_at: ts(r.updated_at),
            views: r.view_count,
            comment_count: r.comment_count,
            bookmarked: r.bookmarked,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<ArticleView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// Only this author's articles (a user id).
    pub author: Option<String>,
    /// Full-text search over title, body and tags.
    pub q: Option<String>,
    /// `published` (default) or `draft` (your own drafts; every draft for admins).
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Runs a list query (one extra row tells whether there is a next page).
pub async fn page(
    state: &AppState,
    mut q: ListQuery,
    limit: i64,
) -> Result<(Vec<ArticleRow>, Option<String>), AppError> {
    q.limit = limit + 1;
    let mut rows = articles::list(&state.ctx, &q).await?;
    let next = super::next_keyset_page(&mut rows, limit, |(r, key)| (*key, r.id.as_str()));
    Ok((rows.into_iter().map(|(r, _)| r).collect(), next))
}

fn optional_id(field: &str, raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::domain::ids::parse_id(s)
            .map(Some)
            .ok_or_else(|| AppError::invalid(field, "invalid_id", "Not a valid id.")),
    }
}

/// Parses the feed's filters into a query for this reader.
pub fn feed_query(
    reader: Option<&UserRow>,
    p_tag: Option<&str>,
    p_author: Option<&str>,
    p_q: Option<&str>,
    p_status: Option<&str>,
) -> Result<ListQuery, AppError> {
    let status = match p_status.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("published") => Some("published"),
        Some("draft") => Some("draft"),
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "invalid_status",
                "status is published or draft.",
            ));
        }
    };
    let tag = p_tag
        .map(crate::domain::mentor::normalize_tag)
        .filter(|t| !t.is_empty());
    Ok(ListQuery {
        reader: reader_q(reader),
        author_id: optional_id("author", p_author)?,
        tag,
        words: search_words(p_q.unwrap_or("")),
        status,
        ..Default::default()
    })
}

/// The feed: published articles you may read, newest first.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(FeedParams),
    responses((status = 200, body = ArticleList), (status = 422, body = Problem)))]
async fn feed(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    ApiQuery(p): ApiQuery<FeedParams>,
) -> Result<axum::Json<ArticleList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let user = me.as_ref().map(|a| &a.user);
    let mut q = feed_query(
        user,
        p.tag.as_deref(),
        p.author.as_deref(),
        p.q.as_deref(),
        p.status.as_deref(),
    )?;
    q.after = super::decode_keyset(p.cursor.as_deref())?;
    let (rows, next_cursor) = page(&state, q, limit).await?;
    Ok(axum::Json(ArticleList {
        items: rows.iter().map(|r| ArticleView::new(r, false)).collect(),
        next_cursor,
    }))
}

/// Write a new article (approved mentors); it starts as a draft.
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", security(("bearer" = [])),
    request_body = ArticleInput,
    responses((status = 201, body = ArticleView), (status = 403, description = "Not an approved mentor", body = Problem),
        (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<impl IntoResponse, AppError> {
    let a = articles::create(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(ArticleView::new(&a, true))))
}

/// One article; reading it counts a view (once per viewer per day).
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles",
    params(("id" = String, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = Problem)))]
async fn get_one(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    Client(client): Client,
    IdPath(id): IdPath,
) -> Result<axum::Json<ArticleView>, AppError> {
    let user = me.as_ref().map(|a| &a.user);
    let mut a = articles::load(&state.ctx, user, &id).await?;
    a.view_count = articles::record_view(&state.ctx, user, &client, &a).await?;
    Ok(axum::Json(ArticleView::new(&a, true)))
}

/// Edit an article (its author): any of title, content, tags, visibility.
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ArticlePatch,
    responses((status = 200, body = ArticleView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn patch(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<ArticlePatch>,
) -> Result<axum::Json<ArticleView>, AppError> {
    let a = articles::update(&state.ctx, &me.user, &id, &input).await?;
    Ok(axum::Json(ArticleView::new(&a, true)))
}

/// Delete an article with its comments and bookmarks (its author, or an admin).
#[utoipa::path(delete, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    articles::delete(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish a draft (its author, an approved mentor).
#[utoipa::path(post, path = "/api/v1/articles/{id}/publish", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ArticleView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "Nothing written yet", body = Problem)))]
async fn publish(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ArticleView>, AppError> {
    let a = articles::publish(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(ArticleView::new(&a, true)))
}

/// Take a published article back to draft (its author, or an admin).
#[utoipa::path(post, path = "/api/v1/articles/{id}/unpublish", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ArticleView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unpublish(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ArticleView>, AppError> {
    let a = articles::unpublish(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(ArticleView::new(&a, true)))
}

/// A mentor's knowledge base: their articles you may read, newest first (with
/// their drafts when you are the mentor, or an admin).
#[utoipa::path(get, path = "/api/v1/mentors/{id}/articles", tag = "articles",
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = ArticleList), (status = 404, body = Problem)))]
async fn knowledge_base(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<ArticleList>, AppError> {
    let limit = parse_limit(p.limit)?;
    if !crate::service::mentors::has_profile(&state.ctx, &id).await? {
        return Err(AppError::NotFound);
    }
    let q = ListQuery {
        reader: reader_q(me.as_ref().map(|a| &a.user)),
        author_id: Some(id),
        after: super::decode_keyset(p.cursor.as_deref())?,
        ..Default::default()
    };
    let (rows, next_cursor) = page(&state, q, limit).await?;
    Ok(axum::Json(ArticleList {
        items: rows.iter().map(|r| ArticleView::new(r, false)).collect(),
        next_cursor,
    }))
}

/// Add to my reading list (idempotent).
#[utoipa::path(post, path = "/api/v1/articles/{id}/bookmark", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = Problem),
        (status = 409, description = "`not_published`", body = Problem)))]
async fn bookmark(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<ArticleView>, AppError> {
    let a = articles::bookmark(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(ArticleView::new(&a, false)))
}

/// Remove from my reading list (idempotent).
#[utoipa::path(delete, path = "/api/v1/articles/{id}/bookmark", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204)))]
async fn unbookmark(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    articles::unbookmark(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My reading list, most recently bookmarked first (only what I may still read).
#[utoipa::path(get, path = "/api/v1/me/bookmarks", tag = "articles", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = ArticleList)))]
async fn my_bookmarks(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<ArticleList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let q = ListQuery {
        reader: reader_q(Some(&me.user)),
        bookmarked_by: Some(me.user.id.to_string()),
        status: Some("published"),
        after: super::decode_keyset(p.cursor.as_deref())?,
        ..Default::default()
    };
    let (rows, next_cursor) = page(&state, q, limit).await?;
    Ok(axum::Json(ArticleList {
        items: rows.iter().map(|r| ArticleView::new(r, false)).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthor {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: String,
}

/// A comment. `body` is plain text: show it escaped.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: String,
    pub article_id: String,
    pub body: String,
    pub author: CommentAuthor,
    pub created_at: String,
}

impl From<&CommentRow> for CommentView {
    fn from(c: &CommentRow) -> Self {
        CommentView {
            id: c.id.clone(),
            article_id: c.article_id.clone(),
            body: c.body.clone(),
            author: CommentAuthor {
                id: c.author_id.clone(),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                avatar_url: c.avatar_url.clone(),
            },
            created_at: ts(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentView>,
    pub next_cursor: Option<String>,
}

/// Comments on an article you may read, oldest first.
#[utoipa::path(get, path = "/api/v1/articles/{id}/comments", tag = "articles",
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = CommentList), (status = 404, body = Problem)))]
async fn list_comments(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<CommentList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let after = decode_cursor(p.cursor.as_deref())?;
    let (_, mut rows) = articles::comments(
        &state.ctx,
        me.as_ref().map(|a| &a.user),
        &id,
        after.as_deref(),
        limit + 1,
    )
    .await?;
    let next_cursor = super::next_page(&mut rows, limit, |c| c.id.clone());
    Ok(axum::Json(CommentList {
        items: rows.iter().map(CommentView::from).collect(),
        next_cursor,
    }))
}

/// Comment on a published article you may read (up to 2,000 characters).
#[utoipa::path(post, path = "/api/v1/articles/{id}/comments", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CommentInput,
    responses((status = 201, body = CommentView), (status = 404, body = Problem),
        (status = 409, description = "`not_published`", body = Problem), (status = 422, body = Problem)))]
async fn add_comment(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<impl IntoResponse, AppError> {
    let c = articles::add_comment(&state.ctx, &me.user, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(CommentView::from(&c))))
}

/// Delete a comment: its author, the article's author, or an admin.
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "articles", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_comment(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    articles::delete_comment(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
