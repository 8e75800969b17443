//! Reading articles: the feed's paging, views, comments, the export, and stored
//! values that do not decode.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::articles::{ids, publish, write};
use crate::support::{Session, TestApp, assert_problem, mentor_profile};

#[tokio::test]
async fn the_feed_pages_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "prolific@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let mut made = vec![];
    for i in 0..5 {
        let a = write(
            &app,
            &mentor,
            json!({"title": format!("Part {i}"), "content": "text"}),
        )
        .await;
        let id = a["id"].as_str().unwrap().to_string();
        publish(&app, &mentor, &id).await;
        made.push(id);
        app.clock.advance(jiff::SignedDuration::from_secs(10));
    }
    made.reverse();
    let mut seen = vec![];
    let mut cursor = String::new();
    loop {
        let (s, page) = app
            .get(&format!("/api/v1/articles?limit=2&cursor={cursor}"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, made);
    assert_problem(
        &app.get("/api/v1/articles?cursor=bm9wZQ", None).await,
        422,
        "invalid_input",
    );
}

#[tokio::test]
async fn views_count_once_per_viewer_per_day() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "viewed@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let member = app.register("viewer@example.com").await;
    let a = write(
        &app,
        &mentor,
        json!({"title": "Popular", "content": "read me"}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/articles/{id}");
    // A draft's reads by its author count nothing.
    app.get(&path, mentor.token()).await;
    publish(&app, &mentor, &id).await;

    let views = |v: &Value| v["views"].as_i64().unwrap();
    assert_eq!(views(&app.get(&path, member.token()).await.1), 1);
    assert_eq!(
        views(&app.get(&path, member.token()).await.1),
        1,
        "same reader, same day"
    );
    assert_eq!(
        views(&app.get(&path, None).await.1),
        2,
        "an anonymous reader"
    );
    assert_eq!(
        views(&app.get(&path, None).await.1),
        2,
        "the same anonymous reader"
    );
    let other_browser = app
        .http
        .get(app.url(&path))
        .header("user-agent", "another browser")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(views(&other_browser), 3, "another anonymous reader");
    assert_eq!(
        views(&app.get(&path, mentor.token()).await.1),
        3,
        "the author's own read"
    );

    // The next day, the same readers count again.
    app.clock.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(views(&app.get(&path, member.token()).await.1), 4);
    assert_eq!(views(&app.get(&path, None).await.1), 5);
    // Anonymous keys do not hold the address: they are salted hashes.
    let keys: Vec<String> = sqlx::query_scalar("SELECT viewer_key FROM article_views")
        .fetch_all(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(keys.len(), 5);
    assert!(keys.iter().all(|k| !k.contains("127.0.0.1")));
    // The knowledge base shows the count too.
    let kb = app
        .get(
            &format!("/api/v1/mentors/{}/articles", mentor.user_id),
            None,
        )
        .await
        .1;
    assert_eq!(kb["items"][0]["views"], 5);
}

#[tokio::test]
async fn comment_permissions_and_limits() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "host@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let alice = app.register("alice@example.com").await;
    let bob = app.register("bob@example.com").await;
    let a = write(
        &app,
        &mentor,
        json!({"title": "Discuss", "content": "thoughts?"}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    publish(&app, &mentor, &id).await;
    let comments = format!("/api/v1/articles/{id}/comments");

    assert_problem(
        &app.post(&comments, alice.token(), json!({"body": "   "}))
            .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(&comments, alice.token(), json!({"body": "x".repeat(2001)}))
            .await,
        422,
        "invalid_input",
    );
    let mut made = vec![];
    for (who, text) in [
        (&alice, "first <script>alert(1)</script>"),
        (&bob, "second"),
        (&alice, "third"),
        (&bob, "fourth"),
    ] {
        let (s, c) = app
            .post(&comments, who.token(), json!({"body": text}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        made.push(c["id"].as_str().unwrap().to_string());
    }
    let (_, list) = app.get(&comments, None).await;
    assert_eq!(ids(&list), made, "oldest first");
    assert_eq!(
        list["items"][0]["body"], "first <script>alert(1)</script>",
        "stored as text"
    );
    let (_, one) = app.get(&format!("/api/v1/articles/{id}"), None).await;
    assert_eq!(one["comment_count"], 4);

    let del = |s: &Session, cid: &str| {
        let (app, t, cid) = (&app, s.token().map(str::to_string), cid.to_string());
        async move {
            app.call(
                Method::DELETE,
                &format!("/api/v1/comments/{cid}"),
                t.as_deref(),
                None,
            )
            .await
        }
    };
    // Bob cannot delete Alice's comment; anonymous cannot delete at all.
    assert_problem(&del(&bob, &made[0]).await, 403, "forbidden");
    assert_problem(
        &app.call(
            Method::DELETE,
            &format!("/api/v1/comments/{}", made[0]),
            None,
            None,
        )
        .await,
        401,
        "unauthenticated",
    );
    // The comment's author, the article's author and an admin can.
    assert_eq!(del(&alice, &made[0]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(del(&mentor, &made[1]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(del(&admin, &made[2]).await.0, StatusCode::NO_CONTENT);
    assert_problem(&del(&admin, &made[2]).await, 404, "not_found");
    let (_, list) = app.get(&comments, None).await;
    assert_eq!(ids(&list), [made[3].clone()]);
    // The admin's moderation is in the audit log.
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'comment.delete' AND target_id = $1",
    )
    .bind(&made[2])
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn the_export_holds_articles_and_closing_an_account_erases_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "leaving@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let reader = app.register("stays@example.com").await;
    let a = write(
        &app,
        &mentor,
        json!({"title": "Farewell", "content": "bye", "tags": ["goodbye"]}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    publish(&app, &mentor, &id).await;
    let other = write(&app, &mentor, json!({"title": "Draft", "content": "x"})).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/articles/{id}/comments"),
            mentor.token(),
            json!({"body": "my own note"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.post(
        &format!("/api/v1/articles/{id}/bookmark"),
        mentor.token(),
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/v1/articles/{id}/comments"),
        reader.token(),
        json!({"body": "so long"}),
    )
    .await;

    let (s, export) = app.get("/api/v1/me/export", mentor.token()).await;
    assert_eq!(s, StatusCode::OK);
    let titles: Vec<&str> = export["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Farewell") && titles.contains(&"Draft"));
    assert_eq!(export["comments_written"][0]["body"], "my own note");
    assert_eq!(export["bookmarks"][0]["article_id"], id.as_str());

    let (s, _) = app
        .call(Method::DELETE, "/api/v1/me", mentor.token(), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for table in [
        "articles",
        "article_comments",
        "article_bookmarks",
        "article_tags",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&app.ctx().db.pool)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table} after closing the account");
    }
    assert_problem(
        &app.get(
            &format!("/api/v1/articles/{}", other["id"].as_str().unwrap()),
            admin.token(),
        )
        .await,
        404,
        "not_found",
    );
}

/// A stored value the code cannot read is an error, never a guess. Before rows were
/// decoded in the store, tags that did not parse were read as no tags and the page
/// showed the article as if it had none.
#[tokio::test]
async fn an_unreadable_stored_value_is_an_error_not_a_guess() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let author = app
        .approved_mentor(
            &admin,
            "writer@example.com",
            mentor_profile(&["writing"], &["prose"], 10),
        )
        .await;
    let a = write(
        &app,
        &author,
        json!({"title": "Readable", "content": "A body.", "visibility": "public", "tags": ["prose"]}),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    publish(&app, &author, id).await;
    let path = format!("/api/v1/articles/{id}");
    let (s, read) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_eq!(read["tags"], json!(["prose"]));
    sqlx::query("UPDATE articles SET tags = '[\"prose\"' WHERE id = $1")
        .bind(id)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    let got = app.get(&path, None).await;
    assert_problem(&got, 500, "internal_error");
    // The author is not told it is gone either: the same error.
    assert_problem(&app.get(&path, author.token()).await, 500, "internal_error");
}

/// Articles stored by an older rendering (before highlighted code and plain-text
/// excerpts) are rendered again by the maintenance pass, without counting as an edit;
/// one saved meanwhile keeps what its save stored.
#[tokio::test]
async fn articles_stored_by_an_older_rendering_are_rendered_again() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "old@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let content = "# Setup\n\nInstall it first.\n\n```rust\nlet x = 1;\n```\n";
    let a = write(
        &app,
        &mentor,
        json!({"title": "Old one", "content": content}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    publish(&app, &mentor, &id).await;
    let b = write(&app, &mentor, json!({"title": "Edited", "content": "v1"})).await;
    let edited = b["id"].as_str().unwrap().to_string();
    // As an older version stored them.
    sqlx::query(
        "UPDATE articles SET html = '<h1>Setup</h1><pre><code>let x = 1;</code></pre>', \
         excerpt = 'Setup Install it first. let x = 1;', render_version = 0",
    )
    .execute(&app.ctx().db.pool)
    .await
    .unwrap();
    let (_, before) = app
        .get(&format!("/api/v1/articles/{id}"), mentor.token())
        .await;
    assert!(
        !before["html"].as_str().unwrap().contains("hl-k"),
        "the old HTML is served"
    );

    // A save meanwhile is not overwritten.
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{edited}"),
            mentor.token(),
            Some(json!({"content": "v2 with `code`"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.tick().await;

    let (_, after) = app
        .get(&format!("/api/v1/articles/{id}"), mentor.token())
        .await;
    assert!(
        after["html"]
            .as_str()
            .unwrap()
            .contains("<span class=\"hl-k\">let</span>"),
        "{after}"
    );
    assert_eq!(after["excerpt"], "Install it first.");
    assert_eq!(after["updated_at"], before["updated_at"], "not an edit");
    let (_, e) = app
        .get(&format!("/api/v1/articles/{edited}"), mentor.token())
        .await;
    assert!(
        e["html"].as_str().unwrap().contains("<code>code</code>"),
        "{e}"
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM articles WHERE render_version < $1")
        .bind(mentorhub::domain::article::RENDER_VERSION)
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}
