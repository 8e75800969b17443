//! Mentorship requests: the seed's cases, every rule, and the races.

use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Session, TestApp, assert_problem, mentor_profile};

async fn setup() -> (TestApp, Session, Session) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["backend"], &["rust"], 10),
        )
        .await;
    (app, admin, mentor)
}

#[tokio::test]
async fn a_mentee_can_send_a_request_and_a_mentor_can_accept() {
    let (app, _, mentor) = setup().await;
    let mentee = app.register("mentee@example.com").await;
    let (status, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "I want to learn Rust"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["status"], "pending");
    assert_eq!(m["mentee"]["id"], mentee.user_id.as_str());
    assert_eq!(m["message"], "I want to learn Rust");
    let id = m["id"].as_str().unwrap();

    let (_, incoming) = app
        .get(
            "/api/v1/mentorships?role=mentor&status=pending",
            mentor.token(),
        )
        .await;
    assert_eq!(incoming["items"][0]["id"], id);
    let (_, none) = app
        .get("/api/v1/mentorships?role=mentee", mentor.token())
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentee.token(),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    let (status, m) = app
        .call(
            Method::POST,
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "accepted");
    assert!(m["started_at"].is_string());
    // The mentee's notice says what comes next (it had no body).
    let (_, notes) = app.get("/api/v1/notifications", mentee.token()).await;
    let note = &notes["items"][0];
    assert!(
        note["title"]
            .as_str()
            .unwrap()
            .ends_with("accepted your mentorship request")
            && note["body"].as_str().unwrap().contains(
                "mentee now: book a session from their profile, and write to them in Chat."
            ),
        "{note}"
    );
    let (_, mine) = app
        .get(
            "/api/v1/mentorships?role=mentee&status=accepted",
            mentee.token(),
        )
        .await;
    assert_eq!(mine["items"][0]["mentor"]["id"], mentor.user_id.as_str());
    // The pair's thread opens with a note: news to the mentee, not to the mentor
    // whose click it was.
    let (_, theirs) = app.get("/api/v1/threads", mentee.token()).await;
    assert_eq!(theirs["unread_total"], 1, "{theirs}");
    let (_, own) = app.get("/api/v1/threads", mentor.token()).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["unread_total"], 0, "{own}");
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );

    // Nobody else sees it.
    let stranger = app.register("stranger@example.com").await;
    assert_problem(
        &app.get(&format!("/api/v1/mentorships/{id}"), stranger.token())
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{id}/end"),
            stranger.token(),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn nobody_can_request_themselves() {
    let (app, _, mentor) = setup().await;
    let got = app
        .post(
            "/api/v1/mentorships",
            mentor.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(got.1["errors"][0]["code"], "cannot_request_self");
    let mentee = app.register("self@example.com").await;
    let got = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentee.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(got.1["errors"][0]["code"], "cannot_request_self");
    let got = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": "nope", "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
}

#[tokio::test]
async fn one_live_relationship_per_pair() {
    let (app, _, mentor) = setup().await;
    let mentee = app.register("dup@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_string();
    assert_problem(
        &app.post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await,
        409,
        "mentorship_exists",
    );
    app.post(
        &format!("/api/v1/mentorships/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    assert_problem(
        &app.post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await,
        409,
        "mentorship_exists",
    );
    // Either side ends it; then a new request is fine.
    let (status, m) = app
        .post(
            &format!("/api/v1/mentorships/{id}/end"),
            mentee.token(),
            json!({"reason": "Done, thanks!"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(m["status"], "ended");
    assert_eq!(m["ended_by"], mentee.user_id.as_str());
    let (status, _) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn decline_cancel_and_who_may_do_what() {
    let (app, _, mentor) = setup().await;
    let a = app.register("a@example.com").await;
    let b = app.register("b@example.com").await;
    let (_, ma) = app
        .post(
            "/api/v1/mentorships",
            a.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let (_, mb) = app
        .post(
            "/api/v1/mentorships",
            b.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let (ida, idb) = (ma["id"].as_str().unwrap(), mb["id"].as_str().unwrap());
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{ida}/decline"),
            a.token(),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    let (status, m) = app
        .post(
            &format!("/api/v1/mentorships/{ida}/decline"),
            mentor.token(),
            json!({"reason": "Full this month"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (m["status"].as_str(), m["answer"].as_str()),
        (Some("declined"), Some("Full this month"))
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{idb}/cancel"),
            mentor.token(),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, m) = app
        .post(
            &format!("/api/v1/mentorships/{idb}/cancel"),
            b.token(),
            json!({}),
        )
        .await;
    assert_eq!(m["status"], "cancelled");
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{idb}/end"),
            b.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{ida}/accept"),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &app.post(
            "/api/v1/mentorships/not-an-id/accept",
            mentor.token(),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    // Each asker still finds their request, with the answer they got; a request that
    // never became a mentorship has no progress to open.
    for (email, says) in [
        ("a@example.com", "request declined "),
        ("b@example.com", "request withdrawn "),
    ] {
        let c = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, hub) = crate::web_mentors::text(&c, &app, "/mentorship?tab=mentors").await;
        let line = hub
            .split("<li>")
            .find(|l| l.contains(says))
            .unwrap_or_else(|| panic!("{email}: {hub}"));
        assert!(!line.contains("goals and progress"), "{line}");
        if email == "a@example.com" {
            assert!(line.contains(": “Full this month”</span>"), "{line}");
        }
    }
}

#[tokio::test]
async fn at_most_five_pending_requests_per_mentee() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentee = app.register("eager@example.com").await;
    let mut mentors = vec![];
    for i in 0..6 {
        mentors.push(
            app.approved_mentor(
                &admin,
                &format!("m{i}@example.com"),
                mentor_profile(&["x"], &[], 1),
            )
            .await,
        );
    }
    for m in &mentors[..5] {
        assert_eq!(
            app.post(
                "/api/v1/mentorships",
                mentee.token(),
                json!({"mentor_id": m.user_id, "message": "Hello, I would value your guidance."})
            )
            .await
            .0,
            StatusCode::CREATED
        );
    }
    assert_problem(
        &app.post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentors[5].user_id, "message": "Hello, I would value your guidance."}),
        )
        .await,
        409,
        "too_many_pending",
    );
}

#[tokio::test]
async fn unanswered_requests_expire_after_fourteen_days() {
    let (app, _, mentor) = setup().await;
    let mentee = app.register("patient@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    app.clock.advance(SignedDuration::from_hours(13 * 24));
    assert_eq!(
        mentorhub::service::mentorships::expire_due(app.ctx())
            .await
            .unwrap(),
        0
    );
    app.clock.advance(SignedDuration::from_hours(24));
    // Even before the sweep runs, an answer past the deadline is refused.
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    let (_, m) = app
        .get(&format!("/api/v1/mentorships/{id}"), mentee.token())
        .await;
    assert_eq!(m["status"], "expired");
    let (status, _) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "the pair may start again");
    // The sweep expires the ones nobody touched.
    let other = app.register("other@example.com").await;
    app.post(
        "/api/v1/mentorships",
        other.token(),
        json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
    )
    .await;
    app.clock.advance(SignedDuration::from_hours(15 * 24));
    assert_eq!(
        mentorhub::service::mentorships::expire_due(app.ctx())
            .await
            .unwrap(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_accepts_respect_max_mentees() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.admin().await;
    let mut p = mentor_profile(&["x"], &[], 1);
    p["max_mentees"] = json!(2);
    let mentor = app.approved_mentor(&admin, "cap@example.com", p).await;
    let mut ids = vec![];
    for i in 0..8 {
        let s = app.register(&format!("c{i}@example.com")).await;
        let (_, m) = app
            .post(
                "/api/v1/mentorships",
                s.token(),
                json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
            )
            .await;
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let (app, token) = (app.clone(), mentor.access.clone());
            tokio::spawn(async move {
                app.post(
                    &format!("/api/v1/mentorships/{id}/accept"),
                    Some(&token),
                    json!({}),
                )
                .await
            })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status.as_u16() {
            200 => accepted += 1,
            409 => assert_eq!(body["code"], "mentor_at_capacity", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(accepted, 2);
    let (_, list) = app
        .get(
            "/api/v1/mentorships?role=mentor&status=accepted",
            mentor.token(),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // Full: a new request is refused at once (not left waiting for an answer that
    // cannot be yes), and the profile says so instead of offering the form.
    let late = app.register("late@example.com").await;
    assert_problem(
        &app.post(
            "/api/v1/mentorships",
            late.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await,
        409,
        "mentor_at_capacity",
    );
    let c = crate::web_mentors::sign_in(&app, "late@example.com", "correct horse battery").await;
    let (_, page) =
        crate::web_mentors::text(&c, &app, &format!("/mentors/{}", mentor.user_id)).await;
    assert!(page.contains("id=\"mentor-full\""), "{page}");
    assert!(!page.contains("Request mentorship</button>"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_create_one_relationship_and_five_pending_at_most() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "race@example.com", mentor_profile(&["x"], &[], 1))
        .await;
    let mentee = app.register("racer@example.com").await;
    let same: Vec<_> = (0..10)
        .map(|_| {
            let (app, token, mid) = (app.clone(), mentee.access.clone(), mentor.user_id.clone());
            tokio::spawn(async move {
                app.post(
                    "/api/v1/mentorships",
                    Some(&token),
                    json!({"mentor_id": mid, "message": "Hello, I would value your guidance."}),
                )
                .await
                .0
            })
        })
        .collect();
    let mut created = 0;
    for t in same {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
        created += usize::from(s == StatusCode::CREATED);
    }
    assert_eq!(created, 1, "one live relationship per pair");

    let mut others = vec![];
    for i in 0..8 {
        others.push(
            app.approved_mentor(
                &admin,
                &format!("o{i}@example.com"),
                mentor_profile(&["x"], &[], 1),
            )
            .await,
        );
    }
    let many: Vec<_> = others
        .iter()
        .map(|m| {
            let (app, token, mid) = (app.clone(), mentee.access.clone(), m.user_id.clone());
            tokio::spawn(async move {
                app.post(
                    "/api/v1/mentorships",
                    Some(&token),
                    json!({"mentor_id": mid, "message": "Hello, I would value your guidance."}),
                )
                .await
                .0
            })
        })
        .collect();
    let mut ok = 0;
    for t in many {
        ok += usize::from(t.await.unwrap() == StatusCode::CREATED);
    }
    assert_eq!(ok, 4, "five pending at most, one was already pending");
}

/// A mentor at capacity who accepts on the page comes back to their list told why,
/// not to an error page.
#[tokio::test]
async fn accepting_at_capacity_on_the_page_says_why_and_stays() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut p = mentor_profile(&["x"], &[], 1);
    p["max_mentees"] = json!(1);
    let mentor = app.approved_mentor(&admin, "full@example.com", p).await;
    let mut ids = vec![];
    for i in 0..2 {
        let s = app.register(&format!("f{i}@example.com")).await;
        let (_, m) = app
            .post(
                "/api/v1/mentorships",
                s.token(),
                json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
            )
            .await;
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    app.post(
        &format!("/api/v1/mentorships/{}/accept", ids[0]),
        mentor.token(),
        json!({}),
    )
    .await;
    let c = crate::web_mentors::sign_in(&app, "full@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/mentorship?tab=mentees").await;
    let res = c
        .post(app.url(&format!("/mentorship/{}/accept", ids[1])))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("back", "mentees"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/mentorship?tab=mentees");
    let (_, page) = crate::web_mentors::text(&c, &app, "/mentorship?tab=mentees").await;
    assert!(
        page.contains("You already mentor as many people as you take"),
        "{page}"
    );
}

/// A suspended person's waiting requests end, sent and received, each with its reason,
/// so nobody accepts or waits on an account that cannot act; an accepted mentorship
/// stays, for the suspension may be lifted.
#[tokio::test]
async fn a_suspension_ends_waiting_requests_and_keeps_accepted_mentorships() {
    let (app, admin, mentor) = setup().await;
    let other = app
        .approved_mentor(
            &admin,
            "other@example.com",
            mentor_profile(&["backend"], &["go"], 10),
        )
        .await;
    let mentee = app.register("suspended@example.com").await;
    let ask = |to: &str| {
        let (app, mentee) = (&app, &mentee);
        let body = json!({"mentor_id": to, "message": "Hello, I would value your guidance."});
        async move { app.post("/api/v1/mentorships", mentee.token(), body).await }
    };
    let (_, waiting) = ask(&other.user_id).await;
    let (_, kept) = ask(&mentor.user_id).await;
    let kept = kept["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{kept}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // And one the suspended mentor has received, from someone else.
    let asker = app.register("asker@example.com").await;
    let (_, received) = app
        .post(
            "/api/v1/mentorships",
            asker.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    for who in [&mentee.user_id, &mentor.user_id] {
        let (status, b) = app
            .post(
                &format!("/api/v1/admin/users/{who}/suspend"),
                admin.token(),
                json!({"reason": "Under review"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
    let (_, w) = app
        .get(
            &format!("/api/v1/mentorships/{}", waiting["id"].as_str().unwrap()),
            other.token(),
        )
        .await;
    assert_eq!(w["status"], "cancelled", "{w}");
    let (_, r) = app
        .get(
            &format!("/api/v1/mentorships/{}", received["id"].as_str().unwrap()),
            asker.token(),
        )
        .await;
    assert_eq!(r["status"], "declined", "{r}");
    assert!(
        r["answer"]
            .as_str()
            .is_some_and(|t| t.contains("no longer active")),
        "{r}"
    );
    // Neither side can sign in now: read it as stored.
    let k = mentorhub::store::mentorships::get(&app.ctx().db.pool, &kept)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(k.m.status.as_str(), "accepted");
    // The mentor of the kept mentorship was told why their mentee went quiet (before
    // their own suspension), and the other mentor that the request ended (not that
    // the mentee withdrew it).
    let pool = &app.ctx().db.pool;
    let told = mentorhub::store::notify::list(pool, &mentor.user_id, true, None, 50)
        .await
        .unwrap();
    assert!(
        told.iter().any(|n| n.kind == "mentorship_answered"
            && n.title == "Test's account is no longer active"
            && n.related_id.as_deref() == Some(kept.as_str())),
        "{told:?}"
    );
    let (_, notes) = app.get("/api/v1/notifications", other.token()).await;
    assert!(
        notes["items"].as_array().unwrap().iter().any(|n| n["title"]
            .as_str()
            .unwrap()
            .ends_with("'s mentorship request ended")
            && n["body"].as_str().unwrap().contains("no longer active")),
        "{notes}"
    );
}

/// Ending a mentorship, or withdrawing a request, tells the other side (with the
/// reason); the withdrawn request's notice no longer asks the mentor's attention.
#[tokio::test]
async fn an_ended_mentorship_or_a_withdrawn_request_is_news_for_the_other_side() {
    let (app, _admin, mentor) = setup().await;
    let mentee = app.register("mentee@example.com").await;
    let ask = || {
        let (app, mentee, to) = (&app, &mentee, mentor.user_id.clone());
        let body = json!({"mentor_id": to, "message": "Hello, I would value your guidance."});
        async move {
            let (status, m) = app.post("/api/v1/mentorships", mentee.token(), body).await;
            assert_eq!(status, StatusCode::CREATED, "{m}");
            m["id"].as_str().unwrap().to_string()
        }
    };
    let unread = |s: &Session| {
        let (app, token) = (&app, s.token().unwrap().to_string());
        async move {
            let (_, n) = app
                .get("/api/v1/notifications?unread=true", Some(&token))
                .await;
            // About mentorships only (an approved mentor was told of the approval).
            n["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"].as_str().unwrap().starts_with("mentorship_"))
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let first = ask().await;
    assert_eq!(unread(&mentor).await.len(), 1, "the request");
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{first}/cancel"),
            mentee.token(),
            json!({"reason": "Found a mentor at work."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let news = unread(&mentor).await;
    assert_eq!(news.len(), 1, "the request's notice is settled: {news:?}");
    assert_eq!(
        news[0]["title"],
        "Test mentee withdrew their mentorship request"
    );
    assert_eq!(news[0]["body"], "Found a mentor at work.");

    let second = ask().await;
    app.post(
        &format!("/api/v1/mentorships/{second}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{second}/end"),
            mentor.token(),
            json!({"reason": "We reached the goals."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let news = unread(&mentee).await;
    assert!(
        news.iter().any(|n| n["title"]
            .as_str()
            .unwrap()
            .ends_with("ended your mentorship")
            && n["body"] == "We reached the goals."),
        "{news:?}"
    );
}

/// A mentorship's progress page names the skills of the mentee's learning profile
/// (outside a program), and once the mentorship has ended it is a record to read:
/// no form, and its goals refuse changes (409 mentorship_over).
#[tokio::test]
async fn an_ended_mentorships_progress_is_kept_to_read() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "m@example.com", mentor_profile(&["x"], &[], 1))
        .await;
    let mentee = app.register("e@example.com").await;
    let (status, b) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/mentee-profile",
            mentee.token(),
            Some(json!({"bio": "", "goals": [], "skills": ["figma", "sketch"], "interests": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/mentorships/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let c = crate::web_mentors::sign_in(&app, "e@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/mentorship/{id}")).await;
    assert!(
        page.contains("<td data-label=\"Skill\">figma</td>"),
        "{page}"
    );
    assert!(
        page.contains("/progress/skills"),
        "the self-rating form: {page}"
    );
    // A goal sent without its title comes back with what was typed and the reason
    // beside the field named as the page names it.
    let res = c
        .post(app.url(&format!("/mentorship/{id}/progress/goal")))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("title", " "),
            ("milestones", "Pick a case study\nDraft it"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Pick a case study\nDraft it</textarea>"),
        "{html}"
    );
    assert!(html.contains("id=\"f-title-error\""), "{html}");
    assert!(html.contains(">Goal: "), "{html}");
    let goal = |title: &str| json!({"title": title, "milestones": ["First step"]});
    let (status, b) = app
        .post(
            &format!("/api/v1/mentorships/{id}/goals"),
            mentee.token(),
            goal("Ship a portfolio"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    // A mentorship outside any program is the pair's alone: an admin finds neither
    // it nor its progress.
    for path in [
        format!("/api/v1/mentorships/{id}"),
        format!("/api/v1/mentorships/{id}/goals"),
        format!("/api/v1/mentorships/{id}/milestones"),
        format!("/api/v1/mentorships/{id}/skills"),
    ] {
        assert_problem(&app.get(&path, admin.token()).await, 404, "not_found");
    }

    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{id}/end"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &app.post(
            &format!("/api/v1/mentorships/{id}/goals"),
            mentee.token(),
            goal("Another"),
        )
        .await,
        409,
        "mentorship_over",
    );
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/mentorship/{id}")).await;
    assert!(page.contains("id=\"over\""), "{page}");
    assert!(
        page.contains("Ship a portfolio"),
        "the goals stay to read: {page}"
    );
    assert!(
        !page.contains("/progress/"),
        "no form posts to the progress: {page}"
    );
    // And it can be found again from the mentorship lists.
    let (_, hub) = crate::web_mentors::text(&c, &app, "/mentorship?tab=mentors").await;
    assert!(hub.contains("Past requests and mentorships"), "{hub}");
    assert!(
        hub.contains(&format!("href=\"/mentorship/{id}\">goals and progress</a>")),
        "{hub}"
    );
}

/// Accepts a request from `mentee` to `mentor`; the mentorship's id.
async fn accepted(app: &TestApp, mentee: &Session, mentor: &Session) -> String {
    let (status, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let (status, b) = app
        .post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    id
}

#[tokio::test]
async fn goals_and_milestones_are_renamed_and_removed_by_the_pair_only() {
    let (app, _admin, mentor) = setup().await;
    let mentee = app.register("e@example.com").await;
    let id = accepted(&app, &mentee, &mentor).await;
    let goals = format!("/api/v1/mentorships/{id}/goals");
    let (status, v) = app
        .post(
            &goals,
            mentee.token(),
            json!({"title": "Ship a portfolio", "milestones": ["Pick a case study", "Draft it"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, v) = app
        .post(&goals, mentee.token(), json!({"title": "Learn SQL"}))
        .await;
    let portfolio = v["goals"][0]["id"].as_str().unwrap().to_string();
    let sql = v["goals"][1]["id"].as_str().unwrap().to_string();
    let draft = v["goals"][0]["milestones"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // On the page: a refused rename comes back open, with what was typed and why.
    let c = crate::web_mentors::sign_in(&app, "e@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/mentorship/{id}")).await;
    assert!(page.contains("Rename or remove this goal"), "{page}");
    let csrf = crate::web_mentors::csrf_of(&page);
    let post = |what: &str, fields: Vec<(&str, &str)>| {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        c.post(app.url(&format!("/mentorship/{id}/progress/{what}")))
            .form(&form)
            .send()
    };
    let res = post(
        "rename_goal",
        vec![("goal_id", portfolio.as_str()), ("title", "  ")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"rename-{portfolio}-error\"")),
        "{html}"
    );
    assert!(
        html.contains("<details class=\"edit no-print\" open>"),
        "{html}"
    );
    let res = post(
        "rename_goal",
        vec![
            ("goal_id", portfolio.as_str()),
            ("title", "Ship a UX portfolio"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(
        "rename_milestone",
        vec![
            ("milestone_id", draft.as_str()),
            ("title", "Draft the case study"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Removing asks first (without JavaScript) and removes nothing until confirmed.
    let res = post("remove_milestone", vec![("milestone_id", draft.as_str())])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Remove the milestone “Draft the case study”?"),
        "{html}"
    );
    let (_, v) = app.get(&goals, mentee.token()).await;
    assert_eq!(v["goals"][0]["title"], "Ship a UX portfolio", "{v}");
    assert_eq!(v["milestones"], 2, "nothing removed before the answer: {v}");
    let res = post(
        "remove_milestone",
        vec![("milestone_id", draft.as_str()), ("confirmed", "1")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, v) = app.get(&goals, mentee.token()).await;
    assert_eq!(v["milestones"], 1, "{v}");
    assert_eq!(v["goals"][0]["milestones"][0]["title"], "Pick a case study");

    // Nobody outside the pair removes anything; a goal of another mentorship is not
    // this one's to remove.
    let other = app.register("other@example.com").await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("{goals}/{sql}"),
            other.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other_id = accepted(&app, &other, &mentor).await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/mentorships/{other_id}/goals/{sql}"),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The mentor removes a goal with its milestone through the API.
    let (status, v) = app
        .call(
            Method::DELETE,
            &format!("{goals}/{portfolio}"),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["goals"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["goals"][0]["title"], "Learn SQL");
    assert_eq!(v["milestones"], 0, "its milestones went with it: {v}");

    // Once the mentorship is over, its record stays as it was.
    app.post(
        &format!("/api/v1/mentorships/{id}/end"),
        mentor.token(),
        json!({}),
    )
    .await;
    assert_problem(
        &app.call(
            Method::DELETE,
            &format!("{goals}/{sql}"),
            mentee.token(),
            None,
        )
        .await,
        409,
        "mentorship_over",
    );
}

/// A mentorship outside any program counts its sessions held and its last contact
/// too (a message, a session), on the API and its page.
#[tokio::test]
async fn a_mentorship_outside_programs_counts_sessions_and_contact() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = accepted(&app, &mentee, &mentor).await;
    let goals = format!("/api/v1/mentorships/{id}/goals");
    let (_, p) = app.get(&goals, mentee.token()).await;
    assert_eq!(p["sessions_held"], 0, "{p}");
    assert!(p["last_contact"].is_null(), "{p}");
    // A message is contact.
    app.clock.advance(jiff::SignedDuration::from_mins(5));
    let (status, t) = app
        .post(
            "/api/v1/threads",
            mentee.token(),
            json!({"participant_ids": [mentor.user_id]}),
        )
        .await;
    assert!(status.is_success(), "{t}");
    let thread = t["id"].as_str().unwrap();
    let (status, msg) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
            json!({"content": "Hello!"}),
        )
        .await;
    assert!(status.is_success(), "{msg}");
    let (_, p) = app.get(&goals, mentor.token()).await;
    assert_eq!(p["last_contact"], msg["created_at"], "{p}");
    // A session held is counted.
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
        )
        .await;
    let booking = b["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/bookings/{booking}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    app.clock.set("2026-03-03T11:05:00Z".parse().unwrap());
    let (status, c) = app
        .post(
            &format!("/api/v1/bookings/{booking}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let (_, p) = app.get(&goals, mentee.token()).await;
    assert_eq!(p["sessions_held"], 1, "{p}");
    assert_eq!(p["last_contact"], "2026-03-03T10:00:00Z", "{p}");
    let web =
        crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&web, &app, &format!("/mentorship/{id}")).await;
    assert!(page.contains("<dd id=\"sessions-held\">1</dd>"), "{page}");
    assert!(
        page.contains("<dt>Last contact</dt><dd>Tue 3 Mar 2026, 10:00</dd>"),
        "{page}"
    );
}

/// A mentor who hides their profile (`is_public` off) leaves search and their page for
/// everyone else, but their mentees keep seeing them and booking them.
#[tokio::test]
async fn a_hidden_mentor_stays_open_to_their_mentees() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let stranger = app.register("stranger@example.com").await;
    app.grant(&admin, &stranger.user_id, 100).await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "Teach me"}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut hidden = mentor_profile(&["backend"], &["rust"], 10);
    hidden["is_public"] = json!(false);
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/mentor-profile",
            mentor.token(),
            Some(hidden),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let m = &mentor.user_id;
    let paths = [
        format!("/api/v1/mentors/{m}"),
        format!("/api/v1/mentors/{m}/services"),
        format!("/api/v1/mentors/{m}/reviews"),
        format!("/api/v1/mentors/{m}/slots?service_id={service}&from=2026-03-04T00:00:00Z"),
    ];
    for p in &paths {
        assert_problem(&app.get(p, None).await, 404, "not_found");
        assert_problem(&app.get(p, stranger.token()).await, 404, "not_found");
        let (status, body) = app.get(p, mentee.token()).await;
        assert_eq!(status, StatusCode::OK, "{p}: {body}");
    }
    let (_, found) = app.get("/api/v1/mentors?q=backend", mentee.token()).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "not in search");
    let book = json!({"mentor_id": m, "service_id": service, "start": "2026-03-04T10:00:00Z"});
    assert_problem(
        &app.post("/api/v1/bookings", stranger.token(), book.clone())
            .await,
        422,
        "invalid_input",
    );
    let (status, b) = app.post("/api/v1/bookings", mentee.token(), book).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    // Their page too.
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (status, page) = crate::web_mentors::text(&c, &app, &format!("/mentors/{m}")).await;
    assert_eq!(status, StatusCode::OK);
    // Told why they see it, not "only you and admins".
    assert!(
        page.contains("hides this profile from search: you see it as their mentee.")
            && !page.contains("Only you"),
        "{page}"
    );
    // "Schedule a new session" on the Sessions tab, "Book a session" beside the
    // mentor on My mentors: both lead to the mentor's slot picker.
    let (_, hub) = crate::web_mentors::text(&c, &app, "/mentorship?tab=sessions").await;
    assert!(
        hub.contains("Schedule a new session")
            && hub.contains(&format!("href=\"/mentors/{m}#book\">With Test mentor</a>")),
        "{hub}"
    );
    let (_, hub) = crate::web_mentors::text(&c, &app, "/mentorship?tab=mentors").await;
    assert!(
        hub.contains(&format!("href=\"/mentors/{m}#book\">Book a session</a>")),
        "{hub}"
    );
    assert!(
        !hub.contains("Your mentees book sessions with you"),
        "a mentee is not told what mentors are: {hub}"
    );
    // The mentor's Sessions tab speaks to a mentor: their mentees book on their page.
    let mc = crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, hub) = crate::web_mentors::text(&mc, &app, "/mentorship?tab=sessions").await;
    assert!(
        hub.contains(&format!(
            "Your mentees book sessions with you on <a href=\"/mentors/{m}#book\">your page</a>"
        )) && hub.contains("To be mentored yourself, pick a time"),
        "{hub}"
    );
}

/// The limits on goals and milestones hold for requests sent at once: each is counted
/// again under a lock in its write, so 30 goals sent together make 20, and 30
/// milestones sent together to one goal make 20 (before, each request counted what it
/// read before writing, and all of them passed).
#[tokio::test]
async fn goal_and_milestone_limits_hold_for_requests_sent_at_once() {
    let (app, _admin, mentor) = setup().await;
    let mentee = app.register("e@example.com").await;
    let id = accepted(&app, &mentee, &mentor).await;
    let goals = format!("/api/v1/mentorships/{id}/goals");
    let sends = (0..30).map(|i| {
        let (app, goals, token) = (&app, goals.clone(), mentee.token());
        async move {
            app.post(&goals, token, json!({"title": format!("Goal {i}")}))
                .await
                .0
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let made = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((made, refused), (20, 10), "{answers:?}");
    let (_, v) = app.get(&goals, mentee.token()).await;
    assert_eq!(v["goals"].as_array().unwrap().len(), 20, "{v}");
    let goal = v["goals"][0]["id"].as_str().unwrap().to_string();
    let milestones = format!("/api/v1/mentorships/{id}/milestones");
    let sends = (0..30).map(|i| {
        let (app, milestones, token, goal) = (&app, milestones.clone(), mentor.token(), &goal);
        async move {
            app.post(
                &milestones,
                token,
                json!({"goal_id": goal, "title": format!("Step {i}")}),
            )
            .await
            .0
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let made = answers
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(made, 20, "{answers:?}");
    let (_, v) = app.get(&goals, mentee.token()).await;
    assert_eq!(
        v["goals"][0]["milestones"].as_array().unwrap().len(),
        20,
        "{v}"
    );
}
