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
    // Posts back to the same page: wait for the answer's flash.
    assert!(b.wait_for_text("profile is saved").await);
    assert_eq!(b.value("#headline").await, "Rear admiral, compiler pioneer");
    b.screenshot("04-settings").await;

    b.click_button("Sign out").await;
    // Let the sign-out land before going anywhere, or its redirect races the next page.
    assert!(b.wait_for_text("You are signed out").await);
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
    // The form submits to the page it is on: wait for the query, not the path.
    assert!(b.wait_for_url_containing("q=elixir").await);
    assert_eq!(b.path().await, "/mentorship/find");
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
    assert!(b.wait_for_text("Request accepted").await);
    assert_eq!(b.path().await, "/mentorship");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentee_books_a_slot_mentor_accepts_both_see_the_link() {
    use crate::support::{mentor_profile, weekdays_nine_to_five};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "coach@example.com",
            mentor_profile(&["career"], &["interviews"], 25),
        )
        .await;
    app.set_availability(&mentor, weekdays_nine_to_five("Europe/Paris"))
        .await;
    let mentee = app.register("booker@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let Some(b) = Browser::start().await else {
        return;
    };

    b.sign_in(&app.base, "booker@example.com", "correct horse battery")
        .await;
    // Tuesday: a day ahead of the test clock.
    b.goto(&app.url(&format!("/mentors/{}?date=2026-03-03", mentor.user_id)))
        .await;
    b.screenshot("20-slot-picker").await;
    b.click(".slots a.slot").await;
    assert_eq!(
        b.wait_for_path(&format!("/mentors/{}/book", mentor.user_id))
            .await,
        format!("/mentors/{}/book", mentor.user_id)
    );
    b.fill("#topic", "Interview practice").await;
    b.click_button("Request booking").await;
    let path = b.wait_for_path("/bookings/").await;
    assert!(path.starts_with("/bookings/"), "{path}");
    let booking_path = b.path().await;
    assert!(b.text(".flash").await.contains("Booking requested"));
    assert!(b.page_has("pending").await);
    b.screenshot("21-booking-pending").await;
    b.click_button("Sign out").await;
    assert_eq!(b.wait_for_path("/").await, "/");

    b.sign_in(&app.base, "coach@example.com", "correct horse battery")
        .await;
    b.goto(&app.url(&booking_path)).await;
    b.click_button("Accept").await;
    // The form posts back to the same path: wait for the answer, not the address.
    assert!(b.wait_for_text("Booking accepted").await);
    assert_eq!(b.path().await, booking_path);
    let link = b.text(".meeting-link").await;
    assert!(link.starts_with("https://meet.jit.si/mentorhub-"), "{link}");
    b.screenshot("22-booking-accepted-mentor").await;
    b.click_button("Sign out").await;
    assert_eq!(b.wait_for_path("/").await, "/");

    b.sign_in(&app.base, "booker@example.com", "correct horse battery")
        .await;
    b.goto(&app.url("/mentorship?tab=sessions")).await;
    assert!(b.page_has("Interview practice").await || b.page_has("1:1 mentoring session").await);
    b.goto(&app.url(&booking_path)).await;
    assert_eq!(
        b.text(".meeting-link").await,
        link,
        "the mentee sees the same link"
    );
    b.screenshot("23-booking-accepted-mentee").await;
    b.close().await;
    app.assert_ledger_ok().await;
}

/// Whether a conversation's newest message shows whole, above the composer (which
/// stays at the window's foot).
async fn newest_in_view(br: &Browser) -> bool {
    br.js(
        "const last = document.querySelector('#messages li.message:last-child').getBoundingClientRect(); \
         const box = document.getElementById('composer').getBoundingClientRect(); \
         return last.bottom <= box.top + 1 && last.top >= 0;",
    )
    .await
        == serde_json::json!(true)
}

