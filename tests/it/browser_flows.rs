//! Browser tests: real headless Chromium clicking through the pages.

use crate::support::{TestApp, browser::Browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sign_in_edit_profile_sign_out() {
    let app = TestApp::spawn().await;
    let Some(b) = Browser::start().await else {
        return;
    };

    b.goto(&app.url("/")).await;
    b.screenshot("01-landing").await;
    b.click("a.btn-primary[href='/signup']").await;
    assert_eq!(b.wait_for_path("/signup").await, "/signup");
    b.fill("#first_name", "Grace").await;
    b.fill("#last_name", "Hopper").await;
    b.fill("#email", "grace@example.com").await;
    b.fill("#password", "cobol forever and ever").await;
    b.screenshot("02-signup").await;
    b.click_button("Create account").await;
    assert_eq!(b.wait_for_path("/dashboard").await, "/dashboard");
    assert!(b.text("h1").await.contains("Hello, Grace"));
    assert!(b.text(".flash").await.contains("Welcome"));
    b.screenshot("03-dashboard").await;

    b.click_button("Sign out").await;
    assert_eq!(b.wait_for_path("/").await, "/");
    assert!(b.text(".flash").await.contains("signed out"));

    b.goto(&app.url("/settings")).await;
    assert_eq!(
        b.wait_for_path("/login").await,
        "/login",
        "settings need a session"
    );
    b.fill("#email", "grace@example.com").await;
    b.fill("#password", "cobol forever and ever").await;
    b.click_button("Sign in").await;
    assert_eq!(
        b.wait_for_path("/settings").await,
        "/settings",
        "back where we were going"
    );

    b.fill("#headline", "Rear admiral, compiler pioneer").await;
    b.fill("#bio", "I wrote the first compiler.").await;
    b.click_button("Save profile").await;
    assert!(b.text(".flash").await.contains("profile is saved"));
    assert_eq!(b.value("#headline").await, "Rear admiral, compiler pioneer");
    b.screenshot("04-settings").await;

    b.click_button("Sign out").await;
    b.goto(&app.url("/dashboard")).await;
    assert_eq!(b.wait_for_path("/login").await, "/login");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_open_profile_request_then_mentor_accepts() {
    use crate::support::mentor_profile;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut p = mentor_profile(&["backend"], &["elixir", "phoenix"], 30);
    p["company"] = serde_json::json!("Plataformatec");
    let mentor = app.approved_mentor(&admin, "jose@example.com", p).await;
    app.approved_mentor(
        &admin,
        "someone@example.com",
        mentor_profile(&["design"], &["figma"], 10),
    )
    .await;
    app.register("learner@example.com").await;
    let Some(b) = Browser::start().await else {
        return;
    };

    b.sign_in(&app.base, "learner@example.com", "correct horse battery")
        .await;
    b.goto(&app.url("/mentorship/find")).await;
    b.fill("#q", "elixir").await;
    b.click_button("Search").await;
    assert_eq!(
        b.wait_for_path("/mentorship/find").await,
        "/mentorship/find"
    );
    let cards = b
        .client
        .find_all(fantoccini::Locator::Css(".mentor-card"))
        .await
        .unwrap();
    assert_eq!(cards.len(), 1, "only the Elixir mentor matches");
    b.screenshot("10-find").await;
    b.click(".mentor-card h3 a").await;
    assert_eq!(
        b.wait_for_path(&format!("/mentors/{}", mentor.user_id))
            .await,
        format!("/mentors/{}", mentor.user_id)
    );
    assert!(b.page_has("Plataformatec").await);
    b.fill("#message", "I'd like to learn OTP properly.").await;
    b.screenshot("11-mentor-profile").await;
    b.click_button("Request mentorship").await;
    assert_eq!(b.wait_for_path("/mentorship").await, "/mentorship");
    assert!(b.text(".flash").await.contains("on its way"));
    assert!(b.page_has("pending").await);
    b.click_button("Sign out").await;
    assert_eq!(b.wait_for_path("/").await, "/");

    b.sign_in(&app.base, "jose@example.com", "correct horse battery")
        .await;
    b.goto(&app.url("/mentorship")).await;
    assert!(
        b.page_has("I'd like to learn OTP properly.").await,
        "the mentor reads the message"
    );
    b.screenshot("12-mentees").await;
    b.click_button("Accept").await;
    assert_eq!(b.wait_for_path("/mentorship").await, "/mentorship");
    assert!(b.text(".flash").await.contains("Request accepted"));
    assert!(b.page_has("accepted").await);
    b.close().await;

    let (_, list) = app
        .get(
            "/api/v1/mentorships?role=mentor&status=accepted",
            mentor.token(),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
