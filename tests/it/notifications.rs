//! Notifications (live counts, reading, preferences), reminders over a real SMTP
//! server, the job queue across crashes and instances, and the data export.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::messaging::pair;
use crate::support::{Session, SmtpSink, TestApp, assert_problem, mentor_profile, test_config};

/// An approved mentor (signed up with `email`) whom a new mentee has asked for
/// mentorship, so they have a notification waiting; and that mentee.
async fn mentor_with_a_request(app: &TestApp, email: &str) -> (Session, Session) {
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, email, mentor_profile(&["x"], &[], 10))
        .await;
    let mentee = app.register("asks@example.com").await;
    app.post(
        "/api/v1/mentorships",
        mentee.token(),
        json!({"mentor_id": mentor.user_id, "message": "Teach me"}),
    )
    .await;
    (mentor, mentee)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_notification_on_the_page_pushes_the_new_unread_count() {
    let app = TestApp::spawn().await;
    let (mentor, _) = mentor_with_a_request(&app, "live-count@example.com").await;
    let (_, n) = app
        .get("/api/v1/notifications?unread=true", mentor.token())
        .await;
    let id = n["items"][0]["id"].as_str().unwrap().to_string();
    let before = n["unread_count"].as_i64().unwrap();
    assert!(before >= 1);
    let mut socket = app.ws(&mentor.access).await;
    let page =
        crate::web_mentors::sign_in(&app, "live-count@example.com", "correct horse battery").await;
    let res = page
        .get(app.url(&format!("/notifications/{id}/open")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // On PostgreSQL an event published before the socket opened (the request's own
    // notice, through NOTIFY) may still reach it first, with the count of then: the
    // new count must come, within the wait.
    let pushed = socket
        .next_event(|e| {
            e["type"] == "notification" && e["unread_count"].as_i64() == Some(before - 1)
        })
        .await;
    assert_eq!(pushed["unread_count"].as_i64(), Some(before - 1));
}

#[tokio::test]
async fn notifications_list_read_and_preferences() {
    let app = TestApp::spawn().await;
    let (mentor, mentee) = mentor_with_a_request(&app, "n@example.com").await;
    let (_, n) = app
        .get("/api/v1/notifications?unread=true", mentor.token())
        .await;
    let kinds: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"mentorship_requested") && kinds.contains(&"application_decided"),
        "{kinds:?}"
    );
    assert_eq!(n["unread_count"].as_i64(), Some(kinds.len() as i64));
    let first = n["items"][0]["id"].as_str().unwrap();
    assert_problem(
        &app.call(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            mentee.token(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    app.call(
        Method::POST,
        &format!("/api/v1/notifications/{first}/read"),
        mentor.token(),
        None,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/notifications", mentor.token()).await.1["unread_count"].as_i64(),
        Some(kinds.len() as i64 - 1)
    );
    app.call(
        Method::POST,
        "/api/v1/notifications/read-all",
        mentor.token(),
        None,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/notifications", mentor.token()).await.1["unread_count"],
        0
    );
    // The mentor had an email for the request (kept in the outbox, no SMTP here).
    app.tick().await;
    let mails = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "n@example.com")
        .await
        .unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("asks you for mentorship") && m.status == "logged")
    );

    // Preferences: no email for booking requests, no in-app for messages.
    let (_, p) = app
        .get("/api/v1/me/notification-preferences", mentor.token())
        .await;
    assert!(p["preferences"].as_array().unwrap().len() >= 10);
    // A new mentee asks the mentor while they want (in app, email) for such requests;
    // then: the emails of such requests so far, and those in the app.
    let ask = |who: &'static str, in_app: bool, email: bool| {
        let (app, mentor) = (&app, &mentor);
        async move {
            let (status, p) = app
                .call(Method::PUT, "/api/v1/me/notification-preferences", mentor.token(),
                    Some(json!({"preferences": [{"kind": "mentorship_requested", "in_app": in_app, "email": email}]})))
                .await;
            assert_eq!(status, StatusCode::OK, "{p}");
            let asker = app.register(who).await;
            app.post(
                "/api/v1/mentorships",
                asker.token(),
                json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
            )
            .await;
            app.tick().await;
            let mails = mentorhub::store::notify::emails_for(&app.ctx().db.pool, "n@example.com")
                .await
                .unwrap();
            let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
            let count =
                |kind: &str, items: &[Value]| items.iter().filter(|x| x["kind"] == kind).count();
            (
                mails
                    .iter()
                    .filter(|m| m.subject.contains("asks you for mentorship"))
                    .count(),
                count("mentorship_requested", n["items"].as_array().unwrap()),
            )
        }
    };
    assert_eq!(
        ask("o@example.com", true, false).await,
        (1, 2),
        "in the app, no second email"
    );
    assert_eq!(
        ask("t@example.com", false, true).await,
        (2, 2),
        "the email, nothing new in the app"
    );
    assert_problem(
        &app.call(
            Method::PUT,
            "/api/v1/me/notification-preferences",
            mentor.token(),
            Some(json!({"preferences": [{"kind": "bogus", "in_app": true, "email": true}]})),
        )
        .await,
        422,
        "invalid_input",
    );
}

