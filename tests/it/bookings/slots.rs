//! Availability, free slots across zones, and discovery by next free time.

use super::*;

#[tokio::test]
async fn availability_is_validated_and_only_for_mentors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentee = app.register("m@example.com").await;
    let (_, a) = app.get("/api/v1/me/availability", mentee.token()).await;
    assert_eq!(a["weekly"], json!([]));
    assert_problem(
        &app.call(
            Method::PUT,
            "/api/v1/me/availability",
            mentee.token(),
            Some(weekdays_nine_to_five("UTC")),
        )
        .await,
        403,
        "forbidden",
    );
    let mentor = app
        .approved_mentor(&admin, "t@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let bad = json!({
        "timezone": "Mars/Base",
        "weekly": [{"weekday": "funday", "start": "9:00", "end": "08:00"}, {"weekday": "monday", "start": "10:00", "end": "09:00"}],
        "overrides": [{"date": "2026-02-30", "available": true}],
        "settings": {"min_notice_minutes": -1, "buffer_before_minutes": 0, "buffer_after_minutes": 0, "horizon_days": 0, "slot_step_minutes": 30, "max_per_day": 0}
    });
    let got = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(bad),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    let fields: Vec<&str> = got.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "timezone",
        "weekly[0].weekday",
        "weekly[0].start",
        "weekly[1].end",
        "overrides[0].date",
        "settings.min_notice_minutes",
        "settings.horizon_days",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let mut good = weekdays_nine_to_five("America/New_York");
    good["overrides"] = json!([{"date": "2026-03-10", "available": false}, {"date": "2026-03-14", "available": true, "start": "10:00", "end": "12:00"}]);
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(good),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["weekly"].as_array().unwrap().len(), 5);
    assert_eq!(saved["overrides"][1]["start"], "10:00");
}

