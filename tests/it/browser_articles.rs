//! Browser tests for articles: the writing-to-reading flow, and the XSS corpus
//! rendered in a real browser.

use fantoccini::Locator;
use serde_json::json;

use crate::support::{TestApp, browser::Browser, mentor_profile};

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentor_drafts_and_publishes_then_a_mentee_finds_it_by_tag_bookmarks_and_comments() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["career"], &[], 10),
        )
        .await;
    let mentee = app.register("mentee@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/mentorships/{}/accept", m["id"].as_str().unwrap()),
            mentor.token(),
            json!({}),
        )
        .await;
    assert!(s.is_success());
    let Some(b) = Browser::start().await else {
        return;
    };

    // The mentor writes a draft; the preview follows the typing.
    b.sign_in(&app.base, "author@example.com", PASSWORD).await;
    b.goto(&app.url("/articles")).await;
    b.click("a[href='/articles/new']").await;
    assert_eq!(b.wait_for_path("/articles/new").await, "/articles/new");
    b.fill("#title", "Preparing for system design interviews")
        .await;
    b.fill(
        "#content",
        "## Start with the requirements\n\nAsk **questions** first.\n\n- scale\n- latency",
    )
    .await;
    b.fill("#tags", "interviews, system design").await;
    b.client
        .find(Locator::Css("#visibility option[value='my_mentees']"))
        .await
        .expect("visibility option")
        .click()
        .await
        .expect("choose visibility");
    let mut previewed = false;
    for _ in 0..50 {
        if b.text("#preview")
            .await
            .contains("Start with the requirements")
        {
            previewed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(previewed, "the live preview shows the heading");
    assert_eq!(
        b.text("#preview strong").await,
        "questions",
        "rendered, not raw Markdown"
    );
    b.screenshot("articles-01-editor").await;
    b.click_button("Save draft").await;
    let mut edit = b.path().await;
    for _ in 0..100 {
        if edit.ends_with("/edit") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        edit = b.path().await;
    }
    assert!(edit.ends_with("/edit"), "{edit}");
    assert!(b.text(".flash").await.contains("Article saved"));

    // Publish it from the editor.
    b.click_button("Publish").await;
    let slug_path = edit.trim_end_matches("/edit").to_string();
    assert_eq!(b.wait_for_path(&slug_path).await, slug_path);
    assert!(b.text(".flash").await.contains("Published"));
    assert_eq!(
        b.text("#article-title").await,
        "Preparing for system design interviews"
    );
    b.screenshot("articles-02-published").await;

    // The mentee finds it by its tag, bookmarks it and comments.
    let r = b.twin().await;
    r.sign_in(&app.base, "mentee@example.com", PASSWORD).await;
    r.goto(&app.url("/articles")).await;
    r.click("a.chip[href='/articles?tag=interviews']").await;
    assert!(r.wait_for_text("Tagged interviews").await);
    r.screenshot("articles-03-feed-by-tag").await;
    r.click(&format!("a[href='{slug_path}']")).await;
    assert_eq!(r.wait_for_path(&slug_path).await, slug_path);
    assert!(r.text("#views").await.starts_with("1 view"));
    r.click_button("Bookmark").await;
    assert!(r.wait_for_text("Saved to your bookmarks").await);
    r.fill("#comment-body", "Thanks, this helped me prepare!")
        .await;
    r.click_button("Post comment").await;
    assert!(r.wait_for_text("Comment posted").await);
    assert!(
        r.text("#comments")
            .await
            .contains("Thanks, this helped me prepare!")
    );
    r.screenshot("articles-04-comment").await;
    r.goto(&app.url("/articles/bookmarks")).await;
    assert!(
        r.text("main")
            .await
            .contains("Preparing for system design interviews")
    );
    r.close().await;

    // The author sees the comment and the view count on their page.
    b.goto(&app.url(&slug_path)).await;
    assert!(
        b.text("#comments")
            .await
            .contains("Thanks, this helped me prepare!")
    );
    assert!(
        b.text("#views").await.starts_with("1 view"),
        "the author's reads do not count"
    );
    b.close().await;

    // Someone who is not the mentor's mentee does not see it anywhere.
    let stranger = app.register("stranger@example.com").await;
    let (_, feed) = app
        .get("/api/v1/articles?tag=interviews", stranger.token())
        .await;
    assert_eq!(feed["items"].as_array().unwrap().len(), 0);
}

/// Every payload of the corpus, in an article's body, title and tags and in a comment,
/// shown by a real browser: no script runs (no alert opens, no marker is set) and no
/// dangerous element, handler or URL survives in the page's DOM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xss_corpus_is_inert_in_the_browser() {
    let corpus: Vec<&str> = include_str!("../data/xss_payloads.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(corpus.len() >= 50);
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "evil@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let reader = app.register("victim@example.com").await;
    // A few articles, each carrying a slice of the corpus everywhere user text goes.
    let mut slugs = vec![];
    for (i, chunk) in corpus.chunks(10).enumerate() {
        let body = chunk
            .iter()
            .map(|p| p.replace("alert(1)", "window.__xss=1"))
            .collect::<Vec<_>>()
            .join("\n\n");
        let (s, a) = app
            .post(
                "/api/v1/articles",
                mentor.token(),
                json!({"title": format!("{} {i}", chunk[0]), "content": body,
                       "tags": chunk.iter().take(3).map(|p| p.chars().take(40).collect::<String>()).collect::<Vec<_>>()}),
            )
            .await;
        assert!(s.is_success(), "{a}");
        let id = a["id"].as_str().unwrap();
        app.post(
            &format!("/api/v1/articles/{id}/publish"),
            mentor.token(),
            json!({}),
        )
        .await;
        for p in chunk {
            let (s, c) = app
                .post(
                    &format!("/api/v1/articles/{id}/comments"),
                    reader.token(),
                    json!({"body": p}),
                )
                .await;
            assert!(s.is_success(), "{c}");
        }
        slugs.push(a["slug"].as_str().unwrap().to_string());
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.base, "victim@example.com", PASSWORD).await;
    let mut pages: Vec<String> = slugs.iter().map(|s| format!("/articles/{s}")).collect();
    pages.extend(["/articles".into(), "/articles/tags".into(), "/".into()]);
    let check = r#"
        const bad = [];
        const allowedScript = (s) => /^\/static\/app\.js\?v=[0-9a-f]{16}$/.test(s.getAttribute('src') || '');
        for (const s of document.querySelectorAll('script')) if (!allowedScript(s)) bad.push('script');
        for (const tag of ['iframe','object','embed','style','link:not([href^="/static/app.css?v="]):not([href="/static/icon.svg"])','meta[http-equiv]','form:not([method])','base','svg','math','template','video','audio','marquee','isindex']) {
          for (const el of document.querySelectorAll('main ' + tag)) bad.push(tag);
        }
        for (const el of document.querySelectorAll('main *')) {
          for (const a of el.attributes) {
            const v = a.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
            if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
            if (a.name === 'style') bad.push(el.tagName + ' style');
            if (['href','src','action','formaction','data','background','srcdoc'].includes(a.name) &&
                (v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:'))) bad.push(el.tagName + ' ' + a.name + '=' + v);
          }
        }
        return { bad, fired: window.__xss === 1 };
    "#;
    for (i, p) in pages.iter().enumerate() {
        b.goto(&app.url(p)).await;
        // An alert that opened would be the payload running.
        assert!(
            b.client.get_alert_text().await.is_err(),
            "an alert opened on {p}"
        );
        let r = b
            .client
            .execute(check, vec![])
            .await
            .expect("inspect the DOM");
        assert_eq!(r["fired"], false, "a payload ran on {p}");
        assert_eq!(r["bad"], json!([]), "dangerous markup survived on {p}");
        if i == 0 {
            b.screenshot("articles-05-xss-inert").await;
        }
    }
    b.close().await;
}
