//! Calendar files: they parse, and follow a booking's changes.

use super::*;

#[tokio::test]
async fn calendar_files_parse_and_follow_changes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;

    let res = app
        .http
        .get(app.url(&format!("/api/v1/bookings/{id}/ics")))
        .bearer_auth(&mentee.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = res.text().await.unwrap();
    let parse = |text: &str| {
        let mut cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
        cal.next().expect("a calendar").expect("it parses")
    };
    let cal = parse(&body);
    assert_eq!(cal.events.len(), 1);
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let ev = &cal.events[0];
    assert_eq!(prop(ev, "UID"), format!("{id}@mentorhub"));
    assert_eq!(prop(ev, "DTSTART"), "20260303T100000Z");
    assert_eq!(prop(ev, "STATUS"), "CONFIRMED");
    assert!(prop(ev, "URL").starts_with("https://meet.jit.si/"));
    assert_problem(
        &app.get(&format!("/api/v1/bookings/{id}/ics"), admin.token())
            .await,
        404,
        "not_found",
    );

    let (status, feed) = app
        .post("/api/v1/me/calendar-feed", mentor.token(), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let url = feed["url"].as_str().unwrap().to_string();
    let path = url.trim_start_matches(&app.base).to_string();
    app.post(
        &format!("/api/v1/bookings/{id}/reschedule"),
        mentor.token(),
        json!({"start": WED_10}),
    )
    .await;
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        mentor.token(),
        json!({}),
    )
    .await;
    let text = app
        .http
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cal = parse(&text);
    let ev = &cal.events[0];
    assert_eq!(prop(ev, "STATUS"), "CANCELLED");
    assert_eq!(prop(ev, "DTSTART"), "20260304T100000Z");
    assert_eq!(prop(ev, "SEQUENCE"), "3", "accept, move, cancel");
    // A declined request's file cancels the tentative one it replaces: a newer
    // SEQUENCE, or calendars keep the first.
    let (s, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": TUE_10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let declined = b["id"].as_str().unwrap().to_string();
    let ics_of = |id: String| {
        let (app, token) = (&app, mentee.access.clone());
        async move {
            app.http
                .get(app.url(&format!("/api/v1/bookings/{id}/ics")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let before = parse(&ics_of(declined.clone()).await);
    assert_eq!(prop(&before.events[0], "SEQUENCE"), "0");
    let (s, _) = app
        .post(
            &format!("/api/v1/bookings/{declined}/decline"),
            mentor.token(),
            json!({"reason": "Away that day"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let after = parse(&ics_of(declined).await);
    assert_eq!(prop(&after.events[0], "STATUS"), "CANCELLED");
    assert_eq!(prop(&after.events[0], "SEQUENCE"), "1");
    // A re-issued feed revokes the old URL.
    app.post("/api/v1/me/calendar-feed", mentor.token(), json!({}))
        .await;
    assert_eq!(
        app.http.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

/// The feed address from the settings page, for a mentee too: shown once when issued,
/// then only when it was; a new one asks first and stops the old.
#[tokio::test]
async fn a_mentee_gets_a_calendar_address_from_the_settings() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, settings) = text(&c, &app, "/settings").await;
    assert!(
        settings.contains("<a href=\"/settings/calendars\">Calendars</a>"),
        "a tab for everyone: {settings}"
    );
    let (_, page) = text(&c, &app, "/settings/calendars").await;
    assert!(page.contains("Get my calendar address"), "{page}");
    assert!(
        !page.contains("Connect your own calendar"),
        "mentors only: {page}"
    );
    let issue = |confirmed: bool, csrf: String| {
        let c = &c;
        let url = app.url("/settings/calendars/feed");
        async move {
            let mut form = vec![("csrf", csrf)];
            if confirmed {
                form.push(("confirmed", "1".into()));
            }
            let res = c.post(url).form(&form).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let address = |html: &str| -> String {
        let marker = "id=\"feed-url\" readonly value=\"";
        let at = html.find(marker).unwrap_or_else(|| panic!("{html}")) + marker.len();
        html[at..at + html[at..].find('"').unwrap()].to_string()
    };
    let (status, shown) = issue(false, csrf_of(&page)).await;
    assert_eq!(status, StatusCode::OK);
    let first = address(&shown);
    let path = first.trim_start_matches(&app.base).to_string();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{first}"
    );
    let feed = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(
        feed.text()
            .await
            .unwrap()
            .contains(&format!("UID:{id}@mentorhub"))
    );
    // Later: said to exist, not shown again.
    let (_, page) = text(&c, &app, "/settings/calendars").await;
    assert!(page.contains("You have an address, issued "), "{page}");
    assert!(!page.contains(&first), "{page}");
    // A new one asks first, then replaces it: the old one stops.
    let (_, ask) = issue(false, csrf_of(&page)).await;
    assert!(ask.contains("Get a new calendar address?"), "{ask}");
    let (_, now) = text(&c, &app, "/settings/calendars").await;
    assert!(!now.contains("feed-url"), "nothing issued without a yes");
    let (_, shown) = issue(true, csrf_of(&page)).await;
    let second = address(&shown);
    assert_ne!(first, second);
    let old = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    // Turned off (asked first): the address stops, the page offers a new one.
    let second_path = second.trim_start_matches(&app.base).to_string();
    let feed_status = |path: String| {
        let app = &app;
        async move { app.http.get(app.url(&path)).send().await.unwrap().status() }
    };
    assert_eq!(feed_status(second_path.clone()).await, StatusCode::OK);
    let (_, page) = text(&c, &app, "/settings/calendars").await;
    let off = |confirmed: &'static str| {
        c.post(app.url("/settings/calendars/feed/off"))
            .form(&[("csrf", csrf_of(&page).as_str()), ("confirmed", confirmed)])
            .send()
    };
    let ask = off("").await.unwrap().text().await.unwrap();
    assert!(ask.contains("Turn your calendar address off?"), "{ask}");
    assert_eq!(off("1").await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(
        feed_status(second_path.clone()).await,
        StatusCode::NOT_FOUND
    );
    let (_, page) = text(&c, &app, "/settings/calendars").await;
    assert!(
        page.contains("Your calendar address is off") && page.contains("Get my calendar address"),
        "{page}"
    );
    // And through the API: 204, the address gone.
    let (_, issued) = app
        .post("/api/v1/me/calendar-feed", mentee.token(), json!({}))
        .await;
    let api_path = issued["url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_string();
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/calendar-feed",
            mentee.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(feed_status(api_path.clone()).await, StatusCode::NOT_FOUND);
}
