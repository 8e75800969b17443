//! The accessibility check: axe-core (installed from npm by `.ci/run` into
//! `.ci/node`) over every page of the three journeys — signed out, as a mentee, a
//! mentor and an admin — at desktop and phone width. Zero serious or critical
//! violations; at phone width, no page scrolls sideways and the header (navigation
//! folded behind a Menu button) stays under 80 px. Without axe-core the test says so and skips, unless
//! `MENTORHUB_REQUIRE_AXE=1` (CI sets it).

use serde_json::json;

use crate::{
    articles::{publish, write},
    support::{TestApp, browser::Browser, mentor_profile, weekdays_nine_to_five},
};

fn axe_source() -> Option<String> {
    let path = std::env::var("MENTORHUB_AXE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/.ci/node/node_modules/axe-core/axe.min.js"
        )
        .into()
    });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            let msg = format!(
                "accessibility check skipped: no axe-core at {path} ({e}); \
                 run `npm ci --prefix .ci/node`"
            );
            if std::env::var("MENTORHUB_REQUIRE_AXE").is_ok_and(|v| v == "1") {
                panic!("{msg}, and MENTORHUB_REQUIRE_AXE=1");
            }
            eprintln!("{msg}");
            None
        }
    }
}

/// Checks each page at both widths; returns every violation found, by page.
async fn check(b: &Browser, app: &TestApp, axe: &str, who: &str, pages: &[String]) -> Vec<String> {
    let mut found = vec![];
    for (width, height, label) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        b.resize(width, height).await;
        for p in pages {
            b.goto(&app.url(p)).await;
            for v in b.axe(axe).await {
                found.push(format!("{who} {label} {p}: {v}"));
            }
            if label == "phone" {
                // No sideways scrolling, and a header that leaves room for the page.
                let wide = b
                    .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                    .await;
                if wide.as_i64().unwrap_or(0) > 0 {
                    found.push(format!("{who} phone {p}: scrolls sideways by {wide} px"));
                }
                let header = b
                    .js("return Math.round(document.querySelector('.site-header').getBoundingClientRect().height);")
                    .await;
                if header.as_i64().unwrap_or(999) > 80 {
                    found.push(format!("{who} phone {p}: the header takes {header} px"));
                }
                // A strip of tabs wider than the screen shows the current tab.
                let tab = b
                    .js("const a = document.querySelector('nav.tabs a[aria-current=\"page\"]'); \
                         if (!a) return true; const s = a.parentElement.getBoundingClientRect(), \
                         r = a.getBoundingClientRect(); return r.left >= s.left - 1 && r.right <= s.right + 1;")
                    .await;
                if tab != serde_json::json!(true) {
                    found.push(format!(
                        "{who} phone {p}: the current tab is scrolled out of view"
                    ));
                }
            }
        }
    }
    b.resize(1280, 900).await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_journey_page_passes_axe_at_both_widths() {
    let Some(axe) = axe_source() else {
        return;
    };
    // With a calendar key, so the Calendars page shows its connect form.
    let app = TestApp::spawn_with(mentorhub::config::Config {
        calendar_key: Some([3u8; 32]),
        ..crate::support::test_config()
    })
    .await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["career"], &["rust"], 20),
        )
        .await;
    app.set_availability(&mentor, weekdays_nine_to_five("Africa/Nairobi"))
        .await;
    let mentee = app.register("mentee@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let service = app.first_service(&mentor.user_id).await;
    // A title as long as allowed, in one unbroken word: the profile must still not
    // scroll sideways on a phone.
    let (status, long) = app
        .post(
            "/api/v1/me/services",
            mentor.token(),
            json!({"kind": "session", "title": "W".repeat(120), "duration_minutes": 30, "credit_cost": 5}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{long}");
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "message": "I would like to grow as a backend developer."}),
        )
        .await;
    let mid = m["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/mentorships/{mid}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-04T07:00:00Z",
                "topic": "Career", "message": "Hello"}),
        )
        .await;
    let booking = b["id"].as_str().unwrap().to_string();
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
    let a = write(
        &app,
        &mentor,
        json!({"title": "Reading code", "content": "# Start\\n\\nRead `Vec<T>` first."}),
    )
    .await;
    let a = publish(&app, &mentor, a["id"].as_str().unwrap()).await;
    let slug = a["slug"].as_str().unwrap().to_string();
    let (status, g) = app
        .post(
            "/api/v1/group-sessions",
            mentor.token(),
            json!({"title": "Career questions", "description": "Bring yours.",
                   "start": "2026-03-06T16:00:00Z", "seats": 2, "credits_per_seat": 5}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{g}");
    let group = format!("/group-sessions/{}", g["items"][0]["id"].as_str().unwrap());
    let asker = app.register("asker@example.com").await;
    app.post(
        "/api/v1/me/credit-requests",
        asker.token(),
        json!({"credits": 20, "note": "Two sessions"}),
    )
    .await;

    // A program from a template, open, with an applicant paired in a draft.
    let (_, prog) = app
        .post(
            "/api/v1/programs",
            admin.token(),
            json!({"template_id": "builtin:career-switch", "name": "Switch"}),
        )
        .await;
    let program = format!("/programs/{}", prog["id"].as_str().unwrap());
    app.post(
        &format!("/api/v1{program}/transitions"),
        admin.token(),
        json!({"action": "open"}),
    )
    .await;
    let (status, e) = app
        .post(
            &format!("/api/v1{program}/enrolments"),
            mentor.token(),
            json!({"role": "mentor", "answers": {"tracks": ["Data"]}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{e}");
    let (status, e) = app
        .post(
            &format!("/api/v1{program}/enrolments"),
            asker.token(),
            json!({"role": "mentee", "choices": [mentor.user_id],
                   "answers": {"background": "Teacher", "track": "Data", "skills": "sql"}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{e}");
    app.post(
        &format!("/api/v1{program}/proposals"),
        admin.token(),
        json!({}),
    )
    .await;

    // An open report, so the admin's reports table (with its resolve form) is walked.
    let (status, r) = app
        .post(
            "/api/v1/reports",
            asker.token(),
            json!({"target_type": "user", "target_id": mentor.user_id,
                   "reason": "Keeps sending offers for paid courses outside the platform"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{r}");

    let Some(b) = Browser::start().await else {
        return;
    };
    let mid_path = format!("/mentors/{}", mentor.user_id);
    let mut found = check(
        &b,
        &app,
        &axe,
        "visitor",
        &[
            "/".into(),
            "/signup".into(),
            "/login".into(),
            "/mentorship/find?q=career".into(),
            mid_path.clone(),
            "/articles".into(),
            format!("/articles/{slug}"),
            "/group-sessions".into(),
            group.clone(),
        ],
    )
    .await;

    b.sign_in(&app.url(""), "mentee@example.com", "correct horse battery")
        .await;
    found.extend(
        check(
            &b,
            &app,
            &axe,
            "mentee",
            &[
                "/dashboard".into(),
                mid_path.clone(),
                format!("{mid_path}/book?service={service}&start=2026-03-05T07:00:00Z"),
                "/credits".into(),
                format!("/bookings/{booking}"),
                "/mentorship?tab=mentors".into(),
                "/chat".into(),
                format!("/chat/{thread}"),
                "/notifications".into(),
                "/settings".into(),
                "/settings/mentee".into(),
                group.clone(),
                "/programs".into(),
                program.clone(),
            ],
        )
        .await,
    );
    b.click_button("Sign out").await;
    assert!(b.wait_for_text("You are signed out").await);

    b.sign_in(&app.url(""), "mentor@example.com", "correct horse battery")
        .await;
    found.extend(
        check(
            &b,
            &app,
            &axe,
            "mentor",
            &[
                "/dashboard".into(),
                "/mentorship?tab=mentees".into(),
                format!("/mentees/{}", mentee.user_id),
                format!("/bookings/{booking}"),
                "/settings/mentor".into(),
                "/settings/services".into(),
                "/settings/availability".into(),
                "/settings/calendars".into(),
                "/articles/new".into(),
                format!("/chat/{thread}"),
                "/group-sessions/new".into(),
                group.clone(),
                program.clone(),
            ],
        )
        .await,
    );
    b.click_button("Sign out").await;
    assert!(b.wait_for_text("You are signed out").await);

    b.sign_in(&app.url(""), "root@example.com", "admin password 1")
        .await;
    found.extend(
        check(
            &b,
            &app,
            &axe,
            "admin",
            &[
                "/admin/stats".into(),
                "/admin".into(),
                "/admin/applications".into(),
                "/admin/credit-requests".into(),
                "/admin/reports".into(),
                "/admin/audit".into(),
                "/admin/jobs".into(),
                format!("/admin/users/{}", mentee.user_id),
                format!("/admin/bookings/{booking}"),
                "/programs/new".into(),
                format!("{program}/manage"),
                format!("{program}/report"),
            ],
        )
        .await,
    );
    b.close().await;
    assert!(
        found.is_empty(),
        "{} serious or critical accessibility violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