/// The list of conversations follows what is written while it is open: the
/// conversation written in moves to the top with its new line and its unread count,
/// and the menu's count follows, without a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conversation_list_follows_new_messages_live() {
    use crate::support::mentor_profile;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentee = app.register("inbox@example.com").await;
    let mut pairs = vec![];
    for name in ["first", "second"] {
        let mentor = app
            .approved_mentor(
                &admin,
                &format!("{name}-mentor@example.com"),
                mentor_profile(&["x"], &[], 10),
            )
            .await;
        let (_, m) = app
            .post(
                "/api/v1/mentorships",
                mentee.token(),
                serde_json::json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
            )
            .await;
        app.post(
            &format!("/api/v1/mentorships/{}/accept", m["id"].as_str().unwrap()),
            mentor.token(),
            serde_json::json!({}),
        )
        .await;
        let (_, threads) = app.get("/api/v1/threads", mentor.token()).await;
        let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
        app.clock.advance(jiff::SignedDuration::from_mins(5));
        let (s, _) = app
            .post(
                &format!("/api/v1/threads/{thread}/messages"),
                mentee.token(),
                serde_json::json!({"content": format!("Thanks, {name} mentor")}),
            )
            .await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
        pairs.push((mentor, thread));
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.base, "inbox@example.com", "correct horse battery")
        .await;
    b.goto(&app.url("/chat")).await;
    let first_listed = "document.querySelector('#thread-list li').dataset.thread";
    assert_eq!(b.js(&format!("return {first_listed};")).await, pairs[1].1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the socket is open

    app.clock.advance(jiff::SignedDuration::from_mins(5));
    let (s, _) = app
        .post(
            &format!("/api/v1/threads/{}/messages", pairs[0].1),
            pairs[0].0.token(),
            serde_json::json!({"content": "A new line from the first mentor"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    assert!(
        b.wait_for_text("A new line from the first mentor").await,
        "the new line shows in the list without a reload"
    );
    assert_eq!(b.path().await, "/chat");
    assert_eq!(
        b.js(&format!(
            "return [{first_listed}, \
             document.querySelector('#thread-list li .badge').textContent, \
             document.querySelector('#chat-badge .n').textContent, \
             document.getElementById('chat-badge').hidden];"
        ))
        .await,
        serde_json::json!([pairs[0].1, "1", "1", false]),
        "the conversation moved up with its unread count"
    );
    b.screenshot("31-chat-list-live").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_chat_live() {
    use crate::support::mentor_profile;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "talker@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    let mentee = app.register("listener@example.com").await;
    let (_, m) = app
        .post(
            "/api/v1/mentorships",
            mentee.token(),
            serde_json::json!({"mentor_id": mentor.user_id, "message": "Hello, I would value your guidance."}),
        )
        .await;
    app.post(
        &format!("/api/v1/mentorships/{}/accept", m["id"].as_str().unwrap()),
        mentor.token(),
        serde_json::json!({}),
    )
    .await;
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
    // A conversation longer than a phone's screen (the mentee's lines: the mentor's
    // first comes live below).
    for i in 0..24 {
        let (s, _) = app
            .post(
                &format!("/api/v1/threads/{thread}/messages"),
                mentee.token(),
                serde_json::json!({"content": format!("Earlier line {i}")}),
            )
            .await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
    }
    let Some(a) = Browser::start().await else {
        return;
    };
    let b = a.twin().await;

    a.sign_in(&app.base, "listener@example.com", "correct horse battery")
        .await;
    b.sign_in(&app.base, "talker@example.com", "correct horse battery")
        .await;
    a.resize(390, 844).await;
    a.goto(&app.url(&format!("/chat/{thread}"))).await;
    assert!(
        newest_in_view(&a).await,
        "the newest message is not under the composer"
    );
    // One scroller: the page, not also the list inside it.
    assert_eq!(
        a.js("const l = document.getElementById('messages'); \
             return [l.scrollHeight <= l.clientHeight + 1, \
             document.documentElement.scrollHeight > window.innerHeight];")
            .await,
        serde_json::json!([true, true]),
        "the conversation scrolls with the page only"
    );
    b.goto(&app.url("/chat")).await;
    assert!(b.page_has("Test listener").await, "the thread is listed");
    b.click(".thread-line a").await;
    assert_eq!(
        b.wait_for_path(&format!("/chat/{thread}")).await,
        format!("/chat/{thread}")
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // both sockets open

    b.fill("#content", "Hello from your mentor!").await;
    a.fill("#content", "typing a reply").await; // the mentor's page hears it
    b.click_button("Send").await;
    assert!(
        a.wait_for_text("Hello from your mentor!").await,
        "delivered live, without a reload"
    );
    assert_eq!(
        a.path().await,
        format!("/chat/{thread}"),
        "no navigation happened"
    );
    assert!(newest_in_view(&a).await, "nor is one that arrived live");
    a.screenshot("30-chat-live").await;
    // The live message can be reported like one rendered by the server.
    let reportable = a
        .client
        .find_all(fantoccini::Locator::Css(
            "#messages li.message:not(.mine) details.report input[name=target_id]",
        ))
        .await
        .expect("report forms");
    assert_eq!(reportable.len(), 1, "one message from the mentor so far");
    let target = reportable[0]
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(target.len(), 36, "the message's id: {target}");
    a.fill("#content", "Thanks, see you Tuesday").await;
    a.click_button("Send").await;
    assert!(b.wait_for_text("Thanks, see you Tuesday").await);
    b.screenshot("31-chat-live-other").await;
    b.close().await;
    a.close().await;
    let (_, msgs) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
        )
        .await;
    assert_eq!(msgs["items"][0]["content"], "Thanks, see you Tuesday");
}
