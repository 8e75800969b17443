//! Disputes of how a session ended: who may open one and when, once per booking
//! whatever the races, the admins' decision settling the session again (or refused,
//! changing nothing, when the credits were spent), the pages — on both engines.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Session, TestApp, assert_problem};
use crate::web_mentors::{csrf_of, sign_in, text};

const TUE_10: &str = "2026-03-03T10:00:00Z";
const WED_10: &str = "2026-03-04T10:00:00Z";
const THU_10: &str = "2026-03-05T10:00:00Z";

/// The mentee books `start`, the mentor accepts; returns the id.
async fn accepted(
    app: &TestApp,
    mentor: &Session,
    mentee: &Session,
    service: &str,
    start: &str,
) -> String {
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": start, "topic": "Career"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    id
}

async fn dispute(app: &TestApp, s: &Session, id: &str, reason: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/bookings/{id}/dispute"),
        s.token(),
        json!({"reason": reason}),
    )
    .await
}

async fn resolve(app: &TestApp, admin: &Session, id: &str, action: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/admin/disputes/{id}/resolve"),
        admin.token(),
        json!({"action": action, "note": "We read both sides."}),
    )
    .await
}

fn kinds(notes: &Value, kind: &str) -> usize {
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .count()
}

/// A session marked done pays the mentor; the mentee disputes it (not the mentor, not
/// twice, not without a reason), the admins and the mentor are told, and an admin
/// granting it refunds the mentee in full — once, whoever clicks at the same time.
#[tokio::test]
async fn a_session_marked_done_is_disputed_and_granting_refunds_the_mentee() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 100).await;
    let id = accepted(&app, &mentor, &mentee, &service, TUE_10).await;
    app.clock.set("2026-03-03T10:35:00Z".parse().unwrap());
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{id}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let paid = app.balance(&mentor).await.0;
    assert!(paid > 0, "the mentor was paid: {paid}");
    assert_eq!(app.balance(&mentee).await, (60, 0));

    assert_problem(
        &dispute(&app, &mentor, &id, "it went well").await,
        409,
        "not_disputable",
    );
    assert_problem(
        &dispute(&app, &mentee, &id, "  ").await,
        422,
        "invalid_input",
    );
    let (status, d) = dispute(&app, &mentee, &id, "The mentor never joined the call.").await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["status"], "open");
    assert_eq!(d["opened_by"], json!(mentee.user_id));
    assert_problem(
        &dispute(&app, &mentee, &id, "again").await,
        409,
        "already_disputed",
    );
    let (_, seen) = app
        .get(&format!("/api/v1/bookings/{id}/dispute"), mentor.token())
        .await;
    assert_eq!(seen["id"], d["id"], "{seen}");
    let (_, notes) = app.get("/api/v1/notifications", mentor.token()).await;
    assert_eq!(kinds(&notes, "booking_dispute"), 1, "{notes}");
    let (_, notes) = app.get("/api/v1/notifications", admin.token()).await;
    assert_eq!(kinds(&notes, "dispute_opened"), 1, "{notes}");

    let (status, _) = app.get("/api/v1/admin/disputes", mentee.token()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/admin/disputes", admin.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let did = d["id"].as_str().unwrap();
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/disputes/{did}/resolve"),
            admin.token(),
            json!({"action": "refund"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (_, stats) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(stats["totals"]["disputes_open"], 1, "{stats}");
    // Four admins' clicks at once: one decides, the rest are told it is decided.
    let answers = join_all((0..4).map(|_| resolve(&app, &admin, did, "grant"))).await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{answers:?}");
    for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(
            (*s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_resolved"))
        );
    }
    assert_eq!(
        app.balance(&mentee).await,
        (100, 0),
        "refunded in full, once"
    );
    let (_, stats) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(
        stats["totals"]["disputes_open"], 0,
        "the overview's to-do list follows the decision at once, its figures cached or not"
    );
    assert_eq!(
        app.balance(&mentor).await.0,
        0,
        "the mentor's pay went back"
    );
    // Decided: neither side disputes it again, and the mentor is told why (not that
    // the outcome, now a refund, went their way).
    for s in [&mentor, &mentee] {
        let got = dispute(&app, s, &id, "again").await;
        assert_problem(&got, 409, "already_disputed");
        assert!(
            got.1["detail"]
                .as_str()
                .unwrap()
                .contains("an administrator decided it"),
            "{}",
            got.1
        );
    }
    app.assert_ledger_ok().await;
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(
        (b["credits_refunded"].as_i64(), b["credits_paid"].as_i64()),
        (Some(40), Some(0)),
        "{b}"
    );
    let (_, notes) = app.get("/api/v1/notifications", mentee.token()).await;
    assert!(notes.to_string().contains("was granted"), "{notes}");
    let (_, list) = app
        .get("/api/v1/admin/disputes?status=granted", admin.token())
        .await;
    assert_eq!(list["items"][0]["resolution"], "We read both sides.");
    let (_, list) = app.get("/api/v1/admin/disputes", admin.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, export) = app.get("/api/v1/me/export", mentee.token()).await;
    assert_eq!(
        export["disputes_opened"][0]["status"], "granted",
        "{export}"
    );
}

/// A mentee who reported their mentor absent got their credits back; the mentor
/// disputes. Granting makes the mentee pay after all — refused, changing nothing,
/// while the mentee's wallet no longer holds it. A dispute is open for 7 days only,
/// and cancellations are not disputed.
#[tokio::test]
async fn a_mentor_reported_absent_disputes_and_a_spent_wallet_refuses_the_grant() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 80).await;
    let a = accepted(&app, &mentor, &mentee, &service, TUE_10).await;
    let b = accepted(&app, &mentor, &mentee, &service, WED_10).await;
    app.clock.set("2026-03-03T10:15:00Z".parse().unwrap());
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{a}/no-show"),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, r["no_show_party"].as_str()),
        (StatusCode::OK, Some("mentor")),
        "{r}"
    );
    assert_eq!(app.balance(&mentee).await, (40, 40));
    assert_problem(
        &dispute(&app, &mentee, &a, "fine").await,
        409,
        "not_disputable",
    );
    let (status, d) = dispute(&app, &mentor, &a, "I was in the room; they never came.").await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let did = d["id"].as_str().unwrap();

    // The mentee spends the refund on another session: granting cannot take it back.
    let c = accepted(&app, &mentor, &mentee, &service, THU_10).await;
    assert_eq!(app.balance(&mentee).await, (0, 80));
    let before = app.balance(&mentor).await;
    let refused = resolve(&app, &admin, did, "grant").await;
    assert_problem(&refused, 409, "insufficient_credits");
    assert!(
        refused.1["detail"].as_str().unwrap().contains("wallet"),
        "{}",
        refused.1
    );
    assert_eq!(app.balance(&mentee).await, (0, 80), "nothing changed");
    assert_eq!(app.balance(&mentor).await, before);
    let (_, still) = app
        .get(&format!("/api/v1/bookings/{a}/dispute"), admin.token())
        .await;
    assert_eq!(still["status"], "open", "{still}");
    app.assert_ledger_ok().await;

    // Cancelled two days ahead, the credits are back; now the grant goes through.
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{c}/cancel"),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &dispute(&app, &mentee, &c, "why").await,
        409,
        "not_disputable",
    );
    let (status, g) = resolve(&app, &admin, did, "grant").await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "granted");
    assert_eq!(
        app.balance(&mentee).await,
        (0, 40),
        "the mentee paid after all"
    );
    assert!(
        app.balance(&mentor).await.0 > before.0,
        "the mentor was paid"
    );
    let (_, r) = app
        .get(&format!("/api/v1/bookings/{a}"), mentor.token())
        .await;
    assert_eq!(r["credits_refunded"], 0, "{r}");
    assert!(r["credits_paid"].as_i64().unwrap() > 0);
    app.assert_ledger_ok().await;

    // Session b is marked done; 7 days later it can no longer be disputed.
    app.clock.set("2026-03-04T10:35:00Z".parse().unwrap());
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{b}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.clock.set("2026-03-11T10:36:00Z".parse().unwrap());
    assert_problem(
        &dispute(&app, &mentee, &b, "late").await,
        409,
        "dispute_closed",
    );
    // The page says so to the mentee (and offers no form); the mentor had nothing to
    // dispute.
    let page = format!("/bookings/{b}");
    for (email, shown) in [("mentee@example.com", true), ("mentor@example.com", false)] {
        let c = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, html) = crate::web_mentors::text(&c, &app, &page).await;
        assert_eq!(
            html.contains("The time to dispute how it ended closed on Wed 11 Mar 2026"),
            shown,
            "{email}: {html}"
        );
        assert!(!html.contains("Dispute the outcome"), "{html}");
    }
}

