//! Dashboards: figures checked against a data set built here (including weeks without
//! activity and the weeks around a DST change), the admin's stats, the audit log, and
//! who may see what.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, mentor_profile};

fn us(t: &str) -> i64 {
    mentorhub::clock::to_micros(t.parse().unwrap())
}

/// A booking row as the life cycle would leave it.
async fn booking(
    app: &TestApp,
    (mentor, mentee, service): (&str, &str, &str),
    start: &str,
    minutes: i64,
    status: &str,
    paid: i64,
) -> String {
    let id = mentorhub::domain::ids::new_id();
    let s = us(start);
    let e = s + minutes * 60_000_000;
    sqlx::query(
        "INSERT INTO bookings (id, mentor_id, mentee_id, service_id, kind, title, duration_minutes, timed, \
         start_at, end_at, timezone, status, credits_held, credits_paid, expires_at, finished_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'session', 'Session', $5, 1, $6, $7, 'UTC', $8, 0, $9, $6, $10, $6, $6)",
    )
    .bind(&id)
    .bind(mentor)
    .bind(mentee)
    .bind(service)
    .bind(minutes)
    .bind(s)
    .bind(e)
    .bind(status)
    .bind(paid)
    .bind((status == "completed").then_some(e))
    .execute(&app.ctx().db.pool)
    .await
    .unwrap();
    id
}

fn week(series: &Value, day: &str) -> i64 {
    series
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["week"] == day)
        .unwrap_or_else(|| panic!("week {day} in {series}"))["value"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_mentor_and_mentee_figures_match_a_known_data_set() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "coach@example.com",
            mentor_profile(&["rust"], &[], 30),
        )
        .await;
    let mentee = app.register("learner@example.com").await;
    // The mentor lives in Paris: weeks are Paris weeks.
    let (s, b) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            mentor.token(),
            Some(json!({"timezone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let service = app.first_service(&mentor.user_id).await;
    let who = (
        mentor.user_id.as_str(),
        mentee.user_id.as_str(),
        service.as_str(),
    );

    // Completed sessions: Monday 00:30 Paris time on each side of the 26 October 2025
    // change (in UTC both are still on the Sunday before).
    booking(&app, who, "2025-10-19T22:30:00Z", 60, "completed", 30).await; // Mon 20 Oct 00:30 CEST
    booking(&app, who, "2025-10-26T23:30:00Z", 90, "completed", 45).await; // Mon 27 Oct 00:30 CET
    booking(&app, who, "2026-02-24T10:00:00Z", 30, "cancelled", 0).await;
    booking(&app, who, "2025-01-05T10:00:00Z", 60, "completed", 30).await; // before the 26 weeks
    let upcoming = booking(&app, who, "2026-03-04T10:00:00Z", 60, "pending", 0).await;
    for (stars, booking_start) in [(5, "2025-10-19T22:30:00Z"), (4, "2025-10-26T23:30:00Z")] {
        let b: String = sqlx::query_scalar("SELECT id FROM bookings WHERE start_at = $1")
            .bind(us(booking_start))
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO reviews (id, booking_id, mentor_id, mentee_id, rating, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 0, 0)",
        )
        .bind(mentorhub::domain::ids::new_id())
        .bind(b)
        .bind(&mentor.user_id)
        .bind(&mentee.user_id)
        .bind(stars as i64)
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    }
    // A mentorship request waiting since three hours ago.
    app.post(
        "/api/v1/mentorships",
        mentee.token(),
        json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
    )
    .await;
    app.clock.advance(jiff::SignedDuration::from_hours(3));

    let (s, d) = app.get("/api/v1/me/dashboard", mentor.token()).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["timezone"], "Europe/Paris");
    let m = &d["mentor"];
    assert_eq!(m["minutes_given"], 60 + 90 + 60);
    assert_eq!(m["earnings"], 30 + 45 + 30);
    assert_eq!(m["rating"]["distribution"], json!([0, 0, 0, 1, 1]));
    assert_eq!(m["capacity"], 3);
    let sessions = &m["sessions_per_week"];
    assert_eq!(sessions.as_array().unwrap().len(), 26);
    assert_eq!(
        sessions[25]["week"], "2026-03-02",
        "the current week comes last"
    );
    assert_eq!(sessions[0]["week"], "2025-09-08");
    assert_eq!(week(sessions, "2025-10-20"), 1, "the 169-hour week");
    assert_eq!(week(sessions, "2025-10-27"), 1);
    assert_eq!(
        week(sessions, "2025-10-13"),
        0,
        "in UTC it would have landed here"
    );
    let total: i64 = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_i64().unwrap())
        .sum();
    assert_eq!(
        total, 2,
        "older sessions are outside the 26 weeks, empty weeks are zeros"
    );
    assert_eq!(week(&m["earnings_per_week"], "2025-10-20"), 30);
    assert_eq!(week(&m["earnings_per_week"], "2025-10-27"), 45);
    let waiting = m["waiting"].as_array().unwrap();
    assert_eq!(
        waiting.len(),
        2,
        "the mentorship and the booking request: {waiting:?}"
    );
    let request = waiting.iter().find(|w| w["kind"] == "mentorship").unwrap();
    assert_eq!(request["waiting_hours"], 3);
    assert!(request["from_name"].as_str().unwrap().contains("learner"));
    assert_eq!(d["upcoming"][0]["id"], upcoming.as_str());
    assert_eq!(d["upcoming"][0]["start_local"], "2026-03-04T11:00:00+01:00");
    assert_eq!(d["upcoming"][0]["starts_in_minutes"], 46 * 60);

    // The mentee's side of the same data.
    let (_, d) = app.get("/api/v1/me/dashboard", mentee.token()).await;
    assert_eq!(d["mentee"]["minutes_received"], 210);
    assert_eq!(d["mentee"]["pending_mentorship_requests"], 1);
    assert_eq!(d["mentee"]["pending_booking_requests"], 1);
    assert!(d["mentor"].is_null(), "not a mentor");
    assert_eq!(d["upcoming"][0]["with_id"], mentor.user_id.as_str());
}

