//! Asking the admins for credits: the request, the admins' queue and notification, a
//! grant or a decline in one step (once, whatever the races), withdrawing, the welcome
//! grant and what a credit is worth; through the API and the pages.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    support::{Session, TestApp, assert_problem, test_config},
    web_mentors::{csrf_of, sign_in, text},
};

async fn kinds_of_notifications(app: &TestApp, s: &Session) -> Vec<(String, String)> {
    let (_, n) = app.get("/api/v1/notifications", s.token()).await;
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                format!("{} / {}", i["title"], i["body"]),
            )
        })
        .collect()
}

async fn ask(app: &TestApp, s: &Session, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/me/credit-requests", s.token(), body)
        .await
}

#[tokio::test]
async fn a_member_asks_an_admin_grants_once_and_the_member_is_told() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let member = app.register("newcomer@example.com").await;
    let (_, c) = app.get("/api/v1/me/credits", member.token()).await;
    assert_eq!(c["balance"], 0);
    assert_eq!(
        c["worth"],
        "Credits are this site's own currency: a mentor's rate is in credits per hour."
    );

    // Bad requests: every error at once, and nothing is filed.
    let bad = ask(&app, &member, json!({"credits": 0, "note": "  "})).await;
    assert_problem(&bad, 422, "invalid_input");
    let fields: Vec<&str> = bad.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["credits", "note"]);
    assert_problem(
        &ask(&app, &member, json!({"credits": 10_001, "note": "x"})).await,
        422,
        "invalid_input",
    );
    let odd = ask(&app, &member, json!({"credits": 5, "note": "x", "x": 1})).await;
    assert!(odd.0.is_client_error(), "{odd:?}");
    let (_, mine) = app.get("/api/v1/me/credit-requests", member.token()).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);

    let (s, r) = ask(
        &app,
        &member,
        json!({"credits": 30, "note": "Two sessions before my interviews"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["status"].as_str(), r["credits"].as_i64()),
        (Some("open"), Some(30))
    );
    let id = r["id"].as_str().unwrap().to_string();
    // One open request at a time.
    assert_problem(
        &ask(&app, &member, json!({"credits": 5, "note": "more"})).await,
        409,
        "request_open",
    );

    // The admins are notified, and see it in the attention queue and its count.
    let admin_notes = kinds_of_notifications(&app, &admin).await;
    assert!(
        admin_notes
            .iter()
            .any(|(k, t)| k == "credit_requested" && t.contains("asks for 30 credits")),
        "{admin_notes:?}"
    );
    let (_, stats) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(stats["totals"]["credit_requests_open"], 1, "{stats}");
    let (_, q) = app
        .get("/api/v1/admin/credit-requests", admin.token())
        .await;
    assert_eq!(q["items"][0]["id"], id.as_str());
    assert_eq!(q["items"][0]["email"], "newcomer@example.com");
    // Members neither see the queue nor answer.
    assert_problem(
        &app.get("/api/v1/admin/credit-requests", member.token())
            .await,
        403,
        "forbidden",
    );
    let grant_path = format!("/api/v1/admin/credit-requests/{id}/grant");
    assert_problem(
        &app.post(&grant_path, member.token(), json!({})).await,
        403,
        "forbidden",
    );
    assert_eq!(app.balance(&member).await.0, 0);
    // A bad amount changes nothing.
    assert_problem(
        &app.post(&grant_path, admin.token(), json!({"credits": 0}))
            .await,
        422,
        "invalid_input",
    );

    // Granted, with another amount and a note: once.
    let (s, g) = app
        .post(
            &grant_path,
            admin.token(),
            json!({"credits": 25, "note": "Welcome aboard"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(
        (g["status"].as_str(), g["granted"].as_i64()),
        (Some("granted"), Some(25))
    );
    assert_eq!(app.balance(&member).await.0, 25);
    assert_problem(
        &app.post(&grant_path, admin.token(), json!({})).await,
        409,
        "already_answered",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/credit-requests/{id}/decline"),
            admin.token(),
            json!({"reason": "changed my mind"}),
        )
        .await,
        409,
        "already_answered",
    );
    assert_eq!(app.balance(&member).await.0, 25);
    let member_notes = kinds_of_notifications(&app, &member).await;
    assert!(
        member_notes
            .iter()
            .any(|(k, t)| k == "credit_request_answered"
                && t.contains("You received 25 credits")
                && t.contains("You asked for 30 credits and were granted 25: Welcome aboard")),
        "{member_notes:?}"
    );
    let (_, stats) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(stats["totals"]["credit_requests_open"], 0);
    let (_, audit) = app.get("/api/v1/admin/audit", admin.token()).await;
    assert!(
        audit.to_string().contains("credit_request.grant"),
        "{audit}"
    );
    // Answered, the member may ask again.
    let (s, _) = ask(&app, &member, json!({"credits": 5, "note": "one more"})).await;
    assert_eq!(s, StatusCode::CREATED);
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_answering_at_once_give_one_answer() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for round in 0..4 {
        let member = app.register(&format!("racer{round}@example.com")).await;
        let (_, r) = ask(&app, &member, json!({"credits": 10, "note": "race"})).await;
        let id = r["id"].as_str().unwrap().to_string();
        let grant = format!("/api/v1/admin/credit-requests/{id}/grant");
        let decline = format!("/api/v1/admin/credit-requests/{id}/decline");
        let answers = futures_util::future::join_all((0..6).map(|i| {
            let (app, admin, grant, decline) = (&app, &admin, &grant, &decline);
            async move {
                // Rounds 0 and 1: grants only; 2 and 3: grants against declines.
                if round >= 2 && i % 2 == 1 {
                    app.post(decline, admin.token(), json!({"reason": "no"}))
                        .await
                } else {
                    app.post(grant, admin.token(), json!({})).await
                }
            }
        }))
        .await;
        let won: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {answers:?}");
        for (s, b) in &answers {
            assert!(
                *s == StatusCode::OK || b["code"] == "already_answered",
                "round {round}: {s} {b}"
            );
        }
        let granted = if won[0]["status"] == "granted" { 10 } else { 0 };
        assert_eq!(app.balance(&member).await.0, granted, "round {round}");
    }
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_declined_request_says_why_and_a_member_withdraws_their_own() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let member = app.register("asker@example.com").await;
    let other = app.register("other@example.com").await;
    let (_, r) = ask(&app, &member, json!({"credits": 500, "note": "lots"})).await;
    let id = r["id"].as_str().unwrap().to_string();
    let decline = format!("/api/v1/admin/credit-requests/{id}/decline");
    assert_problem(
        &app.post(&decline, admin.token(), json!({"reason": " "}))
            .await,
        422,
        "invalid_input",
    );
    let (s, d) = app
        .post(
            &decline,
            admin.token(),
            json!({"reason": "Ask for what two sessions cost"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "declined");
    assert_eq!(d["answer"], "Ask for what two sessions cost");
    let notes = kinds_of_notifications(&app, &member).await;
    assert!(
        notes.iter().any(|(k, t)| k == "credit_request_answered"
            && t.contains("declined")
            && t.contains("Ask for what two sessions cost")),
        "{notes:?}"
    );
    assert_eq!(app.balance(&member).await.0, 0);

    let (_, r) = ask(
        &app,
        &member,
        json!({"credits": 20, "note": "two sessions"}),
    )
    .await;
    let id = r["id"].as_str().unwrap().to_string();
    let withdraw = format!("/api/v1/me/credit-requests/{id}/withdraw");
    let unread = |who: &Session| {
        let (app, t) = (&app, who.token().map(str::to_string));
        async move {
            let (_, n) = app.get("/api/v1/notifications", t.as_deref()).await;
            n["unread_count"].as_i64().unwrap()
        }
    };
    assert_eq!(
        unread(&admin).await,
        1,
        "the new request waits for an admin"
    );
    // Another member's request does not exist for you.
    assert_problem(
        &app.post(&withdraw, other.token(), json!({})).await,
        404,
        "not_found",
    );
    let (s, w) = app.post(&withdraw, member.token(), json!({})).await;
    assert_eq!(
        (s, w["status"].as_str()),
        (StatusCode::OK, Some("withdrawn"))
    );
    assert_eq!(unread(&admin).await, 0, "a withdrawn request waits no more");
    assert_problem(
        &app.post(&withdraw, member.token(), json!({})).await,
        409,
        "already_answered",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/credit-requests/{id}/grant"),
            admin.token(),
            json!({}),
        )
        .await,
        409,
        "already_answered",
    );
    let (_, mine) = app.get("/api/v1/me/credit-requests", member.token()).await;
    let statuses: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["withdrawn", "declined"]);
    let (_, all) = app
        .get("/api/v1/admin/credit-requests?status=all", admin.token())
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_problem(
        &app.get("/api/v1/admin/credit-requests?status=maybe", admin.token())
            .await,
        422,
        "invalid_input",
    );
    // The export holds them; closing the account withdraws an open one.
    let (_, doc) = app.get("/api/v1/me/export", member.token()).await;
    assert_eq!(doc["credit_requests"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(
        doc["credit_requests"][1]["answer"],
        "Ask for what two sessions cost"
    );
    ask(&app, &member, json!({"credits": 5, "note": "last"})).await;
    let (s, _) = app
        .call(reqwest::Method::DELETE, "/api/v1/me", member.token(), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, open) = app
        .get("/api/v1/admin/credit-requests", admin.token())
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0, "{open}");
}

#[tokio::test]
async fn new_accounts_get_the_welcome_grant_once_and_see_what_a_credit_is_worth() {
    let mut config = test_config();
    config.welcome_credits = 15;
    config.credit_value = Some(mentorhub::domain::credit::CreditValue::parse("1.00 USD").unwrap());
    let app = TestApp::spawn_with(config).await;
    let s = app.register("welcome@example.com").await;
    let (_, c) = app.get("/api/v1/me/credits", s.token()).await;
    assert_eq!(c["balance"], 15);
    assert_eq!(c["worth"], "1 credit = 1.00 USD");
    let memos: Vec<&str> = c["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["memo"].as_str().unwrap())
        .collect();
    assert_eq!(memos, ["Welcome credits"]);
    // Signing up on the page grants it too.
    let c = crate::web_mentors::client();
    let (_, html) = text(&c, &app, "/signup").await;
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "page@example.com"),
            ("password", "correct horse battery"),
            ("first_name", "Page"),
            ("last_name", "Signup"),
            ("timezone", "UTC"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&c, &app, "/credits").await;
    assert!(page.contains("id=\"balance\">15<"), "{page}");
    assert!(page.contains("1 credit = 1.00 USD"));
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn asking_and_answering_through_the_pages() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let member = app.register("newcomer@example.com").await;
    let c = sign_in(&app, "newcomer@example.com", "correct horse battery").await;
    let (s, html) = text(&c, &app, "/credits").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Ask for credits") && html.contains("come from its administrators"));
    let csrf = csrf_of(&html);

    // Wrong twice over: both errors at once, named in the summary and beside the
    // fields, the typed note kept.
    let res = c
        .post(app.url("/credits/ask"))
        .form(&[("csrf", csrf.as_str()), ("credits", "0"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("2 things to fix"), "{html}");
    assert!(html.contains("href=\"#f-credits\"") && html.contains("href=\"#f-note\""));
    assert!(
        html.contains("What are they for? This field is required."),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"f-credits-error\""));
    assert_eq!(html.matches("aria-invalid=\"true\"").count(), 2);
    let res = c
        .post(app.url("/credits/ask"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("credits", "many"),
            ("note", "Kept as typed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains(">Kept as typed</textarea>") && html.contains("whole number"));

    let res = c
        .post(app.url("/credits/ask"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("credits", "20"),
            ("note", "Two sessions with my mentor."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, "/credits").await;
    assert!(
        html.contains("id=\"open-request\"") && html.contains("20 credits"),
        "{html}"
    );
    // The note quoted as it ends, without a second full stop.
    assert!(html.contains("“Two sessions with my mentor.”\n"), "{html}");
    assert!(html.contains("Withdraw the request"));
    // Asking again from a page loaded before (another tab) says why it is refused.
    let res = c
        .post(app.url("/credits/ask"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("credits", "5"),
            ("note", "From a stale tab"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\" tabindex=\"-1\">You already have a request waiting")
            && html.contains("id=\"open-request\""),
        "{html}"
    );

    // The admin: the attention line, then the queue, granted in one step.
    let a = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, stats) = text(&a, &app, "/admin/stats").await;
    assert!(
        stats.contains("1 request for credits</a> waiting"),
        "{stats}"
    );
    let (_, queue) = text(&a, &app, "/admin/credit-requests").await;
    assert!(queue.contains("asks for 20 credits") && queue.contains("Two sessions"));
    let marker = "action=\"/admin/credit-requests/";
    let start = queue.find(marker).unwrap() + marker.len();
    let id = &queue[start..start + queue[start..].find('/').unwrap()];
    // Refused answers (a blank reason, an amount that is not a number) come back as
    // the queue with the reason beside the request and what was typed kept.
    for (action, form) in [
        ("decline", [("reason", "   "), ("note", "")]),
        ("grant", [("credits", "twenty"), ("note", "Kept note")]),
    ] {
        let mut fields = vec![("csrf", csrf_of(&queue))];
        fields.extend(form.iter().map(|(k, v)| (*k, v.to_string())));
        let res = a
            .post(app.url(&format!("/admin/credit-requests/{id}/{action}")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("role=\"alert\"") && page.contains("asks for 20 credits"),
            "{action}: {page}"
        );
        if action == "grant" {
            assert!(
                page.contains("value=\"twenty\"") && page.contains("value=\"Kept note\""),
                "{page}"
            );
        } else {
            // Said as the reason's, above the decline form; the grant form keeps the
            // amount asked for.
            let at = page.find("/decline\" class=\"stack\">").unwrap();
            assert!(
                page[at..].trim_start_matches(|c| c != '<').contains(
                    "role=\"alert\" tabindex=\"-1\">Say why you decline: they read it with the answer."
                ),
                "{page}"
            );
            assert!(
                page.contains("min=\"1\" max=\"1000000\" value=\"20\" required"),
                "{page}"
            );
        }
    }
    assert_eq!(app.balance(&member).await.0, 0, "nothing granted");
    let res = a
        .post(app.url(&format!("/admin/credit-requests/{id}/grant")))
        .form(&[
            ("csrf", csrf_of(&queue).as_str()),
            ("credits", "20"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/admin/credit-requests");
    let (_, queue) = text(&a, &app, "/admin/credit-requests").await;
    assert!(queue.contains("No request waits for you."), "{queue}");
    // Answered, it reads in the past.
    let (_, all) = text(&a, &app, "/admin/credit-requests?status=all").await;
    assert!(
        all.contains("asked for 20 credits") && !all.contains("asks for 20"),
        "{all}"
    );
    let (_, html) = text(&c, &app, "/credits").await;
    assert!(html.contains("id=\"balance\">20<") && html.contains("Granted 20 credits"));
}

/// Requests for credits sent while the account closes: each comes before the closure
/// (and is withdrawn with it) or is refused — none stays open for a closed account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_stays_open_for_an_account_closed_meanwhile() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for round in 0..6 {
        let member = app.register(&format!("leaving{round}@example.com")).await;
        let calls = (0..9).map(|i| {
            let (app, member) = (&app, &member);
            async move {
                if i == 4 {
                    app.call(reqwest::Method::DELETE, "/api/v1/me", member.token(), None)
                        .await
                        .0
                } else {
                    ask(app, member, json!({"credits": 10, "note": "Before I go"}))
                        .await
                        .0
                }
            }
        });
        for s in futures_util::future::join_all(calls).await {
            assert!(s.as_u16() < 500, "round {round}: {s}");
        }
        let (_, open) = app
            .get("/api/v1/admin/credit-requests?status=open", admin.token())
            .await;
        let mine: Vec<_> = open["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["user_id"] == member.user_id.as_str())
            .collect();
        assert!(mine.is_empty(), "round {round}: {mine:?}");
    }
    // And none asks for the admins' attention: each notice went with its request.
    let (_, n) = app.get("/api/v1/notifications", admin.token()).await;
    assert!(n["items"].as_array().is_some_and(|i| !i.is_empty()), "{n}");
    assert_eq!(n["unread_count"], 0, "{n}");
}
