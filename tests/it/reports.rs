//! Reporting content and people; the admins' moderation queue.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_problem, mentor_profile};

#[tokio::test]
async fn members_report_what_they_see_and_admins_resolve() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let reader = app.register("reader@example.com").await;
    let troll = app.register("troll@example.com").await;
    let (_, a) = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "Spammy", "content": "buy now"}),
        )
        .await;
    let article = a["id"].as_str().unwrap().to_string();
    let (_, draft) = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "Secret draft", "content": "x"}),
        )
        .await;
    app.post(
        &format!("/api/v1/articles/{article}/publish"),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, c) = app
        .post(
            &format!("/api/v1/articles/{article}/comments"),
            troll.token(),
            json!({"body": "rude words"}),
        )
        .await;
    let comment = c["id"].as_str().unwrap().to_string();

    let report = |kind: &str, id: &str, who: &crate::support::Session| {
        let body = json!({"target_type": kind, "target_id": id, "reason": "Not OK here"});
        let (app, t) = (&app, who.token().map(str::to_string));
        async move { app.post("/api/v1/reports", t.as_deref(), body).await }
    };
    // What you cannot see does not exist; nonsense is refused.
    assert_problem(
        &report("article", draft["id"].as_str().unwrap(), &reader).await,
        404,
        "not_found",
    );
    assert_problem(
        &report("planet", &article, &reader).await,
        422,
        "invalid_input",
    );
    assert_problem(
        &report("user", &reader.user_id, &reader).await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(
            "/api/v1/reports",
            reader.token(),
            json!({"target_type": "article", "target_id": article, "reason": " "}),
        )
        .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(
            "/api/v1/reports",
            None,
            json!({"target_type": "article", "target_id": article, "reason": "x"}),
        )
        .await,
        401,
        "unauthenticated",
    );
    // Reports of the article (twice: one per reporter), the comment and the troll.
    assert_eq!(
        report("article", &article, &reader).await.0,
        StatusCode::CREATED
    );
    assert_problem(
        &report("article", &article, &reader).await,
        409,
        "already_reported",
    );
    assert_eq!(
        report("article", &article, &troll).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        report("comment", &comment, &reader).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        report("user", &troll.user_id, &reader).await.0,
        StatusCode::CREATED
    );

    assert_problem(
        &app.get("/api/v1/admin/reports", reader.token()).await,
        403,
        "forbidden",
    );
    let (_, q) = app.get("/api/v1/admin/reports", admin.token()).await;
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    // Each report reached the admins as it was filed (the refused ones did not), with
    // what it is about, the reason and the way to the queue.
    let (_, n) = app
        .get("/api/v1/notifications?limit=50", admin.token())
        .await;
    let told: Vec<&serde_json::Value> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "report_filed")
        .collect();
    assert_eq!(told.len(), 4, "{n}");
    assert!(
        told.iter()
            .any(|i| i["title"] == "Reported: Article “Spammy”"
                && i["body"] == "Not OK here"
                && i["link"] == "/admin/reports"),
        "{n}"
    );
    let id_of = |kind: &str| {
        items.iter().find(|r| r["target_type"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let on_article = id_of("article");
    assert!(q.to_string().contains("Article “Spammy”"), "{q}");
    let (_, st) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(st["totals"]["reports_open"], 4);

    // Remove: the article goes back to draft, both its reports close.
    let (s, r) = app
        .post(
            &format!("/api/v1/admin/reports/{on_article}/resolve"),
            admin.token(),
            json!({"action": "remove", "note": "spam"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "actioned");
    // Whoever reported it hears how it ended (not the admins' note).
    for who in [&reader, &troll] {
        let (_, n) = app.get("/api/v1/notifications", who.token()).await;
        let decided: Vec<&serde_json::Value> = n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "report_decided")
            .collect();
        assert_eq!(decided.len(), 1, "{n}");
        assert_eq!(decided[0]["title"], "What you reported was taken down");
        assert_eq!(
            decided[0]["body"],
            "Thank you for reporting the article “Spammy”: an administrator agreed, and it was taken down."
        );
        assert!(
            !decided[0]["body"].as_str().unwrap().contains("spam"),
            "{n}"
        );
    }
    assert_problem(
        &app.get(&format!("/api/v1/articles/{article}"), reader.token())
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/reports/{on_article}/resolve"),
            admin.token(),
            json!({"action": "dismiss"}),
        )
        .await,
        409,
        "already_resolved",
    );
    // The comment is deleted, the user suspended.
    let on_comment = id_of("comment");
    let told_of_comment = || async {
        let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "article_comment")
            .map(|i| i["body"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(told_of_comment().await, ["rude words"]);
    app.post(
        &format!("/api/v1/admin/reports/{on_comment}/resolve"),
        admin.token(),
        json!({"action": "remove"}),
    )
    .await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM article_comments")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // The article's author was told of it in its words: those are gone too.
    assert_eq!(told_of_comment().await, ["(This comment was deleted.)"]);
    // Each author is told what of theirs was removed, not who reported it or why in
    // the reporter's words.
    for (who, title) in [
        (&mentor, "Your article “Spammy” was taken down"),
        (&troll, "Your comment on “Spammy” was removed"),
    ] {
        let (_, n) = app.get("/api/v1/notifications", who.token()).await;
        let removed: Vec<&serde_json::Value> = n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "content_removed")
            .collect();
        assert_eq!(removed.len(), 1, "{n}");
        assert_eq!(removed[0]["title"], title, "{n}");
        assert!(
            !removed[0]["body"].as_str().unwrap().contains("Not OK here"),
            "{n}"
        );
    }
    let on_user = id_of("user");
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/reports/{on_user}/resolve"),
            admin.token(),
            json!({"action": "ban"}),
        )
        .await,
        422,
        "invalid_input",
    );
    app.post(
        &format!("/api/v1/admin/reports/{on_user}/resolve"),
        admin.token(),
        json!({"action": "remove"}),
    )
    .await;
    assert_problem(
        &app.get("/api/v1/me", troll.token()).await,
        401,
        "invalid_token",
    );
    let (_, q) = app.get("/api/v1/admin/reports", admin.token()).await;
    assert!(q["items"].as_array().unwrap().is_empty(), "{q}");
    let (_, all) = app
        .get("/api/v1/admin/reports?status=all", admin.token())
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    // Every decision is in the audit log.
    let (_, log) = app
        .get("/api/v1/admin/audit?action=report.", admin.token())
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 3);
    // The audit page says it in words, and its filter offers the actions by name.
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/admin/audit?action=report.action").await;
    // Said of any target (it read "content removed" of a suspended person too).
    assert!(page.contains("report upheld</td>"), "{page}");
    assert!(page.contains("reports closed: 1"), "{page}");
    assert!(page.contains("status: open → actioned"), "{page}");
    assert!(
        page.contains("<option value=\"report.action\" selected>report upheld</option>"),
        "{page}"
    );
    assert!(
        !page.contains("report dismissed</td>"),
        "only the chosen action: {page}"
    );
}

