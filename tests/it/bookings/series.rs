//! Recurring sessions: a weekly series keeps the mentor's local time across DST, is
//! booked whole or not at all, is answered and cancelled as a whole or from one
//! occurrence on, and moving one occurrence leaves the others.

use super::*;

fn series(mentor: &str, service: &str, start: &str, every: i64, n: i64) -> serde_json::Value {
    json!({"mentor_id": mentor, "service_id": service, "start": start, "every_weeks": every,
           "occurrences": n, "topic": "Weekly check-in"})
}

fn starts(s: &serde_json::Value) -> Vec<String> {
    s["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["start"].as_str().unwrap().to_string())
        .collect()
}

fn statuses(s: &serde_json::Value) -> Vec<String> {
    s["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_string())
        .collect()
}

/// The emails to `to` whose subject starts with `subject`.
async fn mails(app: &TestApp, to: &str, subject: &str) -> Vec<mentorhub::store::notify::OutboxRow> {
    mentorhub::store::notify::emails_for(&app.ctx().db.pool, to)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with(subject))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_series_keeps_local_time_across_dst_and_is_answered_and_cancelled() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "Europe/Berlin", 10, 100).await;
    // Tuesdays 16:00 Berlin from 17 March: 15:00Z until the change of 29 March, 14:00Z after.
    let preview = app
        .post(
            "/api/v1/bookings/series/preview",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4),
        )
        .await;
    assert_eq!(preview.0, StatusCode::OK, "{}", preview.1);
    assert_eq!(preview.1["items"][2]["start"], "2026-03-31T14:00:00Z");
    assert!(preview.1["items"][2]["free"].as_bool().unwrap());
    // API.md's name for the number of sessions, `count`, says the same.
    let mut by_count = series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4);
    let n = by_count
        .as_object_mut()
        .unwrap()
        .remove("occurrences")
        .unwrap();
    by_count["count"] = n;
    let counted = app
        .post("/api/v1/bookings/series/preview", mentee.token(), by_count)
        .await;
    assert_eq!(counted, preview);

    let (status, s) = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(
        starts(&s),
        [
            "2026-03-17T15:00:00Z",
            "2026-03-24T15:00:00Z",
            "2026-03-31T14:00:00Z",
            "2026-04-07T14:00:00Z"
        ]
    );
    assert_eq!(s["every_weeks"], 1);
    assert_eq!(s["timezone"], "Europe/Berlin");
    assert_eq!(
        app.balance(&mentee).await,
        (60, 40),
        "each session holds its own credits"
    );
    let id = s["id"].as_str().unwrap().to_string();
    let ids: Vec<String> = s["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        s["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["series_id"] == id.as_str())
    );
    // One notification for the mentor, not four.
    let (_, n) = app.get("/api/v1/notifications", mentor.token()).await;
    let series_notes = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["title"]
                .as_str()
                .unwrap()
                .starts_with("New series request")
        })
        .count();
    assert_eq!(series_notes, 1, "{n}");
    // It lists every date in the mentor's own zone (UTC here: Berlin's summer time
    // moves the last two).
    let body = n["items"][0]["body"].as_str().unwrap();
    assert!(
        body.contains(
            "All 4 sessions:\n- Tue 17 Mar 2026, 15:00 (UTC)\n- Tue 24 Mar 2026, 15:00 (UTC)\n- Tue 31 Mar 2026, 14:00 (UTC)\n- Tue 7 Apr 2026, 14:00 (UTC)"
        ),
        "{body}"
    );

    // The mentee cannot answer; the mentor accepts all four.
    let got = app
        .post(
            &format!("/api/v1/bookings/series/{id}/accept"),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_problem(&got, 403, "forbidden");
    let (status, s) = app
        .post(
            &format!("/api/v1/bookings/series/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(statuses(&s), ["accepted"; 4]);
    // The mentee is told once, with every date and every session in the calendar file.
    let told = app.notification_titles(&mentee).await;
    assert_eq!(
        told.iter()
            .filter(|t| t.starts_with("Series accepted: 4 sessions of"))
            .count(),
        1,
        "{told:?}"
    );
    assert!(
        !told.iter().any(|t| t.starts_with("Booking accepted")),
        "{told:?}"
    );
    let sent = mails(&app, "mentee@example.com", "Series accepted").await;
    assert_eq!(sent.len(), 1, "one email for the series");
    assert_eq!(sent[0].ics.matches("BEGIN:VEVENT").count(), 4);
    assert_eq!(
        sent[0].body.matches("meeting link: ").count(),
        4,
        "{}",
        sent[0].body
    );
    assert!(sent[0].body.contains("Tue 31 Mar 2026"), "{}", sent[0].body);
    // The pair's chat line names the dates, each reader in their own zone: the mentor
    // in Berlin sees one clock time, the mentee in UTC each session's own (the
    // change of summer time moves it).
    let (_, threads) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
    let (_, msgs) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentee.token(),
        )
        .await;
    let line = &msgs["items"][0];
    assert!(
        line["content"]
            .as_str()
            .unwrap()
            .starts_with("Series accepted: 4 sessions of"),
        "{line}"
    );
    assert_eq!(
        line["metadata"]["starts"][2], "2026-03-31T14:00:00Z",
        "{line}"
    );
    app.call(
        Method::PATCH,
        "/api/v1/me",
        mentor.token(),
        Some(json!({"timezone": "Europe/Berlin"})),
    )
    .await;
    for (email, dates) in [
        (
            "mentor@example.com",
            " · Tue 17 Mar, Tue 24 Mar, Tue 31 Mar, Tue 7 Apr 2026 at 16:00</span>",
        ),
        (
            "mentee@example.com",
            " · Tue 17 Mar 2026, 15:00; Tue 24 Mar 2026, 15:00; Tue 31 Mar 2026, 14:00; Tue 7 Apr 2026, 14:00</span>",
        ),
    ] {
        let c = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, html) = crate::web_mentors::text(&c, &app, &format!("/chat/{thread}")).await;
        assert!(html.contains(dates), "{email}: {html}");
        // The invite opening the series says it does.
        assert!(
            html.contains(", the first of 4 sessions, every week</a>"),
            "{email}: {html}"
        );
    }

    // Moving one session leaves the others.
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{}/reschedule", ids[1]),
            mentee.token(),
            json!({"start": "2026-03-25T15:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, s) = app
        .get(&format!("/api/v1/bookings/series/{id}"), mentee.token())
        .await;
    assert_eq!(
        starts(&s),
        [
            "2026-03-17T15:00:00Z",
            "2026-03-25T15:00:00Z",
            "2026-03-31T14:00:00Z",
            "2026-04-07T14:00:00Z"
        ]
    );

    // Cancel one: only that one.
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", ids[0]),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Cancel the third and all that follow.
    let (status, s) = app
        .post(
            &format!("/api/v1/bookings/series/{id}/cancel"),
            mentee.token(),
            json!({"from_booking_id": ids[2], "reason": "Moving away"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        statuses(&s),
        ["cancelled", "accepted", "cancelled", "cancelled"]
    );
    assert!(
        s["bookings"][3]["credits_refunded"].as_i64().unwrap() > 0,
        "{s}"
    );
    // The mentor is told once of the two, with the reason.
    let told = app.notification_titles(&mentor).await;
    assert_eq!(
        told.iter()
            .filter(|t| t.starts_with("Series cancelled: 2 sessions of"))
            .count(),
        1,
        "{told:?}"
    );
    let sent = mails(&app, "mentor@example.com", "Series cancelled").await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].body.contains("Reason: Moving away"),
        "{}",
        sent[0].body
    );
    assert_eq!(sent[0].ics.matches("STATUS:CANCELLED").count(), 2);
    let (balance, held) = app.balance(&mentee).await;
    assert_eq!(held, 10, "only the second session still holds credits");
    assert!(balance >= 60, "refunds came back: {balance}");
    app.assert_ledger_ok().await;

    // A cancelled occurrence is CANCELLED in its calendar file.
    let text = app
        .http
        .get(app.url(&format!("/api/v1/bookings/{}/ics", ids[2])))
        .bearer_auth(&mentee.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("STATUS:CANCELLED"), "{text}");
    assert!(text.contains(&format!("UID:{}@mentorhub", ids[2])));
    // The whole series in one file: every session by its own UID, the three
    // cancelled ones marked so, the one still on confirmed.
    let series_ics = |who: &Session| {
        app.http
            .get(app.url(&format!("/api/v1/bookings/series/{id}/ics")))
            .bearer_auth(&who.access)
            .send()
    };
    let res = series_ics(&mentor).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = res.text().await.unwrap();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 4, "{text}");
    assert_eq!(text.matches("STATUS:CANCELLED").count(), 3, "{text}");
    assert!(
        text.contains(&format!("UID:{}@mentorhub", ids[1])),
        "{text}"
    );
    let outsider = app.register("outsider@example.com").await;
    assert_eq!(
        series_ics(&outsider).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // The booking page links it, counting only the session still on (three of the
    // four are cancelled).
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/bookings/{}", ids[1])).await;
    assert!(
        page.contains(&format!(
            "<a href=\"/bookings/series/{id}/ics\">Add the session still on to my calendar (.ics)</a> <span class=\"muted small\">(a calendar that has the others marks them cancelled)</span>"
        )),
        "{page}"
    );
    let (status, file) =
        crate::web_mentors::text(&c, &app, &format!("/bookings/series/{id}/ics")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file.matches("BEGIN:VEVENT").count(), 4);

    // Nothing left to cancel from the third on.
    let got = app
        .post(
            &format!("/api/v1/bookings/series/{id}/cancel"),
            mentee.token(),
            json!({"from_booking_id": ids[2]}),
        )
        .await;
    assert_problem(&got, 409, "invalid_transition");
    // A stranger sees nothing.
    let other = app.register("stranger@example.com").await;
    let got = app
        .get(&format!("/api/v1/bookings/series/{id}"), other.token())
        .await;
    assert_problem(&got, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_is_booked_whole_or_not_at_all() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "Europe/Berlin", 10, 100).await;
    // Someone else holds the third Tuesday.
    let rival = app.register("rival@example.com").await;
    app.grant(&admin, &rival.user_id, 10).await;
    let (status, _) = app
        .post(
            "/api/v1/bookings",
            rival.token(),
            book(&mentor.user_id, &service, "2026-03-31T14:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The preview marks exactly the taken date.
    let (status, p) = app
        .post(
            "/api/v1/bookings/series/preview",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let free: Vec<bool> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["free"].as_bool().unwrap())
        .collect();
    assert_eq!(free, [true, true, false, true], "{p}");
    let got = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4),
        )
        .await;
    assert_problem(&got, 409, "slot_unavailable");
    assert!(
        got.1["detail"].as_str().unwrap().contains("31 March 2026"),
        "{}",
        got.1
    );
    assert_eq!(app.balance(&mentee).await, (100, 0), "nothing held");
    let (_, list) = app.get("/api/v1/bookings", mentee.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing booked");

    // Every two weeks from the 24th misses the taken Tuesday.
    let (status, s) = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-24T15:00:00Z", 2, 3),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(
        starts(&s),
        [
            "2026-03-24T15:00:00Z",
            "2026-04-07T14:00:00Z",
            "2026-04-21T14:00:00Z"
        ]
    );
    assert_eq!(app.balance(&mentee).await, (70, 30));
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_input_is_checked_and_retries_are_safe() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 50).await;
    for (every, n, field) in [
        (1, 1, "occurrences"),
        (1, 27, "occurrences"),
        (3, 4, "every_weeks"),
    ] {
        let got = app
            .post(
                "/api/v1/bookings/series",
                mentee.token(),
                series(&mentor.user_id, &service, TUE_10, every, n),
            )
            .await;
        assert_problem(&got, 422, "invalid_input");
        assert_eq!(got.1["errors"][0]["field"], field, "{}", got.1);
    }
    // Six sessions cost 60: more than the wallet holds.
    let got = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, TUE_10, 1, 6),
        )
        .await;
    assert_problem(&got, 402, "insufficient_credits");
    assert_eq!(app.balance(&mentee).await, (50, 0));

    let send = || {
        app.http
            .post(app.url("/api/v1/bookings/series"))
            .bearer_auth(&mentee.access)
            .header("idempotency-key", "series-1")
            .json(&series(&mentor.user_id, &service, TUE_10, 2, 3))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.balance(&mentee).await, (20, 30), "charged once");
    // Declining the series returns every session's credits.
    let id = first["id"].as_str().unwrap();
    let (status, s) = app
        .post(
            &format!("/api/v1/bookings/series/{id}/decline"),
            mentor.token(),
            json!({"reason": "Full"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(statuses(&s), ["declined"; 3]);
    assert_eq!(app.balance(&mentee).await, (50, 0));
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booking_form_lists_a_series_dates_before_booking_it() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "Europe/Berlin", 10, 100).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let form = format!(
        "/mentors/{}/book?service={service}&start=2026-03-17T15:00:00Z",
        mentor.user_id
    );
    let (status, page) = text(&c, &app, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Every two weeks"), "{page}");
    let csrf = csrf_of(&page);
    let post = |fields: Vec<(&'static str, String)>| {
        let c = &c;
        let url = app.url(&format!("/mentors/{}/book", mentor.user_id));
        async move { c.post(url).form(&fields).send().await.unwrap() }
    };
    let base = vec![
        ("csrf", csrf.clone()),
        ("service", service.clone()),
        ("start", "2026-03-17T15:00:00Z".to_string()),
        ("topic", "Weekly".to_string()),
        ("repeat", "1".to_string()),
        ("occurrences", "3".to_string()),
    ];
    // First the dates, nothing booked.
    let res = post(base.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("3 sessions, 30 credits in all"), "{html}");
    assert!(html.contains("Tue 31 Mar 2026"), "{html}");
    assert!(html.contains("Book these 3 sessions"));
    // The sessions' dates differ, so the summary states the rule of each, not the
    // first session's date; the single session's form carries it for the script.
    let rule = "Each session: free to cancel until Test accepts it or until 24 hours before it starts, whichever is later; after that you get 50% back.";
    assert!(html.contains(&format!(">{rule}</dd>")), "{html}");
    assert!(!html.contains("Free to cancel until Mon"), "{html}");
    assert!(page.contains(&format!("data-series=\"{rule}\"")), "{page}");
    // A series whose first session is within the notice says that for it only the
    // acceptance counts (the clock reads Monday 09:00 UTC; Tuesday 08:00 is 23 h on).
    let soon = format!(
        "/mentors/{}/book?service={service}&start=2026-03-03T08:00:00Z",
        mentor.user_id
    );
    let (_, near) = text(&c, &app, &soon).await;
    assert!(
        near.contains("whichever is later; after that you get 50% back. The first starts within 24 hours: once Test accepts it, you get 50% back.\""),
        "{near}"
    );
    assert!(
        html.contains("each held until its session is over (all back if"),
        "{html}"
    );
    assert_eq!(app.balance(&mentee).await, (100, 0));
    // Ten weekly sessions run past the mentor's 60 days: those dates say why, and the
    // form says what to do instead of offering nothing.
    let mut long = base.clone();
    long.retain(|(k, _)| *k != "occurrences");
    long.push(("occurrences", "10".into()));
    let html = post(long).await.text().await.unwrap();
    assert!(
        html.contains("too far ahead: the mentor takes bookings only so far"),
        "{html}"
    );
    assert!(
        !html.contains("not free (the mentor is booked or away then)"),
        "{html}"
    );
    assert!(html.contains("id=\"series-blocked\""), "{html}");
    assert!(
        html.contains("name=\"look\" value=\"1\">Look again</button>"),
        "a way on: {html}"
    );
    // "Look again" with the same choice shows its dates again, and with "just this
    // session" the single session's form, the text kept; neither books anything.
    for (repeat, shows) in [("1", "id=\"series-blocked\""), ("", "Request booking")] {
        let mut look = base.clone();
        look.retain(|(k, _)| *k != "occurrences" && *k != "repeat");
        look.push(("repeat", repeat.into()));
        look.push(("occurrences", "10".into()));
        look.push(("confirm_series", "1:10".into()));
        look.push(("look", "1".into()));
        let res = post(look).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains(shows), "{repeat}: {html}");
        assert!(html.contains("value=\"Weekly\""), "the topic kept: {html}");
        assert_eq!(app.balance(&mentee).await, (100, 0), "nothing booked");
    }
    // A changed choice shows its dates again rather than booking.
    let mut changed = base.clone();
    changed.retain(|(k, _)| *k != "occurrences");
    changed.push(("occurrences", "2".into()));
    changed.push(("confirm_series", "1:3".into()));
    let res = post(changed).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("2 sessions, 20 credits in all")
    );
    // Confirmed: booked, and the first session's page shows the series.
    let mut confirmed = base.clone();
    confirmed.push(("confirm_series", "1:3".into()));
    let res = post(confirmed).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/bookings/"), "{to}");
    assert_eq!(app.balance(&mentee).await, (70, 30));
    let (_, page) = text(&c, &app, &to).await;
    assert!(
        page.contains("Part of a series: 3 sessions, every week"),
        "{page}"
    );
    assert!(
        page.contains("Your series is requested: each session&#39;s credits are held"),
        "{page}"
    );
    assert!(page.contains("Cancel this and the 2 after it"), "{page}");

    // The mentor accepts all from the page.
    let m = sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = text(&m, &app, &to).await;
    assert!(page.contains("Accept all waiting"), "{page}");
    let series_id = page
        .split("/bookings/series/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mcsrf = csrf_of(&page);
    let first = to.trim_start_matches("/bookings/").to_string();
    let res = m
        .post(app.url(&format!("/bookings/series/{series_id}/do/accept")))
        .form(&[("csrf", mcsrf.as_str()), ("from", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, s) = app
        .get(
            &format!("/api/v1/bookings/series/{series_id}"),
            mentor.token(),
        )
        .await;
    assert_eq!(statuses(&s), ["accepted"; 3]);
    // The mentee cancels from the second on, after a confirmation.
    let second = s["bookings"][1]["id"].as_str().unwrap().to_string();
    let res = c
        .post(app.url(&format!("/bookings/series/{series_id}/do/cancel")))
        .form(&[("csrf", csrf.as_str()), ("from", second.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let asked = res.text().await.unwrap();
    assert!(asked.contains("Cancel this session and all that follow?"));
    assert!(
        asked.contains("2 sessions will be cancelled, this one and those after it"),
        "{asked}"
    );
    let res = c
        .post(app.url(&format!("/bookings/series/{series_id}/do/cancel")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("from", second.as_str()),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let (_, s) = app
        .get(
            &format!("/api/v1/bookings/series/{series_id}"),
            mentor.token(),
        )
        .await;
    assert_eq!(statuses(&s), ["accepted", "cancelled", "cancelled"]);
    // Said as a single cancel says it: how many, and the credits back.
    let sum = |field: &str| -> i64 {
        s["bookings"].as_array().unwrap()[1..]
            .iter()
            .map(|b| b[field].as_i64().unwrap())
            .sum()
    };
    let (_, page) = crate::web_mentors::text(&c, &app, &to).await;
    let said = format!(
        "Sessions cancelled: 2; {} of their {} credits are back in your wallet.",
        sum("credits_refunded"),
        sum("credits_held")
    );
    assert!(page.contains(&said), "{said} in {page}");
    // A cancelled session's page offers no "cancel this and the rest".
    let (_, cancelled) = crate::web_mentors::text(&c, &app, &format!("/bookings/{second}")).await;
    assert!(
        cancelled.contains("Part of a series") && !cancelled.contains("Cancel this and the"),
        "{cancelled}"
    );
    // The confirmation had said the same numbers before.
    let (back, held) = (sum("credits_refunded"), sum("credits_held"));
    let foretold = if back == held {
        format!("All {held} of their credits come back to you.")
    } else {
        format!("{back} of their {held} credits come back to you")
    };
    assert!(asked.contains(&foretold), "{foretold} in {asked}");
    app.assert_ledger_ok().await;
}

/// A series that costs more than the mentee has says how many more credits they need
/// and links to asking the administrators for them, rather than only refusing.
#[tokio::test]
async fn a_series_beyond_the_balance_says_where_to_get_credits() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, _, service) = app.booking_setup(&admin, "UTC", 30, 50).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = text(
        &c,
        &app,
        &format!(
            "/mentors/{}/book?service={service}&start=2026-03-17T10:00:00Z",
            mentor.user_id
        ),
    )
    .await;
    let res = c
        .post(app.url(&format!("/mentors/{}/book", mentor.user_id)))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("service", service.as_str()),
            ("start", "2026-03-17T10:00:00Z"),
            ("topic", "Weekly"),
            ("repeat", "1"),
            ("occurrences", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("The series costs 60 credits and you have 50: <a href=\"/credits?need=10&amp;back=/mentors/")
            && html.contains("#ask\">ask the administrators for 10 more</a>, or choose fewer sessions above and look again."),
        "{html}"
    );
    assert!(!html.contains("Book these 2 sessions"), "{html}");
}

/// A mentee short of credits for a series asks the administrators from the form and
/// finds their way back to it, the repeat still chosen.
#[tokio::test]
async fn asking_for_credits_for_a_series_leads_back_to_it() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, _mentee, service) = app.booking_setup(&admin, "UTC", 30, 50).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let form = format!(
        "/mentors/{}/book?service={service}&start=2026-03-17T15:00:00Z",
        mentor.user_id
    );
    let (_, page) = text(&c, &app, &form).await;
    let res = c
        .post(app.url(&format!("/mentors/{}/book", mentor.user_id)))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("service", service.as_str()),
            ("start", "2026-03-17T15:00:00Z"),
            ("repeat", "1"),
            ("occurrences", "3"),
        ])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    let link = html
        .split("id=\"series-short\">")
        .nth(1)
        .and_then(|t| t.split("<a href=\"").nth(1))
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("{html}"))
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.starts_with("/credits?need=40&back="), "{link}");
    let (_, credits) = text(&c, &app, &link).await;
    let back = "/mentors/".to_string() + &mentor.user_id;
    assert!(
        credits.contains(&format!("name=\"back\" value=\"{back}/book?")),
        "{credits}"
    );
    let hidden = credits
        .split("name=\"back\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let res = c
        .post(app.url("/credits/ask"))
        .form(&[
            ("csrf", csrf_of(&credits).as_str()),
            ("credits", "40"),
            ("note", "Three weekly sessions"),
            ("back", hidden.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/credits?back="), "{to}");
    let (_, after) = text(&c, &app, &to).await;
    let again = after
        .split("<a href=\"")
        .find(|t| t.contains("id=\"back-to-booking\""))
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("{after}"))
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let (_, form_again) = text(&c, &app, &again).await;
    assert!(
        form_again.contains("<option value=\"1\" selected>Every week</option>"),
        "{form_again}"
    );
    assert!(
        form_again.contains("name=\"occurrences\" value=\"3\""),
        "{form_again}"
    );
    // Anything but a booking form is not offered as the way back.
    let (_, other) = text(&c, &app, "/credits?back=%2Fadmin").await;
    assert!(!other.contains("name=\"back\""), "{other}");
}

/// One session of a series cancelled alone: its page offers no "cancel this and the
/// rest" (it is over), and an earlier one's counts only the sessions still on.
#[tokio::test]
async fn a_cancelled_session_of_a_series_offers_no_cancelling_of_the_rest() {
    use crate::web_mentors::{sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, s) = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-17T15:00:00Z", 1, 4),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let id = |i: usize| s["bookings"][i]["id"].as_str().unwrap().to_string();
    let (status, c) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", id(1)),
            mentee.token(),
            json!({"reason": "Away that week"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let web = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, second) = text(&web, &app, &format!("/bookings/{}", id(1))).await;
    assert!(
        second.contains("Part of a series") && !second.contains("Cancel this and the"),
        "{second}"
    );
    let (_, first) = text(&web, &app, &format!("/bookings/{}", id(0))).await;
    assert!(first.contains("Cancel this and the 2 after it"), "{first}");
    // The pair's chat says so, with that session's date; the series' invite stays.
    let (_, threads) = app.get("/api/v1/threads", mentor.token()).await;
    let thread = threads["items"][0]["id"].as_str().unwrap();
    let (_, lines) = app
        .get(
            &format!("/api/v1/threads/{thread}/messages"),
            mentor.token(),
        )
        .await;
    let items = lines["items"].as_array().unwrap();
    let line = items
        .iter()
        .find(|m| {
            m["kind"] == "system"
                && m["content"]
                    .as_str()
                    .unwrap()
                    .starts_with("Booking cancelled")
        })
        .unwrap_or_else(|| panic!("{lines}"));
    assert_eq!(
        line["metadata"]["starts"],
        json!([s["bookings"][1]["start"]]),
        "{line}"
    );
    let invite = items.iter().find(|m| m["kind"] == "invite").unwrap();
    assert_eq!(invite["metadata"]["status"], "pending", "{invite}");
}

/// A series of free sessions is not spoken of in credits once requested.
#[tokio::test]
async fn a_free_series_is_requested_without_credits_said() {
    use crate::web_mentors::{csrf_of, sign_in, text};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, _mentee, service) = app.booking_setup(&admin, "Europe/Berlin", 0, 0).await;
    let c = sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let form = format!(
        "/mentors/{}/book?service={service}&start=2026-03-17T15:00:00Z",
        mentor.user_id
    );
    let (_, page) = text(&c, &app, &form).await;
    let res = c
        .post(app.url(&format!("/mentors/{}/book", mentor.user_id)))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("service", service.as_str()),
            ("start", "2026-03-17T15:00:00Z"),
            ("topic", "Weekly"),
            ("repeat", "1"),
            ("occurrences", "2"),
            ("confirm_series", "1:2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = text(&c, &app, &to).await;
    assert!(
        page.contains("Your series is requested: the mentor is asked to accept its sessions."),
        "{page}"
    );
    assert!(!page.contains("credits are held"), "{page}");
}

/// A series waiting for its mentor is one request on the mentor's dashboard (API and
/// page): how many sessions, how often, from when, its first session's page (which
/// answers them all); a single booking beside it stays one session; a session of the
/// series answered alone leaves the rest counted.
#[tokio::test]
async fn a_waiting_series_is_one_request_on_the_mentors_dashboard() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, s) = app
        .post(
            "/api/v1/bookings/series",
            mentee.token(),
            series(&mentor.user_id, &service, "2026-03-10T10:00:00Z", 2, 4),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let first = s["bookings"][0]["id"].as_str().unwrap().to_string();
    let (status, single) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service,
                   "start": "2026-03-04T10:00:00Z", "topic": "One off"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{single}");

    let waiting = |d: &serde_json::Value| -> Vec<(String, i64, serde_json::Value)> {
        d["mentor"]["waiting"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["kind"] == "booking")
            .map(|w| {
                (
                    w["id"].as_str().unwrap().to_string(),
                    w["sessions"].as_i64().unwrap(),
                    w["every_weeks"].clone(),
                )
            })
            .collect()
    };
    let (_, d) = app.get("/api/v1/me/dashboard", mentor.token()).await;
    let mut items = waiting(&d);
    items.sort_by_key(|(_, n, _)| *n);
    assert_eq!(
        items,
        [
            (
                single["id"].as_str().unwrap().to_string(),
                1,
                serde_json::Value::Null
            ),
            (first.clone(), 4, json!(2)),
        ],
        "{d}"
    );
    let c = crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/dashboard").await;
    let line = page
        .lines()
        .find(|l| l.contains(&format!("/bookings/{first}")))
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        line.contains("4 sessions every two weeks from Tue 10 Mar"),
        "{line}"
    );
    // The others of the series are not lines of their own among the waiting.
    let waiting_part = page
        .split("id=\"waiting\"")
        .nth(1)
        .and_then(|p| p.split("</ul>").next())
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(waiting_part.matches("<li>").count(), 2, "{waiting_part}");
    for b in s["bookings"].as_array().unwrap().iter().skip(1) {
        let id = b["id"].as_str().unwrap();
        assert!(!waiting_part.contains(id), "{waiting_part}");
    }

    // One session answered on its own: the other three still wait, as one request.
    let (status, body) = app
        .post(
            &format!("/api/v1/bookings/{first}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, d) = app.get("/api/v1/me/dashboard", mentor.token()).await;
    let items = waiting(&d);
    let second = s["bookings"][1]["id"].as_str().unwrap();
    assert!(items.contains(&(second.to_string(), 3, json!(2))), "{d}");
}