/// Eight identical disputes sent at once open one; the rest are told it is open.
#[tokio::test]
async fn a_booking_is_disputed_once_whatever_the_races() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 100).await;
    let id = accepted(&app, &mentor, &mentee, &service, TUE_10).await;
    app.clock.set("2026-03-03T10:15:00Z".parse().unwrap());
    app.post(
        &format!("/api/v1/bookings/{id}/no-show"),
        mentor.token(),
        json!({}),
    )
    .await;
    let answers = join_all((0..8).map(|_| dispute(&app, &mentee, &id, "I was there."))).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(
            (*s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_disputed")),
            "{b}"
        );
    }
    let (_, notes) = app.get("/api/v1/notifications", admin.token()).await;
    assert_eq!(kinds(&notes, "dispute_opened"), 1);
}

async fn answer(app: &TestApp, s: &Session, id: &str, text: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/bookings/{id}/dispute/answer"),
        s.token(),
        json!({"answer": text}),
    )
    .await
}

/// The side whose word settled the session answers the dispute, once whatever the
/// races and only while it is open; the opener cannot answer their own, a stranger
/// sees nothing, and the opener is told of the answer. The admins' list carries it.
#[tokio::test]
async fn the_other_side_answers_a_dispute_once_while_it_is_open() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 200).await;
    let id = accepted(&app, &mentor, &mentee, &service, TUE_10).await;
    let other = accepted(&app, &mentor, &mentee, &service, WED_10).await;
    app.clock.set("2026-03-04T10:35:00Z".parse().unwrap());
    for b in [&id, &other] {
        let (status, body) = app
            .post(
                &format!("/api/v1/bookings/{b}/complete"),
                mentor.token(),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_problem(
        &answer(&app, &mentor, &id, "It went fine.").await,
        404,
        "not_found",
    );
    let (status, d) = dispute(&app, &mentee, &id, "The mentor left after ten minutes.").await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(
        (d["answer"].as_str(), d["answered_at"].as_str()),
        (Some(""), None)
    );
    assert_problem(
        &answer(&app, &mentee, &id, "And I mean it.").await,
        409,
        "not_yours_to_answer",
    );
    let stranger = app.register("stranger@example.com").await;
    assert_problem(&answer(&app, &stranger, &id, "Hm.").await, 404, "not_found");
    assert_problem(
        &answer(&app, &mentor, &id, "   ").await,
        422,
        "invalid_input",
    );
    let (_, before) = app.get("/api/v1/notifications", mentee.token()).await;

    let answers = join_all((0..6).map(|i| {
        let text = format!("We covered the whole plan in the hour ({i}).");
        let (app, mentor, id) = (&app, &mentor, &id);
        async move { answer(app, mentor, id, &text).await }
    }))
    .await;
    let ok: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    assert_eq!(ok.len(), 1, "{answers:?}");
    for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(
            (*s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_answered")),
            "{b}"
        );
    }
    let given = ok[0].1["answer"].as_str().unwrap().to_string();
    assert!(given.starts_with("We covered the whole plan"), "{given}");
    assert!(ok[0].1["answered_at"].is_string());
    let (_, seen) = app
        .get(&format!("/api/v1/bookings/{id}/dispute"), mentee.token())
        .await;
    assert_eq!(
        seen["answer"],
        json!(given),
        "the one stored is the one answered"
    );
    let (_, after) = app.get("/api/v1/notifications", mentee.token()).await;
    assert_eq!(
        kinds(&after, "booking_dispute"),
        kinds(&before, "booking_dispute") + 1,
        "the opener is told once: {after}"
    );
    assert!(
        after.to_string().contains("answered your dispute"),
        "{after}"
    );
    let (_, list) = app.get("/api/v1/admin/disputes", admin.token()).await;
    assert_eq!(list["items"][0]["answer"], json!(given), "{list}");
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{id}"), mentor.token())
        .await;
    let answered: Vec<_> = b["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "dispute_answered")
        .collect();
    assert_eq!(answered.len(), 1, "in the session's history once: {b}");
    assert_eq!(answered[0]["actor_id"], json!(mentor.user_id));
    let (_, export) = app.get("/api/v1/me/export", mentor.token()).await;
    assert_eq!(
        export["disputes_answered"][0]["answer"],
        json!(given),
        "{export}"
    );

    // Decided before an answer came: nothing left to answer.
    let (status, d2) = dispute(&app, &mentee, &other, "Same again.").await;
    assert_eq!(status, StatusCode::CREATED, "{d2}");
    let (status, _) = resolve(&app, &admin, d2["id"].as_str().unwrap(), "reject").await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &answer(&app, &mentor, &other, "Too late?").await,
        409,
        "already_resolved",
    );
    let (_, d2) = app
        .get(&format!("/api/v1/bookings/{other}/dispute"), mentor.token())
        .await;
    assert_eq!(d2["answer"], "", "changed nothing: {d2}");
    app.assert_ledger_ok().await;
}

/// The pages: the booking's page offers the form to the side that may dispute (and
/// keeps what was typed when refused), then the answer form to the other side; the
/// admins' queue shows both and decides it.
#[tokio::test]
async fn the_pages_dispute_and_decide() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 100).await;
    let id = accepted(&app, &mentor, &mentee, &service, TUE_10).await;
    app.clock.set("2026-03-03T10:15:00Z".parse().unwrap());
    app.post(
        &format!("/api/v1/bookings/{id}/no-show"),
        mentor.token(),
        json!({}),
    )
    .await;
    let page = format!("/bookings/{id}");
    let mc = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, html) = text(&mc, &app, &page).await;
    assert!(
        !html.contains("Dispute the outcome"),
        "not for the side it went to"
    );
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, &page).await;
    assert!(html.contains("Dispute the outcome"), "{html}");
    assert!(
        html.contains("the 40 credits it cost come back to you"),
        "{html}"
    );
    let action = format!("/bookings/{id}/dispute");
    let refused = c
        .post(app.url(&action))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("reason", &"x".repeat(2001)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("role=\"alert\"") && body.contains(&"x".repeat(2001)),
        "kept"
    );
    let sent = c
        .post(app.url(&action))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("reason", "I waited 30 minutes in the room."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("You disputed how this session ended"),
        "{html}"
    );
    assert!(html.contains("An administrator will decide"));
    assert!(
        !html.contains("Send my answer"),
        "not the opener's to answer"
    );
    // Sent again (the browser's Back): the page says why nothing changed.
    let again = c
        .post(app.url(&action))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("reason", "I waited 30 minutes in the room."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again = again.text().await.unwrap();
    assert!(again.contains("already disputed"), "{again}");

    // The mentor, whose word settled it, gives their side (kept when refused).
    let (_, html) = text(&mc, &app, &page).await;
    assert!(html.contains("Your side of it"), "{html}");
    let answer_at = format!("/bookings/{id}/dispute/answer");
    let refused = mc
        .post(app.url(&answer_at))
        .form(&[("csrf", csrf_of(&html).as_str()), ("answer", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("role=\"alert\""));
    let sent = mc
        .post(app.url(&answer_at))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("answer", "I waited in the room; nobody came."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&mc, &app, &page).await;
    assert!(html.contains("You answered on "), "{html}");
    assert!(!html.contains("Send my answer"), "once");
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("answered on ") && html.contains("I waited in the room; nobody came."),
        "{html}"
    );

    let ac = sign_in(&app, "root@example.com", "admin password 1").await;
    let (status, html) = text(&ac, &app, "/admin/disputes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("I waited 30 minutes in the room."), "{html}");
    assert!(
        html.contains("I waited in the room; nobody came."),
        "both sides: {html}"
    );
    assert!(html.contains("reported the mentee absent"), "{html}");
    // The session's history, with who did what, times with the admin's zone.
    assert!(html.contains("no show by "), "{html}");
    assert!(html.contains(" (UTC): accepted by "), "{html}");
    assert!(
        !html.contains(&format!("href=\"/bookings/{id}\"")),
        "no page admins cannot open"
    );
    let (status, _) = text(&c, &app, "/admin/disputes").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/admin/disputes", admin.token()).await;
    let did = list["items"][0]["id"].as_str().unwrap().to_string();
    let (_, overview) = text(&ac, &app, "/admin/stats").await;
    assert!(
        overview.contains("1 disputed session</a> to decide"),
        "the overview points to it: {overview}"
    );
    // Either decision is asked first, saying what it does, with the note typed on
    // the queue carried over; nothing is decided until confirmed.
    let (_, queue) = text(&ac, &app, "/admin/disputes").await;
    let csrf = csrf_of(&queue);
    let resolve = format!("/admin/disputes/{did}/resolve");
    let res = ac
        .post(app.url(&resolve))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "reject"),
            ("note", "Seen"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let asked = res.text().await.unwrap();
    assert!(
        asked.contains("Reject this dispute?") && asked.contains("value=\"Seen\""),
        "{asked}"
    );
    let res = ac
        .post(app.url(&resolve))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "grant"),
            ("note", "Logs show no join."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Granting gives the 40 credits back to ")
            && html.contains("value=\"Logs show no join.\""),
        "{html}"
    );
    let (_, still) = app.get("/api/v1/admin/disputes", admin.token()).await;
    assert_eq!(still["items"][0]["status"], "open", "{still}");
    let confirm = format!("/admin/disputes/{did}/grant");
    let (status, _) = text(&ac, &app, &confirm).await;
    assert_eq!(status, StatusCode::OK);
    let res = ac
        .post(app.url(&resolve))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("action", "grant"),
            ("note", "Logs show no join."),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let said = crate::web_confirm::flash_after(&ac, &app, res).await;
    assert!(said.starts_with("Dispute granted:"), "{said}");
    let (_, html) = text(&c, &app, &page).await;
    assert!(
        html.contains("Granted") && html.contains("Logs show no join."),
        "{html}"
    );
    assert_eq!(app.balance(&mentee).await, (100, 0));
    // Deciding again from a stale page says so, changing nothing.
    let (_, html) = text(&ac, &app, "/admin/disputes?status=granted").await;
    assert!(html.contains("Granted by "), "who decided: {html}");
    let (status, stale) = text(&ac, &app, &confirm).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(stale.contains("already decided"), "{stale}");
    let again = ac
        .post(app.url(&format!("/admin/disputes/{did}/resolve")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("action", "reject"),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already decided"));
}