#[tokio::test]
async fn reporting_and_resolving_through_the_pages() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    app.register("reader@example.com").await;
    let (_, a) = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "Offensive", "content": "x"}),
        )
        .await;
    let slug = a["slug"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/articles/{}/publish", a["id"].as_str().unwrap()),
        mentor.token(),
        json!({}),
    )
    .await;
    let c = sign_in(&app, "reader@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, &format!("/articles/{slug}")).await;
    assert!(
        html.contains("<summary>Report</summary>"),
        "readers can report"
    );
    // A blank reason (spaces pass the browser's `required`) comes back as the form
    // with the reason, on a page of its own, keeping where to go back to.
    let res = c
        .post(app.url("/reports"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("target_type", "article"),
            ("target_id", a["id"].as_str().unwrap()),
            ("reason", "   "),
            ("back", &format!("/articles/{slug}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("role=\"alert\"") && page.contains("Say what is wrong"),
        "{page}"
    );
    assert!(
        page.contains("<p id=\"reported\">Article “Offensive”</p>"),
        "it says what is reported: {page}"
    );
    assert!(
        page.contains(&format!("href=\"/articles/{slug}\"")) && page.contains("name=\"target_id\""),
        "{page}"
    );
    let res = c
        .post(app.url("/reports"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("target_type", "article"),
            ("target_id", a["id"].as_str().unwrap()),
            ("reason", "Insults"),
            ("back", &format!("/articles/{slug}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/articles/{slug}").as_str()
    );

    let adm = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&adm, &app, "/admin/stats").await;
    assert!(html.contains("1 open report"), "{html}");
    let (_, html) = text(&adm, &app, "/admin/reports").await;
    assert!(
        html.contains("Insults") && html.contains("Article “Offensive”"),
        "{html}"
    );
    let report_id: String = sqlx::query_scalar("SELECT id FROM reports")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    let res = adm
        .post(app.url(&format!("/admin/reports/{report_id}/resolve")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("action", "dismiss"),
            ("note", "fine"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Said as what it was: dismissed, the content left as it is.
    let said = crate::web_confirm::flash_after(&adm, &app, res).await;
    assert!(
        said.contains("Report dismissed: what was reported stays"),
        "{said}"
    );
    let (_, html) = text(&adm, &app, "/admin/reports").await;
    assert!(html.contains("Nothing reported"), "{html}");
    let (s, _) = text(&c, &app, "/admin/reports").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The reader is told it was looked at and left as it is.
    let (_, notes) = text(&c, &app, "/notifications").await;
    assert!(
        notes.contains("Your report was looked at")
            && notes.contains("Thank you for reporting the article “Offensive”. An administrator looked at it and left it as it is"),
        "{notes}"
    );
}

#[tokio::test]
async fn people_and_chat_messages_are_reported_from_their_pages() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let (admin, mentor, mentee, thread) = crate::messaging::pair(&app).await;
    let (_, msg) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
            json!({"content": "Something rude"}),
        )
        .await;
    let msg_id = msg["id"].as_str().unwrap().to_string();
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;

    // The mentor's page: a report form for the person, not on one's own page.
    let page = format!("/mentors/{}", mentor.user_id);
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains(r#"name="target_type" value="user""#)
            && html.contains(&format!(r#"name="target_id" value="{}""#, mentor.user_id)),
        "{html}"
    );
    let m = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, own) = text(&m, &app, &page).await;
    assert!(!own.contains("<summary>Report</summary>"), "not oneself");

    // The conversation: others' messages carry a report form, one's own do not.
    let chat = format!("/chat/{thread}");
    let (_, html) = text(&c, &app, &chat).await;
    assert!(
        html.contains(&format!(r#"name="target_id" value="{msg_id}""#)),
        "{html}"
    );
    let (_, own) = text(&m, &app, &chat).await;
    assert!(!own.contains(&format!(r#"name="target_id" value="{msg_id}""#)));

    for (kind, id, back) in [
        ("message", &msg_id, &chat),
        ("user", &mentor.user_id, &page),
    ] {
        let res = c
            .post(app.url("/reports"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("target_type", kind),
                ("target_id", id.as_str()),
                ("reason", "Rude"),
                ("back", back.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(res.headers()["location"], back.as_str());
    }
    let (_, q) = app.get("/api/v1/admin/reports", admin.token()).await;
    let mut kinds: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target_type"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["message", "user"]);
    // The admin, not in the chat, reads the reported message and who sent it.
    let item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target_type"] == "message")
        .unwrap();
    let summary = item["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Message from ")
            && summary.contains("(mentor@example.com): Something rude"),
        "{summary}"
    );
    let a = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, queue) = text(&a, &app, "/admin/reports").await;
    assert!(!queue.contains("A message since deleted"), "{queue}");
    assert!(queue.contains("Something rude"), "{queue}");
    assert!(
        queue.contains(&format!("/admin/users/{}", mentor.user_id)),
        "leads to the sender: {queue}"
    );
    // And to who reported it.
    let reporter = &mentee.user_id;
    assert!(
        queue.contains(&format!(
            "<a href=\"/admin/users/{reporter}\">mentee@example.com</a>"
        )),
        "{queue}"
    );
}

/// Admins resolving one report at once, some dismissing and some removing: exactly
/// one succeeds, the others are told it is resolved, and one decision is recorded (a
/// dismissal does not stand beside a removal that unpublished the article).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_resolutions_have_one_winner() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let reader = app.register("reader@example.com").await;
    for round in 0..5 {
        let (_, a) = app
            .post(
                "/api/v1/articles",
                mentor.token(),
                json!({"title": format!("Spammy {round}"), "content": "buy now"}),
            )
            .await;
        let article = a["id"].as_str().unwrap().to_string();
        app.post(
            &format!("/api/v1/articles/{article}/publish"),
            mentor.token(),
            json!({}),
        )
        .await;
        let (s, r) = app
            .post(
                "/api/v1/reports",
                reader.token(),
                json!({"target_type": "article", "target_id": article, "reason": "Spam"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let report = r["id"].as_str().unwrap().to_string();
        let resolves = (0..8).map(|i| {
            let (app, admin) = (&app, &admin);
            let path = format!("/api/v1/admin/reports/{report}/resolve");
            let action = if i % 2 == 0 { "dismiss" } else { "remove" };
            async move {
                let (s, body) = app
                    .post(&path, admin.token(), json!({"action": action}))
                    .await;
                (s, body, action)
            }
        });
        let answers = futures_util::future::join_all(resolves).await;
        let won: Vec<_> = answers
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::OK)
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {answers:?}");
        for (s, body, _) in &answers {
            if *s != StatusCode::OK {
                assert_eq!(body["code"], "already_resolved", "{body}");
            }
        }
        let (_, body, action) = won[0];
        let (_, now) = app
            .get(&format!("/api/v1/articles/{article}"), reader.token())
            .await;
        match *action {
            "dismiss" => {
                assert_eq!(body["status"], "dismissed");
                assert_eq!(now["id"], article.as_str(), "still published: {now}");
            }
            _ => {
                assert_eq!(body["status"], "actioned");
                assert_eq!(now["code"], "not_found", "unpublished: {now}");
            }
        }
        let (_, audit) = app
            .get("/api/v1/admin/audit?limit=100", admin.token())
            .await;
        let decisions = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["target_id"] == article.as_str()
                    && e["action"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("report."))
            })
            .count();
        assert_eq!(decisions, 1, "round {round}: {audit}");
    }
}

/// Acting on a report is one step with closing it: refused, nothing changes and the
/// report stays open; a target already gone needs nothing more; a report's reason of
/// any length can suspend (the suspension keeps its first 500 characters).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acting_on_a_report_and_closing_it_are_one_step() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "author@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let reader = app.register("reader@example.com").await;
    let troll = app.register("troll@example.com").await;
    let report = |kind: &str, id: &str, reason: &str| {
        let body = json!({"target_type": kind, "target_id": id, "reason": reason});
        let (app, t) = (&app, reader.token().map(str::to_string));
        async move {
            let (s, r) = app.post("/api/v1/reports", t.as_deref(), body).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            r["id"].as_str().unwrap().to_string()
        }
    };
    let resolve = |id: String| {
        let (app, t) = (&app, admin.token().map(str::to_string));
        async move {
            app.post(
                &format!("/api/v1/admin/reports/{id}/resolve"),
                t.as_deref(),
                json!({"action": "remove"}),
            )
            .await
        }
    };
    let open_reports = || async {
        let (_, q) = app.get("/api/v1/admin/reports", admin.token()).await;
        q["items"].as_array().unwrap().len()
    };

    // The admin reported: removing would suspend themselves. Refused, still open, and
    // no decision in the audit log.
    let on_admin = report("user", &admin.user_id, "Abuses their power").await;
    assert_problem(&resolve(on_admin).await, 409, "cannot_suspend_self");
    assert_eq!(open_reports().await, 1);
    let (_, log) = app
        .get("/api/v1/admin/audit?action=report.", admin.token())
        .await;
    assert!(log["items"].as_array().unwrap().is_empty(), "{log}");

    // A long reason (the most a report takes) suspends all the same.
    let long = "Sends the same insulting message to everyone, again and again. ".repeat(15);
    let long: String = long.chars().take(1000).collect();
    let on_troll = report("user", &troll.user_id, &long).await;
    let (s, r) = resolve(on_troll).await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::OK, Some("actioned")),
        "{r}"
    );
    assert_problem(
        &app.get("/api/v1/me", troll.token()).await,
        401,
        "invalid_token",
    );
    let why: String = sqlx::query_scalar("SELECT suspended_reason FROM users WHERE id = $1")
        .bind(&troll.user_id)
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert!(why.starts_with("Reported: Sends the same"), "{why}");
    assert_eq!(why.chars().count(), 500, "{why}");

    // A comment its author deleted before the admin came: closed as acted on.
    let (_, a) = app
        .post(
            "/api/v1/articles",
            mentor.token(),
            json!({"title": "Open thread", "content": "Say hello"}),
        )
        .await;
    let article = a["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/articles/{article}/publish"),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, c) = app
        .post(
            &format!("/api/v1/articles/{article}/comments"),
            mentor.token(),
            json!({"body": "a regrettable joke"}),
        )
        .await;
    let comment = c["id"].as_str().unwrap().to_string();
    let on_comment = report("comment", &comment, "Offensive").await;
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/comments/{comment}"),
            mentor.token(),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (s, r) = resolve(on_comment).await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::OK, Some("actioned")),
        "{r}"
    );
    assert_eq!(open_reports().await, 1, "only the one on the admin is left");
}

#[tokio::test]
async fn removing_a_reported_account_on_the_page_asks_first_and_links_to_it() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    app.admin().await;
    let reader = app.register("reader@example.com").await;
    let troll = app.register("troll@example.com").await;
    let (status, r) = app
        .post(
            "/api/v1/reports",
            reader.token(),
            json!({"target_type": "user", "target_id": troll.user_id, "reason": "Spam in chat"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let report = r["id"].as_str().unwrap().to_string();
    let adm = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&adm, &app, "/admin/reports").await;
    // The dialog says what Remove does to an account; the link finds the account.
    assert!(
        html.contains(
            "data-confirm=\"Suspend the account of Test troll? They are signed out everywhere"
        ),
        "{html}"
    );
    let link = format!("/admin/users/{}", troll.user_id);
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let (_, user) = text(&adm, &app, &link).await;
    assert!(user.contains("troll@example.com"), "{user}");
    assert!(!user.contains("reader@example.com"), "{user}");
    // Without the dialog (no script) the page asks; nothing happens until confirmed.
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf_of(&html))];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        adm.post(app.url(&format!("/admin/reports/{report}/resolve")))
            .form(&form)
            .send()
    };
    let res = post(vec![("action", "remove"), ("note", "third time")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Suspend the account of Test troll?") && page.contains("Yes, remove"),
        "{page}"
    );
    assert!(
        page.contains("value=\"third time\""),
        "the note is carried: {page}"
    );
    let (status, _) = app.get("/api/v1/me", troll.token()).await;
    assert_eq!(status, StatusCode::OK, "not suspended before the answer");
    let res = post(vec![
        ("action", "remove"),
        ("note", "third time"),
        ("confirmed", "1"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = app.get("/api/v1/me", troll.token()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "suspended once confirmed");
    // The queue says what the removal did.
    let (_, queue) = text(&adm, &app, "/admin/reports").await;
    assert!(
        queue.contains("Report upheld: the account is suspended and signed out"),
        "{queue}"
    );
}
