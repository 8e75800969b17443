//! Calendars and recurring sessions walked in Chromium: a mentor connects their CalDAV
//! calendar on the settings page (Radicale on loopback), sees it connected, sends
//! bookings to one of its calendars and sees its busy times greyed in the availability
//! preview; a mentee asks for a weekly session, reads the dates, books the series and
//! lands on the first session, which lists the series.

use crate::{
    calendars::setup,
    support::{
        browser::Browser,
        caldav::{PASSWORD, USER},
    },
};

const MEMBER_PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_connects_a_calendar_and_a_mentee_books_a_weekly_series() {
    let Some((app, server, mentor, service)) = setup().await else {
        return;
    };
    let admin = app.admin().await;
    let mentee = app.register("series-mentee@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.sign_in(&app.url(""), "cal-mentor@example.com", MEMBER_PASSWORD)
        .await;
    b.goto(&app.url("/settings/calendars")).await;
    b.fill("#server_url", &server.base).await;
    b.fill("#username", USER).await;
    b.fill("#password", "wrong password").await;
    b.click_button("Connect").await;
    assert!(b.wait_for_text("refused the user name and password").await);
    b.screenshots("calendars-01-refused").await;
    b.fill("#password", PASSWORD).await;
    b.click_button("Connect").await;
    assert!(
        b.wait_for_text("Connected. Its busy times are being read")
            .await
    );
    app.tick().await;
    b.goto(&app.url("/settings/calendars")).await;
    assert!(b.page_has("Last read").await);
    let (_, list) = app.get("/api/v1/me/calendars", mentor.token()).await;
    let work = list["items"][0]["calendars"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.click(&format!("#target_{work}")).await;
    b.click_button("Save choices").await;
    assert!(b.wait_for_text("Your calendar choices are saved").await);
    b.screenshots("calendars-02-settings").await;
    // The subscription address, with a button to copy it (the page works without
    // script; with it, the button shows and answers).
    b.click_button("Get my calendar address").await;
    assert!(b.wait_for_text("copy it now, it is not shown again").await);
    assert!(b.value("#feed-url").await.contains("/calendar/"));
    b.click("button[data-copy]").await;
    let said = b.text("button[data-copy]").await;
    assert!(said == "Copied" || said == "Select and copy it", "{said}");
    b.goto(&app.url("/settings/availability#preview")).await;
    assert!(b.page_has("Your next two weeks").await);
    assert!(b.page_has("busy in your own calendar").await);
    // Wednesday's 10:00Z event, in Berlin time on the browser's (en-US) 12-hour clock.
    assert!(
        b.page_has("busy 11:00 AM–12:00 PM").await,
        "Wednesday's event, greyed"
    );
    b.screenshots("calendars-03-availability-preview").await;

    // The mentee repeats a Tuesday session weekly, three times.
    let m = b.twin().await;
    m.sign_in(&app.url(""), "series-mentee@example.com", MEMBER_PASSWORD)
        .await;
    m.goto(&app.url(&format!(
        "/mentors/{}/book?service={service}&start=2026-03-17T15:00:00Z",
        mentor.user_id
    )))
    .await;
    m.click("#repeat-every option[value='1']").await;
    m.fill("#occurrences", "3").await;
    // What the series costs is said as it is chosen, before the dates' page.
    assert!(
        m.wait_for_text("3 sessions: 30 credits in all (10 each)")
            .await
    );
    // The summary above follows: the series' cost and the balance after it.
    assert!(m.wait_for_text("30 credits for 3 sessions (10 each)").await);
    assert!(m.page_has("after booking the series").await);
    // And the cancellation rule of each session, not the first one's date.
    assert!(
        m.wait_for_text("or until 24 hours before it starts, whichever is later")
            .await
    );
    m.click_button("Request booking").await;
    assert!(m.wait_for_text("3 sessions, 30 credits in all").await);
    assert!(m.page_has("Tue 31 Mar 2026").await);
    m.screenshots("calendars-04-series-dates").await;
    m.click_button("Book these 3 sessions").await;
    assert!(m.wait_for_text("Your series is requested").await);
    assert!(m.page_has("Part of a series: 3 sessions, every week").await);
    m.screenshots("calendars-05-series-booking").await;
    m.close().await;

    // The mentor answers the whole series from the first session's page.
    let path = {
        let (_, l) = app.get("/api/v1/bookings", mentor.token()).await;
        format!("/bookings/{}", l["items"][0]["id"].as_str().unwrap())
    };
    b.goto(&app.url(&path)).await;
    b.click_button("Accept all waiting").await;
    assert!(
        b.wait_for_text("Every waiting session of the series is accepted")
            .await
    );
    b.close().await;
    // The accepted sessions reach the mentor's calendar.
    app.tick().await;
    let written = server
        .events("work")
        .await
        .into_iter()
        .filter(|(href, _)| href.contains("mentorhub-"))
        .count();
    assert_eq!(written, 3);
    drop(server);
}
