//! Articles: the visibility matrix through every endpoint, writing and publishing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, assert_problem, mentor_profile};

/// Has `mentee` ask `mentor` for mentorship and `mentor` accept; returns its id.
async fn accepted_mentorship(app: &TestApp, mentor: &Session, mentee: &Session) -> String {
    let (s, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let (s, m) = app
        .post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    id
}

pub async fn write(app: &TestApp, author: &Session, body: Value) -> Value {
    let (s, a) = app.post("/api/v1/articles", author.token(), body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

pub async fn publish(app: &TestApp, author: &Session, id: &str) -> Value {
    let (s, a) = app
        .post(
            &format!("/api/v1/articles/{id}/publish"),
            author.token(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    a
}

pub fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_visibility_matrix_holds_through_every_endpoint() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let author = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let other_mentor = app
        .approved_mentor(
            &admin,
            "other@example.com",
            mentor_profile(&["go"], &[], 10),
        )
        .await;
    let member = app.register("member@example.com").await;
    let my_mentee = app.register("mine@example.com").await;
    let their_mentee = app.register("theirs@example.com").await;
    accepted_mentorship(&app, &author, &my_mentee).await;
    accepted_mentorship(&app, &other_mentor, &their_mentee).await;

    // Six articles: each visibility, published and draft.
    let mut articles = vec![];
    for vis in ["public", "members", "my_mentees"] {
        for published in [true, false] {
            let a = write(
                &app,
                &author,
                json!({"title": format!("Zebra notes {vis} {published}"), "content": "Stripes and **more**.",
                       "tags": ["Matrix"], "visibility": vis}),
            )
            .await;
            let id = a["id"].as_str().unwrap().to_string();
            if published {
                publish(&app, &author, &id).await;
            }
            articles.push((id, vis, published));
        }
    }

    // (name, session, is the author's mentee, is author, is admin)
    let readers: Vec<(&str, Option<&Session>, bool, bool, bool)> = vec![
        ("anonymous", None, false, false, false),
        ("member", Some(&member), false, false, false),
        ("author's mentee", Some(&my_mentee), true, false, false),
        (
            "another mentor's mentee",
            Some(&their_mentee),
            false,
            false,
            false,
        ),
        ("author", Some(&author), false, true, false),
        ("admin", Some(&admin), false, false, true),
    ];
    for (name, who, mentee, is_author, is_admin) in &readers {
        let token = who.and_then(|s| s.token());
        let feed = ids(&app.get("/api/v1/articles?tag=matrix", token).await.1);
        let search = ids(&app.get("/api/v1/articles?q=zebra", token).await.1);
        let kb = ids(&app
            .get(
                &format!("/api/v1/mentors/{}/articles", author.user_id),
                token,
            )
            .await
            .1);
        for (id, vis, published) in &articles {
            let may = *is_author
                || *is_admin
                || (*published
                    && match *vis {
                        "public" => true,
                        "members" => who.is_some(),
                        _ => *mentee,
                    });
            let case = format!("{name} × {vis} × published={published}");
            let direct = app.get(&format!("/api/v1/articles/{id}"), token).await;
            assert_eq!(
                direct.0 == StatusCode::OK,
                may,
                "direct link: {case}: {}",
                direct.1
            );
            if !may {
                assert_problem(&direct, 404, "not_found");
            }
            let comments = app
                .get(&format!("/api/v1/articles/{id}/comments"), token)
                .await;
            assert_eq!(comments.0 == StatusCode::OK, may, "comments: {case}");
            assert_eq!(kb.contains(id), may, "knowledge base: {case}");
            assert_eq!(feed.contains(id), may && *published, "feed: {case}");
            assert_eq!(search.contains(id), may && *published, "search: {case}");

            let bm = app
                .post(&format!("/api/v1/articles/{id}/bookmark"), token, json!({}))
                .await;
            let cm = app
                .post(
                    &format!("/api/v1/articles/{id}/comments"),
                    token,
                    json!({"body": format!("comment by {name}")}),
                )
                .await;
            match (who.is_some(), may, *published) {
                (false, _, _) => {
                    assert_problem(&bm, 401, "unauthenticated");
                    assert_problem(&cm, 401, "unauthenticated");
                }
                (true, false, _) => {
                    assert_problem(&bm, 404, "not_found");
                    assert_problem(&cm, 404, "not_found");
                }
                (true, true, false) => {
                    assert_problem(&bm, 409, "not_published");
                    assert_problem(&cm, 409, "not_published");
                }
                (true, true, true) => {
                    assert_eq!(bm.0, StatusCode::OK, "bookmark: {case}: {}", bm.1);
                    assert_eq!(bm.1["bookmarked"], true);
                    assert_eq!(cm.0, StatusCode::CREATED, "comment: {case}: {}", cm.1);
                }
            }
        }
        if let Some(s) = who {
            let marks = ids(&app.get("/api/v1/me/bookmarks", s.token()).await.1);
            let want: Vec<String> = articles
                .iter()
                .filter(|(_, vis, published)| {
                    *published && (*is_author || *is_admin || *vis != "my_mentees" || *mentee)
                })
                .map(|(id, _, _)| id.clone())
                .collect();
            let mut got = marks.clone();
            got.sort();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "bookmarks of {name}");
        }
    }

    // Without a current mentorship, my_mentees articles disappear everywhere, even
    // from the bookmarks made while it lasted.
    let mentorship =
        sqlx::query_scalar::<_, String>("SELECT id FROM mentorships WHERE mentee_id = $1")
            .bind(&my_mentee.user_id)
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap();
    let (s, body) = app
        .post(
            &format!("/api/v1/mentorships/{mentorship}/end"),
            my_mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (mine_id, _, _) = articles
        .iter()
        .find(|(_, v, p)| *v == "my_mentees" && *p)
        .unwrap();
    assert_problem(
        &app.get(&format!("/api/v1/articles/{mine_id}"), my_mentee.token())
            .await,
        404,
        "not_found",
    );
    let marks = ids(&app.get("/api/v1/me/bookmarks", my_mentee.token()).await.1);
    assert!(!marks.contains(mine_id));
    assert_eq!(marks.len(), 2, "public and members remain: {marks:?}");

    // A suspended author's articles are hidden from everyone but admins.
    let (s, body) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", author.user_id),
            admin.token(),
            json!({"reason": "test"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (public_id, _, _) = &articles[0];
    assert_problem(
        &app.get(&format!("/api/v1/articles/{public_id}"), None)
            .await,
        404,
        "not_found",
    );
    assert!(ids(&app.get("/api/v1/articles", None).await.1).is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/articles/{public_id}"), admin.token())
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn mentors_write_edit_publish_and_delete() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "writer@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let member = app.register("reader@example.com").await;

    // Only approved mentors write.
    assert_problem(
        &app.post(
            "/api/v1/articles",
            member.token(),
            json!({"title": "Mine", "content": "x"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.post("/api/v1/articles", None, json!({"title": "Mine"}))
            .await,
        401,
        "unauthenticated",
    );
    // Bad input: clear field errors, nothing written.
    let bad = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "  ", "content": "x".repeat(100_001), "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>(), "visibility": "everyone"}),
        )
        .await;
    assert_problem(&bad, 422, "invalid_input");
    let fields: Vec<&str> = bad.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["title", "content", "tags", "visibility"],
        "{}",
        bad.1
    );
    assert_problem(
        &app.post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "x", "extra": 1}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (_, feed) = app
        .get("/api/v1/articles?status=draft", mentor.token())
        .await;
    assert!(ids(&feed).is_empty());

    let a = write(
        &app,
        &mentor,
        json!({"title": "Ownership, explained!", "content": "# Borrowing\n\nOne *owner*.",
               "tags": ["Rust", " rust ", "Memory  Safety"]}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    let slug = a["slug"].as_str().unwrap().to_string();
    assert!(slug.starts_with("ownership-explained-"), "{slug}");
    assert_eq!(a["status"], "draft");
    assert_eq!(a["visibility"], "public");
    assert_eq!(a["tags"], json!(["rust", "memory safety"]));
    assert!(a["html"].as_str().unwrap().contains("<h1>Borrowing</h1>"));
    assert_eq!(
        a["excerpt"], "One owner.",
        "the heading does not run into the text"
    );
    assert!(a["published_at"].is_null());
    // A draft is the author's own.
    assert_problem(
        &app.get(&format!("/api/v1/articles/{id}"), member.token())
            .await,
        404,
        "not_found",
    );
    let mine = ids(&app
        .get("/api/v1/articles?status=draft", mentor.token())
        .await
        .1);
    assert_eq!(mine, std::slice::from_ref(&id));

    // Publishing an empty article is refused.
    let empty = write(&app, &mentor, json!({"title": "Empty"})).await;
    assert_problem(
        &app.post(
            &format!("/api/v1/articles/{}/publish", empty["id"].as_str().unwrap()),
            mentor.token(),
            json!({}),
        )
        .await,
        422,
        "invalid_input",
    );

    app.clock.advance(jiff::SignedDuration::from_secs(60));
    let p = publish(&app, &mentor, &id).await;
    assert_eq!(p["status"], "published");
    let published_at = p["published_at"].as_str().unwrap().to_string();
    // Someone else cannot edit, publish or delete it.
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{id}"),
            member.token(),
            Some(json!({"title": "Hacked"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/articles/{id}"),
            member.token(),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Editing keeps the slug, moves updated_at, re-renders.
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    let (s, e) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{id}"),
            mentor.token(),
            Some(json!({"title": "Ownership, revisited", "content": "Two **owners**? No."})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["slug"], slug);
    assert_eq!(e["title"], "Ownership, revisited");
    assert_eq!(e["tags"], json!(["rust", "memory safety"]), "tags kept");
    assert!(
        e["html"]
            .as_str()
            .unwrap()
            .contains("<strong>owners</strong>")
    );
    assert_ne!(e["updated_at"], p["updated_at"]);
    assert_eq!(e["published_at"], published_at.as_str());

    // Unpublish hides it; publishing again keeps the first publication time.
    let (s, u) = app
        .post(
            &format!("/api/v1/articles/{id}/unpublish"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!((s, u["status"].as_str()), (StatusCode::OK, Some("draft")));
    assert!(ids(&app.get("/api/v1/articles", None).await.1).is_empty());
    let again = publish(&app, &mentor, &id).await;
    assert_eq!(again["published_at"], published_at.as_str());

    // Search finds the body, the title and the tags.
    for q in ["owners", "revisited", "memory"] {
        let found = ids(&app.get(&format!("/api/v1/articles?q={q}"), None).await.1);
        assert_eq!(found, std::slice::from_ref(&id), "q={q}");
    }
    assert!(ids(&app.get("/api/v1/articles?q=python", None).await.1).is_empty());
    let by_author = ids(&app
        .get(&format!("/api/v1/articles?author={}", mentor.user_id), None)
        .await
        .1);
    assert_eq!(by_author, std::slice::from_ref(&id));
    assert_problem(
        &app.get("/api/v1/articles?author=nope", None).await,
        422,
        "invalid_input",
    );

    // Comments and bookmarks go with the article.
    app.post(
        &format!("/api/v1/articles/{id}/bookmark"),
        member.token(),
        json!({}),
    )
    .await;
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/articles/{id}"),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_problem(
        &app.get(&format!("/api/v1/articles/{id}"), mentor.token())
            .await,
        404,
        "not_found",
    );
    assert!(ids(&app.get("/api/v1/me/bookmarks", member.token()).await.1).is_empty());
}

/// Comments and bookmarks racing the article's deletion: each answers as before, 404
/// (deleted before it was checked) or 409 `changed_meanwhile` (checked, then deleted
/// before the write: its foreign key refuses the row), never 500. Rounds of sixteen
/// requests around one delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_racing_the_articles_deletion_never_answer_500() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let author = app
        .approved_mentor(
            &admin,
            "author@example.com",
            crate::support::mentor_profile(&["writing"], &[], 10),
        )
        .await;
    let reader = app.register("reader@example.com").await;
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..10 {
        let (s, a) = app
            .post(
                "/api/v1/articles",
                author.token(),
                json!({"title": "Short-lived", "content": "Soon gone.", "tags": [], "visibility": "public"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let id = a["id"].as_str().unwrap().to_string();
        let (s, _) = app
            .post(
                &format!("/api/v1/articles/{id}/publish"),
                author.token(),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let calls = (0..16).map(|i| {
            let (app, id) = (&app, id.clone());
            let (author, reader) = (author.token(), reader.token());
            async move {
                let path = format!("/api/v1/articles/{id}");
                match i {
                    8 => {
                        app.call(reqwest::Method::DELETE, &path, author, None)
                            .await
                            .0
                    }
                    i if i % 2 == 1 => {
                        app.post(&format!("{path}/comments"), reader, json!({"body": "Nice"}))
                            .await
                            .0
                    }
                    _ => {
                        app.post(&format!("{path}/bookmark"), reader, json!({}))
                            .await
                            .0
                    }
                }
            }
        });
        for s in futures_util::future::join_all(calls).await {
            *answers.entry(s.as_u16()).or_default() += 1;
        }
    }
    assert!(
        answers.keys().all(|s| *s < 500),
        "no server error: {answers:?}"
    );
    assert!(
        answers.contains_key(&409),
        "the race was met (checked, then gone): {answers:?}"
    );
}

/// An article's author hears of each comment someone else leaves on it (in the app;
/// the notification settings offer it), never of their own.
#[tokio::test]
async fn the_author_is_told_of_comments() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let author = app
        .approved_mentor(&admin, "writer@example.com", mentor_profile(&["x"], &[], 1))
        .await;
    let reader = app.register("reader@example.com").await;
    let a = write(
        &app,
        &author,
        json!({"title": "On reviews", "content": "Read the diff twice."}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    publish(&app, &author, &id).await;
    let count = |n: &Value| {
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "article_comment")
            .count()
    };
    for (who, body) in [(&reader, "Twice at least!"), (&author, "Thanks")] {
        let (status, b) = app
            .post(
                &format!("/api/v1/articles/{id}/comments"),
                who.token(),
                json!({"body": body}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
    }
    let (_, notes) = app.get("/api/v1/notifications", author.token()).await;
    assert_eq!(count(&notes), 1, "{notes}");
    let note = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "article_comment")
        .unwrap();
    assert!(
        note["title"]
            .as_str()
            .unwrap()
            .contains("commented on “On reviews”"),
        "{note}"
    );
    assert!(
        note["link"].as_str().unwrap().ends_with("#comments"),
        "{note}"
    );
    let (_, notes) = app.get("/api/v1/notifications", reader.token()).await;
    assert_eq!(count(&notes), 0, "{notes}");
}
