//! Article pages: the feed (`/articles`, tag chips and search), tags, bookmarks, a
//! mentor's knowledge base, the article page with bookmarks and comments, and the
//! editor with a live preview (server-rendered, so the preview is exactly what will be
//! published; without JavaScript a "Preview" button shows it).

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{CsrfForm, Layout, WebCtx, WebForm, error_page, page_query, urlencode};
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

fn date(us: i64, tz: &TimeZone) -> String {
    crate::clock::from_micros(us)
        .to_zoned(tz.clone())
        .strftime("%-d %b %Y")
        .to_string()
}

fn visibility_label(v: &str) -> &'static str {
    match v {
        "members" => "Members only",
        "my_mentees" => "My mentees only",
        _ => "Public",
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

fn tag_links(tags: &[(String, i64)]) -> Vec<TagLink> {
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
            tags: r.tag_list().iter().map(|t| TagLink::new(t, 0)).collect(),
            author_id: r.author_id.clone(),
            author_name: format!("{} {}", r.author_first_name, r.author_last_name),
            date: date(r.published_at.unwrap_or(r.created_at), tz),
            views: r.view_count,
            comments: r.comment_count,
            draft: !r.is_published(),
            visibility: visibility_label(&r.visibility),
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

async fn can_write(state: &AppState, user: &UserRow) -> bool {
    crate::service::mentors::is_approved(&state.ctx, &user.id)
        .await
        .unwrap_or(false)
}

// ------------------------------------------------------------------ lists

#[derive(Template)]
#[template(path = "articles.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    intro: String,
    /// The feed has search and tag chips; other lists do not.
    is_feed: bool,
    q: String,
    tag: String,
    author: String,
    chips: Vec<TagLink>,
    cards: Vec<ArticleCard>,
    empty: String,
    next: Option<String>,
    can_write: bool,
    my_id: String,
}

#[derive(Debug, Default, Deserialize)]
struct FeedQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    cursor: String,
}

/// A page link's cursor; one that does not parse shows the first page.
fn cursor_of(raw: &str) -> Option<(i64, String)> {
    crate::http::api::articles::parse_cursor(Some(raw))
        .ok()
        .flatten()
}

