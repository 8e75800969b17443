//! The article editor: new, edit, save, and the Markdown preview.

use super::*;

#[derive(Template)]
#[template(path = "article_edit.html")]
pub(super) struct EditPage {
    layout: Layout,
    /// `None` for a new article.
    slug: Option<String>,
    published: bool,
    title: String,
    content: String,
    tags: String,
    visibility: String,
    preview: String,
    errors: crate::http::web::FormErrors,
    form_error: Option<String>,
    /// The saved article's `updated_at` the form was opened with ("" for a new one):
    /// a save from elsewhere since makes this one a conflict, not a silent undo.
    version: String,
}

pub(super) const VISIBILITIES: &[(&str, &str)] = &[
    ("public", "Anyone (public)"),
    ("members", "Signed-in members"),
    ("my_mentees", "My current mentees only"),
];

impl EditPage {
    fn visibilities(&self) -> &'static [(&'static str, &'static str)] {
        VISIBILITIES
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    csrf: String,
    /// The page's key: a new article is made once however often the form is sent.
    #[serde(default)]
    form_key: String,
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
    /// See [`EditPage::version`].
    #[serde(default)]
    version: String,
}

pub(super) fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',').map(str::to_string).collect()
}

pub(super) async fn new_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    if !can_write(&state, &me).await {
        return Err(AppError::forbidden(
            "Only approved mentors write articles. Apply as a mentor in Settings → Mentor profile.",
        )
        .into());
    }
    Ok(web.render(
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
            version: String::new(),
        },
    ))
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let a = load_by_slug(&state, &web, &slug).await?;
    if a.author_id != me.id {
        return Err(AppError::forbidden("Only the article's author can edit it.").into());
    }
    Ok(web.render(
        &state,
        &EditPage {
            layout: web.layout(),
            slug: Some(a.slug.clone()),
            published: a.is_published(),
            tags: a.tags.clone().join(", "),
            visibility: a.visibility.as_str().to_string(),
            preview: a.html.clone(),
            version: a.updated_at.to_string(),
            title: a.title,
            content: a.content,
            errors: Default::default(),
            form_error: None,
        },
    ))
}

pub(super) fn editor_again(
    state: &AppState,
    web: &WebCtx,
    slug: Option<String>,
    published: bool,
    f: &EditForm,
    e: Option<&AppError>,
) -> Response {
    // Field errors go to the summary and beside their fields; anything else above.
    let form_error = e.and_then(|e| match e {
        AppError::Invalid(_) => None,
        other => Some(other.detail()),
    });
    let status = e.map_or(StatusCode::OK, crate::http::problem::status_of);
    web.render_status(
        state,
        status,
        &EditPage {
            layout: web.layout_keeping(&f.form_key),
            slug,
            published,
            title: f.title.clone(),
            content: f.content.clone(),
            tags: f.tags.clone(),
            visibility: f.visibility.clone(),
            preview: article::render_markdown(&f.content),
            errors: e
                .map(|e| {
                    crate::http::web::FormErrors::from_error(e)
                        .ids("")
                        .labelled(&[
                            ("title", "Title"),
                            ("content", "Text"),
                            ("tags", "Tags"),
                            ("visibility", "Who can read it"),
                        ])
                })
                .unwrap_or_default(),
            form_error,
            version: f.version.clone(),
        },
    )
}

/// What saving a published article says: `usual`, unless nobody can read it yet (for
/// the author's mentees only, and they have none).
async fn published_flash(
    state: &AppState,
    a: &articles::ArticleRow,
    usual: &'static str,
) -> Result<&'static str, AppError> {
    Ok(
        if articles::unread_for_want_of_mentees(&state.ctx, a).await? {
            "article_published_unread"
        } else {
            usual
        },
    )
}

pub(super) async fn create(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<EditForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    if f.action == "preview" {
        let tags = articles::check_tags(&split_tags(&f.tags)).err();
        return Ok(editor_again(&state, &web, None, false, &f, tags.as_ref()));
    }
    let input = ArticleInput {
        title: f.title.clone(),
        content: f.content.clone(),
        tags: split_tags(&f.tags),
        visibility: Some(f.visibility.clone()),
    };
    web.once(&state, &me.id, &f.form_key, async {
        if let Some(a) = articles::resent_article(&state.ctx, &me, &input).await? {
            let to = if a.is_published() {
                format!("/articles/{}", a.slug)
            } else {
                format!("/articles/{}/edit", a.slug)
            };
            return Ok(web.redirect_flash(&to, "already_sent"));
        }
        let r = async {
            if f.action == "publish" {
                articles::publishable(&input.title, &input.content)?;
            }
            let a = articles::create(&state.ctx, &me, &input).await?;
            if f.action == "publish" {
                articles::publish(&state.ctx, &me, &a.id).await
            } else {
                Ok(a)
            }
        }
        .await;
        Ok(match r {
            Ok(a) if a.is_published() => web.redirect_flash(
                &format!("/articles/{}", a.slug),
                published_flash(&state, &a, "article_published").await?,
            ),
            Ok(a) => web.redirect_flash(&format!("/articles/{}/edit", a.slug), "article_saved"),
            Err(e @ AppError::Invalid(_)) => editor_again(&state, &web, None, false, &f, Some(&e)),
            Err(e) => return Err(e.into()),
        })
    })
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    web: WebCtx,
    Path(slug): Path<String>,
    WebForm(f): WebForm<EditForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let a = load_by_slug(&state, &web, &slug).await?;
    if f.action == "preview" {
        let tags = articles::check_tags(&split_tags(&f.tags)).err();
        return Ok(editor_again(
            &state,
            &web,
            Some(slug),
            a.is_published(),
            &f,
            tags.as_ref(),
        ));
    }
    let patch = ArticlePatch {
        title: Some(f.title.clone()),
        content: Some(f.content.clone()),
        tags: Some(split_tags(&f.tags)),
        visibility: Some(f.visibility.clone()),
        // A form of before this field (a page open across an upgrade) saves as before.
        expected_updated_at: Some(f.version.clone()).filter(|v| !v.is_empty()),
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
    Ok(match r {
        Ok(a) if a.is_published() => web.redirect_flash(
            &format!("/articles/{}", a.slug),
            published_flash(
                &state,
                &a,
                if was_published {
                    "article_saved"
                } else {
                    "article_published"
                },
            )
            .await?,
        ),
        Ok(a) => web.redirect_flash(&format!("/articles/{}/edit", a.slug), "article_saved"),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            editor_again(&state, &web, Some(slug), a.is_published(), &f, Some(&e))
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    content: String,
}

/// The editor's live preview: the sanitised HTML of the Markdown sent, exactly as it
/// would be published. Signed-in users only, with the form's CSRF token; a refusal is
/// problem+json, as this is read by the editor's script, not shown as a page.
pub(super) async fn preview(web: WebCtx, WebForm(f): WebForm<PreviewForm>) -> Response {
    if web.auth.is_none() {
        return AppError::unauthorized("unauthenticated", "Sign in to preview.").into_response();
    }
    if let Err(e) = web.check_csrf(&f.csrf) {
        return e.into_response();
    }
    if f.content.chars().count() > article::CONTENT_MAX {
        let e = AppError::invalid(
            "content",
            "too_long",
            "The article is longer than 100,000 characters.",
        );
        return e.into_response();
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
