//! The three journeys of issue 15 walked in Chromium as people would, with
//! screenshots of each step at desktop and phone width when `MENTORHUB_SCREENSHOTS`
//! is set.

use crate::support::{TestApp, browser::Browser, mentor_profile, weekdays_nine_to_five};

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Whether an element is shown (not `display: none`, e.g. through `hidden`).
async fn shown(b: &Browser, css: &str) -> bool {
    b.js(&format!(
        "const e = document.querySelector({css:?}); return !!e && getComputedStyle(e).display !== 'none';"
    ))
    .await
        == serde_json::Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_asks_for_credits_and_an_admin_grants_them_from_the_attention_queue() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A mentor in Nairobi, free 09:00-17:00 there on weekdays.
    let mentor = app
        .approved_mentor(
            &admin,
            "amina@example.com",
            mentor_profile(&["career"], &[], 30),
        )
        .await;
    app.set_availability(&mentor, weekdays_nine_to_five("Africa/Nairobi"))
        .await;
    app.call(
        reqwest::Method::PATCH,
        "/api/v1/me",
        mentor.token(),
        Some(serde_json::json!({"timezone": "Africa/Nairobi", "first_name": "Amina"})),
    )
    .await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&app.url("/signup")).await;
    // A newcomer in Los Angeles.
    b.js("document.querySelector('#timezone').value = 'America/Los_Angeles';")
        .await;
    b.fill("#first_name", "Lena").await;
    b.fill("#last_name", "Ortiz").await;
    b.fill("#email", "lena@example.com").await;
    b.fill("#password", "a newcomer's password").await;
    b.click_button("Create account").await;
    assert_eq!(b.wait_for_path("/dashboard").await, "/dashboard");
    // No ghost badges: nothing unread shows nothing, and the bell is named.
    assert!(!shown(&b, "#bell-count").await, "a 0 badge on the bell");
    assert!(!shown(&b, "#chat-badge").await, "a 0 badge on Chat");
    assert_eq!(
        b.js("return document.querySelector('a.bell').innerText.trim();")
            .await,
        "Notifications"
    );

    b.goto(&app.url("/credits")).await;
    assert!(
        b.page_has("Credits on this site come from its administrators")
            .await
    );
    b.screenshots("journey-credits-01-empty").await;
    // Submitted empty: the summary names both problems and has the focus.
    b.fill("#f-credits", "").await;
    b.click_button("Ask for credits").await;
    assert!(b.wait_for_text("2 things to fix").await);
    assert_eq!(
        b.js("return document.activeElement.id;").await,
        "error-summary"
    );
    b.screenshots("journey-credits-02-errors").await;
    b.fill("#f-credits", "30").await;
    b.fill("#f-note", "Three sessions to prepare my interviews")
        .await;
    b.click_button("Ask for credits").await;
    assert!(
        b.wait_for_text("Your request is with the administrators")
            .await
    );
    b.screenshots("journey-credits-03-asked").await;

    // The admin: notified, the attention line, granted in one step.
    let a = b.twin().await;
    a.sign_in(&app.url(""), "root@example.com", "admin password 1")
        .await;
    assert!(shown(&a, "#bell-count").await, "the admin is notified");
    assert_eq!(
        a.js("return document.querySelector('a.bell').innerText.replace(/\\s+/g, ' ').trim();")
            .await,
        "Notifications 1 unread"
    );
    a.goto(&app.url("/admin/stats")).await;
    a.click("#attention-credit-requests").await;
    assert_eq!(
        a.wait_for_path("/admin/credit-requests").await,
        "/admin/credit-requests"
    );
    assert!(a.page_has("Lena Ortiz asks for 30 credits").await);
    a.screenshots("journey-credits-04-queue").await;
    a.click_button("Grant").await;
    assert!(
        a.wait_for_text("Granted 30 of the 30 credits asked: they are in the member's wallet")
            .await
    );
    a.close().await;

    b.goto(&app.url("/credits")).await;
    assert_eq!(b.text("#balance").await, "30");
    assert!(b.page_has("Granted 30 credits").await);
    assert!(shown(&b, "#bell-count").await, "the newcomer is told");
    b.screenshots("journey-credits-05-granted").await;

    // The newcomer books with the keyboard only, in her zone, the mentor's beside.
    b.goto(&app.url(&format!("/mentors/{}", mentor.user_id)))
        .await;
    assert!(b.page_has("Times in").await);
    assert_eq!(b.value("#picker-tz").await, "America/Los_Angeles");
    b.screenshots("journey-book-01-picker").await;
    b.tab_to("a.day.free:not(.chosen)").await;
    let day = b
        .js("return document.activeElement.getAttribute('aria-label');")
        .await;
    b.press(ENTER).await;
    // The picker is swapped in place and the focus moves to the chosen day's times.
    let day_name = day.as_str().unwrap().split(',').next().unwrap().to_string();
    assert!(b.wait_for_text(&day_name).await, "{day:?}");
    for _ in 0..50 {
        if b.js("return document.activeElement.id;").await == "times" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(b.js("return document.activeElement.id;").await, "times");
    assert!(b.page_has("in Nairobi").await && b.page_has("night").await);
    b.screenshots("journey-book-02-day").await;
    b.tab_to("a.slot").await;
    let slot = b
        .js("return document.activeElement.getAttribute('aria-label');")
        .await;
    assert!(
        slot.as_str().unwrap().contains("for the mentor"),
        "the mentor's time is said: {slot:?}"
    );
    b.press(ENTER).await;
    assert!(
        b.wait_for_path(&format!("/mentors/{}/book", mentor.user_id))
            .await
            .ends_with("/book")
    );
    b.tab_to("#topic").await;
    b.press("Negotiating my first offer").await;
    b.press(TAB).await;
    b.tab_to("button[type=submit]").await;
    b.screenshots("journey-book-03-form").await;
    b.press(ENTER).await;
    assert!(
        b.wait_for_path("/bookings/")
            .await
            .starts_with("/bookings/")
    );
    assert!(b.wait_for_text("Booking requested").await);
    assert!(b.page_has("America/Los_Angeles").await && b.page_has("Africa/Nairobi").await);
    b.screenshots("journey-book-04-requested").await;
    b.close().await;
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_reads_who_asks_accepts_and_chats_and_an_admin_suspends_with_a_reason() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.approved_mentor(
        &admin,
        "amina@example.com",
        mentor_profile(&["career"], &[], 30),
    )
    .await;
    let mentor_id = {
        let (_, l) = app
            .post(
                "/api/v1/auth/login",
                None,
                serde_json::json!({"email": "amina@example.com", "password": "correct horse battery"}),
            )
            .await;
        l["user"]["id"].as_str().unwrap().to_string()
    };
    let mentee = app.register("lena@example.com").await;
    app.call(
        reqwest::Method::PUT,
        "/api/v1/me/mentee-profile",
        mentee.token(),
        Some(serde_json::json!({"bio": "Bootcamp graduate, first job hunt.", "goals": ["first developer job"],
            "skills": ["javascript"], "interests": []})),
    )
    .await;
    app.post(
        "/api/v1/mentorships",
        mentee.token(),
        serde_json::json!({"mentor_id": mentor_id, "message": "I just finished a bootcamp."}),
    )
    .await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.url(""), "amina@example.com", "correct horse battery")
        .await;
    // The request is the first thing on the dashboard; the asker's name opens who she is.
    assert!(b.page_has("Waiting for your answer").await);
    b.screenshots("journey-mentor-01-dashboard").await;
    b.goto(&app.url("/mentorship?tab=mentees")).await;
    b.click(&format!("a[href='/mentees/{}']", mentee.user_id))
        .await;
    assert!(b.wait_for_text("Bootcamp graduate, first job hunt.").await);
    assert!(b.page_has("first developer job").await);
    b.screenshots("journey-mentor-02-mentee").await;
    b.goto(&app.url("/mentorship?tab=mentees")).await;
    b.click_button("Accept").await;
    assert!(b.wait_for_text("Request accepted").await);

    // Chat: Enter sends, Shift+Enter is a new line; the live copy on the other side
    // reads like the loaded one.
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
    let other = b.twin().await;
    other
        .sign_in(&app.url(""), "lena@example.com", "correct horse battery")
        .await;
    other.goto(&app.url(&format!("/chat/{thread}"))).await;
    b.goto(&app.url(&format!("/chat/{thread}"))).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // both sockets open
    b.click("#content").await;
    b.press("Welcome, Lena! See https://example.com/guide")
        .await;
    b.press("\u{E008}\u{E007}\u{E008}").await; // Shift+Enter: a new line, nothing sent
    assert_eq!(
        b.js("return document.querySelectorAll('#messages li.message').length;")
            .await,
        1,
        "only the welcome line so far"
    );
    b.press("Talk soon").await;
    b.press(ENTER).await;
    assert!(other.wait_for_text("Talk soon").await, "delivered live");
    let live = other
        .js("const li = [...document.querySelectorAll('#messages li.message')].pop(); return [li.querySelector('.sender') && li.querySelector('.sender').textContent, !!li.querySelector('a[href=\"https://example.com/guide\"]'), !!li.querySelector('.msg-menu')];")
        .await;
    assert_eq!(
        live,
        serde_json::json!(["Test", true, true]),
        "sender, link, menu"
    );
    assert_eq!(b.value("#content").await, "", "the composer is emptied");
    // Lena writes, corrects, then deletes a line: the open page follows each step, and
    // a deleted line no longer says it was edited (as the page reloaded says).
    let (_, line) = app
        .post(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
            serde_json::json!({"content": "A typo hre"}),
        )
        .await;
    let line = line["id"].as_str().unwrap().to_string();
    assert!(b.wait_for_text("A typo hre").await);
    app.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/messages/{line}"),
        mentee.token(),
        Some(serde_json::json!({"content": "A typo here"})),
    )
    .await;
    assert!(b.wait_for_text("A typo here").await);
    let meta = format!("return document.querySelector('[data-id=\"{line}\"] .meta').textContent;");
    assert!(b.js(&meta).await.as_str().unwrap().ends_with("edited"));
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/messages/{line}"),
        mentee.token(),
        None,
    )
    .await;
    assert!(b.wait_for_text("(deleted)").await);
    let shown = b.js(&meta).await;
    assert!(!shown.as_str().unwrap().contains("edited"), "{shown}");
    b.screenshots("journey-mentor-03-chat").await;
    other.close().await;
    b.click_button("Sign out").await;
    assert!(b.wait_for_text("You are signed out").await);

    // The admin suspends, asked first, with a reason.
    b.sign_in(&app.url(""), "root@example.com", "admin password 1")
        .await;
    b.goto(&app.url("/admin?q=lena")).await;
    b.click_button("Suspend…").await;
    assert!(b.wait_for_text("signed out everywhere").await);
    b.screenshots("journey-admin-01-confirm").await;
    b.click_button("Yes, suspend").await;
    assert!(
        b.wait_for_text("One thing to fix").await,
        "a reason is needed"
    );
    b.fill("#f-reason", "Spam in chat").await;
    b.click_button("Yes, suspend").await;
    assert!(b.wait_for_text("The user is suspended").await);
    b.screenshots("journey-admin-02-suspended").await;
    b.close().await;
}
