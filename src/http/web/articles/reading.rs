//! One article: its page, the author's and admins' actions, comments.

use super::*;
use crate::http::web::{FormErrors, confirm, in_words};

#[derive(Template)]
#[template(path = "article.html")]
pub(super) struct ArticlePage {
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
    /// "4 min read".
    minutes: i64,
}

pub(super) struct CommentLine {
    id: String,
    author: String,
    /// The text in runs, its web links apart (made clickable, as in chat): (text, href
    /// or "").
    parts: Vec<(String, String)>,
    date: String,
    can_delete: bool,
    mine: bool,
}

pub(super) async fn load_by_slug(
    state: &AppState,
    web: &WebCtx,
    slug: &str,
) -> Result<ArticleRow, Response> {
    let me = web.auth.as_ref().map(|a| &a.user);
    match articles::load_slug(&state.ctx, me, slug).await {
        Ok(a) => Ok(a),
        // A shared link to an article for members: sign in, then read it.
        Err(AppError::NotFound) if me.is_none() => {
            match articles::shared_with(&state.ctx, slug).await {
                Ok(Some(v)) => Err(web.to_sign_in(if v == Visibility::MyMentees {
                    "sign_in_mentees_article"
                } else {
                    "sign_in_members_article"
                })),
                Ok(None) => Err(error_page(state, Some(web), AppError::NotFound)),
                Err(e) => Err(error_page(state, Some(web), e)),
            }
        }
        // Signed in but not among its author's mentees: say so, as a visitor is told
        // (not "does not exist").
        Err(AppError::NotFound) => match articles::shared_with(&state.ctx, slug).await {
            Ok(Some(Visibility::MyMentees)) => Err(error_page(
                state,
                Some(web),
                AppError::forbidden(
                    "This article is for its author's mentees: it opens to them while their mentorship lasts.",
                ),
            )),
            Ok(_) => Err(error_page(state, Some(web), AppError::NotFound)),
            Err(e) => Err(error_page(state, Some(web), e)),
        },
        Err(e) => Err(error_page(state, Some(web), e)),
    }
}

pub(super) async fn article_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
) -> PageResult {
    let mut a = load_by_slug(&state, &web, &slug).await?;
    let me = web.auth.as_ref().map(|x| &x.user);
    a.view_count = articles::record_view(&state.ctx, me, &web.client, &a).await?;
    render_article(&state, &web, &a, StatusCode::OK, None, String::new()).await
}

pub(super) async fn render_article(
    state: &AppState,
    web: &WebCtx,
    a: &ArticleRow,
    status: StatusCode,
    comment_error: Option<String>,
    comment_draft: String,
) -> PageResult {
    let me = web.auth.as_ref().map(|x| &x.user);
    let tz = web.zone();
    let (_, comments) = articles::comments(&state.ctx, me, &a.id, None, 500).await?;
    let is_admin = web.is_admin();
    let is_author = me.is_some_and(|u| u.id == a.author_id);
    // A draft says when it was created (one published once and taken back keeps its
    // old publication date, which is not its creation).
    let published_at = if a.is_published() {
        a.published_at.unwrap_or(a.created_at)
    } else {
        a.created_at
    };
    let page = ArticlePage {
        layout: web.layout(),
        a: ArticleCard::new(a, &tz),
        html: a.html.clone(),
        minutes: crate::domain::article::reading_minutes(&a.content),
        published: web.when(published_at, &tz),
        updated: (a.updated_at.duration_since(published_at) > jiff::SignedDuration::from_mins(1))
            .then(|| web.when(a.updated_at, &tz)),
        is_author,
        is_admin,
        signed_in: me.is_some(),
        bookmarked: a.bookmarked,
        comments: comments
            .iter()
            .map(|c| CommentLine {
                id: c.id.clone(),
                author: format!("{} {}", c.first_name, c.last_name),
                parts: crate::http::web::chat::linkify(&c.body),
                date: web.when(c.created_at, &tz),
                can_delete: me.is_some_and(|u| u.id == c.author_id) || is_author || is_admin,
                mine: me.is_some_and(|u| u.id == c.author_id),
            })
            .collect(),
        comment_error,
        comment_draft,
        article_id: a.id.clone(),
        self_path: format!("/articles/{}", a.slug),
    };
    Ok(web.render_status(state, status, &page))
}

