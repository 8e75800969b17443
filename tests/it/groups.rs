//! Group sessions: publishing, seats and their money, the waitlist, the audience,
//! overlaps, cancelling — and the races (exactly the advertised seats, one promotion
//! per freed seat), on both engines and, on PostgreSQL, over two instances.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, assert_problem, mentor_profile};

/// An approved mentor (zone UTC).
async fn mentor(app: &TestApp, admin: &Session) -> Session {
    app.approved_mentor(
        admin,
        "groupie@example.com",
        mentor_profile(&["backend"], &["rust"], 40),
    )
    .await
}

/// Two days after the test epoch, 15:00 UTC.
fn start() -> String {
    "2026-03-04T15:00:00Z".into()
}

async fn publish(app: &TestApp, m: &Session, body: Value) -> Value {
    let (status, b) = app.post("/api/v1/group-sessions", m.token(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b["items"][0].clone()
}

fn session(seats: i64, credits: i64) -> Value {
    json!({"title": "Rust in practice", "start": start(), "duration_minutes": 90,
           "seats": seats, "credits_per_seat": credits})
}

async fn member(app: &TestApp, admin: &Session, email: &str, credits: i64) -> Session {
    let s = app.register(email).await;
    if credits > 0 {
        app.grant(admin, &s.user_id, credits).await;
    }
    s
}

async fn join(app: &TestApp, s: &Session, id: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/group-sessions/{id}/seats"),
        s.token(),
        json!({}),
    )
    .await
}

async fn leave(app: &TestApp, s: &Session, id: &str) -> (StatusCode, Value) {
    app.call(
        Method::DELETE,
        &format!("/api/v1/group-sessions/{id}/seats"),
        s.token(),
        None,
    )
    .await
}

#[tokio::test]
async fn only_approved_mentors_publish_and_bad_input_is_said_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let someone = app.register("someone@example.com").await;
    assert_problem(
        &app.post("/api/v1/group-sessions", someone.token(), session(10, 5))
            .await,
        403,
        "forbidden",
    );
    let m = mentor(&app, &admin).await;
    let (status, b) = app
        .post(
            "/api/v1/group-sessions",
            m.token(),
            json!({"title": "", "start": "2020-01-01T00:00:00Z", "seats": 500,
                   "credits_per_seat": -3, "audience": "friends"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["title", "start", "seats", "credits_per_seat", "audience"]
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM group_sessions")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing was written");
}

#[tokio::test]
async fn a_session_blocks_the_mentors_time_and_cannot_be_published_over_a_booking() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (m, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let g = publish(&app, &m, session(5, 0)).await;
    assert_eq!(g["seats_left"], 5);
    // The session's hour and a half is no longer offered as 1:1 slots.
    let (_, slots) = app
        .get(
            &format!(
                "/api/v1/mentors/{}/slots?service_id={service}&from=2026-03-04T00:00:00Z&to=2026-03-05T00:00:00Z",
                m.user_id
            ),
            None,
        )
        .await;
    let starts: Vec<&str> = slots["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    assert!(starts.contains(&"2026-03-04T14:00:00Z"), "{starts:?}");
    assert!(!starts.contains(&"2026-03-04T15:00:00Z"));
    assert!(!starts.contains(&"2026-03-04T16:00:00Z"));
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": m.user_id, "service_id": service, "start": "2026-03-04T15:00:00Z"}),
        )
        .await,
        409,
        "slot_unavailable",
    );
    // A booking first: no session over it.
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": m.user_id, "service_id": service, "start": "2026-03-05T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let mut over = session(5, 0);
    over["start"] = json!("2026-03-05T09:30:00Z");
    let refused = app.post("/api/v1/group-sessions", m.token(), over).await;
    assert_problem(&refused, 409, "time_taken");
    // It names the booking in the way, not the new session's start.
    assert!(
        refused.1["detail"]
            .as_str()
            .unwrap()
            .contains("at Thu 5 Mar 2026, 10:00–11:00 (UTC)"),
        "{}",
        refused.1
    );
}

#[tokio::test]
async fn weekly_repeats_keep_the_local_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            m.token(),
            Some(json!({"timezone": "America/New_York"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Thu 5 Mar 2026 18:00 in New York (EST); summer time starts on the 8th.
    let mut body = session(10, 0);
    body["start"] = json!("2026-03-05T23:00:00Z");
    body["repeat_weeks"] = json!(3);
    let (status, b) = app.post("/api/v1/group-sessions", m.token(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let starts: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["start_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-03-05T23:00:00Z",
            "2026-03-12T22:00:00Z",
            "2026-03-19T22:00:00Z"
        ]
    );
    // Each has its chat, named by the session as it is now and told apart by its date.
    let first = b["items"][0]["id"].as_str().unwrap().to_string();
    let mut renamed = session(10, 0);
    renamed["start"] = json!("2026-03-05T23:00:00Z");
    renamed["title"] = json!("Rust, week one");
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/group-sessions/{first}"),
            m.token(),
            Some(renamed),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, threads) = app.get("/api/v1/threads", m.token()).await;
    let mut named: Vec<(String, String)> = threads["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["group_session_start"].as_str().unwrap().to_string(),
                t["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            ("2026-03-05T23:00:00Z".into(), "Rust, week one".into()),
            ("2026-03-12T22:00:00Z".into(), "Rust in practice".into()),
            ("2026-03-19T22:00:00Z".into(), "Rust in practice".into()),
        ],
        "{threads}"
    );
    let c = crate::web_mentors::sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, chat) = crate::web_mentors::text(&c, &app, "/chat").await;
    for name in [
        "Rust, week one, Thu 5 Mar 2026, 18:00",
        "Rust in practice, Thu 12 Mar 2026, 18:00",
        "Rust in practice, Thu 19 Mar 2026, 18:00",
    ] {
        assert!(chat.contains(name), "{name}: {chat}");
    }
    let thread = threads["items"][0]["id"].as_str().unwrap();
    let session_id = threads["items"][0]["group_session_id"].as_str().unwrap();
    let (_, conversation) = crate::web_mentors::text(&c, &app, &format!("/chat/{thread}")).await;
    assert!(
        conversation.contains(&format!("<a href=\"/group-sessions/{session_id}\">")),
        "the heading leads to the session: {conversation}"
    );
    // Named as the session's chat, not "Chat with" a session; an empty one says what
    // it is for.
    assert!(
        conversation
            .contains("<title>Rust in practice, Thu 19 Mar 2026, 18:00 · chat · mentorhub</title>"),
        "{conversation}"
    );
    assert!(
        conversation.contains("id=\"group-chat-hint\""),
        "{conversation}"
    );
    // And the session's page leads to its chat: the mentor's and a seated member's,
    // not someone without a seat.
    let chat = format!("href=\"/chat/{thread}\"");
    let (_, page) =
        crate::web_mentors::text(&c, &app, &format!("/group-sessions/{session_id}")).await;
    assert!(page.contains(&chat), "{page}");
    for (email, seated) in [("seated@example.com", true), ("outside@example.com", false)] {
        let who = member(&app, &admin, email, 0).await;
        if seated {
            assert_eq!(join(&app, &who, session_id).await.0, StatusCode::CREATED);
        }
        let web = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, page) =
            crate::web_mentors::text(&web, &app, &format!("/group-sessions/{session_id}")).await;
        assert_eq!(page.contains(&chat), seated, "{email}: {page}");
        assert!(!page.contains("href=\"/chat\">messages"), "{page}");
    }
    // Each date says which weekly run it is in; a one-off is in none. The list's cards
    // say which are weekly.
    for g in b["items"].as_array().unwrap() {
        assert_eq!(g["weekly_run"], json!(first), "{g}");
    }
    let mut once = session(10, 0);
    once["start"] = json!("2026-03-06T15:00:00Z");
    let once = publish(&app, &m, once).await;
    assert_eq!(once["weekly_run"], Value::Null, "{once}");
    let (_, list) =
        crate::web_mentors::text(&reqwest::Client::new(), &app, "/group-sessions").await;
    assert_eq!(
        list.matches("<span class=\"badge\">Weekly</span>").count(),
        3,
        "{list}"
    );
}

#[tokio::test]
async fn joining_holds_credits_leaving_follows_the_policy_and_the_line_waits() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 30)).await;
    let id = g["id"].as_str().unwrap();
    let a = member(&app, &admin, "a@example.com", 100).await;
    let b = member(&app, &admin, "b@example.com", 100).await;
    let c = member(&app, &admin, "c@example.com", 100).await;
    let poor = member(&app, &admin, "poor@example.com", 10).await;

    let (status, seat) = join(&app, &a, id).await;
    assert_eq!(status, StatusCode::CREATED, "{seat}");
    assert_eq!(seat["my_seat"]["status"], "seated");
    assert_eq!(app.balance(&a).await.0, 70);
    let (_, credits) = app.get("/api/v1/me/credits", a.token()).await;
    assert_eq!(
        credits["entries"][0]["memo"],
        format!(
            "A seat in the group session “{}”",
            g["title"].as_str().unwrap()
        ),
        "the history names the session: {credits}"
    );
    assert_eq!(credits["entries"][0]["group_session_id"], id, "{credits}");
    assert_eq!(
        credits["entries"][0]["group_start"], g["start_at"],
        "{credits}"
    );
    assert_problem(&join(&app, &a, id).await, 409, "already_joined");
    assert_problem(&join(&app, &m, id).await, 409, "own_session");
    assert_problem(&join(&app, &poor, id).await, 402, "insufficient_credits");
    assert_eq!(app.balance(&poor).await.0, 10, "nothing taken");
    let (_, seat) = join(&app, &b, id).await;
    assert_eq!(seat["my_seat"]["status"], "seated");
    assert_eq!(seat["seats_left"], 0);
    // Full: a place in line, nothing charged.
    let (status, seat) = join(&app, &c, id).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(seat["my_seat"]["status"], "waiting");
    assert_eq!(seat["my_seat"]["ahead"], 0);
    assert_eq!(app.balance(&c).await.0, 100);
    app.assert_ledger_ok().await;

    // Leaving early: everything back; the seat goes to the line at once.
    let (status, left) = leave(&app, &a, id).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["refunded"], 30);
    assert_eq!(left["seat_taken_by_waitlist"], true);
    assert_eq!(app.balance(&a).await.0, 100);
    let title = g["title"].as_str().unwrap();
    let (_, credits) = app.get("/api/v1/me/credits", a.token()).await;
    assert_eq!(
        credits["entries"][0]["memo"],
        format!("A seat in the group session “{title}”: credits returned"),
        "a refund reads as one: {credits}"
    );
    assert_eq!(credits["entries"][0]["group_session_id"], id, "{credits}");
    // The wallet page dates both lines and leads to the session.
    let web = crate::web_mentors::sign_in(&app, "a@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&web, &app, "/credits").await;
    assert_eq!(
        page.matches(&format!(" · <a href=\"/group-sessions/{id}\">"))
            .count(),
        2,
        "{page}"
    );
    assert_eq!(app.balance(&c).await.0, 70, "charged when seated");
    let (_, now) = app
        .get(&format!("/api/v1/group-sessions/{id}"), c.token())
        .await;
    assert_eq!(now["my_seat"]["status"], "seated");
    let (_, notes) = app.get("/api/v1/notifications", c.token()).await;
    assert!(notes.to_string().contains("You have a seat in"), "{notes}");

    // Leaving late (within 24 h): half back, half to the mentor.
    app.clock.advance(jiff::SignedDuration::from_hours(40));
    let (_, left) = leave(&app, &b, id).await;
    assert_eq!(left["refunded"], 15);
    let (_, credits) = app.get("/api/v1/me/credits", b.token()).await;
    assert_eq!(
        credits["entries"][0]["memo"],
        format!(
            "A seat in the group session “{title}”: 15 of 30 credits back to the attendee, \
             the rest to the mentor"
        ),
        "{credits}"
    );
    assert_eq!(left["seat_taken_by_waitlist"], false, "nobody in line");
    assert_eq!(app.balance(&m).await.0, 15);
    let (_, paid) = app.get("/api/v1/me/credits", m.token()).await;
    assert_eq!(
        paid["entries"][0]["group_session_id"], id,
        "the mentor's pay too: {paid}"
    );
    assert_problem(&leave(&app, &b, id).await, 409, "not_joined");
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn the_mentor_is_told_who_joins_waits_for_a_seat_and_leaves() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 30)).await;
    let id = g["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 100).await;
    let bob = member(&app, &admin, "bob@example.com", 100).await;
    let cy = member(&app, &admin, "cy@example.com", 100).await;
    let dee = member(&app, &admin, "dee@example.com", 100).await;
    let roster = || async {
        app.notifications(&m)
            .await
            .into_iter()
            .filter(|n| n["kind"] == "group_roster")
            .map(|n| {
                (
                    n["title"].as_str().unwrap().to_string(),
                    n["body"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(roster().await.is_empty());

    for who in [&ann, &bob, &cy, &dee] {
        assert_eq!(join(&app, who, id).await.0, StatusCode::CREATED);
    }
    let told = roster().await;
    assert_eq!(told.len(), 4, "{told:?}");
    assert_eq!(told[3].0, "Test ann joined “Rust in practice”");
    assert!(
        told[3].1.starts_with("1 of 2 seats are taken now."),
        "{told:?}"
    );
    assert!(
        told[2].1.starts_with("2 of 2 seats are taken now."),
        "{told:?}"
    );
    assert_eq!(told[1].0, "Test cy is in line for “Rust in practice”");
    assert!(
        told[1].1.starts_with("Every seat is taken. A seat you add"),
        "{told:?}"
    );
    assert!(told[1].1.contains("When: "), "{told:?}");
    assert_eq!(told[0].0, "Test dee is in line for “Rust in practice”");

    // A seated person leaves: the mentor learns who took the seat from the line.
    assert_eq!(leave(&app, &ann, id).await.0, StatusCode::OK);
    let told = roster().await;
    assert_eq!(told.len(), 5, "{told:?}");
    assert_eq!(told[0].0, "Test ann left “Rust in practice”");
    assert!(
        told[0]
            .1
            .starts_with("Test cy took the seat from the line. 2 of 2 seats are taken now."),
        "{told:?}"
    );
    // Dee leaves the line (not told), then, nobody in line, a seat stays free.
    assert_eq!(leave(&app, &dee, id).await.0, StatusCode::OK);
    assert_eq!(roster().await.len(), 5);
    assert_eq!(leave(&app, &bob, id).await.0, StatusCode::OK);
    let told = roster().await;
    assert!(
        told[0].1.starts_with("1 of 2 seats are taken now."),
        "{told:?}"
    );

    // In-app only by default: no email to the mentor for any of it; their settings
    // offer the kind.
    let mails = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "groupie@example.com")
        .await
        .unwrap();
    assert!(
        !mails.iter().any(|e| e.subject.contains("Rust in practice")),
        "{:?}",
        mails.iter().map(|e| &e.subject).collect::<Vec<_>>()
    );
    let kinds = |p: Value| {
        p["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kind"] == "group_roster")
            .map(|k| (k["in_app"].clone(), k["email"].clone()))
            .collect::<Vec<_>>()
    };
    let (_, p) = app
        .get("/api/v1/me/notification-preferences", m.token())
        .await;
    assert_eq!(kinds(p), vec![(json!(true), json!(false))]);
}

#[tokio::test]
async fn a_seat_and_a_booking_never_overlap_for_one_person() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (m, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let other = app
        .approved_mentor(&admin, "other@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let g = publish(&app, &other, session(5, 10)).await;
    let id = g["id"].as_str().unwrap();
    // Booked 15:00–16:00 with the first mentor: the 15:00 session overlaps.
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": m.user_id, "service_id": service, "start": "2026-03-04T15:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_problem(&join(&app, &mentee, id).await, 409, "slot_unavailable");
    // The other way round: seated at 15:00–16:30, no 1:1 at 16:00.
    let mut later = session(5, 10);
    later["start"] = json!("2026-03-05T15:00:00Z");
    let g2 = publish(&app, &other, later).await;
    let (status, _) = join(&app, &mentee, g2["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": m.user_id, "service_id": service, "start": "2026-03-05T16:00:00Z"}),
        )
        .await,
        409,
        "slot_unavailable",
    );
}

#[tokio::test]
async fn the_audience_rule_holds_on_every_endpoint() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(5, 0);
    body["audience"] = json!("my_mentees");
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap();
    let stranger = member(&app, &admin, "stranger@example.com", 0).await;
    let (status, _) = app
        .get(&format!("/api/v1/group-sessions/{id}"), stranger.token())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_problem(&join(&app, &stranger, id).await, 404, "not_found");
    // Leaving it says no more than joining: not "you have no seat".
    assert_problem(&leave(&app, &stranger, id).await, 404, "not_found");
    let (_, list) = app.get("/api/v1/group-sessions", stranger.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, list) = app.get("/api/v1/group-sessions", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // A visitor following a shared link is asked to sign in and comes back to it; a
    // link to nothing stays "not found".
    let visitor = crate::web_mentors::client();
    let res = visitor
        .get(app.url(&format!("/group-sessions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/login?next=/group-sessions/{id}").as_str()
    );
    let res = visitor
        .get(app.url("/group-sessions/0190b1c4-0000-7000-8000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Signed in but not a mentee of the mentor: told whom it is for.
    let sc =
        crate::web_mentors::sign_in(&app, "stranger@example.com", "correct horse battery").await;
    let (status, html) =
        crate::web_mentors::text(&sc, &app, &format!("/group-sessions/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("This group session is for its mentor"),
        "{html}"
    );
    let res = visitor.get(app.url("/groups/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/group-sessions");

    // A mentee of the mentor sees and joins it.
    let mentee = member(&app, &admin, "mentee@example.com", 0).await;
    let (status, r) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": m.user_id, "message": "Hello, I would like to learn."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{}/accept", r["id"].as_str().unwrap()),
            m.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get("/api/v1/group-sessions", mentee.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _) = join(&app, &mentee, id).await;
    assert_eq!(status, StatusCode::CREATED);
    // The roster is the mentor's; names are not shown to attendees by default.
    let (_, roster) = app
        .get(&format!("/api/v1/group-sessions/{id}/seats"), m.token())
        .await;
    assert_eq!(roster["items"][0]["user_id"], json!(mentee.user_id));
    assert_problem(
        &app.get(
            &format!("/api/v1/group-sessions/{id}/seats"),
            mentee.token(),
        )
        .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn cancelling_refunds_every_seat_in_full_and_tells_everyone() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 25)).await;
    let id = g["id"].as_str().unwrap();
    // One writes in the session's chat, then leaves: their line keeps their name.
    // Then three join for two seats.
    let thread = g["thread_id"].as_str().unwrap().to_string();
    let leaver = member(&app, &admin, "leaver@example.com", 50).await;
    join(&app, &leaver, id).await;
    let (status, b) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            leaver.token(),
            json!({"content": "See you all there"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    // The mentor, away, is told which session's line it is, and by first name only.
    let (_, n) = app.get("/api/v1/notifications", m.token()).await;
    let note = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "new_message")
        .unwrap_or_else(|| panic!("{n}"))
        .clone();
    assert_eq!(note["title"], "New message in “Rust in practice”");
    assert_eq!(
        note["body"],
        "Test: See you all there\nThe session: Wed 4 Mar 2026, 15:00 (UTC)"
    );
    assert_eq!(note["read"], false);
    // Reading the line reads its notification.
    let (status, _) = app
        .post(
            &format!("/api/v1/threads/{thread}/read"),
            m.token(),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (_, n) = app.get("/api/v1/notifications", m.token()).await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "new_message")
            .all(|i| i["read"] == true),
        "{n}"
    );
    let (status, _) = leave(&app, &leaver, id).await;
    assert_eq!(status, StatusCode::OK);
    let mut people = vec![];
    for i in 0..3 {
        let p = member(&app, &admin, &format!("p{i}@example.com"), 50).await;
        join(&app, &p, id).await;
        people.push(p);
    }
    let stranger = member(&app, &admin, "x@example.com", 0).await;
    assert_problem(
        &app.post(
            &format!("/api/v1/group-sessions/{id}/cancel"),
            stranger.token(),
            json!({"reason": "no"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/group-sessions/{id}/cancel"),
            m.token(),
            json!({"reason": " "}),
        )
        .await,
        422,
        "invalid_input",
    );
    // The mentor's confirmation says whom it reaches and what comes back.
    let web =
        crate::web_mentors::sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&web, &app, &format!("/group-sessions/{id}")).await;
    let res = web
        .post(app.url(&format!("/group-sessions/{id}/cancel")))
        .form(&[("csrf", crate::web_mentors::csrf_of(&page))])
        .send()
        .await
        .unwrap();
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("The 2 people seated and the 1 person in line are told, with your reason. Each seat&#39;s 25 credits go back in full.")
            && !ask.contains("Only this date")
            && ask.contains("Cancel “Rust in practice”, Wed 4 Mar 2026, 15:00?"),
        "{ask}"
    );
    // One of them reads times in Tokyo: their notice gives the session's time in
    // their zone and, saying whose, the mentor's (one moment, not a range).
    app.call(
        Method::PATCH,
        "/api/v1/me",
        people[0].token(),
        Some(json!({"timezone": "Asia/Tokyo"})),
    )
    .await;
    let (status, g) = app
        .post(
            &format!("/api/v1/group-sessions/{id}/cancel"),
            m.token(),
            json!({"reason": "I am ill"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "cancelled");
    for p in &people {
        assert_eq!(app.balance(p).await, (50, 0));
        let (_, notes) = app.get("/api/v1/notifications", p.token()).await;
        assert!(notes.to_string().contains("I am ill"), "{notes}");
    }
    let (_, notes) = app.get("/api/v1/notifications", people[0].token()).await;
    let body = notes["items"][0]["body"].as_str().unwrap();
    assert!(
        body.contains("When: Thu 5 Mar 2026, 00:00 (Asia/Tokyo); for ")
            && body.ends_with(", Wed 4 Mar 2026, 15:00 (UTC)."),
        "{body}"
    );
    assert_problem(&join(&app, &stranger, id).await, 409, "session_closed");
    app.assert_ledger_ok().await;
    // Its page reads as cancelled, not as a session with seats left to take.
    let c = crate::web_mentors::sign_in(&app, "p0@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        page.contains(
            "This session was cancelled: I am ill. Anyone who had a seat got their credits back."
        ),
        "{page}"
    );
    assert!(page.contains("25 credits a seat, all returned"), "{page}");
    assert!(!page.contains("id=\"seats\""), "{page}");
    // The chat says so; the line of the one who left is still an attendee's (the
    // session keeps attendees' names from each other, so not their name).
    let (_, chat) = crate::web_mentors::text(&c, &app, &format!("/chat/{thread}")).await;
    assert!(
        chat.contains("This session is cancelled. The mentor cancelled it: I am ill."),
        "{chat}"
    );
    let line = chat
        .split("<li class=\"message")
        .find(|l| l.contains("See you all there"))
        .expect("the line is shown");
    assert!(
        line.contains("<span class=\"sender\">An attendee</span>"),
        "{line}"
    );
    assert!(
        line.contains("More on this message from An attendee"),
        "{line}"
    );
}

/// 100 people join a 10-seat session at once (over two instances on PostgreSQL):
/// exactly 10 are seated and charged, 90 wait in one consistent order, no wallet is
/// charged without a seat.
#[tokio::test]
async fn a_hundred_joins_for_ten_seats_seat_exactly_ten() {
    let app = TestApp::spawn().await;
    let second = if app.db.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(10, 7)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let mut people = vec![];
    for i in 0..100 {
        people.push(member(&app, &admin, &format!("j{i}@example.com"), 20).await);
    }
    let results = join_all(people.iter().enumerate().map(|(i, p)| {
        let on = match (&second, i % 2) {
            (Some(s), 1) => s,
            _ => &app,
        };
        let id = id.clone();
        async move { join(on, p, &id).await }
    }))
    .await;
    let mut seated = 0;
    let mut ahead = vec![];
    for (status, b) in &results {
        assert_eq!(*status, StatusCode::CREATED, "{b}");
        match b["my_seat"]["status"].as_str() {
            Some("seated") => seated += 1,
            Some("waiting") => ahead.push(b["my_seat"]["ahead"].as_i64().unwrap()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seated, 10);
    let mut charged = 0;
    for p in &people {
        let (balance, _) = app.balance(p).await;
        assert!(balance == 20 || balance == 13, "{balance}");
        if balance == 13 {
            charged += 1;
        }
    }
    assert_eq!(charged, 10, "charged exactly the seated");
    // The line has one order: positions 0..89, each once.
    let (_, roster) = app
        .get(&format!("/api/v1/group-sessions/{id}/seats"), m.token())
        .await;
    let mut line: Vec<i64> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "waiting")
        .map(|s| s["ahead"].as_i64().unwrap())
        .collect();
    line.sort_unstable();
    assert_eq!(line, (0..90).collect::<Vec<i64>>());
    app.assert_ledger_ok().await;
}

/// Ten seated people leave at once with twenty in line, some of whom cannot pay:
/// exactly ten are seated from the line (none twice), those who cannot pay are passed
/// over and told, and the ledger holds.
#[tokio::test]
async fn ten_leaving_at_once_give_exactly_ten_seats_to_the_line() {
    let app = TestApp::spawn().await;
    let second = if app.db.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(10, 5)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let mut seated = vec![];
    for i in 0..10 {
        let p = member(&app, &admin, &format!("s{i}@example.com"), 5).await;
        assert_eq!(join(&app, &p, &id).await.0, StatusCode::CREATED);
        seated.push(p);
    }
    let mut line = vec![];
    for i in 0..20 {
        // Waiting costs nothing: every third one in line cannot pay a seat.
        let credits = if i % 3 == 0 { 0 } else { 5 };
        let p = member(&app, &admin, &format!("w{i}@example.com"), credits).await;
        let (_, b) = join(&app, &p, &id).await;
        assert_eq!(b["my_seat"]["status"], "waiting");
        line.push(p);
    }
    let results = join_all(seated.iter().enumerate().map(|(i, p)| {
        let on = match (&second, i % 2) {
            (Some(s), 1) => s,
            _ => &app,
        };
        let id = id.clone();
        async move { leave(on, p, &id).await }
    }))
    .await;
    for (status, b) in &results {
        assert_eq!(*status, StatusCode::OK, "{b}");
        assert_eq!(b["seat_taken_by_waitlist"], true, "{b}");
    }
    let (_, g) = app
        .get(&format!("/api/v1/group-sessions/{id}"), m.token())
        .await;
    assert_eq!(g["seats_left"], 0);
    // The first 10 who could pay, in order, hold the seats; those before them who
    // could not were passed over.
    let can_pay: Vec<usize> = (0..20).filter(|i| i % 3 != 0).collect();
    let expected_seated: Vec<usize> = can_pay[..10].to_vec();
    let last = *expected_seated.last().unwrap();
    for (i, p) in line.iter().enumerate() {
        let (_, me) = app
            .get(&format!("/api/v1/group-sessions/{id}"), p.token())
            .await;
        let status = me["my_seat"]["status"].as_str();
        if expected_seated.contains(&i) {
            assert_eq!(status, Some("seated"), "line {i}: {me}");
            assert_eq!(app.balance(p).await, (0, 5));
        } else if i % 3 == 0 && i < last {
            assert_eq!(status, None, "line {i} passed over: {me}");
            let (_, notes) = app.get("/api/v1/notifications", p.token()).await;
            assert!(
                notes
                    .to_string()
                    .contains("You were passed over for a seat"),
                "{notes}"
            );
        } else {
            assert_eq!(status, Some("waiting"), "line {i}: {me}");
        }
    }
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'seat_hold'")
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap();
    assert_eq!(n, 20, "10 first seats and 10 promotions, each charged once");
    app.assert_ledger_ok().await;
}

/// Attendance after the session: each seat pays the mentor (an absent one too), the
/// line closes; not before the start, not twice; unrecorded sessions close by
/// themselves after the grace.
#[tokio::test]
async fn attendance_pays_the_mentor_for_every_seat_and_unrecorded_sessions_close_themselves() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 20)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let a = member(&app, &admin, "a@example.com", 20).await;
    let b = member(&app, &admin, "b@example.com", 20).await;
    let c = member(&app, &admin, "c@example.com", 20).await;
    for p in [&a, &b, &c] {
        join(&app, p, &id).await;
    }
    let path = format!("/api/v1/group-sessions/{id}/attendance");
    assert_problem(
        &app.post(&path, m.token(), json!({"absent": []})).await,
        409,
        "invalid_transition",
    );
    app.clock.advance(jiff::SignedDuration::from_hours(55));
    assert_problem(
        &app.post(&path, a.token(), json!({"absent": []})).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(&path, m.token(), json!({"absent": [c.user_id]}))
            .await,
        422,
        "invalid_input",
    );
    let (status, done) = app
        .post(&path, m.token(), json!({"absent": [b.user_id]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    // The one marked absent is told what their seat paid; the one who came is not.
    let told = |s: &Session| {
        let app = &app;
        let token = s.token().map(str::to_string);
        async move {
            app.get("/api/v1/notifications", token.as_deref())
                .await
                .1
                .to_string()
        }
    };
    let absent_note = told(&b).await;
    assert!(
        absent_note.contains("Marked absent from")
            && absent_note.contains("your seat's 20 credits pay Test for it"),
        "{absent_note}"
    );
    assert!(!told(&a).await.contains("Marked absent"));
    // The mentor's page lists who came and who did not.
    {
        use crate::web_mentors::{sign_in, text};
        let c = sign_in(&app, "groupie@example.com", "correct horse battery").await;
        let (_, html) = text(&c, &app, &format!("/group-sessions/{id}")).await;
        assert!(
            html.contains("Came (1)")
                && html.contains(&format!(
                    "<ul id=\"absent\"><li><a href=\"/mentees/{}\">Test b</a></li></ul>",
                    b.user_id
                )),
            "{html}"
        );
    }
    assert_eq!(app.balance(&m).await.0, 40, "both seats pay");
    assert_eq!(app.balance(&c).await, (20, 0), "the line paid nothing");
    assert_problem(
        &app.post(&path, m.token(), json!({"absent": []})).await,
        409,
        "session_closed",
    );
    let (_, roster) = app
        .get(&format!("/api/v1/group-sessions/{id}/seats"), m.token())
        .await;
    assert_eq!(roster["items"].as_array().unwrap().len(), 0, "nobody live");
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, status FROM group_seats WHERE session_id = $1 ORDER BY queued_at, id",
    )
    .bind(&id)
    .fetch_all(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        [
            (a.user_id.clone(), "attended".to_string()),
            (b.user_id.clone(), "absent".to_string()),
            (c.user_id.clone(), "left".to_string()),
        ]
    );

    // Another session, never recorded: closed after the grace, everyone attended.
    let mut later = session(2, 10);
    later["start"] = json!("2026-03-10T15:00:00Z");
    let g2 = publish(&app, &m, later).await;
    let id2 = g2["id"].as_str().unwrap();
    let d = member(&app, &admin, "d@example.com", 10).await;
    join(&app, &d, id2).await;
    app.clock.set("2026-03-10T16:45:00Z".parse().unwrap());
    app.tick().await;
    let (_, still) = app
        .get(&format!("/api/v1/group-sessions/{id2}"), m.token())
        .await;
    assert_eq!(still["status"], "open", "within the grace");
    app.clock.set("2026-03-10T17:31:00Z".parse().unwrap());
    app.tick().await;
    let (_, closed) = app
        .get(&format!("/api/v1/group-sessions/{id2}"), m.token())
        .await;
    assert_eq!(closed["status"], "completed");
    assert_eq!(app.balance(&m).await.0, 50);
    app.assert_ledger_ok().await;

    // The dashboards count them: two held, two attended (b was absent), the seats in
    // the mentor's earnings.
    let (_, dash) = app.get("/api/v1/me/dashboard", m.token()).await;
    let mine = &dash["mentor"];
    assert_eq!(mine["group_sessions_held"], 2, "{dash}");
    assert_eq!(mine["group_attendees"], 2);
    assert_eq!(mine["earnings"], 50);
    assert_eq!(
        mine["minutes_given"],
        90 + 90,
        "the time of both sessions held"
    );
    let (_, dash) = app.get("/api/v1/me/dashboard", a.token()).await;
    assert_eq!(dash["mentee"]["minutes_received"], 90, "attended: {dash}");
    let (_, dash) = app.get("/api/v1/me/dashboard", b.token()).await;
    assert_eq!(dash["mentee"]["minutes_received"], 0, "absent: {dash}");
    let web =
        crate::web_mentors::sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&web, &app, "/dashboard").await;
    assert!(
        page.contains(
            "<span class=\"stat-value\">3</span><span class=\"stat-label\">hours given</span>"
        ),
        "{page}"
    );
    let (_, stats) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(stats["totals"]["group_sessions_held"], 2, "{stats}");
    assert_eq!(stats["totals"]["group_attendees"], 2);
}

/// A minimum attendance is checked once, at the decision time: not met, the session is
/// cancelled and refunded once; met, it stays even if people leave later.
#[tokio::test]
async fn minimum_attendance_is_decided_once_at_the_decision_time() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(5, 10);
    body["min_attendance"] = json!(2);
    body["decide_at"] = json!("2026-03-03T15:00:00Z");
    let thin = publish(&app, &m, body.clone()).await;
    body["start"] = json!("2026-03-06T15:00:00Z");
    body["decide_at"] = json!("2026-03-05T15:00:00Z");
    let full = publish(&app, &m, body).await;
    let (thin, full) = (thin["id"].as_str().unwrap(), full["id"].as_str().unwrap());
    let a = member(&app, &admin, "a@example.com", 50).await;
    let b = member(&app, &admin, "b@example.com", 50).await;
    join(&app, &a, thin).await;
    join(&app, &a, full).await;
    join(&app, &b, full).await;
    app.tick().await;
    let (_, t) = app
        .get(&format!("/api/v1/group-sessions/{thin}"), a.token())
        .await;
    assert_eq!(t["status"], "open", "before the decision time");
    app.clock.set("2026-03-03T15:00:01Z".parse().unwrap());
    app.tick().await;
    app.tick().await;
    let (_, t) = app
        .get(&format!("/api/v1/group-sessions/{thin}"), a.token())
        .await;
    assert_eq!(t["status"], "cancelled");
    assert_eq!(app.balance(&a).await, (40, 10), "refunded once");
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert!(notes.to_string().contains("Fewer than 2 people"), "{notes}");
    // Its mentor is told too (nobody else called it off).
    let told = app.notifications(&m).await;
    let off = told
        .iter()
        .find(|n| {
            n["title"]
                .as_str()
                .unwrap_or("")
                .ends_with("is cancelled: too few joined")
        })
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(
        off["body"].as_str().unwrap().contains(
            "It needed at least 2 people by the decision time; 1 person had joined and was refunded."
        ),
        "{off}"
    );
    // Met at its decision time: it stays, even when one leaves afterwards.
    app.clock.set("2026-03-05T15:00:01Z".parse().unwrap());
    app.tick().await;
    leave(&app, &b, full).await;
    app.tick().await;
    let (_, f) = app
        .get(&format!("/api/v1/group-sessions/{full}"), a.token())
        .await;
    assert_eq!(f["status"], "open");
    app.assert_ledger_ok().await;
}

/// The pages: the mentor publishes from the editor (the start typed in their zone),
/// members find it on the "Group sessions" tab and the mentor's profile, join with the
/// cost and the policy said first, leave through a confirmation that says what comes
/// back; the mentor sees the roster and the line.
#[tokio::test]
async fn the_pages_publish_join_confirm_leaving_and_show_the_roster() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        m.token(),
        Some(json!({"timezone": "Africa/Nairobi"})),
    )
    .await;
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (status, html) = text(&mc, &app, "/group-sessions/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("In your zone, Africa/Nairobi."));
    let csrf = csrf_of(&html);
    // Everything wrong at once, typed input kept.
    let res = mc
        .post(app.url("/group-sessions/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Typed title"),
            ("start", ""),
            ("seats", "lots"),
            ("duration_minutes", "60"),
            ("credits_per_seat", "10"),
            ("audience", "public"),
            ("repeat_weeks", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("2 things to fix"), "{html}");
    assert!(html.contains("href=\"#seats\">Seats: Enter a whole number.</a>"));
    assert!(html.contains("value=\"Typed title\""));
    // A date without its time (a browser without a date-time picker) is not read as
    // that day's midnight, and no typed start makes the page fail.
    for start in [
        "2026-03-04",
        "2026-03-04T",
        "2026-03-0éT18:00",
        "2026-03-04T18:00é",
    ] {
        let res = mc
            .post(app.url("/group-sessions/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("title", "Career chat"),
                ("start", start),
                ("seats", "2"),
                ("duration_minutes", "60"),
                ("credits_per_seat", "10"),
                ("audience", "public"),
                ("repeat_weeks", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{start}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("href=\"#start\">Starts: Enter a date and a time.</a>"),
            "{start}: {html}"
        );
    }
    let res = mc
        .post(app.url("/group-sessions/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Career chat"),
            ("description", "Bring questions."),
            ("start", "2026-03-04T18:00"),
            ("seats", "2"),
            ("duration_minutes", "60"),
            ("credits_per_seat", "10"),
            ("audience", "public"),
            ("repeat_weeks", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = res.headers()["location"].to_str().unwrap().to_string();
    let id = at.trim_start_matches("/group-sessions/").to_string();
    let (_, g) = app.get(&format!("/api/v1/group-sessions/{id}"), None).await;
    assert_eq!(g["start_at"], "2026-03-04T15:00:00Z", "18:00 in Nairobi");

    // A member in Los Angeles finds it and joins.
    let a = member(&app, &admin, "ann@example.com", 30).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        a.token(),
        Some(json!({"timezone": "America/Los_Angeles"})),
    )
    .await;
    let ac = sign_in(&app, "ann@example.com", "correct horse battery").await;
    let (_, html) = text(&ac, &app, "/group-sessions").await;
    assert!(
        html.contains("Career chat") && html.contains("2 of 2 seats left"),
        "{html}"
    );
    // The pages' old addresses (in notices and calendar files sent before) lead to
    // the same page, query and method kept.
    for (old, new) in [
        (format!("/groups/{id}"), at.clone()),
        (
            "/groups?q=career".to_string(),
            "/group-sessions?q=career".to_string(),
        ),
    ] {
        let res = ac.get(app.url(&old)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT, "{old}");
        assert_eq!(res.headers()["location"], new.as_str(), "{old}");
    }
    let (_, html) = text(&ac, &app, &format!("/mentors/{}", m.user_id)).await;
    assert!(html.contains("id=\"group-sessions\"") && html.contains("Career chat"));
    let (_, html) = text(&ac, &app, &at).await;
    assert!(
        html.contains("Wed 4 Mar 2026, 07:00 – 08:00 (America/Los_Angeles)"),
        "{html}"
    );
    assert!(html.contains("18:00 – 19:00 (Africa/Nairobi) for"));
    assert!(html.contains("Leave before") && html.contains("all 10 credits come back"));
    assert!(html.contains("Take a seat for 10 credits"));
    assert!(html.contains("With a seat, the meeting link shows here"));
    let res = ac
        .post(app.url(&format!("{at}/join")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&ac, &app, &at).await;
    assert!(html.contains("You have a seat."), "{html}");
    // The terms of leaving stay in sight, and the cost says where the credits are.
    assert!(
        html.contains("Leave before") && html.contains("10 credits, held for your seat"),
        "{html}"
    );
    assert_eq!(app.balance(&a).await, (20, 10));

    // Leaving asks first and says what comes back.
    let res = ac
        .post(app.url(&format!("{at}/leave")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("You get 10 of 10 credits back"), "{page}");
    // Nobody is in line: no promise of a seat going to them.
    assert!(
        page.contains("your seat is free for someone else") && !page.contains("in line"),
        "{page}"
    );
    assert_eq!(app.balance(&a).await, (20, 10), "nothing done yet");

    // The mentor sees the roster.
    let (_, html) = text(&mc, &app, &at).await;
    assert!(
        html.contains("Seated (1)") && html.contains("Test ann"),
        "{html}"
    );
    assert!(html.contains("Cancel the session"));
}

/// Everyone seated (and the mentor) is reminded 24 hours and 1 hour before, in their
/// zone and the mentor's; a cancelled session reminds nobody.
#[tokio::test]
async fn reminders_go_to_everyone_seated_and_not_after_a_cancellation() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let kept = publish(&app, &m, session(3, 0)).await;
    let mut other = session(3, 0);
    other["start"] = json!("2026-03-05T15:00:00Z");
    let dropped = publish(&app, &m, other).await;
    let a = member(&app, &admin, "a@example.com", 0).await;
    join(&app, &a, kept["id"].as_str().unwrap()).await;
    join(&app, &a, dropped["id"].as_str().unwrap()).await;
    app.post(
        &format!(
            "/api/v1/group-sessions/{}/cancel",
            dropped["id"].as_str().unwrap()
        ),
        m.token(),
        json!({"reason": "moved"}),
    )
    .await;
    let reminders = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                n["title"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Rust in practice")
                    && n["kind"] == "booking_reminder"
            })
            .count()
    };
    // 24 hours before the kept one (15:00 on the 4th).
    app.clock.set("2026-03-03T15:00:01Z".parse().unwrap());
    app.tick().await;
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert_eq!(reminders(&notes), 1, "{notes}");
    assert!(notes.to_string().contains("Tomorrow"));
    assert!(
        notes.to_string().contains("“Rust in practice” with Test "),
        "an attendee's is with the mentor: {notes}"
    );
    let (_, notes) = app.get("/api/v1/notifications", m.token()).await;
    assert_eq!(reminders(&notes), 1, "the mentor too: {notes}");
    assert!(
        notes
            .to_string()
            .contains("The group session “Rust in practice” you lead (1 seated) starts"),
        "the mentor's is theirs to lead: {notes}"
    );
    // And one hour before; the cancelled one (the 5th) never reminds.
    app.clock.set("2026-03-04T14:00:01Z".parse().unwrap());
    app.tick().await;
    app.clock.set("2026-03-05T14:00:01Z".parse().unwrap());
    app.tick().await;
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert_eq!(reminders(&notes), 2, "{notes}");
    assert!(notes.to_string().contains("In one hour"));
    let dropped_id = dropped["id"].as_str().unwrap();
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !(n["kind"] == "booking_reminder"
                && n["link"].as_str().unwrap_or("").ends_with(dropped_id))),
        "the cancelled session reminds nobody"
    );
}

/// The per-user calendar feed holds the sessions one leads or has a seat in, with a
/// stable UID; a seat left or a session cancelled shows as cancelled.
#[tokio::test]
async fn the_calendar_feed_holds_joined_sessions_and_cancels_left_ones() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(3, 0)).await;
    let id = g["id"].as_str().unwrap();
    let a = member(&app, &admin, "a@example.com", 0).await;
    join(&app, &a, id).await;
    let feed_of = |s: &Session| {
        let app = &app;
        let token = s.token().map(str::to_string);
        async move {
            let (status, feed) = app
                .post("/api/v1/me/calendar-feed", token.as_deref(), json!({}))
                .await;
            assert_eq!(status, StatusCode::CREATED);
            let url = feed["url"].as_str().unwrap().to_string();
            let path = url.trim_start_matches(&app.base).to_string();
            app.http
                .get(app.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let uid = format!("UID:group-{id}@mentorhub");
    let text = feed_of(&a).await;
    assert!(text.contains(&uid), "{text}");
    assert!(text.contains("STATUS:CONFIRMED") && text.contains("DTSTART:20260304T150000Z"));
    assert!(feed_of(&m).await.contains(&uid), "the mentor's too");
    leave(&app, &a, id).await;
    let text = feed_of(&a).await;
    assert!(
        text.contains(&uid) && text.contains("STATUS:CANCELLED"),
        "{text}"
    );
    assert!(text.contains("SEQUENCE:1"));
}

/// The data export holds the sessions one leads and every place one had; closing an
/// account takes it out of every line, so no freed seat goes to it.
#[tokio::test]
async fn the_export_holds_sessions_and_a_closed_account_leaves_every_line() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 0)).await;
    let id = g["id"].as_str().unwrap();
    let a = member(&app, &admin, "a@example.com", 0).await;
    let b = member(&app, &admin, "b@example.com", 0).await;
    let c = member(&app, &admin, "c@example.com", 0).await;
    let d = member(&app, &admin, "d@example.com", 0).await;
    for p in [&a, &b, &c, &d] {
        join(&app, p, id).await;
    }
    let (_, export) = app.get("/api/v1/me/export", m.token()).await;
    assert_eq!(export["group_sessions_led"][0]["id"], json!(id), "{export}");
    let (_, export) = app.get("/api/v1/me/export", c.token()).await;
    assert_eq!(export["group_seats"][0]["status"], "waiting", "{export}");
    // c (first in line) closes their account: the freed seat goes to d.
    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/v1/me",
            c.token(),
            Some(json!({"password": "correct horse battery"})),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    leave(&app, &a, id).await;
    let (_, now) = app
        .get(&format!("/api/v1/group-sessions/{id}"), d.token())
        .await;
    assert_eq!(now["my_seat"]["status"], "seated", "{now}");
}

/// The line through its own endpoint (all of it for the mentor, one's own place for
/// the rest), a session's calendar file (its people only), and attendees' first
/// names on the page when the mentor shows them.
#[tokio::test]
async fn the_waitlist_the_calendar_file_and_shown_names() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(2, 0);
    body["show_names"] = json!(true);
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap();
    let mut people = vec![];
    for name in ["ada", "bo", "cy", "di"] {
        let p = member(&app, &admin, &format!("{name}@example.com"), 0).await;
        join(&app, &p, id).await;
        people.push(p);
    }
    let path = format!("/api/v1/group-sessions/{id}/waitlist");
    let (_, line) = app.get(&path, m.token()).await;
    let ahead: Vec<i64> = line["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ahead"].as_i64().unwrap())
        .collect();
    assert_eq!(ahead, [0, 1], "{line}");
    let (_, mine) = app.get(&path, people[3].token()).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["ahead"], 1);
    assert_eq!(mine["items"][0]["user_id"], json!(people[3].user_id));
    let (_, seated) = app.get(&path, people[0].token()).await;
    assert_eq!(seated["items"].as_array().unwrap().len(), 0, "not in line");

    let ics = format!("/api/v1/group-sessions/{id}/ics");
    let res = app
        .http
        .get(app.url(&ics))
        .bearer_auth(people[0].token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let file = res.text().await.unwrap();
    assert!(
        file.contains(&format!("UID:group-{id}@mentorhub")),
        "{file}"
    );
    assert!(file.contains("(group session with Test"), "{file}");
    // The mentor's own file says it is theirs to lead.
    let own = app
        .http
        .get(app.url(&ics))
        .bearer_auth(m.token().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(own.contains("(group session you lead)"), "{own}");
    let (status, _) = app.get(&ics, people[3].token()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no seat, no calendar entry");

    let c = sign_in(&app, "ada@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(html.contains("Also seated: Test."), "{html}");
    let c = sign_in(&app, "cy@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(!html.contains("Also seated"), "not to those in line");
}

/// A session nobody joined is cancelled without a reason asked for (there is nobody
/// to read one), and its mentor's page does not name them as someone else.
#[tokio::test]
async fn an_empty_session_is_cancelled_without_a_reason() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    // Kept in New York's time, while the mentor reads UTC.
    let mut body = session(2, 0);
    body["timezone"] = json!("America/New_York");
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap();
    let web =
        crate::web_mentors::sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&web, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        page.contains("(UTC)") && !page.contains("for Test") && !page.contains("America/New_York)"),
        "the mentor's own time: {page}"
    );
    let csrf = crate::web_mentors::csrf_of(&page);
    let res = web
        .post(app.url(&format!("/group-sessions/{id}/cancel")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("Nobody has a seat or a place in line") && !ask.contains("name=\"reason\""),
        "{ask}"
    );
    let res = web
        .post(app.url(&format!("/group-sessions/{id}/cancel")))
        .form(&[("csrf", csrf.as_str()), ("confirmed", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, after) = app
        .get(&format!("/api/v1/group-sessions/{id}"), m.token())
        .await;
    assert_eq!(after["status"], "cancelled", "{after}");
    // The chat's line about the mentor's own cancelling is no news to them.
    let (_, threads) = app.get("/api/v1/threads", m.token()).await;
    let chat = threads["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == g["thread_id"])
        .cloned()
        .unwrap();
    assert_eq!(chat["last_message"]["kind"], "system", "{chat}");
    assert_eq!(chat["unread_count"], 0, "{chat}");
}

/// Where the mentor keeps attendees' names from each other, the session's chat does
/// too: an attendee sees the mentor and themselves among its people (the thread and
/// the list of threads), the mentor sees everyone; shown names show everyone.
#[tokio::test]
async fn a_chat_keeps_attendees_names_as_the_session_does() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(3, 0);
    body["show_names"] = json!(false);
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap();
    let thread = g["thread_id"].as_str().unwrap().to_string();
    let mut people = vec![];
    for name in ["ada", "bo"] {
        let p = member(&app, &admin, &format!("{name}@example.com"), 0).await;
        join(&app, &p, id).await;
        people.push(p);
    }
    let seen = |v: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = v["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let ada_sees = sorted(vec![m.user_id.to_string(), people[0].user_id.to_string()]);
    let everyone = sorted(vec![
        m.user_id.to_string(),
        people[0].user_id.to_string(),
        people[1].user_id.to_string(),
    ]);
    let (status, t) = app
        .get(&format!("/api/v1/threads/{thread}"), people[0].token())
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(seen(&t), ada_sees, "{t}");
    let (_, list) = app.get("/api/v1/threads", people[0].token()).await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == *thread)
        .cloned()
        .unwrap();
    assert_eq!(seen(&listed), ada_sees, "{listed}");
    let (_, t) = app
        .get(&format!("/api/v1/threads/{thread}"), m.token())
        .await;
    assert_eq!(seen(&t), everyone, "the mentor: {t}");
    let (status, v) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/group-sessions/{id}"),
            m.token(),
            Some(json!({"show_names": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, t) = app
        .get(&format!("/api/v1/threads/{thread}"), people[0].token())
        .await;
    assert_eq!(seen(&t), everyone, "names shown: {t}");
}

/// A session nobody joined can be changed (the reminders follow, calendars see a new
/// SEQUENCE); once someone joined only its words can.
#[tokio::test]
async fn a_session_changes_until_someone_joins() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(3, 5)).await;
    let id = g["id"].as_str().unwrap();
    let path = format!("/api/v1/group-sessions/{id}");
    let mut moved = session(4, 6);
    moved["start"] = json!("2026-03-04T17:00:00Z");
    let stranger = member(&app, &admin, "s@example.com", 10).await;
    assert_problem(
        &app.call(Method::PUT, &path, stranger.token(), Some(moved.clone()))
            .await,
        404,
        "not_found",
    );
    let (status, g) = app
        .call(Method::PUT, &path, m.token(), Some(moved.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["start_at"], "2026-03-04T17:00:00Z");
    assert_eq!(
        (g["seats"].as_i64(), g["credits_per_seat"].as_i64()),
        (Some(4), Some(6))
    );
    // The reminder follows the new start: a day before 17:00, not 15:00.
    let a = member(&app, &admin, "a@example.com", 10).await;
    join(&app, &a, id).await;
    app.clock.set("2026-03-03T15:00:01Z".parse().unwrap());
    app.tick().await;
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert!(!notes.to_string().contains("Tomorrow"), "{notes}");
    app.clock.set("2026-03-03T17:00:01Z".parse().unwrap());
    app.tick().await;
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert!(notes.to_string().contains("Tomorrow"), "{notes}");
    // Joined: its words may change, not what people joined for.
    moved["title"] = json!("Rust in practice: traits");
    let (status, g) = app
        .call(Method::PUT, &path, m.token(), Some(moved.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["title"], "Rust in practice: traits");
    moved["start"] = json!("2026-03-04T18:00:00Z");
    assert_problem(
        &app.call(Method::PUT, &path, m.token(), Some(moved)).await,
        409,
        "invalid_transition",
    );
}

/// Each attendee reviews a session once, after it took place; the review counts in
/// the mentor's rating; those absent, in line or strangers cannot.
#[tokio::test]
async fn attendees_review_once_and_it_counts_in_the_rating() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 0)).await;
    let id = g["id"].as_str().unwrap();
    let a = member(&app, &admin, "a@example.com", 0).await;
    let b = member(&app, &admin, "b@example.com", 0).await;
    join(&app, &a, id).await;
    join(&app, &b, id).await;
    let path = format!("/api/v1/group-sessions/{id}/reviews");
    assert_problem(
        &app.post(&path, a.token(), json!({"rating": 5})).await,
        409,
        "invalid_transition",
    );
    app.clock.advance(jiff::SignedDuration::from_hours(55));
    app.post(
        &format!("/api/v1/group-sessions/{id}/attendance"),
        m.token(),
        json!({"absent": [b.user_id]}),
    )
    .await;
    assert_problem(
        &app.post(&path, a.token(), json!({"rating": 9})).await,
        422,
        "invalid_input",
    );
    let (status, list) = app
        .post(&path, a.token(), json!({"rating": 4, "comment": "Useful."}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list["items"][0]["rating"], 4);
    let (_, export) = app.get("/api/v1/me/export", a.token()).await;
    assert_eq!(
        (
            &export["reviews_written"][0]["group_session_id"],
            &export["reviews_written"][0]["comment"]
        ),
        (&json!(id), &json!("Useful.")),
        "{export}"
    );
    assert_problem(
        &app.post(&path, a.token(), json!({"rating": 5})).await,
        409,
        "already_reviewed",
    );
    assert_problem(
        &app.post(&path, b.token(), json!({"rating": 1})).await,
        409,
        "invalid_transition",
    );
    let (_, mentor_page) = app
        .get(&format!("/api/v1/mentors/{}", m.user_id), None)
        .await;
    assert_eq!(mentor_page["rating_count"], 1, "{mentor_page}");
    assert_eq!(mentor_page["rating_avg"], 4.0);
    let (_, public) = app.get(&path, None).await;
    assert_eq!(public["items"][0]["comment"], "Useful.");

    // On the page: the reviews; the form only for an attendee who has not reviewed.
    use crate::web_mentors::{csrf_of, sign_in, text};
    let c = sign_in(&app, "a@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        html.contains("id=\"reviews\"") && html.contains("Useful."),
        "{html}"
    );
    assert!(!html.contains("How was it?"), "reviewed already");
    assert!(!html.contains("id=\"my-place\""), "the session is over");
    let g2 = {
        let mut later = session(2, 0);
        later["start"] = json!("2026-03-10T15:00:00Z");
        publish(&app, &m, later).await
    };
    let id2 = g2["id"].as_str().unwrap();
    join(&app, &a, id2).await;
    app.clock.set("2026-03-10T17:00:00Z".parse().unwrap());
    app.post(
        &format!("/api/v1/group-sessions/{id2}/attendance"),
        m.token(),
        json!({"absent": []}),
    )
    .await;
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id2}")).await;
    assert!(html.contains("How was it?"), "{html}");
    assert!(
        html.contains("<option value=\"\">Choose a rating</option>"),
        "no rating is chosen for the person"
    );
    let res = c
        .post(app.url(&format!("/group-sessions/{id2}/review")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("rating", ""),
            ("comment", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rating is required"
    );
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id2}")).await;
    assert!(html.contains("How was it?"), "nothing was saved");
    let res = c
        .post(app.url(&format!("/group-sessions/{id2}/review")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("rating", "5"),
            ("comment", "Great"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &format!("/group-sessions/{id2}")).await;
    assert!(html.contains("Thank you for your review.") && html.contains("5 of 5 stars"));
}

/// A group session is a coming session like a booking: on the dashboard (the API's
/// and the page's) and the mentorship hub's Sessions tab, for whoever has a seat and
/// for the mentor who leads it, among the bookings by start, linking to its page.
#[tokio::test]
async fn coming_group_sessions_are_listed_with_the_bookings() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(10, 5)).await;
    let gid = g["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 50).await;
    assert_eq!(join(&app, &ann, gid).await.0, StatusCode::CREATED);
    // Ann also has a 1:1 session with another mentor, the day before the group.
    let (other, service) = app.second_mentor(&admin).await;
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            ann.token(),
            json!({"mentor_id": other.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (_, d) = app.get("/api/v1/me/dashboard", ann.token()).await;
    let up = d["upcoming"].as_array().unwrap();
    assert_eq!(up.len(), 2, "{d}");
    assert_eq!(up[0]["kind"], "booking");
    assert_eq!(up[1]["kind"], "group");
    assert_eq!(up[1]["id"], gid);
    assert_eq!(up[1]["status"], "seated");
    assert_eq!(up[1]["with_id"], m.user_id.as_str());
    let (_, d) = app.get("/api/v1/me/dashboard", m.token()).await;
    let up = d["upcoming"].as_array().unwrap();
    assert_eq!(up.len(), 1, "{d}");
    assert_eq!(up[0]["status"], "leading");
    assert_eq!(up[0]["seated"], 1);
    assert_eq!(up[0]["with_id"], "");

    let link = format!("href=\"/group-sessions/{gid}\"");
    let ac = sign_in(&app, "ann@example.com", "correct horse battery").await;
    for page in ["/dashboard", "/mentorship?tab=sessions"] {
        let (s, html) = text(&ac, &app, page).await;
        assert_eq!(s, StatusCode::OK);
        let (group, booking) = (
            html.find(&link).unwrap_or_else(|| panic!("{page}: {html}")),
            html.find("href=\"/bookings/").expect("the booking"),
        );
        assert!(booking < group, "{page}: by start");
    }
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    for page in ["/dashboard", "/mentorship?tab=sessions"] {
        let (_, html) = text(&mc, &app, page).await;
        assert!(html.contains(&link), "{page}: {html}");
        assert!(html.contains("your group session, 1 seated"), "{page}");
    }
    // Left, it is no longer coming for Ann.
    assert_eq!(leave(&app, &ann, gid).await.0, StatusCode::OK);
    let (_, d) = app.get("/api/v1/me/dashboard", ann.token()).await;
    assert_eq!(d["upcoming"].as_array().unwrap().len(), 1, "{d}");
}

/// A cancelled session's page keeps its chat for those who had a seat and the mentor,
/// and shows the mentor who had a seat or a place in line; the people in line are
/// told nothing was charged; the mentor may open each one's mentee page.
#[tokio::test]
async fn a_cancelled_sessions_page_keeps_the_chat_and_says_whom_it_reached() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 10)).await;
    let id = g["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 50).await;
    let bob = member(&app, &admin, "bob@example.com", 50).await;
    let cy = member(&app, &admin, "cy@example.com", 50).await;
    for p in [&ann, &bob, &cy] {
        assert_eq!(join(&app, p, id).await.0, StatusCode::CREATED);
    }
    // Cy, in line, is led to the session, told whose the chat is (not "not found").
    let thread: String = sqlx::query_scalar("SELECT thread_id FROM group_sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    let cc = sign_in(&app, "cy@example.com", "correct horse battery").await;
    // Where opening the chat leads Cy.
    let to_session = |c: reqwest::Client| {
        let url = app.url(&format!("/chat/{thread}"));
        async move {
            let res = c.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            res.headers()["location"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(
        to_session(cc.clone()).await,
        format!("/group-sessions/{id}")
    );
    let (_, html) = text(&cc, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        html.contains("A session&#39;s chat is for its mentor and the people with a seat."),
        "{html}"
    );

    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&mc, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        html.contains(&format!(
            "<a href=\"/mentees/{}\">Test ann</a>",
            ann.user_id
        )),
        "{html}"
    );
    let (s, b) = app
        .post(
            &format!("/api/v1/group-sessions/{id}/cancel"),
            m.token(),
            json!({"reason": "I am ill"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let (_, html) = text(&mc, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        html.contains("Had a seat when it was cancelled (2)"),
        "{html}"
    );
    assert!(html.contains("Were in line (1)"), "{html}");
    assert!(
        html.contains(&format!("<a href=\"/mentees/{}\">Test cy</a>", cy.user_id)),
        "{html}"
    );
    assert!(html.contains("Open the session's chat"), "{html}");
    let (s, html) = text(&mc, &app, &format!("/mentees/{}", cy.user_id)).await;
    assert_eq!(s, StatusCode::OK, "the mentor may read who joined");
    assert!(
        html.contains(&format!(
            "<a href=\"/group-sessions/{id}\">Rust in practice</a>"
        )) && html.contains("group session, cancelled"),
        "the session they shared: {html}"
    );
    let (_, view) = app
        .get(&format!("/api/v1/mentees/{}", ann.user_id), m.token())
        .await;
    assert_eq!(view["group_sessions"][0]["id"], id, "{view}");
    assert_eq!(view["group_sessions"][0]["place"], "refunded", "{view}");
    let ac = sign_in(&app, "ann@example.com", "correct horse battery").await;
    let (_, html) = text(&ac, &app, &format!("/group-sessions/{id}")).await;
    assert!(html.contains("Open the session's chat"), "{html}");
    assert!(
        !html.contains("Had a seat when"),
        "the mentor's list only: {html}"
    );
    // Cy was only in line: not in the chat, and told nothing was charged.
    let (_, html) = text(&cc, &app, &format!("/group-sessions/{id}")).await;
    assert!(!html.contains("Open the session's chat"), "{html}");
    assert_eq!(
        to_session(cc.clone()).await,
        format!("/group-sessions/{id}")
    );
    // A thread that is no session's stays not found.
    let (s, _) = text(&cc, &app, "/chat/0000000000000000000000000a").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let told = app.notifications(&cy).await;
    assert!(
        told[0]["body"]
            .as_str()
            .unwrap()
            .contains("You were in line for a seat, so nothing was charged."),
        "{told:?}"
    );
    let told = app.notifications(&bob).await;
    assert!(
        told[0]["body"]
            .as_str()
            .unwrap()
            .contains("Your 10 credits are back in your wallet."),
        "{told:?}"
    );
}

/// An administrator may cancel a mentor's session (not change it): they are asked
/// why even when nobody joined, and the mentor is told, with the reason; attendees
/// read who cancelled it.
#[tokio::test]
async fn an_administrator_cancelling_asks_why_and_tells_the_mentor() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 10)).await;
    let id = g["id"].as_str().unwrap();
    let g2 = publish(&app, &m, {
        let mut s = session(2, 10);
        s["start"] = json!("2026-03-06T15:00:00Z");
        s
    })
    .await;
    let id2 = g2["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 50).await;
    assert_eq!(join(&app, &ann, id2).await.0, StatusCode::CREATED);

    let ac = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, page) = text(&ac, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        !page.contains("Change the session"),
        "not theirs to change: {page}"
    );
    assert!(
        page.contains("10 credits a seat, paid to Test groupie after the session"),
        "{page}"
    );
    let cancel = |fields: Vec<(&'static str, String)>| {
        let (ac, app) = (&ac, &app);
        async move {
            ac.post(app.url(&format!("/group-sessions/{id}/cancel")))
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let ask = cancel(vec![("csrf", csrf_of(&page))])
        .await
        .text()
        .await
        .unwrap();
    assert!(ask.contains("Why (the mentor reads this)"), "{ask}");
    assert!(
        ask.contains("so no credits move. Test is told, with your reason.")
            && !ask.contains("no one is told"),
        "{ask}"
    );
    // Confirmed without a reason: asked again, nothing cancelled.
    let again = cancel(vec![("csrf", csrf_of(&page)), ("confirmed", "1".into())]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, now) = app.get(&format!("/api/v1/group-sessions/{id}"), None).await;
    assert_eq!(now["status"], "open");
    let done = cancel(vec![
        ("csrf", csrf_of(&page)),
        ("confirmed", "1".into()),
        ("reason", "Against the community rules".into()),
    ])
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let told = app.notifications(&m).await;
    assert_eq!(
        told[0]["title"], "“Rust in practice” is cancelled",
        "{told:?}"
    );
    assert!(
        told[0]["body"].as_str().unwrap().starts_with(
            "An administrator cancelled your group session: Against the community rules\n\nNobody had joined it."
        ),
        "{told:?}"
    );
    // Through the API, with someone seated: they read who cancelled it.
    let (s, b) = app
        .post(
            &format!("/api/v1/group-sessions/{id2}/cancel"),
            admin.token(),
            json!({"reason": "The mentor asked us to"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let told = app.notifications(&ann).await;
    assert!(
        told[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("An administrator cancelled it: The mentor asked us to"),
        "{told:?}"
    );
    let told = app.notifications(&m).await;
    assert!(
        told[0]["body"]
            .as_str()
            .unwrap()
            .contains("every seat's credits went back"),
        "{told:?}"
    );
    // The mentor cancelling their own is not told of it.
    let g3 = publish(&app, &m, {
        let mut s = session(2, 10);
        s["start"] = json!("2026-03-07T15:00:00Z");
        s
    })
    .await;
    let before = app.notifications(&m).await.len();
    let (s, _) = app
        .post(
            &format!(
                "/api/v1/group-sessions/{}/cancel",
                g3["id"].as_str().unwrap()
            ),
            m.token(),
            json!({"reason": "Changed my mind"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.notifications(&m).await.len(), before);
}

/// Someone whose wallet cannot pay a seat is told so on the page before they try,
/// with the way to credits, instead of a button that can only fail.
#[tokio::test]
async fn the_page_says_a_short_wallet_cannot_take_a_seat_before_the_click() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 20)).await;
    let id = g["id"].as_str().unwrap();
    member(&app, &admin, "poor@example.com", 5).await;
    let rich = member(&app, &admin, "rich@example.com", 50).await;
    let other = member(&app, &admin, "other@example.com", 50).await;
    let page = |email: &'static str| {
        let app = &app;
        async move {
            let c = sign_in(app, email, "correct horse battery").await;
            text(&c, app, &format!("/group-sessions/{id}")).await.1
        }
    };
    let html = page("poor@example.com").await;
    assert!(
        html.contains("Your wallet holds 5 of the 20 credits a seat costs</strong>, so you cannot take one yet:"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"/credits\">add or ask for credits</a>, then come back"),
        "{html}"
    );
    assert!(!html.contains("Take a seat for 20 credits"), "{html}");
    let html = page("rich@example.com").await;
    assert!(html.contains("Take a seat for 20 credits"), "{html}");
    assert!(!html.contains("short-wallet"), "{html}");
    assert!(!html.contains("Other dates"), "a one-off session: {html}");
    // The mentor's time is said beside the reader's only when the clocks differ then
    // (London keeps UTC's clock in early March; Paris does not).
    for (zone, shown) in [("Europe/London", false), ("Europe/Paris", true)] {
        app.call(
            Method::PATCH,
            "/api/v1/me",
            rich.token(),
            Some(json!({"timezone": zone})),
        )
        .await;
        let html = page("rich@example.com").await;
        assert_eq!(html.contains("for Test groupie"), shown, "{zone}: {html}");
    }
    // Full: the line costs nothing to join, so it is offered, with the warning.
    assert_eq!(join(&app, &rich, id).await.0, StatusCode::CREATED);
    assert_eq!(join(&app, &other, id).await.0, StatusCode::CREATED);
    let html = page("poor@example.com").await;
    assert!(
        html.contains("you may join the line, but if a seat frees"),
        "{html}"
    );
    assert!(html.contains("Join the line</button>"), "{html}");
    // The mentor is never warned about their own session.
    assert!(!page("groupie@example.com").await.contains("short-wallet"));
}

/// A place in line is listed as coming (with how many are ahead, without the room);
/// sessions held, attended or cancelled stay in the past list of each side.
#[tokio::test]
async fn the_line_is_listed_as_coming_and_past_or_cancelled_sessions_stay_listed() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 5)).await;
    let gid = g["id"].as_str().unwrap();
    let mut later = session(2, 5);
    later["title"] = json!("Cancelled workshop");
    later["start"] = json!("2026-03-06T15:00:00Z");
    let g2 = publish(&app, &m, later).await;
    let gid2 = g2["id"].as_str().unwrap();
    let people = [
        member(&app, &admin, "ann@example.com", 50).await,
        member(&app, &admin, "bob@example.com", 50).await,
        member(&app, &admin, "cy@example.com", 50).await,
        member(&app, &admin, "dee@example.com", 50).await,
    ];
    for p in &people {
        assert_eq!(join(&app, p, gid).await.0, StatusCode::CREATED);
    }
    assert_eq!(join(&app, &people[0], gid2).await.0, StatusCode::CREATED);
    assert_eq!(join(&app, &people[3], gid2).await.0, StatusCode::CREATED);

    // Dee is second in line: coming, said so, no room.
    let (_, d) = app.get("/api/v1/me/dashboard", people[3].token()).await;
    let up = d["upcoming"].as_array().unwrap();
    let first = up
        .iter()
        .find(|u| u["id"] == gid)
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(first["status"], "waiting", "{d}");
    assert_eq!(first["ahead"], 1);
    assert!(
        first["meeting_link"].is_null(),
        "the room is for the seated: {d}"
    );
    let dc = sign_in(&app, "dee@example.com", "correct horse battery").await;
    for page in ["/dashboard", "/mentorship?tab=sessions"] {
        let (_, html) = text(&dc, &app, page).await;
        assert!(
            html.contains("group session, in line (1 ahead)"),
            "{page}: {html}"
        );
    }
    // The list's cards say each viewer's part.
    let (_, html) = text(&dc, &app, "/group-sessions").await;
    assert!(html.contains(">You are in line (1 ahead)</span>"), "{html}");
    assert!(
        html.contains(">You have a seat</span>"),
        "the second: {html}"
    );
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&mc, &app, "/group-sessions").await;
    assert_eq!(html.matches(">You lead it</span>").count(), 2, "{html}");
    let (_, html) = text(&crate::web_mentors::client(), &app, "/group-sessions").await;
    assert!(
        !html.contains("badge badge-ok"),
        "a visitor has no part: {html}"
    );
    let (_, d) = app.get("/api/v1/me/dashboard", people[2].token()).await;
    let cy = d["upcoming"].as_array().unwrap();
    assert_eq!(cy[0]["ahead"], 0, "{d}");

    // The second session is cancelled; the first is held (attendance recorded).
    let (s, b) = app
        .post(
            &format!("/api/v1/group-sessions/{gid2}/cancel"),
            m.token(),
            json!({"reason": "I am ill"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.clock.set("2026-03-04T16:35:00Z".parse().unwrap());
    let (s, b) = app
        .post(
            &format!("/api/v1/group-sessions/{gid}/attendance"),
            m.token(),
            json!({"absent": [people[1].user_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let ac = sign_in(&app, "ann@example.com", "correct horse battery").await;
    let (_, html) = text(&ac, &app, "/mentorship?tab=sessions").await;
    let past = &html[html.find("Past and cancelled").expect("the past list")..];
    assert!(
        past.contains(&format!("href=\"/group-sessions/{gid}\"")),
        "{past}"
    );
    assert!(past.contains("group session, attended"), "{past}");
    assert!(
        past.contains(&format!("href=\"/group-sessions/{gid2}\"")),
        "{past}"
    );
    assert!(past.contains("group session, cancelled"), "{past}");
    assert!(
        past.find(&gid2.to_string()).unwrap() < past.find(&gid.to_string()).unwrap(),
        "latest first"
    );
    let bc = sign_in(&app, "bob@example.com", "correct horse battery").await;
    let (_, html) = text(&bc, &app, "/mentorship?tab=sessions").await;
    assert!(html.contains("group session, marked absent"), "{html}");
    let (_, html) = text(&mc, &app, "/mentorship?tab=sessions").await;
    let past = &html[html.find("Past and cancelled").expect("the past list")..];
    assert!(past.contains("your group session, held"), "{past}");
    assert!(past.contains("your group session, cancelled"), "{past}");
    // Dee had a seat in the cancelled one, and only a place in line in the one held.
    let (_, html) = text(&dc, &app, "/mentorship?tab=sessions").await;
    let past = &html[html.find("Past and cancelled").expect("the past list")..];
    assert!(
        past.contains(&format!("href=\"/group-sessions/{gid2}\"")),
        "{past}"
    );
    assert!(
        !past.contains(&format!("href=\"/group-sessions/{gid}\"")),
        "{past}"
    );
    // The mentor's dashboard leads to these lists.
    let (_, html) = text(&mc, &app, "/dashboard").await;
    assert!(
        html.contains("<a href=\"/mentorship?tab=sessions\">group sessions</a>"),
        "{html}"
    );
}

/// Once the session has started a seat is kept: leaving would refund part of a
/// session already under way (the line can still be left).
#[tokio::test]
async fn a_seat_cannot_be_left_once_the_session_started() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 10)).await;
    let id = g["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 10).await;
    let bob = member(&app, &admin, "bob@example.com", 10).await;
    let cy = member(&app, &admin, "cy@example.com", 10).await;
    for p in [&ann, &bob, &cy] {
        assert!(join(&app, p, id).await.0.is_success());
    }
    app.clock.set("2026-03-04T15:10:00Z".parse().unwrap());
    assert_problem(&leave(&app, &ann, id).await, 409, "session_started");
    assert_eq!(app.balance(&ann).await, (0, 10), "still seated, still held");
    let (s, _) = leave(&app, &cy, id).await;
    assert_eq!(s, StatusCode::OK, "the line can be left");
    app.assert_ledger_ok().await;
}

/// A mentor who closes their account, or is suspended, leaves nobody paying for
/// sessions that will not happen: their coming group sessions are cancelled with every
/// seat refunded (and no longer joinable), their coming bookings cancelled with the
/// credits back, and — closing — their mentorship requests answered.
#[tokio::test]
async fn a_closed_or_suspended_mentors_sessions_are_cancelled_and_refunded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for why in ["closed", "suspended"] {
        let m = app
            .approved_mentor(
                &admin,
                &format!("{why}-mentor@example.com"),
                crate::support::mentor_profile(&["backend"], &["rust"], 40),
            )
            .await;
        app.set_availability(&m, crate::support::weekdays_nine_to_five("UTC"))
            .await;
        let g = publish(&app, &m, session(10, 4)).await;
        let gid = g["id"].as_str().unwrap();
        let e = member(&app, &admin, &format!("{why}-mentee@example.com"), 50).await;
        assert_eq!(join(&app, &e, gid).await.0, StatusCode::CREATED);
        let (s, r) = app
            .post(
                "/api/v1/mentorships",
                e.token(),
                json!({"mentor_id": m.user_id, "message": "Hello, I would like to learn."}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let mentorship = r["id"].as_str().unwrap().to_string();
        let service = app.first_service(&m.user_id).await;
        let (s, b) = app
            .post(
                "/api/v1/bookings",
                e.token(),
                json!({"mentor_id": m.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let booking = b["id"].as_str().unwrap().to_string();
        let (balance, held) = app.balance(&e).await;
        assert!(held > 0, "credits held: {balance}/{held}");

        if why == "closed" {
            let (s, _) = app
                .call(Method::DELETE, "/api/v1/me", m.token(), None)
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        } else {
            let (s, r) = app
                .post(
                    &format!("/api/v1/admin/users/{}/suspend", m.user_id),
                    admin.token(),
                    json!({"reason": "Spam"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{r}");
        }
        let (_, gs) = app
            .get(&format!("/api/v1/group-sessions/{gid}"), admin.token())
            .await;
        assert_eq!(gs["status"], "cancelled", "{why}: {gs}");
        let late = member(&app, &admin, &format!("{why}-late@example.com"), 50).await;
        assert!(
            !join(&app, &late, gid).await.0.is_success(),
            "{why}: not joinable"
        );
        assert_eq!(app.balance(&late).await, (50, 0));
        let (_, bk) = app
            .get(&format!("/api/v1/bookings/{booking}"), e.token())
            .await;
        // Waiting for the mentor's answer, it is cancelled (the mentor did not decline
        // it), by the mentor's part, never their name.
        assert_eq!(bk["status"], "cancelled", "{why}: {bk}");
        assert!(
            bk["cancel_reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("The mentor")),
            "{why}: {bk}"
        );
        assert_eq!(app.balance(&e).await, (50, 0), "{why}: everything back");
        let (_, ms) = app
            .get(&format!("/api/v1/mentorships/{mentorship}"), e.token())
            .await;
        // A request waiting for the mentor's answer ends either way (an accepted
        // mentorship would stay through a suspension).
        assert_eq!(ms["status"], "declined", "{why}: {ms}");
        // The mentee is told why, in words about the mentor.
        let (_, n) = app.get("/api/v1/notifications", e.token()).await;
        let said = n.to_string();
        assert!(said.contains("Booking cancelled"), "{why}: {said}");
        assert!(!said.contains("declined your"), "{why}: {said}");
        assert!(
            said.contains(if why == "closed" {
                "Your mentorship request ended: the mentor closed their account"
            } else {
                "Your mentorship request to "
            }),
            "{why}: {said}"
        );
        assert!(!said.contains("Review not delivered"), "{why}: {said}");
        let because = if why == "closed" {
            "closed their account."
        } else {
            "account is no longer active."
        };
        assert!(said.contains(because), "{why}: {said}");
    }
    app.assert_ledger_ok().await;
}

/// A mentee who closes their account gives up their seats to the line and cancels
/// their coming bookings as they would themselves: a late cancellation still pays the
/// mentor their share.
#[tokio::test]
async fn a_mentee_closing_their_account_cancels_as_they_would() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;
    // Today at 15:00, accepted: inside the late-cancellation notice.
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-02T15:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let held = b["credits_held"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A seat in a full group session, someone in line behind.
    let m = app
        .approved_mentor(
            &admin,
            "groups-mentor@example.com",
            mentor_profile(&["backend"], &["rust"], 40),
        )
        .await;
    let g = publish(&app, &m, session(2, 0)).await;
    let gid = g["id"].as_str().unwrap();
    let other = member(&app, &admin, "other@example.com", 0).await;
    let third = member(&app, &admin, "third@example.com", 0).await;
    assert!(join(&app, &mentee, gid).await.0.is_success());
    assert!(join(&app, &other, gid).await.0.is_success());
    assert!(join(&app, &third, gid).await.0.is_success(), "in line");
    let (mentor_before, _) = app.balance(&mentor).await;

    let (s, _) = app
        .call(Method::DELETE, "/api/v1/me", mentee.token(), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, bk) = app
        .get(&format!("/api/v1/bookings/{id}"), mentor.token())
        .await;
    assert_eq!(bk["status"], "cancelled", "{bk}");
    assert_eq!(bk["cancel_reason"], "The mentee closed their account.");
    // The mentor's page of it says nothing more of the person than that.
    let c = crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains("with Deleted user <span class=\"muted\">(account closed)</span>"),
        "{page}"
    );
    assert!(
        !page.contains("For Deleted user") && !page.contains("Share with"),
        "no zone of theirs, nobody to share notes with: {page}"
    );
    let (mentor_after, _) = app.balance(&mentor).await;
    assert!(
        mentor_after > mentor_before && mentor_after - mentor_before < held,
        "the mentor's late share: {mentor_before} → {mentor_after} of {held}"
    );
    let (_, gs) = app
        .get(&format!("/api/v1/group-sessions/{gid}"), third.token())
        .await;
    assert_eq!(gs["my_seat"]["status"], "seated", "the line moved up: {gs}");
    app.assert_ledger_ok().await;
}

/// A session has a meeting room from the moment it is published: its mentor and
/// whoever holds a seat get the link (API, page, dashboard, reminders, the seat from
/// the line, calendar files); nobody else, and nobody once their seat or the session
/// ended. A session published before rooms existed gets one at the next maintenance.
#[tokio::test]
async fn the_meeting_room_is_for_the_mentor_and_the_seated_only() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 0)).await;
    let id = g["id"].as_str().unwrap();
    let link = g["meeting_link"]
        .as_str()
        .expect("the mentor sees it")
        .to_string();
    assert!(link.starts_with("https://"), "{link}");
    let path = format!("/api/v1/group-sessions/{id}");
    let (_, anon) = app.get(&path, None).await;
    assert_eq!(anon["meeting_link"], Value::Null, "{anon}");

    let a = member(&app, &admin, "a@example.com", 0).await;
    let b = member(&app, &admin, "b@example.com", 0).await;
    let c = member(&app, &admin, "c@example.com", 0).await;
    let d = member(&app, &admin, "d@example.com", 0).await;
    let (_, seat) = join(&app, &a, id).await;
    assert_eq!(
        seat["meeting_link"],
        json!(link),
        "the seat's answer has it: {seat}"
    );
    join(&app, &b, id).await;
    let (_, waiting) = join(&app, &c, id).await;
    assert_eq!(waiting["my_seat"]["status"], "waiting");
    assert_eq!(
        waiting["meeting_link"],
        Value::Null,
        "not in line: {waiting}"
    );
    let (_, stranger) = app.get(&path, d.token()).await;
    assert_eq!(stranger["meeting_link"], Value::Null);
    let (_, list) = app.get("/api/v1/group-sessions", d.token()).await;
    assert!(!list.to_string().contains(&link), "nor in the list: {list}");

    let (_, dash) = app.get("/api/v1/me/dashboard", a.token()).await;
    assert_eq!(dash["upcoming"][0]["meeting_link"], json!(link), "{dash}");
    let (_, dash) = app.get("/api/v1/me/dashboard", m.token()).await;
    assert_eq!(dash["upcoming"][0]["meeting_link"], json!(link), "{dash}");

    let page = format!("/group-sessions/{id}");
    let ac = sign_in(&app, "a@example.com", "correct horse battery").await;
    let (_, html) = text(&ac, &app, &page).await;
    assert!(
        html.contains("Join the meeting") && html.contains(&link),
        "{html}"
    );
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    assert!(text(&mc, &app, &page).await.1.contains(&link));
    for who in ["c@example.com", "d@example.com"] {
        let s = sign_in(&app, who, "correct horse battery").await;
        let (_, html) = text(&s, &app, &page).await;
        assert!(!html.contains(&link), "{who}: {html}");
    }

    let ics = |s: &Session| {
        let (app, token) = (&app, s.token().unwrap().to_string());
        async move {
            let res = app
                .http
                .get(app.url(&format!("/api/v1/group-sessions/{id}/ics")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            res.text().await.unwrap()
        }
    };
    assert!(ics(&a).await.contains(&format!("URL:{link}")));
    assert!(ics(&m).await.contains(&format!("URL:{link}")));

    // Reminders carry it (24 hours before: the 3rd, 15:00).
    app.clock.set("2026-03-03T15:00:01Z".parse().unwrap());
    app.tick().await;
    let reminder = |notes: &Value| {
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "booking_reminder")
            .cloned()
            .unwrap_or_else(|| panic!("a reminder: {notes}"))
    };
    for s in [&a, &m] {
        let (_, notes) = app.get("/api/v1/notifications", s.token()).await;
        let r = reminder(&notes);
        assert!(
            r["body"]
                .as_str()
                .unwrap()
                .contains(&format!("Join: {link}")),
            "{r}"
        );
    }
    // b leaves: c is seated from the line and told where to go; b no longer sees it.
    assert_eq!(leave(&app, &b, id).await.0, StatusCode::OK);
    let (_, notes) = app.get("/api/v1/notifications", c.token()).await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "group_seat"
                && n["body"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("Join: {link}"))),
        "{notes}"
    );
    let (_, now_c) = app.get(&path, c.token()).await;
    assert_eq!(now_c["meeting_link"], json!(link));
    let (_, gone) = app.get(&path, b.token()).await;
    assert_eq!(gone["meeting_link"], Value::Null, "{gone}");
    assert!(!ics_of_left(&app, &b, id).await.contains(&link));

    // Cancelled: nobody is sent there any more.
    app.post(
        &format!("/api/v1/group-sessions/{id}/cancel"),
        m.token(),
        json!({"reason": "ill"}),
    )
    .await;
    let (_, after) = app.get(&path, m.token()).await;
    assert_eq!(after["meeting_link"], Value::Null, "{after}");

    // An older session without a room gets its own at the next maintenance pass.
    let mut later = session(2, 0);
    later["start"] = json!("2026-03-10T15:00:00Z");
    let old = publish(&app, &m, later).await;
    let old_id = old["id"].as_str().unwrap();
    sqlx::query("UPDATE group_sessions SET meeting_link = '' WHERE id = $1")
        .bind(old_id)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    let old_path = format!("/api/v1/group-sessions/{old_id}");
    let (_, before) = app.get(&old_path, m.token()).await;
    assert_eq!(before["meeting_link"], Value::Null, "{before}");
    app.tick().await;
    let (_, given) = app.get(&old_path, m.token()).await;
    let room = given["meeting_link"].as_str().expect("given a room");
    assert!(room.starts_with("https://") && room != old["meeting_link"] && room != link);
}

/// The calendar file of a session one has left (their feed keeps it, cancelled).
async fn ics_of_left(app: &TestApp, s: &Session, id: &str) -> String {
    let (status, feed) = app
        .post("/api/v1/me/calendar-feed", s.token(), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let url = feed["url"].as_str().unwrap();
    let text = app
        .http
        .get(app.url(url.trim_start_matches(&app.base)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(&format!("UID:group-{id}@mentorhub")),
        "{text}"
    );
    text
}

/// The mentor changes a published session on its page: anything while nobody has
/// joined; once someone has, its title, description and names setting only (the time,
/// seats, price and audience people joined for stay, on the page and through the API).
#[tokio::test]
async fn a_mentor_changes_a_session_on_its_page_within_what_people_joined_for() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(3, 10)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let c = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        page.contains(&format!("href=\"/group-sessions/{id}/edit\"")),
        "{page}"
    );
    let (status, form) = text(&c, &app, &format!("/group-sessions/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    // Filled in with the session, its start in the mentor's zone (UTC here).
    assert!(form.contains("value=\"Rust in practice\""), "{form}");
    assert!(form.contains("value=\"2026-03-04T15:00\""), "{form}");
    assert!(!form.contains("locked-hint") && !form.contains("name=\"repeat_weeks\""));
    let fields = |title: &str, start: &str, seats: &str| {
        vec![
            ("csrf".to_string(), csrf_of(&form)),
            ("title".into(), title.into()),
            ("description".into(), "Bring a laptop".into()),
            ("start".into(), start.into()),
            ("duration_minutes".into(), "90".into()),
            ("seats".into(), seats.into()),
            ("credits_per_seat".into(), "10".into()),
            ("audience".into(), "public".into()),
        ]
    };
    // Nobody has joined: an hour later and four seats.
    let res = c
        .post(app.url(&format!("/group-sessions/{id}/edit")))
        .form(&fields("Rust in practice", "2026-03-04T16:00", "4"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = app
        .get(&format!("/api/v1/group-sessions/{id}"), m.token())
        .await;
    assert_eq!(now["start_at"], "2026-03-04T16:00:00Z", "{now}");
    assert_eq!(now["seats"], 4);
    assert_eq!(now["description"], "Bring a laptop");

    // Someone joins: the form keeps the terms and still takes a new title.
    let p = member(&app, &admin, "p@example.com", 50).await;
    join(&app, &p, &id).await;
    let (_, form) = text(&c, &app, &format!("/group-sessions/{id}/edit")).await;
    assert!(form.contains("id=\"locked-hint\""), "{form}");
    assert!(
        form.contains("name=\"credits_per_seat\" value=\"10\" disabled"),
        "{form}"
    );
    // The seats stay open, with how many are taken.
    assert!(
        form.contains("name=\"seats\" value=\"4\" min=\"2\""),
        "{form}"
    );
    assert!(form.contains("1 person has a seat: no fewer."), "{form}");
    let mut renamed = fields("Rust in practice: traits", "", "5");
    renamed.retain(|(k, _)| {
        !["start", "duration_minutes", "credits_per_seat", "audience"].contains(&k.as_str())
    });
    let res = c
        .post(app.url(&format!("/group-sessions/{id}/edit")))
        .form(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = app
        .get(&format!("/api/v1/group-sessions/{id}"), m.token())
        .await;
    assert_eq!(now["title"], "Rust in practice: traits", "{now}");
    assert_eq!(
        (now["start_at"].as_str(), now["seats"].as_i64()),
        (Some("2026-03-04T16:00:00Z"), Some(5))
    );
    // Through the API, a new time is refused with the reason.
    let mut moved = session(4, 10);
    moved["start"] = json!("2026-03-04T17:00:00Z");
    let (status, b) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/group-sessions/{id}"),
            m.token(),
            Some(moved),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .contains("only its title, description"),
        "{b}"
    );
    // Someone else's session has no editor for them: not found, for a member as for
    // another mentor (a member is not sent to write a mentor profile first).
    let other = sign_in(&app, "p@example.com", "correct horse battery").await;
    let (status, _) = text(&other, &app, &format!("/group-sessions/{id}/edit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.second_mentor(&admin).await;
    let other = sign_in(&app, "second@example.com", "correct horse battery").await;
    let (status, _) = text(&other, &app, &format!("/group-sessions/{id}/edit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Publishing weekly sessions from the page says how many were made.
#[tokio::test]
async fn publishing_weekly_sessions_says_how_many() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    mentor(&app, &admin).await;
    let c = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/group-sessions/new").await;
    let res = c
        .post(app.url("/group-sessions/new"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("title", "Weekly office hours"),
            ("start", "2026-03-04T18:00"),
            ("seats", "5"),
            ("duration_minutes", "60"),
            ("credits_per_seat", "0"),
            ("audience", "public"),
            ("repeat_weeks", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = text(&c, &app, &at).await;
    assert!(
        page.contains("3 weekly sessions are published, each with its own page"),
        "{page}"
    );
}

/// A session's reminders are queued for its start; moved, they follow it, and
/// cancelled, they go: the job queue holds only work that will do something.
#[tokio::test]
async fn a_sessions_reminders_follow_its_moves_and_go_with_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(5, 10)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let queued = || app.queued_job_keys(&["group.reminder"], &id);
    let micros = |at: &str| {
        at.parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond()
            .to_string()
    };
    let before = queued().await;
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(before.iter().all(|k| k.ends_with(&micros(&start()))));
    let mut moved = session(5, 10);
    moved["start"] = json!("2026-03-05T15:00:00Z");
    let (status, b) = app
        .call(
            Method::PUT,
            &format!("/api/v1/group-sessions/{id}"),
            m.token(),
            Some(moved),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let after = queued().await;
    assert_eq!(
        after.len(),
        2,
        "the old start's reminders stay queued: {after:?}"
    );
    assert!(
        after
            .iter()
            .all(|k| k.ends_with(&micros("2026-03-05T15:00:00Z"))),
        "{after:?}"
    );
    let (status, c) = app
        .post(
            &format!("/api/v1/group-sessions/{id}/cancel"),
            m.token(),
            json!({"reason": "Ill"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(queued().await, Vec::<String>::new());
}

/// A weekly run is cancelled from one date on in one go: that date and the later ones
/// (not the earlier), each seat refunded and each date's people told; the page offers
/// it beside cancelling the one date, and asks first.
#[tokio::test]
async fn a_weekly_run_is_cancelled_from_one_date_on() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(5, 10);
    body["repeat_weeks"] = json!(4);
    let (status, b) = app.post("/api/v1/group-sessions", m.token(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let ids: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    // Someone holds a seat in the third week, someone else in the first.
    let a = member(&app, &admin, "ann@example.com", 30).await;
    let z = member(&app, &admin, "zed@example.com", 30).await;
    assert_eq!(join(&app, &a, &ids[2]).await.0, StatusCode::CREATED);
    assert_eq!(join(&app, &z, &ids[0]).await.0, StatusCode::CREATED);
    let status_of = |id: String| {
        let app = &app;
        async move {
            let (_, g) = app.get(&format!("/api/v1/group-sessions/{id}"), None).await;
            g["status"].as_str().unwrap().to_string()
        }
    };

    // Each date's page leads to the other coming dates, each with the reader's part.
    {
        let zc = sign_in(&app, "zed@example.com", "correct horse battery").await;
        let (_, page) = text(&zc, &app, &format!("/group-sessions/{}", ids[1])).await;
        let others = &page[page
            .find("Other dates of this weekly session")
            .expect(&page)..];
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(
                others.contains(&format!("href=\"/group-sessions/{id}\"")),
                n != 1,
                "date {n}: {others}"
            );
        }
        assert_eq!(
            others.matches(">You have a seat</span>").count(),
            1,
            "{others}"
        );
    }
    // The second week's page offers both, and asks before cancelling three dates.
    let c = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, &format!("/group-sessions/{}", ids[1])).await;
    assert!(page.contains(">Cancel this date</button>"), "{page}");
    assert!(
        page.contains(">Cancel this and the 2 later dates (until Wed 25 Mar 2026)</button>"),
        "{page}"
    );
    let res = c
        .post(app.url(&format!("/group-sessions/{}/cancel", ids[1])))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains(
            "Only this date is cancelled: the 2 later dates of this weekly session stay on."
        ),
        "{ask}"
    );
    let res = c
        .post(app.url(&format!("/group-sessions/{}/cancel", ids[1])))
        .form(&[("csrf", csrf_of(&page).as_str()), ("following", "1")])
        .send()
        .await
        .unwrap();
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("and its 2 later dates, until Wed 25 Mar 2026?")
            && ask.contains("3 dates in all. Across these dates 1 seat is taken: whoever holds them is told, with your reason. Each seat&#39;s 10 credits go back in full."),
        "{ask}"
    );
    assert_eq!(status_of(ids[1].clone()).await, "open", "nothing yet");
    let res = c
        .post(app.url(&format!("/group-sessions/{}/cancel", ids[1])))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("following", "1"),
            ("confirmed", "1"),
            ("reason", "Moving house"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut now = vec![];
    for id in &ids {
        now.push(status_of(id.clone()).await);
    }
    assert_eq!(now, ["open", "cancelled", "cancelled", "cancelled"]);
    assert_eq!(app.balance(&a).await, (30, 0), "refunded in full");
    assert_eq!(app.balance(&z).await, (20, 10), "the first week stays");
    let (_, notes) = app.get("/api/v1/notifications", a.token()).await;
    assert!(notes.to_string().contains("Moving house"), "{notes}");
    let (_, page) = text(&c, &app, &format!("/group-sessions/{}", ids[1])).await;
    assert!(page.contains("3 dates are cancelled"), "{page}");
    // Its chat says the session is cancelled and who still reads it.
    let chat: String = sqlx::query_scalar("SELECT thread_id FROM group_sessions WHERE id = $1")
        .bind(&ids[1])
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    let (_, conversation) = text(&c, &app, &format!("/chat/{chat}")).await;
    assert!(
        conversation.contains("This group session is cancelled; its chat stays open"),
        "{conversation}"
    );
    // The first week, alone now, offers only itself.
    let (_, page) = text(&c, &app, &format!("/group-sessions/{}", ids[0])).await;
    assert!(
        page.contains(">Cancel the session</button>") && !page.contains("later dates"),
        "{page}"
    );
    // Through the API too: one date alone unless asked for the rest.
    let (status, g) = app
        .post(
            &format!("/api/v1/group-sessions/{}/cancel", ids[0]),
            m.token(),
            json!({"reason": "Ill", "following": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["id"], ids[0].as_str());
    assert_eq!(app.balance(&z).await, (30, 0));
    app.assert_ledger_ok().await;
}

/// The contract API.md gives: created with its field names (`credit_cost`,
/// `min_attendees`, `join_deadline`, `timezone`), read with `seats_taken`, changed
/// with `PATCH` (what is left out stays), cancelled with `DELETE` (refunds), and
/// attendance recorded with `PUT`.
#[tokio::test]
async fn the_api_md_names_and_verbs_work() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(
        &app,
        &m,
        json!({"title": "By the book", "description": "API.md", "start": start(),
               "duration_minutes": 60, "seats": 3, "credit_cost": 10, "audience": "public",
               "timezone": "Europe/Paris", "min_attendees": 1,
               "decide_at": "2026-03-04T12:00:00Z", "join_deadline": "2026-03-04T14:00:00Z",
               "repeat_weeks": 2}),
    )
    .await;
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            &g["credits_per_seat"],
            &g["min_attendance"],
            &g["join_until"],
            &g["timezone"]
        ),
        (
            &json!(10),
            &json!(1),
            &json!("2026-03-04T14:00:00Z"),
            &json!("Europe/Paris")
        ),
        "{g}"
    );
    assert_problem(
        &app.post(
            "/api/v1/group-sessions",
            m.token(),
            json!({"title": "Nowhere", "start": "2026-03-05T15:00:00Z", "timezone": "Mars/Base"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let a = member(&app, &admin, "a@example.com", 30).await;
    let one = format!("/api/v1/group-sessions/{id}");
    let (_, before) = app.get(&one, a.token()).await;
    assert_eq!(
        (&before["seats_taken"], &before["seats_left"]),
        (&json!(0), &json!(3))
    );

    // PATCH while nobody has joined: the time moves, the rest stays.
    let (status, moved) = app
        .call(
            Method::PATCH,
            &one,
            m.token(),
            Some(
                json!({"start": "2026-03-04T16:00:00Z", "min_attendees": null,
                        "decide_at": null, "join_deadline": "2026-03-04T16:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["start_at"], "2026-03-04T16:00:00Z");
    assert_eq!(moved["min_attendance"], Value::Null);
    assert_eq!(
        (
            &moved["title"],
            &moved["credits_per_seat"],
            &moved["seats"],
            &moved["end_at"]
        ),
        (
            &json!("By the book"),
            &json!(10),
            &json!(3),
            &json!("2026-03-04T17:00:00Z")
        )
    );
    let (status, _) = join(&app, &a, &id).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seated) = app.get(&one, a.token()).await;
    assert_eq!(
        (&seated["seats_taken"], &seated["seats_left"]),
        (&json!(1), &json!(2))
    );
    // Once someone has joined, only the words and the seats change.
    assert_problem(
        &app.call(
            Method::PATCH,
            &one,
            m.token(),
            Some(json!({"credits_per_seat": 5})),
        )
        .await,
        409,
        "invalid_transition",
    );
    let (status, renamed) = app
        .call(
            Method::PATCH,
            &one,
            m.token(),
            Some(json!({"title": "Renamed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["title"], "Renamed");
    assert_problem(
        &app.call(
            Method::PATCH,
            &one,
            a.token(),
            Some(json!({"title": "Mine"})),
        )
        .await,
        404,
        "not_found",
    );

    // The words change after the join deadline and after the start too: the times
    // sent back unchanged are not checked against now (they were when set).
    for at in ["2026-03-04T16:00:30Z", "2026-03-04T16:45:00Z"] {
        app.clock.set(at.parse().unwrap());
        let (status, renamed) = app
            .call(
                Method::PATCH,
                &one,
                m.token(),
                Some(json!({"title": format!("Renamed at {at}"), "description": "New words"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{at}: {renamed}");
        assert_eq!(renamed["description"], "New words");
    }
    // A time that does change still is.
    assert_problem(
        &app.call(
            Method::PATCH,
            &one,
            m.token(),
            Some(json!({"join_until": "2026-03-04T15:10:00Z"})),
        )
        .await,
        422,
        "invalid_input",
    );

    // PUT attendance, after the start.
    app.clock.set("2026-03-04T16:30:00Z".parse().unwrap());
    let (status, done) = app
        .call(
            Method::PUT,
            &format!("{one}/attendance"),
            m.token(),
            Some(json!({"absent": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");

    // DELETE cancels the next week's session, with no body, and refunds its seat.
    let (_, list) = app
        .get(
            "/api/v1/group-sessions?from=2026-03-05T00:00:00Z",
            a.token(),
        )
        .await;
    let next = list["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = join(&app, &a, &next).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.balance(&a).await.0, 10);
    assert_problem(
        &app.call(
            Method::DELETE,
            &format!("/api/v1/group-sessions/{next}"),
            a.token(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    let (status, gone) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/group-sessions/{next}"),
            m.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_eq!(gone["status"], "cancelled");
    assert_eq!(app.balance(&a).await.0, 20, "refunded in full");
    app.assert_ledger_ok().await;
}

/// A mentor's page rounds the average half up (3, 5, 5 and 4, twice, are 4.25: "4.3", as the
/// dashboard says) and dates each review and names its service.
#[tokio::test]
async fn the_profile_rounds_the_rating_half_up_and_dates_each_review() {
    use crate::web_mentors::text;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(8, 0)).await;
    let id = g["id"].as_str().unwrap();
    let mut people = vec![];
    for (n, rating) in [3, 5, 5, 4, 3, 5, 5, 4].into_iter().enumerate() {
        let s = member(&app, &admin, &format!("r{n}@example.com"), 0).await;
        join(&app, &s, id).await;
        people.push((s, rating));
    }
    app.clock.advance(jiff::SignedDuration::from_hours(55));
    app.post(
        &format!("/api/v1/group-sessions/{id}/attendance"),
        m.token(),
        json!({"absent": []}),
    )
    .await;
    let path = format!("/api/v1/group-sessions/{id}/reviews");
    for (s, rating) in &people {
        let (status, b) = app.post(&path, s.token(), json!({"rating": rating})).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
    }
    let (_, html) = text(
        &crate::web_mentors::client(),
        &app,
        &format!("/mentors/{}", m.user_id),
    )
    .await;
    assert!(html.contains("★ 4.3 (8)"), "{html}");
    assert!(
        html.contains("The latest 5 of 8 reviews.") && html.matches("Rated ").count() == 5,
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"sr-only\">Rated 4 of 5: </span><span aria-hidden=\"true\">★★★★☆</span>"
        ),
        "{html}"
    );
    assert!(
        html.contains("Test r. · Rust in practice · Mar 2026</span>"),
        "{html}"
    );
}

#[tokio::test]
async fn the_list_is_searched_by_words_of_the_title_or_a_skill_of_the_mentor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(
        &app,
        &m,
        json!({"title": "Mock interviews: behavioural questions", "description": "Practise the STAR method",
               "start": start(), "duration_minutes": 60, "seats": 5, "credits_per_seat": 0}),
    )
    .await;
    // The list says the reader's own place, as the session's page does.
    let a = member(&app, &admin, "seated@example.com", 0).await;
    let (status, _) = join(&app, &a, g["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, r) = app.get("/api/v1/group-sessions", a.token()).await;
    assert_eq!(r["items"][0]["my_seat"]["status"], "seated", "{r}");
    let (_, r) = app.get("/api/v1/group-sessions", None).await;
    assert_eq!(r["items"][0]["my_seat"], Value::Null, "{r}");
    let found = |q: &'static str| {
        let app = &app;
        async move {
            let (status, r) = app.get(&format!("/api/v1/group-sessions?{q}"), None).await;
            assert_eq!(status, StatusCode::OK, "{r}");
            r["items"].as_array().unwrap().len()
        }
    };
    // A word of the title (any case), of the description, or the mentor's skill.
    assert_eq!(found("q=interviews").await, 1);
    assert_eq!(found("q=BEHAVIOURAL").await, 1);
    assert_eq!(found("q=star%20method").await, 1);
    assert_eq!(found("q=rust").await, 1);
    assert_eq!(found("q=figma").await, 0);
    // LIKE's own characters are only characters.
    assert_eq!(found("q=%25").await, 0);
    assert_eq!(found("q=_").await, 0);
    // `skill` stays the mentor's skill alone.
    assert_eq!(found("skill=interviews").await, 0);
    assert_eq!(found("skill=rust").await, 1);
    let long = "x".repeat(201);
    let (status, r) = app
        .get(&format!("/api/v1/group-sessions?q={long}"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    // The page's box is the same search, named `q` as in the API (`skill`, its old
    // name, still works).
    for query in ["q=interviews", "skill=interviews"] {
        let (_, html) = crate::web_mentors::text(
            &crate::web_mentors::client(),
            &app,
            &format!("/group-sessions?{query}"),
        )
        .await;
        assert!(
            html.contains("Mock interviews: behavioural questions")
                && html.contains("1 session coming up."),
            "{query}: {html}"
        );
        assert!(html.contains("name=\"q\" value=\"interviews\""), "{html}");
    }
    // Accents and case do not matter either way, also for a session published before
    // its search text was kept (the maintenance pass writes it).
    let (_, made) = app
        .post(
            "/api/v1/group-sessions",
            m.token(),
            json!({"title": "Résumé clinic", "start": "2026-03-05T15:00:00Z", "seats": 4}),
        )
        .await;
    let made = made["items"][0]["id"].as_str().unwrap().to_string();
    for q in ["q=resume", "q=R%C3%89SUM%C3%89", "q=r%C3%A9sum%C3%A9"] {
        assert_eq!(found(q).await, 1, "{q}");
    }
    sqlx::query("UPDATE group_sessions SET search_doc = '' WHERE id = $1")
        .bind(&made)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(found("q=r%C3%A9sum%C3%A9").await, 1, "as typed, meanwhile");
    assert_eq!(found("q=resume").await, 0, "not folded yet");
    app.tick().await;
    assert_eq!(
        found("q=resume").await,
        1,
        "written by the maintenance pass"
    );
    let (_, html) = crate::web_mentors::text(
        &crate::web_mentors::client(),
        &app,
        "/group-sessions?q=cooking",
    )
    .await;
    assert!(
        html.contains("No group session coming up for “cooking” yet."),
        "{html}"
    );
}

/// Weekly sessions published into time the mentor took off are published (the mentor
/// chose each time), and the mentor is told: the flash after publishing counts them,
/// and each such session's page says whose time off it falls in; a session outside it,
/// and an attendee, see nothing of it.
#[tokio::test]
async fn sessions_published_into_time_off_are_pointed_out() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = crate::support::weekdays_nine_to_five("UTC");
    // Wednesday 11 March off: the second of three weekly sessions from 4 March.
    body["overrides"] = json!([{"date": "2026-03-11", "available": false}]);
    app.set_availability(&m, body).await;
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&mc, &app, "/group-sessions/new").await;
    let res = mc
        .post(app.url("/group-sessions/new"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("title", "Career chat"),
            ("start", "2026-03-04T15:00"),
            ("seats", "4"),
            ("duration_minutes", "60"),
            ("credits_per_seat", "10"),
            ("audience", "public"),
            ("repeat_weeks", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let first = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = text(&mc, &app, &first).await;
    assert!(
        page.contains(
            "3 weekly sessions are published, each with its own page, seats and chat: this \
             is the first. In time you took off: 1 of them (your availability page lists \
             them; cancel those you will miss)."
        ),
        "{page}"
    );
    assert!(
        !page.contains("id=\"in-time-off\""),
        "the first is not: {page}"
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/group-sessions?mentor_id={}", m.user_id),
            None,
        )
        .await;
    let second = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["start_at"] == "2026-03-11T15:00:00Z")
        .unwrap_or_else(|| panic!("{list}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/group-sessions/{second}");
    let (_, page) = text(&mc, &app, &path).await;
    assert!(
        page.contains(
            "This session falls in your day off on Wednesday 11 March: taking time off does \
             not cancel a published session. Cancel it if you will be away."
        ),
        "{page}"
    );
    // An attendee sees the session, not its mentor's time off.
    member(&app, &admin, "ann@example.com", 30).await;
    let ac = sign_in(&app, "ann@example.com", "correct horse battery").await;
    let (_, page) = text(&ac, &app, &path).await;
    assert!(!page.contains("id=\"in-time-off\""), "{page}");
}

/// A session that hides its attendees' names hides them in chat notifications too: an
/// attendee away is told "An attendee: …" of another attendee's line (its mentor is
/// named, and the mentor is told every name); the session's time in a notification
/// follows its reader's zone when they change it; an edit rewrites each reader's copy.
#[tokio::test]
async fn chat_notifications_keep_hidden_names_hidden_and_follow_the_readers_zone() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(3, 0);
    body["show_names"] = json!(false);
    let g = publish(&app, &m, body).await;
    let (id, thread) = (g["id"].as_str().unwrap(), g["thread_id"].as_str().unwrap());
    let ann = member(&app, &admin, "ann@example.com", 0).await;
    let bob = member(&app, &admin, "bob@example.com", 0).await;
    for p in [&ann, &bob] {
        assert_eq!(join(&app, p, id).await.0, StatusCode::CREATED);
    }
    let (status, line) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            ann.token(),
            json!({"content": "Hello all"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{line}");
    let note_of = |s: &Session| {
        let (app, token) = (&app, s.token().map(str::to_string));
        async move {
            let (_, n) = app.get("/api/v1/notifications", token.as_deref()).await;
            n["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["kind"] == "new_message")
                .unwrap_or_else(|| panic!("{n}"))["body"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(
        note_of(&bob).await,
        "An attendee: Hello all\nThe session: Wed 4 Mar 2026, 15:00 (UTC)"
    );
    assert!(note_of(&m).await.starts_with("Test: Hello all\n"));
    // Bob moves to Tokyo: the session's time follows.
    app.call(
        Method::PATCH,
        "/api/v1/me",
        bob.token(),
        Some(json!({"timezone": "Asia/Tokyo"})),
    )
    .await;
    let tokyo = note_of(&bob).await;
    assert!(
        tokyo.contains("The session: Thu 5 Mar 2026, 00:00 (Asia/Tokyo)"),
        "{tokyo}"
    );
    // An edit follows into each copy, names still hidden.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{}", line["id"].as_str().unwrap()),
            ann.token(),
            Some(json!({"content": "Hello everyone"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        note_of(&bob)
            .await
            .starts_with("An attendee: Hello everyone\n")
    );
    assert!(note_of(&m).await.starts_with("Test: Hello everyone\n"));
    // On the chat page Ann's line is an attendee's, before and after she leaves.
    let bc = crate::web_mentors::sign_in(&app, "bob@example.com", "correct horse battery").await;
    for left in [false, true] {
        if left {
            assert_eq!(leave(&app, &ann, id).await.0, StatusCode::OK);
        }
        let (_, page) = crate::web_mentors::text(&bc, &app, &format!("/chat/{thread}")).await;
        assert!(
            page.contains("<span class=\"sender\">An attendee</span>")
                && page.contains("More on this message from An attendee")
                && !page.contains("<span class=\"sender\">Test</span>"),
            "left: {left}: {page}"
        );
    }
}

/// Within the notice before a paid session, its page names no deadline already gone: it
/// says what leaving now returns.
#[tokio::test]
async fn within_the_notice_the_page_says_what_leaving_now_returns() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 15)).await;
    let id = g["id"].as_str().unwrap();
    let a = member(&app, &admin, "ann@example.com", 30).await;
    assert_eq!(join(&app, &a, id).await.0, StatusCode::CREATED);
    let ac = crate::web_mentors::sign_in(&app, "ann@example.com", "correct horse battery").await;
    let path = format!("/group-sessions/{id}");
    let (_, html) = crate::web_mentors::text(&ac, &app, &path).await;
    // Said in credits as the ledger counts them: 50 % of 15 is 7.
    assert!(
        html.contains("Leave before Tue 3 Mar 2026")
            && html.contains("later, 7 of them come back and the rest goes to the mentor."),
        "{html}"
    );
    // The session starts at 15:00 on the 4th: from 15:00 on the 3rd, within 24 hours.
    app.clock.set("2026-03-03T16:00:00Z".parse().unwrap());
    let (_, html) = crate::web_mentors::text(&ac, &app, &path).await;
    assert!(
        html.contains(
            "Leaving now, 7 of the 15 credits come back and the rest goes to the mentor."
        ) && !html.contains("Leave before"),
        "{html}"
    );
}

/// A session's page says its minimum attendance, when that is decided and when joining
/// closes, before anyone joins (they learned of them only from a refusal or a
/// cancellation), and once the decision is made that it takes place.
#[tokio::test]
async fn the_page_says_the_minimum_and_when_joining_closes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(5, 10);
    body["min_attendance"] = json!(2);
    body["decide_at"] = json!("2026-03-03T15:00:00Z");
    body["join_until"] = json!("2026-03-04T13:00:00Z");
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap();
    let ann = member(&app, &admin, "ann@example.com", 30).await;
    let ac = crate::web_mentors::sign_in(&app, "ann@example.com", "correct horse battery").await;
    let path = format!("/group-sessions/{id}");
    let (_, html) = crate::web_mentors::text(&ac, &app, &path).await;
    assert!(
        html.contains(
            "<dd id=\"minimum\">Takes place if at least 2 people have joined by Tue 3 Mar \
             2026, 15:00; otherwise it is cancelled and everyone refunded</dd>"
        ) && html.contains("<dd id=\"joining-closes\">Closes Wed 4 Mar 2026, 13:00</dd>"),
        "{html}"
    );
    let bob = member(&app, &admin, "bob@example.com", 30).await;
    for s in [&ann, &bob] {
        assert_eq!(join(&app, s, id).await.0, StatusCode::CREATED);
    }
    app.clock.set("2026-03-03T15:00:01Z".parse().unwrap());
    app.tick().await;
    let (_, html) = crate::web_mentors::text(&ac, &app, &path).await;
    assert!(
        html.contains("<dd id=\"minimum\">At least 2 people joined in time: it takes place</dd>"),
        "{html}"
    );
    app.clock.set("2026-03-04T13:00:01Z".parse().unwrap());
    let (_, html) = crate::web_mentors::text(&ac, &app, &path).await;
    assert!(html.contains("Closed Wed 4 Mar 2026, 13:00"), "{html}");
}

/// The publishing page sets what the API does: the fewest seated for the session to go
/// ahead (decided 24 hours before unless said) and when joining closes, in hours before
/// the start; a decision time already past is refused beside its field, input kept.
#[tokio::test]
async fn the_publishing_page_sets_a_minimum_and_when_joining_closes() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    mentor(&app, &admin).await;
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&mc, &app, "/group-sessions/new").await;
    assert!(html.contains("<label for=\"min_attendance\">Go ahead with at least</label>"));
    let csrf = csrf_of(&html);
    let send = |decide: &'static str| {
        let req = mc.post(app.url("/group-sessions/new")).form(&[
            ("csrf", csrf.as_str()),
            ("title", "Career chat"),
            ("start", "2026-03-04T15:00"),
            ("seats", "6"),
            ("duration_minutes", "60"),
            ("credits_per_seat", "0"),
            ("audience", "public"),
            ("repeat_weeks", "1"),
            ("min_attendance", "3"),
            ("decide_at", decide),
            ("join_until", "2"),
        ]);
        async move { req.send().await.unwrap() }
    };
    // 60 hours before the start is before now (2 March, 09:00).
    let res = send("60").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(
            "href=\"#decide_at\">Decided, hours before: The decision time is after now and no \
             later than the start.</a>"
        ) && page.contains("id=\"min_attendance\"")
            && page.contains("value=\"60\""),
        "{page}"
    );
    let res = send("").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/group-sessions/")
        .to_string();
    let (_, g) = app.get(&format!("/api/v1/group-sessions/{id}"), None).await;
    assert_eq!(g["min_attendance"], 3, "{g}");
    assert_eq!(g["decide_at"], "2026-03-03T15:00:00Z", "{g}");
    assert_eq!(g["join_until"], "2026-03-04T13:00:00Z", "{g}");
}

/// Until somebody joins, the editor changes the minimum attendance and when joining
/// closes as the publishing page sets them; a limit left as it reads keeps its instant
/// (one set to the minute through the API); once people joined, the limits are not
/// on the form and stay.
#[tokio::test]
async fn the_editor_changes_the_limits_until_somebody_joins() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let mut body = session(6, 0);
    body["start"] = json!("2026-03-04T15:00:00Z");
    body["duration_minutes"] = json!(60);
    body["min_attendance"] = json!(3);
    body["decide_at"] = json!("2026-03-03T14:30:00Z");
    body["join_until"] = json!("2026-03-04T13:00:00Z");
    let g = publish(&app, &m, body).await;
    let id = g["id"].as_str().unwrap().to_string();
    let mc = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let edit = format!("/group-sessions/{id}/edit");
    let (_, html) = text(&mc, &app, &edit).await;
    for (field, value) in [
        ("min_attendance", "3"),
        ("decide_at", "24"),
        ("join_until", "2"),
    ] {
        assert!(
            html.contains(&format!("name=\"{field}\" value=\"{value}\"")),
            "{field}: {html}"
        );
    }
    let save =
        |title: &'static str, min: &'static str, decide: &'static str, join: &'static str| {
            let req = mc.post(app.url(&edit)).form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("title", title),
                ("start", "2026-03-04T15:00"),
                ("seats", "6"),
                ("duration_minutes", "60"),
                ("credits_per_seat", "0"),
                ("audience", "public"),
                ("min_attendance", min),
                ("decide_at", decide),
                ("join_until", join),
            ]);
            async move { req.send().await.unwrap() }
        };
    let api = format!("/api/v1/group-sessions/{id}");
    // A new title only: every limit as it was, the decision at 14:30 (not 15:00).
    assert_eq!(
        save("Career chat", "3", "24", "2").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, g) = app.get(&api, None).await;
    assert_eq!(
        (
            &g["title"],
            &g["min_attendance"],
            &g["decide_at"],
            &g["join_until"]
        ),
        (
            &json!("Career chat"),
            &json!(3),
            &json!("2026-03-03T14:30:00Z"),
            &json!("2026-03-04T13:00:00Z")
        ),
        "{g}"
    );
    // A lower minimum decided 12 hours before; joining open until the start.
    assert_eq!(
        save("Career chat", "2", "12", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, g) = app.get(&api, None).await;
    assert_eq!(
        (&g["min_attendance"], &g["decide_at"], &g["join_until"]),
        (
            &json!(2),
            &json!("2026-03-04T03:00:00Z"),
            &json!("2026-03-04T15:00:00Z")
        ),
        "{g}"
    );
    // No minimum: nothing to decide, whatever the decision field still says.
    assert_eq!(
        save("Career chat", "", "12", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, g) = app.get(&api, None).await;
    assert_eq!(
        (&g["min_attendance"], &g["decide_at"]),
        (&Value::Null, &Value::Null),
        "{g}"
    );
    // Somebody joined: the limits leave the form, and a form that still sends them
    // changes nothing of them.
    let a = member(&app, &admin, "a@example.com", 0).await;
    assert_eq!(join(&app, &a, &id).await.0, StatusCode::CREATED);
    let (_, locked) = text(&mc, &app, &edit).await;
    assert!(!locked.contains("id=\"min_attendance\""), "{locked}");
    assert!(
        locked.contains("minimum attendance and joining deadline stay"),
        "{locked}"
    );
    assert_eq!(
        save("Career talk", "4", "30", "5").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, g) = app.get(&api, None).await;
    assert_eq!(
        (&g["title"], &g["min_attendance"], &g["join_until"]),
        (
            &json!("Career talk"),
            &Value::Null,
            &json!("2026-03-04T15:00:00Z")
        ),
        "{g}"
    );
}

/// A full session's mentor adds seats: the line is seated in order (each charged and
/// told), the seats never go below those seated, and nothing else of the terms moves.
#[tokio::test]
async fn added_seats_go_to_the_line_and_seats_never_drop_below_the_seated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(3, 5)).await;
    let id = g["id"].as_str().unwrap();
    let path = format!("/api/v1/group-sessions/{id}");
    let a = member(&app, &admin, "a@example.com", 10).await;
    let b = member(&app, &admin, "b@example.com", 10).await;
    let e = member(&app, &admin, "e@example.com", 10).await;
    let poor = member(&app, &admin, "poor@example.com", 0).await;
    let c = member(&app, &admin, "c@example.com", 10).await;
    let d = member(&app, &admin, "d@example.com", 10).await;
    for s in [&a, &b, &e] {
        assert_eq!(join(&app, s, id).await.0, StatusCode::CREATED);
    }
    for s in [&poor, &c, &d] {
        let (_, w) = join(&app, s, id).await;
        assert_eq!(w["my_seat"]["status"], "waiting", "{w}");
    }
    // Fewer seats than are seated: refused with the reason, nothing changes.
    let (status, b1) = app
        .call(Method::PATCH, &path, m.token(), Some(json!({"seats": 2})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b1}");
    assert!(
        b1.to_string().contains("3 people have a seat"),
        "the reason names the seated: {b1}"
    );
    // The page warns the one in line whose wallet cannot pay a seat, not the others.
    {
        use crate::web_mentors::{sign_in, text};
        let page = |email: &'static str| {
            let app = &app;
            async move {
                let c = sign_in(app, email, "correct horse battery").await;
                text(&c, app, &format!("/group-sessions/{id}")).await.1
            }
        };
        let html = page("poor@example.com").await;
        assert!(
            html.contains("Your wallet holds 0 of the 5 credits a seat costs"),
            "{html}"
        );
        assert!(!page("c@example.com").await.contains("short-wallet"));
    }
    // Two more seats: the first in line cannot pay and is passed over; the next two
    // are seated, charged and told.
    let (status, g) = app
        .call(Method::PATCH, &path, m.token(), Some(json!({"seats": 5})))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(
        (g["seats"].as_i64(), g["seats_taken"].as_i64()),
        (Some(5), Some(5)),
        "{g}"
    );
    for s in [&c, &d] {
        let (_, me) = app.get(&path, s.token()).await;
        assert_eq!(me["my_seat"]["status"], "seated", "{me}");
        assert_eq!(app.balance(s).await.0, 5);
        let (_, notes) = app.get("/api/v1/notifications", s.token()).await;
        assert!(notes.to_string().contains("A seat opened"), "{notes}");
    }
    let (_, me) = app.get(&path, poor.token()).await;
    assert_ne!(me["my_seat"]["status"], "seated", "{me}");
    // One seat more with nobody in line left, then back down to the five seated; the
    // price still cannot move.
    let (status, g) = app
        .call(Method::PATCH, &path, m.token(), Some(json!({"seats": 6})))
        .await;
    assert_eq!(
        (status, g["seats_left"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{g}"
    );
    let (status, g) = app
        .call(
            Method::PATCH,
            &path,
            m.token(),
            Some(json!({"seats": 5, "title": "Traits"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_problem(
        &app.call(
            Method::PATCH,
            &path,
            m.token(),
            Some(json!({"credits_per_seat": 6})),
        )
        .await,
        409,
        "invalid_transition",
    );
    app.assert_ledger_ok().await;
}

/// The publishing form refuses a start the clocks skip (spring forward) with the
/// reason, rather than moving it; the attendance form asks before it ends the session;
/// added seats say on the page who took them.
#[tokio::test]
async fn the_editor_refuses_a_skipped_time_and_says_who_took_added_seats() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            m.token(),
            Some(json!({"timezone": "America/Toronto", "clock": "24h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let c = sign_in(&app, "groupie@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/group-sessions/new").await;
    let form = |start: &'static str, seats: &'static str| {
        vec![
            ("csrf", csrf_of(&html)),
            ("title", "Standup".to_string()),
            ("start", start.to_string()),
            ("duration_minutes", "60".to_string()),
            ("seats", seats.to_string()),
            ("credits_per_seat", "5".to_string()),
            ("audience", "public".to_string()),
            ("repeat_weeks", "1".to_string()),
        ]
    };
    let res = c
        .post(app.url("/group-sessions/new"))
        .form(&form("2026-03-08T02:30", "2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(
            "02:30 does not exist on Sun 8 Mar 2026 in America/Toronto: the clocks go forward then."
        ),
        "{page}"
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/group-sessions?mentor_id={}", m.user_id),
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    // An hour that exists: published; two join a full session's line.
    let res = c
        .post(app.url("/group-sessions/new"))
        .form(&form("2026-03-09T10:00", "2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .get(
            &format!("/api/v1/group-sessions?mentor_id={}", m.user_id),
            None,
        )
        .await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    for (email, credits) in [
        ("a@example.com", 10),
        ("b@example.com", 10),
        ("poor@example.com", 0),
        ("d@example.com", 10),
    ] {
        let s = member(&app, &admin, email, credits).await;
        join(&app, &s, &id).await;
    }
    let (_, edit) = text(&c, &app, &format!("/group-sessions/{id}/edit")).await;
    let res = c
        .post(app.url(&format!("/group-sessions/{id}/edit")))
        .form(&[
            ("csrf", csrf_of(&edit).as_str()),
            ("title", "Standup"),
            ("description", ""),
            ("seats", "4"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        page.contains("seated in the added seats: 1; passed over"),
        "{page}"
    );
    assert!(page.contains("at that time): 1."), "{page}");
    // After its start, recording attendance asks first.
    app.clock.set("2026-03-09T14:01:00Z".parse().unwrap());
    let (_, page) = text(&c, &app, &format!("/group-sessions/{id}")).await;
    assert!(
        page.contains("data-confirm=\"Record attendance now? The session is then over"),
        "{page}"
    );
}

/// A join sent again with its Idempotency-Key (a retry after a timeout, or the same
/// request sent at once several times) answers the seat it took — 201, the replay
/// header, charged once — and a place in line likewise; without the key, or with
/// another, a second join is still "already joined".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_join_with_its_key_answers_the_seat_it_took() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let admin = app.admin().await;
    let m = mentor(&app, &admin).await;
    let g = publish(&app, &m, session(2, 10)).await;
    let id = g["id"].as_str().unwrap().to_string();
    let send = |s: &Session, key: Option<&str>| {
        let (app, token, id) = (app.clone(), s.access.clone(), id.clone());
        let key = key.map(str::to_string);
        async move {
            let path = format!("/api/v1/group-sessions/{id}/seats");
            app.post_keyed(&path, &token, &json!({}), key.as_deref())
                .await
        }
    };
    let a = member(&app, &admin, "ann@example.com", 50).await;
    let answers = join_all((0..8).map(|_| send(&a, Some("join-1")))).await;
    for (status, _, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["my_seat"], answers[0].2["my_seat"], "{body}");
    }
    assert_eq!(
        answers.iter().filter(|(_, r, _)| !*r).count(),
        1,
        "one took it"
    );
    assert_eq!(app.balance(&a).await, (40, 10), "charged once");
    for key in [None, Some("join-2")] {
        let (status, _, body) = send(&a, key).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "already_joined");
    }
    // In line: the same.
    let b = member(&app, &admin, "bob@example.com", 50).await;
    assert_eq!(join(&app, &b, &id).await.0, StatusCode::CREATED);
    let c = member(&app, &admin, "cat@example.com", 50).await;
    let (status, first, line) = send(&c, Some("line-1")).await;
    assert_eq!((status, first), (StatusCode::CREATED, false), "{line}");
    let (status, again, replay) = send(&c, Some("line-1")).await;
    assert_eq!((status, again), (StatusCode::CREATED, true), "{replay}");
    assert_eq!(replay["my_seat"], line["my_seat"]);
    assert_eq!(app.balance(&c).await, (50, 0), "nothing held in line");
    app.assert_ledger_ok().await;
}
