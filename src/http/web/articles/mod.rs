//! Article pages: the feed (`/articles`, tag chips and search), tags, bookmarks, a
//! mentor's knowledge base, the article page with bookmarks and comments, and the
//! editor with a live preview (server-rendered, so the preview is exactly what will be
//! published; without JavaScript a "Preview" button shows it).
//!
//! One file a page family: `lists` (feed, knowledge base, bookmarks, tags), `reading`
//! (one article, its actions and comments), `editor` (new, edit, preview); the router
//! and the cards other pages show are here.

mod editor;
mod lists;
mod reading;

use self::{editor::*, lists::*, reading::*};

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use jiff::tz::TimeZone;

use crate::domain::article::Visibility;
use serde::Deserialize;

use super::{Layout, PageResult, WebCtx, WebForm, error_page, page_query, urlencode};
use crate::{
    domain::article,
    error::AppError,
    http::{
        AppState,
        api::articles::{feed_query, page},
        extract::path_id,
    },
    service::articles::{self, ArticleInput, ArticlePatch, CommentInput, reader_q},
    service::{
        accounts::UserRow,
        articles::{ArticleRow, ListQuery},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(feed))
        .route("/articles/tags", get(tags_page))
        .route("/articles/bookmarks", get(bookmarks_page))
        .route("/articles/new", get(new_form).post(create))
        .route("/articles/preview", post(preview))
        .route("/articles/{slug}", get(article_page))
        .route("/articles/{slug}/edit", get(edit_form).post(save))
        .route("/articles/{slug}/comments", post(comment))
        .route("/articles/{slug}/{action}", post(article_action))
        .route("/comments/{id}/delete", post(delete_comment))
        .route("/mentors/{id}/articles", get(knowledge_base))
}

pub(super) fn date(t: jiff::Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%-d %b %Y").to_string()
}

pub(super) fn visibility_label(v: Visibility) -> &'static str {
    match v {
        Visibility::Members => "Members only",
        Visibility::MyMentees => "My mentees only",
        Visibility::Public => "Public",
    }
}

/// A tag with the feed link that filters by it (and, on tag lists, its count).
pub struct TagLink {
    pub name: String,
    pub href: String,
    pub n: i64,
}

impl TagLink {
    fn new(name: &str, n: i64) -> Self {
        TagLink {
            href: format!("/articles?tag={}", urlencode(name)),
            name: name.to_string(),
            n,
        }
    }
}

pub(super) fn tag_links(tags: &[(String, i64)]) -> Vec<TagLink> {
    tags.iter().map(|(t, n)| TagLink::new(t, *n)).collect()
}

/// An article in a list.
pub struct ArticleCard {
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub tags: Vec<TagLink>,
    pub author_id: String,
    pub author_name: String,
    pub date: String,
    pub views: i64,
    pub comments: i64,
    pub draft: bool,
    pub visibility: &'static str,
}

impl ArticleCard {
    pub fn new(r: &ArticleRow, tz: &TimeZone) -> Self {
        ArticleCard {
            slug: r.slug.clone(),
            title: r.title.clone(),
            excerpt: r.excerpt.clone(),
            tags: r.tags.clone().iter().map(|t| TagLink::new(t, 0)).collect(),
            author_id: r.author_id.clone(),
            author_name: format!("{} {}", r.author_first_name, r.author_last_name),
            date: date(r.published_at.unwrap_or(r.created_at), tz),
            views: r.view_count,
            comments: r.comment_count,
            draft: !r.is_published(),
            visibility: visibility_label(r.visibility),
        }
    }
}

/// The latest articles of a mentor the viewer may read (for the profile page).
pub async fn latest_by(
    state: &AppState,
    viewer: Option<&UserRow>,
    author_id: &str,
    n: i64,
    tz: &TimeZone,
) -> Result<Vec<ArticleCard>, AppError> {
    let q = ListQuery {
        reader: reader_q(viewer),
        author_id: Some(author_id.to_string()),
        status: Some("published"),
        ..Default::default()
    };
    let (rows, _) = page(state, q, n).await?;
    Ok(rows.iter().map(|r| ArticleCard::new(r, tz)).collect())
}

/// The newest public articles (for the landing page), dated in `tz`.
pub async fn latest_public(
    state: &AppState,
    tz: &TimeZone,
    n: i64,
) -> Result<Vec<ArticleCard>, AppError> {
    let q = ListQuery {
        status: Some("published"),
        ..Default::default()
    };
    let (rows, _) = page(state, q, n).await?;
    Ok(rows.iter().map(|r| ArticleCard::new(r, tz)).collect())
}

pub(super) async fn can_write(state: &AppState, user: &UserRow) -> bool {
    crate::service::mentors::is_approved(&state.ctx, &user.id)
        .await
        .unwrap_or(false)
}
