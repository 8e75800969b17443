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
