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