#[tokio::test]
async fn slots_follow_the_mentors_zone_across_dst_and_render_in_the_viewers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "ny@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    app.set_availability(
        &mentor,
        json!({"timezone": "America/New_York", "weekly": [{"weekday": "monday", "start": "10:00", "end": "12:00"}],
               "settings": {"min_notice_minutes": 0, "buffer_before_minutes": 0, "buffer_after_minutes": 0,
                            "horizon_days": 60, "slot_step_minutes": 60, "max_per_day": 0}}),
    )
    .await;
    let service = app.first_service(&mentor.user_id).await;
    let (status, s) = app
        .get(&format!("/api/v1/mentors/{}/slots?service_id={service}&from=2026-03-02T00:00:00Z&to=2026-03-10T00:00:00Z&tz=Asia/Kolkata", mentor.user_id), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let starts: Vec<&str> = s["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["start"].as_str().unwrap())
        .collect();
    // 10:00 New York is 15:00Z before the 2026-03-08 change and 14:00Z after.
    assert_eq!(
        starts,
        [
            "2026-03-02T15:00:00Z",
            "2026-03-02T16:00:00Z",
            "2026-03-09T14:00:00Z",
            "2026-03-09T15:00:00Z"
        ]
    );
    assert_eq!(s["items"][0]["start_local"], "2026-03-02T20:30:00+05:30");
    assert_eq!(s["items"][0]["end"], "2026-03-02T16:00:00Z");
    for bad in [
        "tz=Nowhere/Land",
        "from=yesterday",
        "to=2026-01-01T00:00:00Z",
        "to=2026-12-31T00:00:00Z",
    ] {
        let got = app
            .get(
                &format!(
                    "/api/v1/mentors/{}/slots?service_id={service}&{bad}",
                    mentor.user_id
                ),
                None,
            )
            .await;
        assert_problem(&got, 422, "invalid_input");
    }
    let got = app
        .get(&format!("/api/v1/mentors/{}/slots", mentor.user_id), None)
        .await;
    assert_problem(&got, 422, "invalid_input");
}

#[tokio::test]
async fn discovery_knows_who_is_free_and_when() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let weekdays = app
        .approved_mentor(&admin, "a@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    app.set_availability(&weekdays, weekdays_nine_to_five("UTC"))
        .await;
    let thursdays = app
        .approved_mentor(&admin, "b@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    let mut thu = weekdays_nine_to_five("UTC");
    thu["weekly"] = json!([{"weekday": "thursday", "start": "09:00", "end": "12:00"}]);
    app.set_availability(&thursdays, thu).await;
    let never = app
        .approved_mentor(&admin, "c@example.com", mentor_profile(&["x"], &[], 10))
        .await;

    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, r) = app.get("/api/v1/mentors?sort=soonest", None).await;
    assert_eq!(
        ids(&r),
        vec![
            weekdays.user_id.clone(),
            thursdays.user_id.clone(),
            never.user_id.clone()
        ]
    );
    assert_eq!(r["items"][0]["next_free_slot"], "2026-03-02T09:00:00Z");
    assert_eq!(r["items"][1]["next_free_slot"], "2026-03-05T09:00:00Z");
    assert!(r["items"][2]["next_free_slot"].is_null());

    let (_, r) = app
        .get(
            "/api/v1/mentors?available_from=2026-03-05T09:30:00Z&available_to=2026-03-05T11:30:00Z",
            None,
        )
        .await;
    let mut got = ids(&r);
    got.sort();
    let mut want = vec![weekdays.user_id.clone(), thursdays.user_id.clone()];
    want.sort();
    assert_eq!(got, want, "both are free on Thursday morning");
    let (_, r) = app
        .get(
            "/api/v1/mentors?available_from=2026-03-04T09:00:00Z&available_to=2026-03-04T17:00:00Z",
            None,
        )
        .await;
    assert_eq!(
        ids(&r),
        vec![weekdays.user_id.clone()],
        "only one works Wednesdays"
    );

    // Booking the only Thursday slots takes that mentor out of the window.
    let mentee = app.register("e@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let svc = app.first_service(&thursdays.user_id).await;
    for h in ["09", "10", "11"] {
        let (s, b) = app.post("/api/v1/bookings", mentee.token(), json!({"mentor_id": thursdays.user_id, "service_id": svc, "start": format!("2026-03-05T{h}:00:00Z")})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (_, r) = app
        .get(
            "/api/v1/mentors?available_from=2026-03-05T09:00:00Z&available_to=2026-03-05T12:00:00Z",
            None,
        )
        .await;
    assert_eq!(ids(&r), vec![weekdays.user_id.clone()]);
    let (_, m) = app
        .get(&format!("/api/v1/mentors/{}", thursdays.user_id), None)
        .await;
    assert_eq!(
        m["next_free_slot"], "2026-03-12T09:00:00Z",
        "the next free Thursday"
    );
    for bad in [
        "available_from=soon",
        "available_from=2026-03-05T12:00:00Z&available_to=2026-03-05T09:00:00Z",
        "sort=later",
    ] {
        assert_problem(
            &app.get(&format!("/api/v1/mentors?{bad}"), None).await,
            422,
            "invalid_input",
        );
    }
}

/// Exceptions are for today or later in the mentor's zone: a new one for a date that
/// has passed is refused with the reason (and nothing is saved); one saved earlier
/// whose date has since passed is dropped quietly when the availability is saved
/// again, so sending back what was read always works.
#[tokio::test]
async fn exceptions_are_for_today_or_later() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "t@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    // The test clock reads Monday 2 March 2026, 09:00 UTC: in Honolulu (UTC−10) it
    // is still Sunday 1 March, which is "today" there.
    let mut body = weekdays_nine_to_five("Pacific/Honolulu");
    body["overrides"] = json!([{"date": "2026-03-01", "available": false}, {"date": "2026-03-05", "available": false}]);
    app.set_availability(&mentor, body.clone()).await;
    body["timezone"] = json!("UTC");
    body["overrides"] = json!([{"date": "2026-03-05", "available": false}, {"date": "2026-02-27", "available": false}]);
    let got = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(body),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(
        got.1["errors"][0]["field"], "overrides[1].date",
        "{}",
        got.1
    );
    assert_eq!(got.1["errors"][0]["code"], "past_date");
    assert_eq!(
        got.1["errors"][0]["message"],
        "Fri 27 Feb 2026 has passed: an exception is for today or a later date."
    );
    let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
    assert_eq!(
        saved["timezone"], "Pacific/Honolulu",
        "nothing saved: {saved}"
    );
    assert_eq!(saved["overrides"].as_array().unwrap().len(), 2, "{saved}");

    // Two days on, what was read is sent back: the passed day is dropped, not refused.
    app.clock.advance(jiff::SignedDuration::from_hours(48));
    let (status, again) = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(saved),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        again["overrides"],
        json!([{"date": "2026-03-05", "available": false, "start": null, "end": null}])
    );

    // Exceptions are kept in date order; start times every 7 minutes are refused.
    let mut body = weekdays_nine_to_five("UTC");
    body["overrides"] = json!([{"date": "2026-03-20", "available": false}, {"date": "2026-03-06", "available": false}]);
    body["settings"]["slot_step_minutes"] = json!(7);
    let got = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(body.clone()),
        )
        .await;
    assert_problem(&got, 422, "invalid_input");
    assert_eq!(got.1["errors"][0]["field"], "settings.slot_step_minutes");
    assert_eq!(got.1["errors"][0]["code"], "not_multiple_of_5");
    body["settings"]["slot_step_minutes"] = json!(15);
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            mentor.token(),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["overrides"][0]["date"], "2026-03-06");
    assert_eq!(saved["overrides"][1]["date"], "2026-03-20");
}