async fn feed(State(state): State<AppState>, web: WebCtx, uri: Uri) -> Response {
    let f: FeedQuery = page_query(&uri);
    let me = web.auth.as_ref().map(|a| &a.user);
    let tz = web.zone();
    let r = async {
        let mut q = feed_query(me, Some(&f.tag), Some(&f.author), Some(&f.q), None)?;
        q.after = cursor_of(&f.cursor);
        let (rows, next) = page(&state, q, 20).await?;
        let chips = articles::tags(&state.ctx, me, 20).await?;
        Ok::<_, AppError>((rows, next, chips))
    }
    .await;
    let (rows, next, chips) = match r {
        Ok(v) => v,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let next = next.map(|c| {
        format!(
            "/articles?q={}&tag={}&author={}&cursor={c}",
            urlencode(&f.q),
            urlencode(&f.tag),
            urlencode(&f.author)
        )
    });
    let filtered = !f.q.trim().is_empty() || !f.tag.trim().is_empty();
    let page = ListPage {
        layout: web.layout(),
        heading: "Articles".into(),
        intro: "What mentors have written: guides, lessons learned, answers to common questions."
            .into(),
        is_feed: true,
        q: f.q.clone(),
        tag: article_tag(&f.tag),
        author: f.author.clone(),
        chips: tag_links(&chips),
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty: if filtered {
            "No article matches. Try fewer words or another tag.".into()
        } else {
            "No article is published yet.".into()
        },
        next,
        can_write: match me {
            Some(u) => can_write(&state, u).await,
            None => false,
        },
        my_id: me.map(|u| u.id.clone()).unwrap_or_default(),
    };
    web.render(&state, &page)
}

fn article_tag(raw: &str) -> String {
    crate::domain::mentor::normalize_tag(raw)
}

async fn knowledge_base(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let f: FeedQuery = page_query(&uri);
    let me = web.auth.as_ref().map(|a| &a.user);
    let tz = web.zone();
    let r = async {
        let id = path_id(&id)?;
        let author = crate::service::accounts::public_profile(&state.ctx, &id).await?;
        if !crate::service::mentors::has_profile(&state.ctx, &id).await? {
            return Err(AppError::NotFound);
        }
        let q = ListQuery {
            reader: reader_q(me),
            author_id: Some(id.clone()),
            after: cursor_of(&f.cursor),
            ..Default::default()
        };
        let (rows, next) = page(&state, q, 20).await?;
        Ok::<_, AppError>((author, rows, next))
    }
    .await;
    let (author, rows, next) = match r {
        Ok(v) => v,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let mine = me.is_some_and(|u| u.id == author.id);
    let page = ListPage {
        layout: web.layout(),
        heading: if mine {
            "Your articles".into()
        } else {
            format!("Articles by {} {}", author.first_name, author.last_name)
        },
        intro: if mine {
            "Your drafts and published articles, with their views.".into()
        } else {
            String::new()
        },
        is_feed: false,
        q: String::new(),
        tag: String::new(),
        author: author.id.clone(),
        chips: vec![],
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty: if mine {
            "You have not written an article yet.".into()
        } else {
            "No article to show here yet.".into()
        },
        next: next.map(|c| format!("/mentors/{}/articles?cursor={c}", author.id)),
        can_write: mine && can_write(&state, &author).await,
        my_id: me.map(|u| u.id.clone()).unwrap_or_default(),
    };
    web.render(&state, &page)
}

async fn bookmarks_page(State(state): State<AppState>, web: WebCtx, uri: Uri) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let f: FeedQuery = page_query(&uri);
    let tz = web.zone();
    let q = ListQuery {
        reader: reader_q(Some(&me)),
        bookmarked_by: Some(me.id.clone()),
        status: Some("published"),
        after: cursor_of(&f.cursor),
        ..Default::default()
    };
    let (rows, next) = match page(&state, q, 20).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let page = ListPage {
        layout: web.layout(),
        heading: "My bookmarks".into(),
        intro: "Your reading list, most recently saved first.".into(),
        is_feed: false,
        q: String::new(),
        tag: String::new(),
        author: String::new(),
        chips: vec![],
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty: "Nothing saved yet. Use “Bookmark” on an article to keep it here.".into(),
        next: next.map(|c| format!("/articles/bookmarks?cursor={c}")),
        can_write: false,
        my_id: me.id.clone(),
    };
    web.render(&state, &page)
}

#[derive(Template)]
#[template(path = "article_tags.html")]
struct TagsPage {
    layout: Layout,
    tags: Vec<TagLink>,
}

async fn tags_page(State(state): State<AppState>, web: WebCtx) -> Response {
    let me = web.auth.as_ref().map(|a| &a.user);
    match articles::tags(&state.ctx, me, 500).await {
        Ok(tags) => web.render(
            &state,
            &TagsPage {
                layout: web.layout(),
                tags: tag_links(&tags),
            },
        ),
        Err(e) => error_page(&state, Some(&web), e),
    }
}

// ------------------------------------------------------------------ one article

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    layout: Layout,
    a: ArticleCard,
    html: String,
    published: String,
    updated: Option<String>,
    is_author: bool,
    is_admin: bool,
    signed_in: bool,
    bookmarked: bool,
    comments: Vec<CommentLine>,
    comment_error: Option<String>,
    comment_draft: String,
    article_id: String,
    self_path: String,
}

struct CommentLine {
    id: String,
    author: String,
    body: String,
    date: String,
    can_delete: bool,
    mine: bool,
}

async fn load_by_slug(state: &AppState, web: &WebCtx, slug: &str) -> Result<ArticleRow, Response> {
    let me = web.auth.as_ref().map(|a| &a.user);
    articles::load_slug(&state.ctx, me, slug)
        .await
        .map_err(|e| error_page(state, Some(web), e))
}

async fn article_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
) -> Response {
    let mut a = match load_by_slug(&state, &web, &slug).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let me = web.auth.as_ref().map(|x| &x.user);
    match articles::record_view(&state.ctx, me, &web.client, &a).await {
        Ok(n) => a.view_count = n,
        Err(e) => return error_page(&state, Some(&web), e),
    }
    render_article(&state, &web, &a, StatusCode::OK, None, String::new()).await
}

async fn render_article(
    state: &AppState,
    web: &WebCtx,
    a: &ArticleRow,
    status: StatusCode,
    comment_error: Option<String>,
    comment_draft: String,
) -> Response {
    let me = web.auth.as_ref().map(|x| &x.user);
    let tz = web.zone();
    let comments = match articles::comments(&state.ctx, me, &a.id, None, 500).await {
        Ok((_, c)) => c,
        Err(e) => return error_page(state, Some(web), e),
    };
    let is_admin = web.is_admin();
    let is_author = me.is_some_and(|u| u.id == a.author_id);
    let published_at = a.published_at.unwrap_or(a.created_at);
    let page = ArticlePage {
        layout: web.layout(),
        a: ArticleCard::new(a, &tz),
        html: a.html.clone(),
        published: super::bookings::when(crate::clock::from_micros(published_at), &tz),
        updated: (a.updated_at > published_at + 60_000_000)
            .then(|| super::bookings::when(crate::clock::from_micros(a.updated_at), &tz)),
        is_author,
        is_admin,
        signed_in: me.is_some(),
        bookmarked: a.bookmarked != 0,
        comments: comments
            .iter()
            .map(|c| CommentLine {
                id: c.id.clone(),
                author: format!("{} {}", c.first_name, c.last_name),
                body: c.body.clone(),
                date: super::bookings::when(crate::clock::from_micros(c.created_at), &tz),
                can_delete: me.is_some_and(|u| u.id == c.author_id) || is_author || is_admin,
                mine: me.is_some_and(|u| u.id == c.author_id),
            })
            .collect(),
        comment_error,
        comment_draft,
        article_id: a.id.clone(),
        self_path: format!("/articles/{}", a.slug),
    };
    web.render_status(state, status, &page)
}