/// The article page's buttons: publish, unpublish, delete, bookmark, unbookmark.
/// Each runs through the service's rules for the signed-in user, then comes back with
/// a flash.
pub(super) async fn article_action(
    State(state): State<AppState>,
    web: WebCtx,
    Path((slug, action)): Path<(String, String)>,
    WebForm(f): WebForm<DeleteForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let a = load_by_slug(&state, &web, &slug).await?;
    let ctx = &state.ctx;
    let here = format!("/articles/{slug}");
    if action == "delete" && !confirm::confirmed(&f.confirmed) {
        let instead = if a.author_id == me.id {
            " To take it away for now, unpublish it instead."
        } else {
            ""
        };
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: format!("Delete “{}”?", a.title),
                consequence: format!(
                    "The article goes, with its comments and readers' bookmarks. This cannot \
                     be undone.{instead}"
                ),
                action: format!("/articles/{slug}/delete"),
                fields: vec![],
                yes: "Yes, delete it",
                back: here,
                no: "No, keep it",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
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
    result?;
    Ok(web.redirect_flash(&to, flash))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CommentForm {
    #[serde(default)]
    csrf: String,
    /// The page's key: a comment is posted once however often the form is sent.
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    body: String,
}

pub(super) async fn comment(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
    WebForm(f): WebForm<CommentForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let a = load_by_slug(&state, &web, &slug).await?;
    let input = CommentInput {
        body: f.body.clone(),
    };
    web.once(&state, &me.id, &f.form_key, async {
        if let Some(id) = articles::resent_comment(&state.ctx, &me, &a.id, &input).await? {
            return Ok(
                web.redirect_flash(&format!("/articles/{slug}#comment-{id}"), "already_sent")
            );
        }
        let result = articles::add_comment(&state.ctx, &me, &a.id, &input).await;
        Ok(match result {
            Ok(c) => web.redirect_flash(
                &format!("/articles/{slug}#comment-{}", c.id),
                "comment_posted",
            ),
            Err(e @ AppError::Invalid(_)) => {
                let msg = in_words(&e);
                render_article(
                    &state,
                    &web,
                    &a,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(msg),
                    f.body.chars().take(article::COMMENT_MAX * 2).collect(),
                )
                .await?
            }
            Err(e) => return Err(e.into()),
        })
    })
    .await
}

/// A deletion's form: asked in the browser's dialog (`confirmed=1`), or, without
/// JavaScript, on a page of its own first.
#[derive(Debug, Default, Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
    /// The article's page the form was on: where a comment deleted meanwhile (from
    /// another tab) leads back to, said so.
    #[serde(default)]
    back: String,
}

pub(super) async fn delete_comment(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<DeleteForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let gone = || {
        let back = crate::http::web::safe_next(&f.back);
        let to = if back.starts_with("/articles/") {
            back
        } else {
            "/articles".to_string()
        };
        web.redirect_flash(&to, "comment_gone")
    };
    if !confirm::confirmed(&f.confirmed) {
        let (c, a) = match articles::deletable_comment(&state.ctx, &me, &id).await {
            Err(AppError::NotFound) => return Ok(gone()),
            other => other?,
        };
        let whose = if c.author_id == me.id {
            "Your comment".to_string()
        } else {
            format!("{} {}'s comment", c.first_name, c.last_name)
                .trim()
                .to_string()
        };
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: "Delete this comment?".into(),
                consequence: format!(
                    "{whose} on “{}” goes for every reader: “{}”. This cannot be undone.",
                    a.title,
                    crate::domain::text::clipped(c.body.trim(), 120)
                ),
                action: format!("/comments/{id}/delete"),
                fields: vec![("back", format!("/articles/{}#comments", a.slug))],
                yes: "Yes, delete it",
                back: format!("/articles/{}#comments", a.slug),
                no: "No, keep it",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    match articles::delete_comment(&state.ctx, &me, &id).await {
        Ok(a) => {
            Ok(web.redirect_flash(&format!("/articles/{}#comments", a.slug), "comment_deleted"))
        }
        Err(AppError::NotFound) => Ok(gone()),
        Err(e) => Err(e.into()),
    }
}
