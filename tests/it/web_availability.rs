//! The availability editor: a day at a time, Monday's hours copied to the weekdays in
//! one tick, exceptions one row at a time, errors in plain words beside their field.

use reqwest::StatusCode;

use crate::{
    support::{TestApp, mentor_profile},
    web_mentors::{csrf_of, sign_in, text},
};

/// The editor's form with Monday morning's hours in Paris and its booking rules.
fn base_form(csrf: &str) -> [(&'static str, &str); 10] {
    [
        ("csrf", csrf),
        ("timezone", "Europe/Paris"),
        ("monday_start_0", "09:00"),
        ("monday_end_0", "12:00"),
        ("min_notice_minutes", "60"),
        ("buffer_before_minutes", "0"),
        ("buffer_after_minutes", "0"),
        ("horizon_days", "30"),
        ("slot_step_minutes", "30"),
        ("max_per_day", "0"),
    ]
}

#[tokio::test]
async fn a_mentor_sets_weekly_hours_exceptions_and_reads_plain_errors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    let c = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (s, page) = text(&c, &app, "/settings/availability").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<legend>Monday</legend>") && page.contains("+ add hours"));
    assert!(
        !page.contains("id=\"zone-differs\""),
        "same zone as the profile: {page}"
    );
    let csrf = csrf_of(&page);
    let base = base_form(&csrf);

    // Wrong: hours that end before they start, a negative limit. Nothing is saved,
    // and each error is said beside its field and named in the summary.
    let mut bad = base.to_vec();
    bad.extend([("monday_start_1", "14:00"), ("monday_end_1", "13:00")]);
    bad.retain(|(k, _)| *k != "max_per_day");
    bad.push(("max_per_day", "-5"));
    let res = c
        .post(app.url("/settings/availability"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(!html.contains("weekly["), "no internal paths: {html}");
    assert!(
        html.contains(
            "<a href=\"#monday_end_1\">Monday, hours 2: The end must be after the start. For hours past midnight, end them at 00:00 and go on from 00:00 the next day.</a>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<p class=\"error\" id=\"monday_error_1\">The end must be after the start. For hours past midnight, end them at 00:00 and go on from 00:00 the next day.</p>"
        )
    );
    assert!(html.contains("aria-describedby=\"monday_error_1\""));
    assert!(
        html.contains("href=\"#max_per_day\""),
        "the rule's error is named too"
    );
    assert!(html.contains("value=\"14:00\""), "typed input kept");
    let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
    assert_eq!(
        saved["weekly"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "{saved}"
    );

    // Hours of one day that overlap are refused beside the later row.
    let mut overlapping = base.to_vec();
    overlapping.extend([("monday_start_1", "11:00"), ("monday_end_1", "13:00")]);
    let res = c
        .post(app.url("/settings/availability"))
        .form(&overlapping)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Monday, hours 2: These hours overlap 09:00–12:00 on the same day"),
        "{html}"
    );

    // A blocked window without its hours is not quietly a whole day off: refused,
    // the row shown again as a blocked window, nothing saved.
    for (from, to) in [("", ""), ("10:00", "")] {
        let mut blocked = base.to_vec();
        blocked.extend([
            ("ov_date_0", "2026-03-10"),
            ("ov_kind_0", "blocked"),
            ("ov_start_0", from),
            ("ov_end_0", to),
        ]);
        let res = c
            .post(app.url("/settings/availability"))
            .form(&blocked)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from}–{to}"
        );
        let html = res.text().await.unwrap();
        assert!(
            html.contains(
                "Exception 1 (Tue 10 Mar 2026): Enter the hours to block, from and to, or choose a day off."
            ),
            "the summary names the date in words: {html}"
        );
        assert!(
            html.contains("<option value=\"blocked\" selected>"),
            "still a blocked window: {html}"
        );
        let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
        assert_eq!(saved["overrides"].as_array().unwrap().len(), 0, "{saved}");
    }

    // Nothing said twice or left out is quietly dropped or reset: hours without a
    // date, a day off that also has extra hours, a booking rule emptied.
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[
                ("ov_date_0", ""),
                ("ov_kind_0", "extra"),
                ("ov_start_0", "12:00"),
                ("ov_end_0", "14:00"),
            ],
            "Exception 1: Use a date like 2026-03-02.",
        ),
        (
            &[
                ("ov_date_0", "2026-03-10"),
                ("ov_kind_0", "off"),
                ("ov_date_1", "2026-03-10"),
                ("ov_kind_1", "extra"),
                ("ov_start_1", "15:00"),
                ("ov_end_1", "16:00"),
            ],
            "Tue 10 Mar 2026 is a day off in another exception: remove one of them.",
        ),
        (
            &[("min_notice_minutes", "")],
            "href=\"#min_notice_minutes\"",
        ),
    ];
    for (extra, says) in cases {
        let mut sent: Vec<(&str, &str)> = base.to_vec();
        for (k, v) in extra {
            sent.retain(|(x, _)| x != k);
            sent.push((k, v));
        }
        let res = c
            .post(app.url("/settings/availability"))
            .form(&sent)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        let html = res.text().await.unwrap();
        assert!(html.contains(says), "{says}: {html}");
        let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
        assert_eq!(saved["overrides"].as_array().unwrap().len(), 0, "{saved}");
    }

    // Right, with Monday copied to the weekdays and a day off.
    let mut good = base.to_vec();
    good.extend([
        ("monday_start_1", "13:00"),
        ("monday_end_1", "17:00"),
        ("copy_weekdays", "on"),
        ("ov_date_0", "2026-03-10"),
        ("ov_kind_0", "off"),
    ]);
    let res = c
        .post(app.url("/settings/availability"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
    let weekly = saved["weekly"].as_array().unwrap();
    assert_eq!(weekly.len(), 10, "two windows on each weekday: {saved}");
    assert!(
        weekly
            .iter()
            .any(|r| r["weekday"] == "friday" && r["start"] == "13:00")
    );
    assert!(!weekly.iter().any(|r| r["weekday"] == "saturday"));
    assert_eq!(saved["overrides"][0]["date"], "2026-03-10");

    // The exception is a row of its own, removable; one empty row adds another.
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(page.contains("<legend>Exception 1</legend>") && page.contains("name=\"ov_remove_0\""));
    // Calendars cannot be connected on this server: the preview does not point there.
    assert!(page.contains("What mentees can book now"), "{page}");
    assert!(!page.contains("your own calendar"), "{page}");
    assert!(page.contains("<legend>New exception</legend>"));
    let mut remove = base.to_vec();
    remove.extend([
        ("ov_date_0", "2026-03-10"),
        ("ov_kind_0", "off"),
        ("ov_remove_0", "on"),
    ]);
    let res = c
        .post(app.url("/settings/availability"))
        .form(&remove)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
    assert_eq!(saved["overrides"].as_array().unwrap().len(), 0, "{saved}");

    // Hours until midnight: an end of 00:00 after the start (all a time field can
    // say) is midnight; the page shows it as 00:00 again, and saving the page as it
    // is keeps it.
    let mut late = base.to_vec();
    late.extend([("tuesday_start_0", "23:00"), ("tuesday_end_0", "00:00")]);
    let res = c
        .post(app.url("/settings/availability"))
        .form(&late)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
    let tuesday = |saved: &serde_json::Value| {
        saved["weekly"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["weekday"] == "tuesday")
            .cloned()
    };
    let t = tuesday(&saved).expect("saved");
    assert_eq!(
        (t["start"].as_str(), t["end"].as_str()),
        (Some("23:00"), Some("24:00"))
    );
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(
        page.contains("name=\"tuesday_end_0\" value=\"00:00\""),
        "shown as the field can: {page}"
    );
    let res = c
        .post(app.url("/settings/availability"))
        .form(&late)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, again) = app.get("/api/v1/me/availability", mentor.token()).await;
    assert_eq!(tuesday(&again), Some(t));
    // Hours kept in another zone than the profile's are said to be so.
    let res = c
        .post(app.url("/settings/availability"))
        .form(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(
        page.contains("These hours are in Europe/Paris, and your profile's time zone is UTC"),
        "{page}"
    );
}

/// A day off (or a blocked window) taken where a session is already booked does not
/// cancel it: the availability page says which sessions are still booked in time the
/// mentor took off, in the availability's zone, each linked to where it can be moved
/// or cancelled; a session outside the exception is not named.
#[tokio::test]
async fn sessions_booked_in_time_taken_off_are_pointed_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "Europe/Paris", 10, 100).await;
    let mut ids = vec![];
    // Tuesday 3 March 10:00 and 14:00 in Paris (UTC+1).
    for start in ["2026-03-03T09:00:00Z", "2026-03-03T13:00:00Z"] {
        let (status, b) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                serde_json::json!({"mentor_id": mentor.user_id, "service_id": service, "start": start, "topic": "Plans"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    // A mentee following a link to the editor is taken to where a mentor profile
    // starts.
    let m = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let res = m
        .get(app.url("/settings/availability"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/settings/mentor");
    let c = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(!page.contains("still booked"), "no exception yet");

    let mut body = crate::support::weekdays_nine_to_five("Europe/Paris");
    body["overrides"] = serde_json::json!([{"date": "2026-03-03", "available": false, "start": "09:30", "end": "11:00"}]);
    app.set_availability(&mentor, body.clone()).await;
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(
        page.contains("A session is still booked in time you took off"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/bookings/{}\"", ids[0])),
        "{page}"
    );
    assert!(
        !page.contains(&format!("href=\"/bookings/{}\"", ids[1])),
        "{page}"
    );
    assert!(
        page.contains("in the time you blocked on Tuesday 3 March"),
        "{page}"
    );
    // The request's own page says so to its mentor (not to its mentee, not on the
    // other request).
    let (_, one) = text(&c, &app, &format!("/bookings/{}", ids[0])).await;
    assert!(
        one.contains("This request falls in the time you blocked on Tuesday 3 March: taking time off does not cancel what was booked. Decline it"),
        "{one}"
    );
    let (_, other) = text(&c, &app, &format!("/bookings/{}", ids[1])).await;
    assert!(!other.contains("in-time-off"), "{other}");
    let (_, theirs) = text(&m, &app, &format!("/bookings/{}", ids[0])).await;
    assert!(!theirs.contains("in-time-off"), "{theirs}");

    // The whole day off: both are named; once one is cancelled, only the other.
    body["overrides"] = serde_json::json!([{"date": "2026-03-03", "available": false}]);
    app.set_availability(&mentor, body).await;
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(page.contains("2 sessions are still booked"), "{page}");
    assert!(
        page.contains("in your day off on Tuesday 3 March"),
        "{page}"
    );
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", ids[1]),
            mentor.token(),
            serde_json::json!({"reason": "Day off"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(page.contains("A session is still booked"), "{page}");
    assert!(
        !page.contains(&format!("href=\"/bookings/{}\"", ids[1])),
        "{page}"
    );
}

/// Two weeks of holiday are one row: "Date" and "Until" send a day off for every date
/// between them (saved one date each, as the API keeps them), the page shows the run as
/// one row again, saving the page as it is keeps it, one tick removes it; an "Until"
/// before the first date or unreadable is refused beside the row, and a date of the run
/// that clashes with another exception is named.
#[tokio::test]
async fn a_holiday_is_one_row_from_its_first_day_until_its_last() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(
            &admin,
            "mentor@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    let c = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(page.contains("name=\"ov_until_0\""), "{page}");
    let csrf = csrf_of(&page);
    let base = base_form(&csrf);
    let post = |extra: Vec<(&'static str, &'static str)>| {
        let mut sent: Vec<(&str, &str)> = base.to_vec();
        sent.extend(extra);
        let req = c.post(app.url("/settings/availability")).form(&sent);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let saved_dates = || async {
        let (_, saved) = app.get("/api/v1/me/availability", mentor.token()).await;
        saved["overrides"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["date"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };

    // Refused, nothing saved: the last day before the first, a last day that is no
    // date, a run whose date clashes with a single day's extra hours.
    for (extra, says) in [
        (
            vec![
                ("ov_date_0", "2026-03-10"),
                ("ov_until_0", "2026-03-02"),
                ("ov_kind_0", "off"),
            ],
            "Exception 1 (Tue 10 Mar 2026): The last day (Mon 2 Mar 2026) is before the first.",
        ),
        (
            vec![
                ("ov_date_0", "2026-03-10"),
                ("ov_until_0", "next week"),
                ("ov_kind_0", "off"),
            ],
            "Use a date like 2026-03-02 for the last day, or leave it empty.",
        ),
        (
            vec![
                ("ov_date_0", "2026-03-10"),
                ("ov_until_0", "2028-03-10"),
                ("ov_kind_0", "off"),
            ],
            "One exception covers at most 366 days; this one covers 732.",
        ),
        (
            vec![
                ("ov_date_0", "2026-03-09"),
                ("ov_until_0", "2026-03-13"),
                ("ov_kind_0", "off"),
                ("ov_date_1", "2026-03-12"),
                ("ov_kind_1", "extra"),
                ("ov_start_1", "18:00"),
                ("ov_end_1", "19:00"),
            ],
            "Exception 2: Thu 12 Mar 2026 is a day off in another exception: remove one of them.",
        ),
    ] {
        let (status, html) = post(extra).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        assert!(html.contains(says), "{says}: {html}");
        assert!(html.contains("id=\"ov_error_"), "beside the row: {html}");
        assert!(saved_dates().await.is_empty());
    }
    // The row is shown again as it was filled in.
    let (_, html) = post(vec![
        ("ov_date_0", "2026-03-10"),
        ("ov_until_0", "2026-03-02"),
        ("ov_kind_0", "off"),
    ])
    .await;
    assert!(
        html.contains("name=\"ov_until_0\" value=\"2026-03-02\""),
        "{html}"
    );

    // Saved: a week off, and the lunch hour blocked on three days after it.
    let (status, html) = post(vec![
        ("ov_date_0", "2026-03-09"),
        ("ov_until_0", "2026-03-15"),
        ("ov_kind_0", "off"),
        ("ov_date_1", "2026-03-16"),
        ("ov_until_1", "2026-03-18"),
        ("ov_kind_1", "blocked"),
        ("ov_start_1", "12:00"),
        ("ov_end_1", "13:00"),
    ])
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let dates = saved_dates().await;
    assert_eq!(dates.len(), 10, "{dates:?}");
    assert_eq!(dates[0], "2026-03-09");
    assert_eq!(dates[6], "2026-03-15");
    assert_eq!(dates[9], "2026-03-18");
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(
        page.contains("name=\"ov_date_0\" value=\"2026-03-09\"")
            && page.contains("name=\"ov_until_0\" value=\"2026-03-15\"")
            && page.contains("name=\"ov_date_1\" value=\"2026-03-16\"")
            && page.contains("name=\"ov_until_1\" value=\"2026-03-18\""),
        "two rows: {page}"
    );
    assert!(page.contains("<legend>Exception 1 (several days)</legend>"));
    assert!(
        !page.contains("name=\"ov_remove_2\""),
        "no third row: {page}"
    );

    // Saved again as the page shows it: the same ten dates. Removing the first row
    // removes its whole week.
    let same = vec![
        ("ov_date_0", "2026-03-09"),
        ("ov_until_0", "2026-03-15"),
        ("ov_kind_0", "off"),
        ("ov_date_1", "2026-03-16"),
        ("ov_until_1", "2026-03-18"),
        ("ov_kind_1", "blocked"),
        ("ov_start_1", "12:00"),
        ("ov_end_1", "13:00"),
    ];
    let (status, _) = post(same.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(saved_dates().await, dates);
    let mut removed = same;
    removed.push(("ov_remove_0", "on"));
    let (status, _) = post(removed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved_dates().await,
        ["2026-03-16", "2026-03-17", "2026-03-18"]
    );

    // Two holidays that overlap are kept as their dates once each: one row again.
    let (status, _) = post(vec![
        ("ov_date_0", "2026-03-24"),
        ("ov_until_0", "2026-03-26"),
        ("ov_kind_0", "off"),
        ("ov_date_1", "2026-03-25"),
        ("ov_until_1", "2026-03-27"),
        ("ov_kind_1", "off"),
    ])
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved_dates().await,
        ["2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27"]
    );
    let (_, page) = text(&c, &app, "/settings/availability").await;
    assert!(
        page.contains("name=\"ov_until_0\" value=\"2026-03-27\"")
            && !page.contains("name=\"ov_remove_1\""),
        "{page}"
    );
    // A day off whose date another row gives hours is said so from its own side; a
    // year of dates and one more is said of the exceptions as a whole, linked.
    for (extra, says) in [
        (
            vec![
                ("ov_date_0", "2026-03-28"),
                ("ov_until_0", "2026-03-30"),
                ("ov_kind_0", "blocked"),
                ("ov_start_0", "09:00"),
                ("ov_end_0", "10:00"),
                ("ov_date_1", "2026-03-29"),
                ("ov_kind_1", "off"),
            ],
            "Exception 2: Sun 29 Mar 2026 has hours in another exception: remove one of them.",
        ),
        (
            vec![
                ("ov_date_0", "2026-04-01"),
                ("ov_until_0", "2027-04-01"),
                ("ov_kind_0", "off"),
                ("ov_date_1", "2026-03-20"),
                ("ov_kind_1", "off"),
            ],
            "<a href=\"#ov_date_0\">Exceptions: At most 366 exceptions in all (one for each date a row covers): remove some.</a>",
        ),
    ] {
        let (status, html) = post(extra).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        assert!(html.contains(says), "{says}: {html}");
    }
}