/// The article page's buttons: publish, unpublish, delete, bookmark, unbookmark.
/// Each runs through the service's rules for the signed-in user, then comes back with
/// a flash.
async fn article_action(
    State(state): State<AppState>,
    web: WebCtx,
    Path((slug, action)): Path<(String, String)>,
    WebForm(f): WebForm<CsrfForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let a = match load_by_slug(&state, &web, &slug).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = &state.ctx;
    let here = format!("/articles/{slug}");
    let (result, to, flash) = match action.as_str() {
        "publish" => (
            articles::publish(ctx, &me, &a.id).await.map(|_| ()),
            here,
            "article_published",
        ),
        "unpublish" => (
            articles::unpublish(ctx, &me, &a.id).await.map(|_| ()),
            here,
            "article_unpublished",
        ),
        "bookmark" => (
            articles::bookmark(ctx, &me, &a.id).await.map(|_| ()),
            here,
            "bookmark_added",
        ),
        "unbookmark" => (
            articles::unbookmark(ctx, &me, &a.id).await,
            here,
            "bookmark_removed",
        ),
        "delete" => {
            let to = if a.author_id == me.id {
                format!("/mentors/{}/articles", me.id)
            } else {
                "/articles".to_string()
            };
            (
                articles::delete(ctx, &me, &a.id).await,
                to,
                "article_deleted",
            )
        }
        _ => (Err(AppError::NotFound), here, ""),
    };
    match result {
        Ok(()) => web.redirect_flash(&to, flash),
        Err(e) => error_page(&state, Some(&web), e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

async fn comment(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
    WebForm(f): WebForm<CommentForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let a = match load_by_slug(&state, &web, &slug).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = CommentInput {
        body: f.body.clone(),
    };
    match articles::add_comment(&state.ctx, &me, &a.id, &input).await {
        Ok(c) => web.redirect_flash(
            &format!("/articles/{slug}#comment-{}", c.id),
            "comment_posted",
        ),
        Err(AppError::Invalid(errs)) => {
            let msg = errs
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            render_article(
                &state,
                &web,
                &a,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                f.body.chars().take(article::COMMENT_MAX * 2).collect(),
            )
            .await
        }
        Err(e) => error_page(&state, Some(&web), e),
    }
}

async fn delete_comment(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let r = async {
        let id = path_id(&id)?;
        articles::delete_comment(&state.ctx, &me, &id).await
    }
    .await;
    match r {
        Ok(a) => web.redirect_flash(&format!("/articles/{}#comments", a.slug), "comment_deleted"),
        Err(e) => error_page(&state, Some(&web), e),
    }
}

// ------------------------------------------------------------------ the editor

#[derive(Template)]
#[template(path = "article_edit.html")]
struct EditPage {
    layout: Layout,
    /// `None` for a new article.
    slug: Option<String>,
    published: bool,
    title: String,
    content: String,
    tags: String,
    visibility: String,
    preview: String,
    errors: super::FormErrors,
    form_error: Option<String>,
}

const VISIBILITIES: &[(&str, &str)] = &[
    ("public", "Public: anyone, signed in or not"),
    ("members", "Members: anyone signed in"),
    ("my_mentees", "My mentees: only my current mentees"),
];

impl EditPage {
    fn visibilities(&self) -> &'static [(&'static str, &'static str)] {
        VISIBILITIES
    }
}

#[derive(Debug, Default, Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    visibility: String,
    /// `save` (default), `publish` or `preview`.
    #[serde(default)]
    action: String,
}

fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',').map(str::to_string).collect()
}

