//! Article lists: the feed, the knowledge base, bookmarks, tags.

use super::*;

#[derive(Template)]
#[template(path = "articles.html")]
pub(super) struct ListPage {
    layout: Layout,
    heading: String,
    intro: String,
    /// The feed has search and tag chips; other lists do not.
    is_feed: bool,
    q: String,
    tag: String,
    author: String,
    /// The feed by one author: their name, said above the list; empty for an author
    /// link that leads to no one.
    author_name: String,
    chips: Vec<TagLink>,
    cards: Vec<ArticleCard>,
    empty: String,
    next: Option<String>,
    can_write: bool,
    my_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FeedQuery {
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
pub(super) fn cursor_of(raw: &str) -> Option<(i64, String)> {
    crate::http::api::decode_keyset(Some(raw)).ok().flatten()
}

pub(super) async fn feed(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let f: FeedQuery = page_query(&uri);
    let me = web.auth.as_ref().map(|a| &a.user);
    let tz = web.zone();
    // An author link that does not hold an id (cut short, mistyped) finds no article,
    // as an unknown author does: the page says so instead of refusing.
    let author = match f.author.trim() {
        "" => None,
        raw => Some(crate::domain::ids::parse_id(raw)),
    };
    let bad_author = matches!(author, Some(None));
    let author = author.flatten();
    let mut q = feed_query(me, Some(&f.tag), author.as_deref(), Some(&f.q), None)?;
    q.after = cursor_of(&f.cursor);
    let (rows, next) = if bad_author {
        (Vec::new(), None)
    } else {
        page(&state, q, 20).await?
    };
    let chips = articles::tags(&state.ctx, me, 20).await?;
    let next = next.map(|c| {
        format!(
            "/articles?q={}&tag={}&author={}&cursor={c}",
            urlencode(&f.q),
            urlencode(&f.tag),
            urlencode(&f.author)
        )
    });
    let by_author = !f.author.trim().is_empty();
    let author_name = match &author {
        Some(id) => match crate::service::accounts::public_profile(&state.ctx, id).await {
            Ok(u) => format!("{} {}", u.first_name, u.last_name),
            Err(AppError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        },
        None => String::new(),
    };
    let filtered = !f.q.trim().is_empty() || !f.tag.trim().is_empty();
    let page = ListPage {
        layout: web.layout(),
        heading: "Articles".into(),
        // A query with nothing to search for (an emoji, punctuation) filters nothing:
        // said, rather than showing every article as if they matched.
        intro: if crate::service::mentors::nothing_to_search(&f.q) {
            format!(
                "“{}” holds no letter or digit to search for, so every article is shown.",
                f.q.trim()
            )
        } else {
            "What mentors have written: guides, lessons learned, answers to common questions."
                .into()
        },
        is_feed: true,
        q: f.q.clone(),
        tag: article_tag(&f.tag),
        author: f.author.clone(),
        author_name,
        chips: tag_links(&chips),
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty: if filtered {
            "No article matches. Try fewer words or another tag.".into()
        } else if by_author {
            "No published article by this author.".into()
        } else {
            "No article is published yet.".into()
        },
        next,
        can_write: match me {
            Some(u) => can_write(&state, u).await,
            None => false,
        },
        my_id: me.map(|u| u.id.to_string()).unwrap_or_default(),
    };
    Ok(web.render(&state, &page))
}

pub(super) fn article_tag(raw: &str) -> String {
    crate::domain::mentor::normalize_tag(raw)
}

pub(super) async fn knowledge_base(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> PageResult {
    let f: FeedQuery = page_query(&uri);
    let me = web.auth.as_ref().map(|a| &a.user);
    let tz = web.zone();
    let id = path_id(&id)?;
    let author = crate::service::accounts::public_profile(&state.ctx, &id).await?;
    if !crate::service::mentors::has_profile(&state.ctx, &id).await? {
        return Err(AppError::NotFound.into());
    }
    let q = ListQuery {
        reader: reader_q(me),
        author_id: Some(id.clone()),
        after: cursor_of(&f.cursor),
        ..Default::default()
    };
    let (rows, next) = page(&state, q, 20).await?;
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
        author: author.id.to_string(),
        author_name: String::new(),
        chips: vec![],
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty: if mine {
            "You have not written an article yet.".into()
        } else {
            "No article to show here yet.".into()
        },
        next: next.map(|c| format!("/mentors/{}/articles?cursor={c}", author.id)),
        can_write: mine && can_write(&state, &author).await,
        my_id: me.map(|u| u.id.to_string()).unwrap_or_default(),
    };
    Ok(web.render(&state, &page))
}

pub(super) async fn bookmarks_page(
    State(state): State<AppState>,
    web: WebCtx,
    uri: Uri,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let f: FeedQuery = page_query(&uri);
    let tz = web.zone();
    let q = ListQuery {
        reader: reader_q(Some(&me)),
        bookmarked_by: Some(me.id.to_string()),
        status: Some("published"),
        after: cursor_of(&f.cursor),
        ..Default::default()
    };
    let (rows, next) = page(&state, q, 20).await?;
    // Saved, but none readable now: said, rather than "nothing saved".
    let saved = if rows.is_empty() && f.cursor.is_empty() {
        articles::bookmarks_saved(&state.ctx, &me).await?
    } else {
        0
    };
    let empty = match saved {
        0 => "Nothing saved yet. Use “Bookmark” on an article to keep it here.".to_string(),
        1 => "The article you saved cannot be read now: its author unpublished it, or it is \
              for mentees you are no longer one of. It comes back here if that changes."
            .to_string(),
        n => format!(
            "None of the {n} articles you saved can be read now: their authors unpublished \
             them, or they are for mentees you are no longer one of. They come back here if \
             that changes."
        ),
    };
    let page = ListPage {
        layout: web.layout(),
        heading: "My bookmarks".into(),
        intro: "Your reading list, most recently saved first.".into(),
        is_feed: false,
        q: String::new(),
        tag: String::new(),
        author: String::new(),
        author_name: String::new(),
        chips: vec![],
        cards: rows.iter().map(|r| ArticleCard::new(r, &tz)).collect(),
        empty,
        next: next.map(|c| format!("/articles/bookmarks?cursor={c}")),
        can_write: false,
        my_id: me.id.to_string(),
    };
    Ok(web.render(&state, &page))
}

#[derive(Template)]
#[template(path = "article_tags.html")]
pub(super) struct TagsPage {
    layout: Layout,
    tags: Vec<TagLink>,
}

pub(super) async fn tags_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.auth.as_ref().map(|a| &a.user);
    let tags = articles::tags(&state.ctx, me, 500).await?;
    Ok(web.render(
        &state,
        &TagsPage {
            layout: web.layout(),
            tags: tag_links(&tags),
        },
    ))
}
