//! A group session walked in Chromium: a mentor publishes it from the editor, three
//! mentees join (the third waits in line), one leaves, and the one in line is seated
//! at once and sees it live (the bell), then on the page.

use serde_json::json;

use crate::support::{TestApp, browser::Browser, mentor_profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_publishes_three_join_one_leaves_and_the_line_is_seated_live() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.approved_mentor(
        &admin,
        "gia@example.com",
        mentor_profile(&["career"], &[], 30),
    )
    .await;
    let mut mentees = vec![];
    for name in ["ana", "ben", "cleo"] {
        let s = app.register(&format!("{name}@example.com")).await;
        app.grant(&admin, &s.user_id, 50).await;
        mentees.push(s);
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.url(""), "gia@example.com", "correct horse battery")
        .await;
    b.goto(&app.url("/group-sessions/new")).await;
    b.fill("#title", "Career questions").await;
    b.fill("#description", "Bring yours.").await;
    b.js("document.querySelector('#start').value = '2026-03-05T16:00';")
        .await;
    b.fill("#seats", "2").await;
    b.fill("#credits_per_seat", "10").await;
    b.screenshots("groups-01-editor").await;
    b.click_button("Publish").await;
    assert!(b.wait_for_text("Your group session is published").await);
    let path = b.path().await;
    assert!(path.starts_with("/group-sessions/"), "{path}");
    let id = path.trim_start_matches("/group-sessions/").to_string();
    b.screenshots("groups-02-published").await;

    // Two take the seats (through the API); the third joins the line on the page.
    for s in &mentees[..2] {
        let (status, body) = app
            .post(
                &format!("/api/v1/group-sessions/{id}/seats"),
                s.token(),
                json!({}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }
    let c = b.twin().await;
    c.sign_in(&app.url(""), "cleo@example.com", "correct horse battery")
        .await;
    c.goto(&app.url(&path)).await;
    assert!(c.page_has("All 2 taken").await);
    c.click_button("Join the line").await;
    assert!(c.wait_for_text("you are in line").await);
    assert!(c.page_has("you are next").await);
    c.screenshots("groups-03-in-line").await;

    // Ana leaves: Cleo is seated at once, and her bell says so without a reload.
    let (status, left) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/group-sessions/{id}/seats"),
            mentees[0].token(),
            None,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{left}");
    let mut live = false;
    for _ in 0..50 {
        let shown = c
            .js("const e = document.querySelector('#bell-count'); return !!e && getComputedStyle(e).display !== 'none' && e.querySelector('.n').textContent.trim() === '1';")
            .await;
        if shown == serde_json::Value::Bool(true) {
            live = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(live, "the bell shows the seat without a reload");
    c.goto(&app.url(&path)).await;
    assert!(c.page_has("You have a seat.").await);
    c.screenshots("groups-04-seated").await;

    // The mentor's page: the roster.
    b.goto(&app.url(&path)).await;
    assert!(b.page_has("Seated (2)").await);
    b.screenshots("groups-05-roster").await;
    c.close().await;
    b.close().await;
}