#[tokio::test]
async fn a_mentees_dashboard_lists_mentors_and_their_articles() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "writer@example.com",
            mentor_profile(&["rust"], &[], 10),
        )
        .await;
    let other = app
        .approved_mentor(
            &admin,
            "stranger@example.com",
            mentor_profile(&["go"], &[], 10),
        )
        .await;
    let mentee = app.register("reader@example.com").await;
    let (_, d) = app.get("/api/v1/me/dashboard", mentee.token()).await;
    assert!(d["mentee"]["mentors"].as_array().unwrap().is_empty());
    assert!(d["mentee"]["articles"].as_array().unwrap().is_empty());
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
    for (who, title) in [(&mentor, "From my mentor"), (&other, "From someone else")] {
        let (_, a) = app
            .post(
                "/api/v1/articles",
                who.token(),
                json!({"title": title, "content": "x", "visibility": "my_mentees"}),
            )
            .await;
        app.post(
            &format!("/api/v1/articles/{}/publish", a["id"].as_str().unwrap()),
            who.token(),
            json!({}),
        )
        .await;
    }
    let (_, d) = app.get("/api/v1/me/dashboard", mentee.token()).await;
    assert_eq!(d["mentee"]["mentors"][0]["id"], mentor.user_id.as_str());
    let titles: Vec<&str> = d["mentee"]["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["From my mentor"]);
    let (_, d) = app.get("/api/v1/me/dashboard", mentor.token()).await;
    assert_eq!(d["mentor"]["active_mentees"], 1);
    assert_eq!(d["mentor"]["response_rate"], 100);

    // "Chat" beside a mentor (and beside a mentee on the mentor's dashboard) opens
    // the conversation with that person, not the list of every conversation.
    use crate::web_mentors::{csrf_of, sign_in, text};
    let mut threads = Vec::new();
    for (email, other) in [
        ("reader@example.com", &mentor.user_id),
        ("writer@example.com", &mentee.user_id),
    ] {
        let c = sign_in(&app, email, "correct horse battery").await;
        let (_, html) = text(&c, &app, "/dashboard").await;
        let action = format!("action=\"/chat/with/{other}\"");
        assert!(html.contains(&action), "{action} in {html}");
        assert!(!html.contains("<a href=\"/chat\">Chat</a>"), "{html}");
        let res = c
            .post(app.url(&format!("/chat/with/{other}")))
            .form(&[("csrf", csrf_of(&html).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            to.starts_with("/chat/") && to.ends_with("#composer"),
            "{to}"
        );
        threads.push(to);
    }
    assert_eq!(threads[0], threads[1], "both open the one conversation");
}

#[tokio::test]
async fn admin_stats_count_the_platform_and_only_admins_see_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "coach@example.com",
            mentor_profile(&["rust"], &[], 30),
        )
        .await;
    let mentee = app.register("learner@example.com").await;
    app.grant(&admin, &mentee.user_id, 70).await;
    let service = app.first_service(&mentor.user_id).await;
    let who = (
        mentor.user_id.as_str(),
        mentee.user_id.as_str(),
        service.as_str(),
    );
    booking(&app, who, "2026-02-10T10:00:00Z", 60, "completed", 30).await;
    booking(&app, who, "2026-02-11T10:00:00Z", 60, "declined", 0).await;

    assert_problem(
        &app.get("/api/v1/admin/stats", mentee.token()).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/admin/audit", mentor.token()).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/api/v1/admin/stats", None).await,
        401,
        "unauthenticated",
    );

    // A suspended mentor is no longer counted among the approved (their account is,
    // among the accounts).
    let gone = app
        .approved_mentor(&admin, "gone@example.com", mentor_profile(&["go"], &[], 10))
        .await;
    let (status, b) = app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", gone.user_id),
            admin.token(),
            json!({"reason": "Spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");

    let (s, st) = app.get("/api/v1/admin/stats", admin.token()).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let t = &st["totals"];
    assert_eq!(t["users"], 4);
    assert_eq!(t["mentors_approved"], 1, "{t}");
    assert_eq!(t["credits_granted"], 70);
    assert_eq!(t["credits_spent"], 30);
    let by_status: Vec<(String, i64)> = t["bookings_by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["status"].as_str().unwrap().to_string(),
                x["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_status, [("completed".into(), 1), ("declined".into(), 1)]);
    let series = &st["series"];
    assert_eq!(
        week(&series["signups"], "2026-03-02"),
        4,
        "everyone signed up this week"
    );
    assert_eq!(week(&series["bookings"], "2026-02-09"), 2);
    // The same bookings by status: every status, in lifecycle order, adding up.
    let per_status = series["bookings_by_status"].as_array().unwrap();
    let statuses: Vec<&str> = per_status
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "pending",
            "accepted",
            "declined",
            "expired",
            "cancelled",
            "completed",
            "no_show"
        ]
    );
    for x in per_status {
        let want = match x["status"].as_str().unwrap() {
            "completed" | "declined" => 1,
            _ => 0,
        };
        assert_eq!(week(&x["points"], "2026-02-09"), want, "{x}");
        let all: i64 = x["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_i64().unwrap())
            .sum();
        assert_eq!(all, want, "nothing in other weeks: {x}");
        assert_eq!(x["points"].as_array().unwrap().len(), 26);
    }
    // The page stacks them, with a legend and a table of the statuses that occur.
    let adm = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = crate::web_mentors::text(&adm, &app, "/admin/stats").await;
    for (class, label) in [("seg-2", "declined"), ("seg-5", "completed")] {
        assert!(
            html.contains(&format!(
                r#"<span class="swatch {class}" aria-hidden="true"></span>{label}"#
            )),
            "{label} in the legend"
        );
        assert_eq!(html.matches(&format!(r#"class="seg {class}""#)).count(), 1);
    }
    assert!(
        !html.contains("swatch seg-0"),
        "no pending booking, no legend entry"
    );
    assert!(html.contains("<th>Week of</th><th>declined</th><th>completed</th><th>Total</th>"));
    assert!(html.contains("<td>2026-02-09</td><td>1</td><td>1</td><td>2</td>"));
    assert_eq!(week(&series["credits_granted"], "2026-03-02"), 70);
    assert_eq!(week(&series["credits_spent"], "2026-02-09"), 30);
    // The weekly series counts approvals when they were made.
    assert_eq!(week(&series["mentors_approved"], "2026-03-02"), 2);

    // Every admin action so far is in the audit log, filterable.
    let (_, log) = app.get("/api/v1/admin/audit", admin.token()).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"credits.grant"), "{actions:?}");
    let (_, grants) = app
        .get("/api/v1/admin/audit?action=credits.", admin.token())
        .await;
    assert_eq!(grants["items"].as_array().unwrap().len(), 1);
    assert_eq!(grants["items"][0]["after"]["amount"], 70);
    assert_eq!(grants["items"][0]["actor_email"], "root@example.com");
    // The words the audit page shows ("credits grant") find it too; others do not.
    for (words, found) in [
        ("Credits grant", 1),
        ("credits  gr", 1),
        ("credits refund", 0),
    ] {
        let (_, by_words) = app
            .get(
                &format!("/api/v1/admin/audit?action={}", words.replace(' ', "%20")),
                admin.token(),
            )
            .await;
        assert_eq!(
            by_words["items"].as_array().unwrap().len(),
            found,
            "{words}"
        );
    }
    let (_, none) = app
        .get(
            &format!("/api/v1/admin/audit?target={}", mentor.user_id),
            admin.token(),
        )
        .await;
    assert!(
        none["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["target_id"] == mentor.user_id.as_str()),
        "{none}"
    );
    // The page finds a person by email, in any case: what was done to them (the
    // learner: the grant) or by them (the admin: everything here).
    let c = crate::web_mentors::sign_in(&app, "root@example.com", "admin password 1").await;
    let rows = |html: &str| html.matches("<tr><td data-label=\"When\">").count();
    let (_, page) =
        crate::web_mentors::text(&c, &app, "/admin/audit?target=Learner%40Example.com").await;
    assert_eq!(rows(&page), 1, "{page}");
    let (_, page) =
        crate::web_mentors::text(&c, &app, "/admin/audit?target=root%40example.com").await;
    assert_eq!(
        rows(&page),
        log["items"].as_array().unwrap().len(),
        "{page}"
    );
    // The page also takes an action as it shows it ("credits granted").
    for (words, found) in [("Credits%20granted", 1), ("payment%20refunded", 0)] {
        let (_, page) =
            crate::web_mentors::text(&c, &app, &format!("/admin/audit?action={words}")).await;
        assert_eq!(rows(&page), found, "{words}: {page}");
    }
    let (_, page) =
        crate::web_mentors::text(&c, &app, "/admin/audit?target=nobody%40example.com").await;
    assert!(
        page.contains("No account has the email nobody@example.com."),
        "{page}"
    );
}

#[tokio::test]
async fn a_mentors_dashboard_puts_requests_first_and_walks_a_new_mentor_through_setup() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "fresh@example.com",
            crate::support::mentor_profile(&["x"], &[], 10),
        )
        .await;
    let mentee = app.register("asker@example.com").await;
    app.post(
        "/api/v1/mentorships",
        mentee.token(),
        serde_json::json!({"mentor_id": mentor.user_id, "message": "Hello there"}),
    )
    .await;
    let c = sign_in(&app, "fresh@example.com", "correct horse battery").await;
    let (_, html) = text(&c, &app, "/dashboard").await;
    // Setup first: what is left, linked; approval and the service are done already.
    assert!(
        html.contains("Get ready for mentees") && html.contains("2 of 4 done"),
        "{html}"
    );
    assert!(html.contains("<a href=\"/settings/availability\">Open your weekly hours</a>"));
    // Requests and sessions before the figures; no empty mentee panels.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    assert!(at("Waiting for your answer") < at("id=\"mentoring\""));
    assert!(at("id=\"upcoming\"") < at("id=\"mentoring\""));
    assert!(
        html.contains("from <strong><a href=\"/mentees/"),
        "the asker is linked"
    );
    assert!(
        !html.contains("You have no mentor yet"),
        "no empty mentee panels"
    );
    assert!(!html.contains("My own learning"));

    // Approved already: found now, bookable once the hours are open.
    assert!(
        html.contains(
            "2 of 4 done. Mentees find you in search now, and can book you once your weekly hours are open"
        ),
        "{html}"
    );

    app.set_availability(&mentor, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    // Bookable now: the photo left is not a condition, and the page says so.
    let (_, html) = text(&c, &app, "/dashboard").await;
    assert!(
        html.contains("3 of 4 done. Mentees can book you now; a photo helps them choose you."),
        "{html}"
    );
    app.call(
        reqwest::Method::PATCH,
        "/api/v1/me",
        mentor.token(),
        Some(serde_json::json!({"avatar_url": "https://example.com/me.png"})),
    )
    .await;
    let (_, html) = text(&c, &app, "/dashboard").await;
    assert!(
        !html.contains("Get ready for mentees"),
        "done, the checklist goes"
    );
}