async fn new_form(State(state): State<AppState>, web: WebCtx) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    if !can_write(&state, &me).await {
        return error_page(
            &state,
            Some(&web),
            AppError::forbidden(
                "Only approved mentors write articles. Apply as a mentor in Settings → Mentor profile.",
            ),
        );
    }
    web.render(
        &state,
        &EditPage {
            layout: web.layout(),
            slug: None,
            published: false,
            title: String::new(),
            content: String::new(),
            tags: String::new(),
            visibility: "public".into(),
            preview: String::new(),
            errors: Default::default(),
            form_error: None,
        },
    )
}

async fn edit_form(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let a = match load_by_slug(&state, &web, &slug).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if a.author_id != me.id {
        return error_page(
            &state,
            Some(&web),
            AppError::forbidden("Only the article's author can edit it."),
        );
    }
    web.render(
        &state,
        &EditPage {
            layout: web.layout(),
            slug: Some(a.slug.clone()),
            published: a.is_published(),
            tags: a.tag_list().join(", "),
            visibility: a.visibility.clone(),
            preview: a.html.clone(),
            title: a.title,
            content: a.content,
            errors: Default::default(),
            form_error: None,
        },
    )
}

fn editor_again(
    state: &AppState,
    web: &WebCtx,
    slug: Option<String>,
    published: bool,
    f: &EditForm,
    e: Option<&AppError>,
) -> Response {
    let form_error = e.map(|e| match e {
        AppError::Invalid(errs) => errs
            .iter()
            .map(|x| x.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.detail(),
    });
    let status = if e.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    web.render_status(
        state,
        status,
        &EditPage {
            layout: web.layout(),
            slug,
            published,
            title: f.title.clone(),
            content: f.content.clone(),
            tags: f.tags.clone(),
            visibility: f.visibility.clone(),
            preview: article::render_markdown(&f.content),
            errors: e.map(super::FormErrors::from_error).unwrap_or_default(),
            form_error,
        },
    )
}

async fn create(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<EditForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    if f.action == "preview" {
        return editor_again(&state, &web, None, false, &f, None);
    }
    let input = ArticleInput {
        title: f.title.clone(),
        content: f.content.clone(),
        tags: split_tags(&f.tags),
        visibility: Some(f.visibility.clone()),
    };
    let r = async {
        let a = articles::create(&state.ctx, &me, &input).await?;
        if f.action == "publish" {
            articles::publish(&state.ctx, &me, &a.id).await
        } else {
            Ok(a)
        }
    }
    .await;
    match r {
        Ok(a) if a.is_published() => {
            web.redirect_flash(&format!("/articles/{}", a.slug), "article_published")
        }
        Ok(a) => web.redirect_flash(&format!("/articles/{}/edit", a.slug), "article_saved"),
        Err(e @ AppError::Invalid(_)) => editor_again(&state, &web, None, false, &f, Some(&e)),
        Err(e) => error_page(&state, Some(&web), e),
    }
}

async fn save(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
    WebForm(f): WebForm<EditForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let a = match load_by_slug(&state, &web, &slug).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if f.action == "preview" {
        return editor_again(&state, &web, Some(slug), a.is_published(), &f, None);
    }
    let patch = ArticlePatch {
        title: Some(f.title.clone()),
        content: Some(f.content.clone()),
        tags: Some(split_tags(&f.tags)),
        visibility: Some(f.visibility.clone()),
    };
    let r = async {
        let a = articles::update(&state.ctx, &me, &a.id, &patch).await?;
        if f.action == "publish" && !a.is_published() {
            articles::publish(&state.ctx, &me, &a.id).await
        } else {
            Ok(a)
        }
    }
    .await;
    let was_published = a.is_published();
    match r {
        Ok(a) if a.is_published() => web.redirect_flash(
            &format!("/articles/{}", a.slug),
            if was_published {
                "article_saved"
            } else {
                "article_published"
            },
        ),
        Ok(a) => web.redirect_flash(&format!("/articles/{}/edit", a.slug), "article_saved"),
        Err(e @ AppError::Invalid(_)) => {
            editor_again(&state, &web, Some(slug), a.is_published(), &f, Some(&e))
        }
        Err(e) => error_page(&state, Some(&web), e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    content: String,
}

/// The editor's live preview: the sanitised HTML of the Markdown sent, exactly as it
/// would be published. Signed-in users only, with the form's CSRF token.
async fn preview(web: WebCtx, WebForm(f): WebForm<PreviewForm>) -> Response {
    if web.auth.is_none() {
        return (StatusCode::UNAUTHORIZED, "Sign in to preview.").into_response();
    }
    if web.check_csrf(&f.csrf).is_err() {
        return (StatusCode::FORBIDDEN, "Reload the page and try again.").into_response();
    }
    if f.content.chars().count() > article::CONTENT_MAX {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "The article is longer than 100,000 characters.",
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        article::render_markdown(&f.content),
    )
        .into_response()
}