/// The bookings a user got reminders for (one entry per reminder).
async fn reminders(app: &TestApp, s: &Session) -> Vec<String> {
    let (_, n) = app.get("/api/v1/notifications?limit=100", s.token()).await;
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "booking_reminder")
        .map(|x| x["related_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reminders_come_a_day_and_an_hour_before_and_reach_a_real_smtp_server() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(mentorhub::config::Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        ..test_config()
    })
    .await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let book =
        |start: &str| json!({"mentor_id": mentor.user_id, "service_id": service, "start": start});
    let (_, keep) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T10:00:00Z"),
        )
        .await;
    let (_, cancel) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T12:00:00Z"),
        )
        .await;
    let (_, moved) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book("2026-03-04T14:00:00Z"),
        )
        .await;
    for b in [&keep, &cancel, &moved] {
        app.post(
            &format!("/api/v1/bookings/{}/accept", b["id"].as_str().unwrap()),
            mentor.token(),
            json!({}),
        )
        .await;
    }
    app.post(
        &format!("/api/v1/bookings/{}/cancel", cancel["id"].as_str().unwrap()),
        mentee.token(),
        json!({}),
    )
    .await;
    app.post(
        &format!(
            "/api/v1/bookings/{}/reschedule",
            moved["id"].as_str().unwrap()
        ),
        mentee.token(),
        json!({"start": "2026-03-05T14:00:00Z"}),
    )
    .await;
    app.clock.set("2026-03-03T09:59:00Z".parse().unwrap());
    app.tick().await;
    assert!(reminders(&app, &mentee).await.is_empty(), "not yet");
    app.clock.set("2026-03-03T10:00:00Z".parse().unwrap());
    app.tick().await;
    assert_eq!(
        reminders(&app, &mentee).await,
        vec![keep["id"].as_str().unwrap().to_string()],
        "24 hours before the kept one only"
    );
    assert_eq!(reminders(&app, &mentor).await.len(), 1, "both sides");
    app.clock.set("2026-03-04T09:00:00Z".parse().unwrap());
    app.tick().await;
    assert_eq!(
        reminders(&app, &mentee).await.len(),
        2,
        "and one hour before"
    );
    app.clock.set("2026-03-04T14:00:00Z".parse().unwrap());
    app.tick().await;
    assert_eq!(
        reminders(&app, &mentee).await.len(),
        3,
        "the moved one at its new time, not the old"
    );
    assert!(
        !reminders(&app, &mentee)
            .await
            .contains(&cancel["id"].as_str().unwrap().to_string()),
        "never for a cancelled booking"
    );
    // The SMTP server got the reminder emails, with the calendar file.
    let mails = sink.messages.lock().await.clone();
    let reminder = mails
        .iter()
        .find(|m| m.contains("Tomorrow"))
        .expect("a reminder email");
    assert!(
        reminder.contains("BEGIN:VCALENDAR"),
        "with the .ics attached"
    );
    assert!(
        reminder.contains("mentee@example.com")
            || mails.iter().any(|m| m.contains("mentee@example.com"))
    );
}

