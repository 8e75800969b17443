//! Article pages over plain HTTP: the editor's forms, the preview, visibility on
//! pages, escaping, bookmarks and comments through forms.

use reqwest::{Client, StatusCode, header};
use serde_json::json;

use crate::{
    support::{TestApp, mentor_profile},
    web_mentors::{client, csrf_of, sign_in, text},
};

const PASSWORD: &str = "correct horse battery";

async fn post_form(
    c: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_mentor_writes_previews_saves_and_publishes_through_forms() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.approved_mentor(
        &admin,
        "writer@example.com",
        mentor_profile(&["rust"], &[], 10),
    )
    .await;
    app.register("plain@example.com").await;

    // A member who is not a mentor cannot open the editor.
    let plain = sign_in(&app, "plain@example.com", PASSWORD).await;
    let (s, html) = text(&plain, &app, "/articles/new").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("approved mentors"), "{html}");
    // Anonymous visitors are sent to sign in.
    let res = client().get(app.url("/articles/new")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login?next="));

    let c = sign_in(&app, "writer@example.com", PASSWORD).await;
    let (s, html) = text(&c, &app, "/articles/new").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);

    // The live preview renders sanitised HTML, and needs the form's token.
    let res = post_form(
        &c,
        &app,
        "/articles/preview",
        &[
            ("csrf", &csrf),
            ("content", "# Hi\n\n<script>x()</script>[a](javascript:x())"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("<h1>Hi</h1>"), "{preview}");
    assert!(
        !preview.contains("<script") && !preview.contains("href=\"javascript"),
        "{preview}"
    );
    let res = post_form(
        &c,
        &app,
        "/articles/preview",
        &[("csrf", "wrong"), ("content", "x")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_form(
        &client(),
        &app,
        "/articles/preview",
        &[("csrf", &csrf), ("content", "x")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Invalid input comes back with the text kept and a message.
    let res = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", &csrf),
            ("title", ""),
            ("content", "Kept text"),
            ("tags", ""),
            ("visibility", "public"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Kept text") && html.contains("required"),
        "{html}"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing saved");

    // The no-JavaScript preview button shows the rendering without saving.
    let res = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", &csrf),
            ("title", "T"),
            ("content", "**bold**"),
            ("tags", ""),
            ("visibility", "public"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("<strong>bold</strong>"));

    // Save a draft: back to the editor.
    let res = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", &csrf),
            ("title", "Interview tips"),
            ("content", "Practise **out loud**."),
            ("tags", "Career, interviews"),
            ("visibility", "members"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit = location(&res);
    assert!(
        edit.starts_with("/articles/interview-tips-") && edit.ends_with("/edit"),
        "{edit}"
    );
    let slug = edit
        .trim_start_matches("/articles/")
        .trim_end_matches("/edit")
        .to_string();
    let (_, html) = text(&c, &app, &edit).await;
    assert!(html.contains("value=\"career, interviews\""), "{html}");
    assert!(html.contains("<option value=\"members\" selected>"));
    // A draft is not on the feed, nor for others.
    let (_, feed) = text(&plain, &app, "/articles").await;
    assert!(!feed.contains("Interview tips"));
    let (s, _) = text(&plain, &app, &format!("/articles/{slug}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Publish from the article page.
    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/publish"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(location(&res), format!("/articles/{slug}"));
    let (s, html) = text(&plain, &app, &format!("/articles/{slug}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<strong>out loud</strong>"));
    assert!(html.contains("1 view"), "the member's read counted");
    assert!(
        html.contains("Book a session with "),
        "a reader may book the author"
    );
    let (_, own) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert!(
        !own.contains("Book a session with ") && own.contains("Your articles"),
        "not the author with themselves"
    );
    // Members-only: not for anonymous visitors, not on their feed; a shared link
    // asks them to sign in and comes back to the article.
    let visitor = client();
    let res = visitor
        .get(app.url(&format!("/articles/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/login?next=/articles/{slug}"));
    let (_, login) = text(&visitor, &app, &location(&res)).await;
    assert!(
        login.contains("This article is for members: sign in to read it."),
        "{login}"
    );
    let (s, body) = text(&client(), &app, "/articles/no-such-article-0000").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a slug that is not there: {body}");
    let (_, feed) = text(&client(), &app, "/articles").await;
    assert!(!feed.contains("Interview tips"));
    let (_, feed) = text(&plain, &app, "/articles?tag=interviews").await;
    assert!(feed.contains("Interview tips"));
    assert!(feed.contains("chip-on"), "the chosen tag chip is marked");
    let (_, tags) = text(&plain, &app, "/articles/tags").await;
    assert!(tags.contains("career") && tags.contains("interviews"));
    let (_, tags) = text(&client(), &app, "/articles/tags").await;
    assert!(
        !tags.contains("interviews"),
        "tags of hidden articles do not show"
    );

    // The mentor's profile lists it for members.
    let mentor_id: String = sqlx::query_scalar("SELECT author_id FROM articles")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    let (_, profile) = text(&plain, &app, &format!("/mentors/{mentor_id}")).await;
    assert!(profile.contains("Interview tips"));
    // The feed by author; a cut-short author link finds nothing and says so.
    let (s, by) = text(&plain, &app, &format!("/articles?author={mentor_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(by.contains("Interview tips"), "{by}");
    assert!(by.contains("By <strong>Test writer</strong>."), "{by}");
    for other in [&mentor_id[..8], "00000000-0000-0000-0000-000000000000"] {
        let (s, by) = text(&plain, &app, &format!("/articles?author={other}")).await;
        assert_eq!(s, StatusCode::OK, "{by}");
        assert!(!by.contains("Interview tips"), "{by}");
        assert!(by.contains("No published article by this author."), "{by}");
        assert!(by.contains("This author link leads to no one"), "{by}");
    }
    let (_, kb) = text(&c, &app, &format!("/mentors/{mentor_id}/articles")).await;
    assert!(kb.contains("Your articles") && kb.contains("Interview tips"));
    // The author's figures on the dashboard.
    let (_, dash) = text(&c, &app, "/dashboard").await;
    assert!(
        dash.contains("1 published, 0 drafts, read 1 time."),
        "{dash}"
    );
    // For the author's mentees only: a member who is not one is told so (403), as a
    // visitor is asked to sign in, rather than "does not exist".
    sqlx::query("UPDATE articles SET visibility = 'my_mentees'")
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    let (s, html) = text(&plain, &app, &format!("/articles/{slug}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("This article is for its author"), "{html}");
    // Deleting asks first without the browser's dialog, then deletes.
    let (_, page) = text(&c, &app, &format!("/articles/{slug}")).await;
    let csrf = csrf_of(&page);
    let delete = format!("/articles/{slug}/delete");
    let res = post_form(&c, &app, &delete, &[("csrf", csrf.as_str())]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("Delete “Interview tips”?") && ask.contains("unpublish it instead"),
        "{ask}"
    );
    let (s, _) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert_eq!(s, StatusCode::OK, "still there");
    let res = post_form(
        &c,
        &app,
        &delete,
        &[("csrf", csrf.as_str()), ("confirmed", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn readers_bookmark_and_comment_through_forms_and_text_is_escaped() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "host@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    app.register("reader@example.com").await;
    let (s, a) = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "<img src=x onerror=alert(1)> Title", "content": "Body",
                   "tags": ["<script>alert(1)</script>"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap();
    let slug = a["slug"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/articles/{id}/publish"),
        mentor.token(),
        json!({}),
    )
    .await;

    let c = sign_in(&app, "reader@example.com", PASSWORD).await;
    for path in [
        "/articles".to_string(),
        format!("/articles/{slug}"),
        "/".to_string(),
        "/articles/tags".to_string(),
    ] {
        let (_, html) = text(&c, &app, &path).await;
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;") || path == "/articles/tags",
            "{path}: {html}"
        );
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("<script>alert"), "{path}");
    }
    let (_, html) = text(&c, &app, &format!("/articles/{slug}")).await;
    let csrf = csrf_of(&html);

    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/bookmark"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, marks) = text(&c, &app, "/articles/bookmarks").await;
    assert!(marks.contains("Title") && marks.contains("My bookmarks"));
    // A search with nothing to search for says so above the articles it shows.
    let (_, feed) = text(&c, &app, "/articles?q=%F0%9F%9A%80").await;
    assert!(
        feed.contains("“🚀” holds no letter or digit to search for, so every article is shown."),
        "{feed}"
    );
    // Unpublished for a while: the list says the saved article cannot be read now,
    // not that nothing was saved; published again, it is back.
    for (action, gone) in [("unpublish", true), ("publish", false)] {
        let (s, _) = app
            .post(
                &format!("/api/v1/articles/{id}/{action}"),
                mentor.token(),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, marks) = text(&c, &app, "/articles/bookmarks").await;
        assert_eq!(
            marks.contains("The article you saved cannot be read now"),
            gone,
            "{marks}"
        );
        assert!(!marks.contains("Nothing saved yet"), "{marks}");
    }
    let (_, html) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert!(html.contains("Bookmarked ✓"));

    // An empty comment is refused with a message; a real one shows, escaped.
    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/comments"),
        &[("csrf", &csrf), ("body", "  ")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/comments"),
        &[
            ("csrf", &csrf),
            ("body", "Nice <b>post</b>, see https://example.com/more."),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert!(html.contains("Nice &#60;b&#62;post&#60;/b&#62;"), "{html}");
    // A web address in a comment is a link, as in chat; the text around it stays text.
    assert!(
        html.contains("<a href=\"https://example.com/more\" rel=\"nofollow noopener noreferrer ugc\" target=\"_blank\">https://example.com/more</a>."),
        "{html}"
    );
    assert!(html.contains("Comments (1)"));
    // Without the token, nothing happens.
    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/comments"),
        &[("csrf", "nope"), ("body", "forged")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The reader deletes their own comment and removes the bookmark.
    let comment_id: String = sqlx::query_scalar("SELECT id FROM article_comments")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    // Without the browser's dialog, a page asks first and nothing goes yet.
    let res = post_form(
        &c,
        &app,
        &format!("/comments/{comment_id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("Delete this comment?") && ask.contains("Your comment on “"),
        "{ask}"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM article_comments")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
    let res = post_form(
        &c,
        &app,
        &format!("/comments/{comment_id}/delete"),
        &[("csrf", &csrf), ("confirmed", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same delete again (a second tab): back to the article, saying it is gone.
    let back = format!("/articles/{slug}#comments");
    for confirmed in ["", "1"] {
        let res = post_form(
            &c,
            &app,
            &format!("/comments/{comment_id}/delete"),
            &[("csrf", &csrf), ("confirmed", confirmed), ("back", &back)],
        )
        .await;
        assert_eq!(location(&res), back);
        let said = crate::web_confirm::flash_after(&c, &app, res).await;
        assert!(
            said.contains("That comment is not there any more"),
            "{said}"
        );
    }
    let res = post_form(
        &c,
        &app,
        &format!("/articles/{slug}/unbookmark"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert!(html.contains("Comments (0)") && html.contains(">Bookmark</button>"));
}

/// Reading: the time it takes, a ~70-character column, plain excerpts (no heading run
/// into the text, no table syntax, `Vec<T>` intact), and the author's card ending in
/// a way to book them.
#[tokio::test]
async fn an_article_reads_well_and_ends_with_its_author() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let author = app
        .approved_mentor(
            &admin,
            "author@example.com",
            crate::support::mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let body = format!(
        "# Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nPrefer `Vec<T>` over arrays. {}",
        "More words. ".repeat(300)
    );
    let a = crate::articles::write(
        &app,
        &author,
        serde_json::json!({"title": "Collections", "content": body}),
    )
    .await;
    let a = crate::articles::publish(&app, &author, a["id"].as_str().unwrap()).await;
    let c = crate::web_mentors::client();
    let (_, page) = crate::web_mentors::text(
        &c,
        &app,
        &format!("/articles/{}", a["slug"].as_str().unwrap()),
    )
    .await;
    assert!(
        page.contains("<span id=\"reading-time\">3 min read</span>"),
        "{page}"
    );
    assert!(page.contains(&format!(
        "href=\"/mentors/{}#book\">Book a session with",
        author.user_id
    )));
    let (_, feed) = crate::web_mentors::text(&c, &app, "/articles").await;
    assert!(
        feed.contains("Prefer Vec&#60;T&#62; over arrays."),
        "{feed}"
    );
    assert!(!feed.contains("Intro Prefer") && !feed.contains("|---|"));
}

/// The key of a rendered form (its hidden `form_key`).
fn form_key_of(html: &str) -> String {
    let marker = "name=\"form_key\" value=\"";
    let start = html.find(marker).expect("a form_key field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A form that creates something, sent again from the same page (Back, then the same
/// button; or two clicks at once), does its work once and leads to what the first
/// sending made; a sending refused for its input lets the corrected form through.
#[tokio::test]
async fn a_form_sent_twice_makes_one_article_and_one_comment() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.approved_mentor(
        &admin,
        "twice@example.com",
        mentor_profile(&["rust"], &[], 10),
    )
    .await;
    let c = sign_in(&app, "twice@example.com", PASSWORD).await;
    let (_, editor) = text(&c, &app, "/articles/new").await;
    let (csrf, key) = (csrf_of(&editor), form_key_of(&editor));
    // A preview says what saving would refuse of the tags (twelve), and still shows
    // the text.
    let twelve = (1..=12)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let res = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", csrf.as_str()),
            ("form_key", key.as_str()),
            ("title", "Once only"),
            ("content", "Written *once*."),
            ("tags", twelve.as_str()),
            ("visibility", "public"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("At most 10 entries."), "{html}");
    assert!(
        html.contains("<em>once</em>"),
        "the preview still shows: {html}"
    );
    // A preview brings the same form back with the same key (a new one would let a
    // Back past the preview send the article a second time).
    let preview = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", csrf.as_str()),
            ("form_key", key.as_str()),
            ("title", "Once only"),
            ("content", "Written once."),
            ("tags", "rust"),
            ("visibility", "public"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(form_key_of(&preview.text().await.unwrap()), key);
    // "Publish" with no text yet is refused and saves nothing: no empty draft, and
    // the same form then publishes what was written after all.
    let refused = post_form(
        &c,
        &app,
        "/articles/new",
        &[
            ("csrf", csrf.as_str()),
            ("form_key", key.as_str()),
            ("title", "Once only"),
            ("content", " "),
            ("tags", "rust"),
            ("visibility", "public"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("Write something before publishing."),
        "{refused}"
    );
    let articles = || {
        let pool = app.ctx().db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM articles")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(articles().await, 0, "no draft left behind");
    // A title of spaces is said on the title, not on the text, in the same words
    // whether the article is published or saved as a draft; nothing is kept.
    for action in ["publish", "save"] {
        let untitled = post_form(
            &c,
            &app,
            "/articles/new",
            &[
                ("csrf", csrf.as_str()),
                ("form_key", key.as_str()),
                ("title", "   "),
                ("content", "Written."),
                ("tags", "rust"),
                ("visibility", "public"),
                ("action", action),
            ],
        )
        .await;
        assert_eq!(untitled.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let untitled = untitled.text().await.unwrap();
        assert!(
            untitled
                .contains("<p class=\"error\" id=\"title-error\">Give the article a title.</p>")
                && !untitled.contains("Write something before publishing.")
                && !untitled.contains("This field is required."),
            "{action}: {untitled}"
        );
        assert_eq!(articles().await, 0, "{action}: no draft left behind");
    }
    let article = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("title", "Once only"),
        ("content", "Written once."),
        ("tags", "rust"),
        ("visibility", "public"),
        ("action", "publish"),
    ];
    let first = post_form(&c, &app, "/articles/new", &article).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert!(
        !location(&first).ends_with("/edit"),
        "published: {}",
        location(&first)
    );
    let again = post_form(&c, &app, "/articles/new", &article).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&again),
        location(&first),
        "led to the same article"
    );
    let count = |sql: &'static str| {
        let pool = app.ctx().db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM articles").await, 1);
    let (_, page) = text(&c, &app, &location(&again)).await;
    assert!(page.contains("had been sent already"), "the page says why");

    // Comments: a refused sending (empty) lets go of the key; then two at once.
    let slug = location(&first)
        .trim_start_matches("/articles/")
        .to_string();
    let (_, page) = text(&c, &app, &format!("/articles/{slug}")).await;
    let (csrf, key) = (csrf_of(&page), form_key_of(&page));
    let path = format!("/articles/{slug}/comments");
    let empty = post_form(
        &c,
        &app,
        &path,
        &[("csrf", &csrf), ("form_key", &key), ("body", " ")],
    )
    .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let comment = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("body", "Thanks!"),
    ];
    let (a, b) = tokio::join!(
        post_form(&c, &app, &path, &comment),
        post_form(&c, &app, &path, &comment)
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(location(&a), location(&b));
    assert_eq!(count("SELECT COUNT(*) FROM article_comments").await, 1);
    // Back after posting reloads the page (it is not stored): a new key, the typed
    // text put back. The same text from the same person within minutes is the same
    // comment sent again; another text, or the same one later, is a new comment.
    let resend = |body: &'static str| {
        let (c, app, path, slug) = (&c, &app, &path, &slug);
        async move {
            let (_, page) = text(c, app, &format!("/articles/{slug}")).await;
            let form = [
                ("csrf", csrf_of(&page)),
                ("form_key", form_key_of(&page)),
                ("body", body.to_string()),
            ];
            c.post(app.url(path)).form(&form).send().await.unwrap()
        }
    };
    let again = resend("Thanks!").await;
    assert_eq!(location(&again), location(&a), "led to the first");
    assert_eq!(count("SELECT COUNT(*) FROM article_comments").await, 1);
    assert_eq!(
        resend("Thanks again!").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(count("SELECT COUNT(*) FROM article_comments").await, 2);
    // The editor reloaded by Back, its title and text put back: led to the article.
    let (_, editor) = text(&c, &app, "/articles/new").await;
    let reloaded = [
        ("csrf", csrf_of(&editor)),
        ("form_key", form_key_of(&editor)),
        ("title", "Once only".to_string()),
        ("content", "Written once.".to_string()),
        ("tags", "rust".to_string()),
        ("visibility", "public".to_string()),
        ("action", "publish".to_string()),
    ];
    let res = c
        .post(app.url("/articles/new"))
        .form(&reloaded)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), location(&first));
    assert_eq!(count("SELECT COUNT(*) FROM articles").await, 1);
    app.clock.advance(jiff::SignedDuration::from_mins(11));
    resend("Thanks!").await;
    assert_eq!(count("SELECT COUNT(*) FROM article_comments").await, 3);
}

/// Publishing for one's mentees with none yet says nobody can read it; with a mentee,
/// the usual word.
#[tokio::test]
async fn publishing_for_mentees_one_does_not_have_says_nobody_can_read_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "lonely@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let c = sign_in(&app, "lonely@example.com", PASSWORD).await;
    let publish = |title: &'static str| {
        let c = &c;
        let app = &app;
        async move {
            let (_, editor) = text(c, app, "/articles/new").await;
            let res = post_form(
                c,
                app,
                "/articles/new",
                &[
                    ("csrf", csrf_of(&editor).as_str()),
                    ("title", title),
                    ("content", "For my mentees."),
                    ("visibility", "my_mentees"),
                    ("action", "publish"),
                ],
            )
            .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            text(c, app, &location(&res)).await.1
        }
    };
    let page = publish("Only for you").await;
    assert!(
        page.contains("only your mentees may read it and you have none yet"),
        "{page}"
    );
    let mentee = app.register("reader@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    app.post(
        &format!("/api/v1/mentorships/{}/accept", m["id"].as_str().unwrap()),
        mentor.token(),
        json!({}),
    )
    .await;
    let page = publish("Now for my mentee").await;
    assert!(
        page.contains("Published: your readers can find it now."),
        "{page}"
    );
}

/// One article open in two tabs: the second save does not silently undo the first. It
/// is refused (409) with the reason and its text kept on the page; the saved article is
/// the first tab's. The API does the same with `expected_updated_at`.
#[tokio::test]
async fn a_save_from_a_stale_editor_is_refused_not_lost() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let writer = app
        .approved_mentor(
            &admin,
            "writer@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let (status, a) = app
        .post(
            "/api/v1/articles",
            writer.token(),
            json!({"title": "Two tabs", "content": "Body text", "tags": ["rust"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (id, slug) = (a["id"].as_str().unwrap(), a["slug"].as_str().unwrap());
    let c = sign_in(&app, "writer@example.com", PASSWORD).await;
    let edit = format!("/articles/{slug}/edit");
    let (_, one) = text(&c, &app, &edit).await;
    let (_, two) = text(&c, &app, &edit).await;
    let version = |html: &str| {
        let m = "name=\"version\" value=\"";
        let i = html.find(m).expect("the editor carries its version") + m.len();
        html[i..i + html[i..].find('"').unwrap()].to_string()
    };
    let save = |page: String, title: &'static str, content: &'static str| {
        let (c, app, edit) = (&c, &app, edit.clone());
        async move {
            post_form(
                c,
                app,
                &edit,
                &[
                    ("csrf", &csrf_of(&page)),
                    ("version", &version(&page)),
                    ("title", title),
                    ("content", content),
                    ("tags", "rust"),
                    ("visibility", "public"),
                ],
            )
            .await
        }
    };
    let first = save(one, "Two tabs", "Body text\n\nA paragraph from tab one.").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = save(two, "Title changed in tab two", "Body text").await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let page = second.text().await.unwrap();
    assert!(page.contains("was changed since you opened it"), "{page}");
    assert!(
        page.contains("value=\"Title changed in tab two\""),
        "kept: {page}"
    );
    let (_, saved) = app
        .get(&format!("/api/v1/articles/{id}"), writer.token())
        .await;
    assert_eq!(saved["title"], "Two tabs", "{saved}");
    assert_eq!(
        saved["content"], "Body text\n\nA paragraph from tab one.",
        "{saved}"
    );

    // The API: a stale version is refused, the current one and none are taken.
    let patch = |body: serde_json::Value| {
        let (app, writer) = (&app, &writer);
        async move {
            app.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/articles/{id}"),
                writer.token(),
                Some(body),
            )
            .await
        }
    };
    let stale = patch(json!({"title": "Stale", "expected_updated_at": a["updated_at"]})).await;
    crate::support::assert_problem(&stale, 409, "edit_conflict");
    let fresh = patch(json!({"title": "Fresh", "expected_updated_at": saved["updated_at"]})).await;
    assert_eq!(fresh.0, StatusCode::OK, "{}", fresh.1);
    let blind = patch(json!({"title": "Blind"})).await;
    assert_eq!(blind.0, StatusCode::OK, "{}", blind.1);
    assert_eq!(blind.1["title"], "Blind");
}