#[tokio::test]
async fn jobs_survive_crashes_retry_with_backoff_and_dead_letter() {
    use mentorhub::{jobs, service::jobs::Job, store};
    let app = TestApp::spawn_with(mentorhub::config::Config {
        background_workers: false,
        ..test_config()
    })
    .await;
    let ctx = app.ctx();
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await.unwrap();
    mentorhub::service::jobs::enqueue(&mut tx, &Job::Noop, now, None, now)
        .await
        .unwrap();
    // A row no handler can read (written by another version, say): it must end dead.
    store::jobs::enqueue(&mut tx, "no.such.kind", &json!({}), now, None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A worker claims the noop and dies before finishing it.
    let mut tx = ctx.db.begin_write().await.unwrap();
    let claimed = store::jobs::claim(
        &mut tx,
        ctx.db.backend,
        "crashed",
        now,
        mentorhub::clock::after(now, 300_000_000),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    let crashed = claimed[0].id.clone();
    jobs::run_due(ctx, "healthy").await.unwrap();
    let status = |id: String| async move {
        store::jobs::list(&ctx.db.pool, None, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.id == id)
            .unwrap()
    };
    assert_eq!(
        status(crashed.clone()).await.status,
        "running",
        "leased to the dead worker"
    );
    app.clock.advance(SignedDuration::from_mins(6));
    jobs::run_due(ctx, "healthy").await.unwrap();
    assert_eq!(
        status(crashed).await.status,
        "done",
        "taken over after the lease"
    );
    // The failing job retries with growing delays, then is dead-lettered.
    for _ in 0..10 {
        app.clock.advance(SignedDuration::from_hours(2));
        jobs::run_due(ctx, "healthy").await.unwrap();
    }
    let dead = store::jobs::list(&ctx.db.pool, Some("dead"), 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 8);
    assert!(dead[0].last_error.contains("unknown job kind"));
    assert_eq!(mentorhub::service::jobs::backoff_micros(1), 30_000_000);
    assert_eq!(mentorhub::service::jobs::backoff_micros(3), 120_000_000);
    assert_eq!(mentorhub::service::jobs::backoff_micros(30), 3_600_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_run_every_job_exactly_once() {
    use mentorhub::{jobs, service::jobs::Job, store};
    let app = TestApp::spawn().await;
    let second = app.second_instance().await;
    let now = app.ctx().now();
    let mut tx = app.ctx().db.begin_write().await.unwrap();
    for _ in 0..200 {
        mentorhub::service::jobs::enqueue(&mut tx, &Job::Noop, now, None, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Both instances' background workers run too: four workers race for the rows.
    let (a, b) = tokio::join!(
        jobs::run_due(app.ctx(), "instance-a"),
        jobs::run_due(second.ctx(), "instance-b")
    );
    a.unwrap();
    b.unwrap();
    let mut all = vec![];
    for _ in 0..50 {
        all = store::jobs::list(&app.ctx().db.pool, None, 500)
            .await
            .unwrap();
        if all.iter().all(|j| j.status == "done") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|j| j.status == "done"), "every job ran");
    assert!(
        all.iter().all(|j| j.attempts == 1),
        "none was claimed twice"
    );
}

#[tokio::test]
async fn the_data_export_holds_bookings_credits_and_messages() {
    let app = TestApp::spawn().await;
    let (admin, mentor, mentee, thread) = pair(&app).await;
    app.set_availability(&mentor, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    app.grant(&admin, &mentee.user_id, 50).await;
    let service = app.first_service(&mentor.user_id).await;
    app.post("/api/v1/bookings", mentee.token(), json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T10:00:00Z", "topic": "Export me"})).await;
    app.post(
        &format!("/api/v1/threads/{thread}/messages"),
        mentee.token(),
        json!({"content": "My words"}),
    )
    .await;
    app.call(
        Method::PUT,
        "/api/v1/me/mentee-profile",
        mentee.token(),
        Some(json!({"goals": ["learn rust"]})),
    )
    .await;
    let (status, doc) = app.get("/api/v1/me/export", mentee.token()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["bookings"][0]["topic"], "Export me");
    let booking = &doc["bookings"][0];
    assert_eq!(
        (&booking["mentor_id"], &booking["mentee_id"]),
        (&json!(mentor.user_id), &json!(mentee.user_id)),
        "who it was with: {booking}"
    );
    assert!(
        booking["with"].as_str().unwrap().starts_with("Test "),
        "{booking}"
    );
    assert_eq!(doc["credits"]["balance"], 40);
    assert_eq!(doc["messages_written"][0]["content"], "My words");
    // The booking's card in the chat names its booking.
    assert!(
        doc["messages_written"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "invite" && m["booking_id"] == booking["id"]),
        "{doc}"
    );
    assert_eq!(doc["mentee_profile"]["goals"], json!(["learn rust"]));
    assert_eq!(doc["mentorships"].as_array().unwrap().len(), 1);
    let (_, m) = app.get("/api/v1/me/export", mentor.token()).await;
    assert_eq!(m["mentor_profile"]["status"], "approved");
    assert!(
        m["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "booking_requested")
    );
}

/// The settings page offers a person only the notifications that can reach them (a
/// mentee is never booked nor asked for credits as an admin), and saving it leaves the
/// kinds it did not show as they were.
#[tokio::test]
async fn the_settings_page_offers_the_kinds_that_can_reach_me() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.register("only-mentee@example.com").await;
    app.approved_mentor(
        &admin,
        "teach@example.com",
        mentor_profile(&["rust"], &[], 10),
    )
    .await;
    let page = |email: &'static str| {
        let app = &app;
        async move {
            let c = crate::web_mentors::sign_in(app, email, "correct horse battery").await;
            let (_, html) = crate::web_mentors::text(&c, app, "/settings/notifications").await;
            (c, html)
        }
    };
    let (c, mentee_page) = page("only-mentee@example.com").await;
    assert!(
        mentee_page.contains("My booking is accepted"),
        "{mentee_page}"
    );
    for hidden in [
        "Someone books a session with me",
        "A member asks for credits",
        "I receive a review",
        // Buying credits is off in tests: nothing to hear about.
        "A credit purchase goes through",
    ] {
        assert!(!mentee_page.contains(hidden), "{hidden}");
    }
    let (_, mentor_page) = page("teach@example.com").await;
    assert!(mentor_page.contains("Someone books a session with me"));
    assert!(!mentor_page.contains("A member asks for credits"));

    // The mentee turns off emails of accepted bookings; the unseen kinds keep theirs.
    let form: Vec<(String, String)> = [("csrf", crate::web_mentors::csrf_of(&mentee_page))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(
            [
                "booking_accepted_in_app",
                "new_message_in_app",
                "new_message_email",
            ]
            .map(|k| (k.to_string(), "on".to_string())),
        )
        .collect();
    let res = c
        .post(app.url("/settings/notifications"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "only-mentee@example.com", "password": "correct horse battery"}),
        )
        .await;
    let token = login.1["access_token"].as_str().unwrap().to_string();
    let (_, prefs) = app
        .get("/api/v1/me/notification-preferences", Some(&token))
        .await;
    let of = |kind: &str| {
        let p = prefs["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .unwrap()
            .clone();
        (
            p["in_app"].as_bool().unwrap(),
            p["email"].as_bool().unwrap(),
        )
    };
    assert_eq!(of("booking_accepted"), (true, false));
    assert_eq!(
        of("booking_declined"),
        (false, false),
        "shown and left unticked"
    );
    assert_eq!(
        of("booking_requested"),
        (true, true),
        "not shown: as it was"
    );
}

/// The kinds of `s`'s unread notifications.
async fn unread_kinds(app: &TestApp, s: &Session) -> Vec<String> {
    let (_, n) = app
        .get("/api/v1/notifications?unread=true&limit=50", s.token())
        .await;
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect()
}

/// What asked for someone's attention stops asking once they acted on it: a mentor's
/// request notice once they answered it, a booking's once they accepted it, and every
/// admin's notice of a request for credits once one of them answered it. Other
/// notices stay unread.
#[tokio::test]
async fn acting_on_what_a_notification_is_about_marks_it_read() {
    let app = TestApp::spawn().await;
    let (mentor, mentee) = mentor_with_a_request(&app, "acts@example.com").await;
    let waiting = |kinds: Vec<String>| kinds.contains(&"mentorship_requested".to_string());
    assert!(waiting(unread_kinds(&app, &mentor).await));
    let (_, m) = app
        .get(
            "/api/v1/mentorships?role=mentor&status=pending",
            mentor.token(),
        )
        .await;
    let id = m["items"][0]["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/mentorships/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!waiting(unread_kinds(&app, &mentor).await));
    // The mentee's notice of the answer is theirs to read.
    assert_eq!(unread_kinds(&app, &mentee).await, ["mentorship_answered"]);

    // Two bookings waiting; accepting one reads its notice only.
    let (_, services) = app
        .get(
            &format!("/api/v1/mentors/{}/services", mentor.user_id),
            None,
        )
        .await;
    let service = services["items"][0]["id"].as_str().unwrap().to_string();
    app.set_availability(&mentor, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    let admin = app.admin().await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let mut ids = vec![];
    for start in ["2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z"] {
        let (status, b) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                json!({"mentor_id": mentor.user_id, "service_id": service, "start": start}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    let requests = |kinds: Vec<String>| kinds.iter().filter(|k| *k == "booking_requested").count();
    assert_eq!(requests(unread_kinds(&app, &mentor).await), 2);
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{}/accept", ids[0]),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(requests(unread_kinds(&app, &mentor).await), 1);

    // Two admins are told of a request for credits; one answers for both.
    mentorhub::service::admin::create_admin(app.ctx(), "second@example.com", "admin password 2")
        .await
        .unwrap();
    let (_, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "second@example.com", "password": "admin password 2"}),
        )
        .await;
    let second = Session::from_auth(&body);
    let (status, r) = app
        .post(
            "/api/v1/me/credit-requests",
            mentee.token(),
            json!({"credits": 20, "note": "For two more sessions"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    for a in [&admin, &second] {
        assert!(
            unread_kinds(&app, a)
                .await
                .contains(&"credit_requested".to_string())
        );
    }
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/admin/credit-requests/{}/grant",
                r["id"].as_str().unwrap()
            ),
            second.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for a in [&admin, &second] {
        assert!(
            !unread_kinds(&app, a)
                .await
                .contains(&"credit_requested".to_string())
        );
    }
}

/// Signs in on the web with a browser whose first language is `language`.
async fn sign_in_speaking(app: &TestApp, email: &str, language: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_str(language).unwrap(),
    );
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    let (_, html) = crate::web_mentors::text(&c, app, "/login").await;
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&html).as_str()),
            ("email", email),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign in {email}");
    c
}

async fn patch_me(app: &TestApp, s: &Session, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, "/api/v1/me", s.token(), Some(body))
        .await
}

async fn clock_of(app: &TestApp, s: &Session) -> String {
    let (_, me) = app.get("/api/v1/me", s.token()).await;
    me["clock"].as_str().unwrap().to_string()
}

/// The body of `s`'s latest notification of `kind`.
async fn latest_body(app: &TestApp, s: &Session, kind: &str) -> String {
    let (_, n) = app.get("/api/v1/notifications?limit=100", s.token()).await;
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind} notification: {n}"))["body"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_in_notifications_and_emails_follow_the_readers_clock() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(mentorhub::config::Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        ..test_config()
    })
    .await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "America/New_York", 10, 100).await;
    let mentor_email = "mentor@example.com";

    // Made through the API without saying: unknown. The first sign-in on the web
    // learns it from the browser; a later one with another language changes nothing.
    assert_eq!(clock_of(&app, &mentor).await, "");
    let (status, _) = patch_me(&app, &mentor, json!({"timezone": "America/New_York"})).await;
    assert_eq!(status, StatusCode::OK);
    let web = sign_in_speaking(&app, mentor_email, "en-US,en;q=0.9").await;
    assert_eq!(clock_of(&app, &mentor).await, "12h");
    sign_in_speaking(&app, mentor_email, "fr-FR,fr;q=0.9").await;
    assert_eq!(clock_of(&app, &mentor).await, "12h", "learned once");

    // A clock that is not one is refused, changing nothing.
    assert_problem(
        &patch_me(
            &app,
            &mentee,
            json!({"clock": "am/pm", "first_name": "Changed"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (_, me) = app.get("/api/v1/me", mentee.token()).await;
    assert_eq!(
        (me["clock"].as_str(), me["first_name"].as_str()),
        (Some(""), Some("Test"))
    );
    let (status, me) = patch_me(&app, &mentee, json!({"clock": "24h"})).await;
    assert_eq!(
        (status, me["clock"].as_str()),
        (StatusCode::OK, Some("24h"))
    );

    // 15:00 UTC is 10:00 AM in New York (EST) on 4 March 2026.
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T15:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let asked = latest_body(&app, &mentor, "booking_requested").await;
    assert!(
        asked.contains("When: Wed 4 Mar 2026, 10:00 AM (America/New_York)")
            && asked.contains(": Wed 4 Mar 2026, 3:00 PM (UTC)"),
        "the mentor's clock, in both zones: {asked}"
    );
    app.post(
        &format!("/api/v1/bookings/{}/accept", b["id"].as_str().unwrap()),
        mentor.token(),
        json!({}),
    )
    .await;
    let accepted = latest_body(&app, &mentee, "booking_accepted").await;
    assert!(
        accepted.contains("When: Wed 4 Mar 2026, 15:00 (UTC)")
            && accepted.contains(": Wed 4 Mar 2026, 10:00 (America/New_York)"),
        "the mentee's: {accepted}"
    );
    // The emails say the same.
    app.tick().await;
    let mut mails = vec![];
    for _ in 0..50 {
        mails = sink.messages.lock().await.clone();
        if mails.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        mails
            .iter()
            .any(|m| m.contains("10:00 AM (America/New_York)")),
        "the mentor's email: {mails:?}"
    );
    assert!(
        mails.iter().any(|m| m.contains("15:00 (UTC)")),
        "the mentee's email: {mails:?}"
    );

    // The mentor picks 24 hours on the profile page: pages and messages follow.
    let (_, html) = crate::web_mentors::text(&web, &app, "/settings").await;
    assert!(
        html.contains(r#"<option value="12h" selected>"#),
        "shown as chosen"
    );
    let booking_page = format!("/bookings/{}", b["id"].as_str().unwrap());
    let (_, page) = crate::web_mentors::text(&web, &app, &booking_page).await;
    assert!(page.contains("10:00 AM"), "12-hour pages before");
    let res = web
        .post(app.url("/settings/profile"))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&html).as_str()),
            ("first_name", "Test"),
            ("last_name", "mentor"),
            ("timezone", "America/New_York"),
            ("clock", "24h"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(clock_of(&app, &mentor).await, "24h");
    sign_in_speaking(&app, mentor_email, "en-US").await;
    assert_eq!(clock_of(&app, &mentor).await, "24h", "a choice stays");
    // Forgotten through the API: the form shows the browser's, the next sign-in
    // learns it again.
    let (status, _) = patch_me(&app, &mentor, json!({"clock": ""})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = crate::web_picker::page(&web, &app, "/settings", "en-US").await;
    assert!(
        html.contains(r#"<option value="12h" selected>"#),
        "the browser's"
    );
    assert!(!html.contains(r#"<option value="">"#), "two choices only");
    sign_in_speaking(&app, mentor_email, "en-GB").await;
    assert_eq!(clock_of(&app, &mentor).await, "24h");
    let (_, page) = crate::web_mentors::text(&web, &app, &booking_page).await;
    assert!(
        page.contains("10:00") && !page.contains("10:00 AM"),
        "24-hour pages after, whatever the browser's language"
    );
    app.post(
        &format!("/api/v1/bookings/{}/cancel", b["id"].as_str().unwrap()),
        mentee.token(),
        json!({}),
    )
    .await;
    let cancelled = latest_body(&app, &mentor, "booking_cancelled").await;
    assert!(
        cancelled.contains("When: Wed 4 Mar 2026, 10:00 (America/New_York)"),
        "{cancelled}"
    );
    // What was written before the change is read on today's clock, and in today's
    // zone once the mentor moves: a notification keeps its moments, not their words
    // (the other side's time stays in the other side's zone).
    let asked = latest_body(&app, &mentor, "booking_requested").await;
    assert!(
        asked.contains("When: Wed 4 Mar 2026, 10:00 (America/New_York)")
            && asked.contains(": Wed 4 Mar 2026, 15:00 (UTC)")
            && !asked.contains("AM"),
        "{asked}"
    );
    let (status, _) = patch_me(
        &app,
        &mentor,
        json!({"timezone": "Europe/Paris", "clock": "12h"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let asked = latest_body(&app, &mentor, "booking_requested").await;
    assert!(
        asked.contains("When: Wed 4 Mar 2026, 4:00 PM (Europe/Paris)")
            && asked.contains(": Wed 4 Mar 2026, 3:00 PM (UTC)")
            && asked.contains("Answer by: "),
        "{asked}"
    );
    assert!(!asked.contains('\u{1}'), "no stamp left: {asked:?}");
    let (_, page) = crate::web_mentors::text(&web, &app, "/notifications").await;
    assert!(
        page.contains("When: Wed 4 Mar 2026, 4:00 PM (Europe/Paris)"),
        "{page}"
    );
    let (_, export) = app.get("/api/v1/me/export", mentor.token()).await;
    assert!(
        export
            .to_string()
            .contains("When: Wed 4 Mar 2026, 4:00 PM (Europe/Paris)"),
        "{export}"
    );
}
