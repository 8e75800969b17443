//! A booking's life after the request: answers, expiry, cancellation, moves, no-shows, notes and reviews delivered by a deadline; the money follows each step.

use super::*;

#[tokio::test]
async fn book_accept_complete_review_and_the_money_follows() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 100).await;

    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "pending");
    assert_eq!(b["credits_held"], 30);
    assert_eq!(b["end"], "2026-03-03T11:00:00Z");
    assert!(b["meeting_link"].is_null());
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(app.balance(&mentee).await, (70, 30));
    app.assert_ledger_ok().await;

    // The slot is gone for everyone else.
    let (_, s) = app.get(&format!("/api/v1/mentors/{}/slots?service_id={service}&from=2026-03-03T00:00:00Z&to=2026-03-04T00:00:00Z", mentor.user_id), None).await;
    assert!(
        !s["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["start"] == TUE_10)
    );

    let stranger = app.register("stranger@example.com").await;
    assert_problem(
        &app.get(&format!("/api/v1/bookings/{id}"), stranger.token())
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentee.token(),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    let (status, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "accepted");
    let link = b["meeting_link"].as_str().unwrap().to_string();
    assert!(link.starts_with("https://meet.jit.si/mentorhub-"), "{link}");
    let (_, seen) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(seen["meeting_link"], link.as_str(), "both see the link");
    let (_, as_admin) = app
        .get(&format!("/api/v1/bookings/{id}"), admin.token())
        .await;
    assert!(
        as_admin["meeting_link"].is_null(),
        "admins see the booking, not the room"
    );

    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/complete"),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/review"),
            mentee.token(),
            json!({"rating": 5}),
        )
        .await,
        409,
        "invalid_transition",
    );

    // After the end (and the grace period) the server completes it and pays the mentor.
    app.clock.set("2026-03-03T12:01:00Z".parse().unwrap());
    app.tick().await;
    let (_, done) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["credits_paid"], 30);
    assert_eq!(app.balance(&mentor).await, (30, 0));
    assert_eq!(app.balance(&mentee).await, (70, 0));
    app.assert_ledger_ok().await;

    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/review"),
            mentor.token(),
            json!({"rating": 5}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/review"),
            mentee.token(),
            json!({"rating": 6}),
        )
        .await,
        422,
        "invalid_input",
    );
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{id}/review"),
            mentee.token(),
            json!({"rating": 4, "comment": "Very helpful"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    // The mentee's data export holds the review they wrote.
    let (_, export) = app.get("/api/v1/me/export", mentee.token()).await;
    assert_eq!(
        export["reviews_written"][0]["comment"], "Very helpful",
        "{export}"
    );
    assert_eq!(export["reviews_written"][0]["booking_id"], id);
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/review"),
            mentee.token(),
            json!({"rating": 5}),
        )
        .await,
        409,
        "already_reviewed",
    );
    let (_, m) = app
        .get(&format!("/api/v1/mentors/{}", mentor.user_id), None)
        .await;
    assert_eq!(
        (m["rating_avg"].as_f64(), m["rating_count"].as_i64()),
        (Some(4.0), Some(1))
    );
    let rid = r["id"].as_str().unwrap();
    assert_problem(
        &app.post(
            &format!("/api/v1/reviews/{rid}/reply"),
            mentee.token(),
            json!({"reply": "x"}),
        )
        .await,
        403,
        "forbidden",
    );
    let (status, r) = app
        .post(
            &format!("/api/v1/reviews/{rid}/reply"),
            mentor.token(),
            json!({"reply": "Thanks!"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["reply"], "Thanks!");
    assert_problem(
        &app.post(
            &format!("/api/v1/reviews/{rid}/reply"),
            mentor.token(),
            json!({"reply": "Again"}),
        )
        .await,
        409,
        "already_replied",
    );
    let (_, list) = app
        .get(&format!("/api/v1/mentors/{}/reviews", mentor.user_id), None)
        .await;
    assert_eq!(list["items"][0]["comment"], "Very helpful");
    let (_, hist) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    let kinds: Vec<&str> = hist["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "accepted", "completed"]);
}

#[tokio::test]
async fn decline_and_expiry_refund() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, a) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, "2026-03-20T10:00:00Z"),
        )
        .await;
    let (status, d) = app
        .post(
            &format!("/api/v1/bookings/{}/decline", a["id"].as_str().unwrap()),
            mentor.token(),
            json!({"reason": "Away"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            d["status"].as_str(),
            d["decline_reason"].as_str(),
            d["credits_refunded"].as_i64()
        ),
        (Some("declined"), Some("Away"), Some(10))
    );
    assert_eq!(app.balance(&mentee).await, (90, 10));
    // B starts in 18 days: it expires 48 hours after the request.
    assert_eq!(b["expires_at"], "2026-03-04T09:00:00Z");
    app.clock.advance(SignedDuration::from_hours(47));
    app.tick().await;
    assert_eq!(
        app.get(
            &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()),
            mentee.token()
        )
        .await
        .1["status"],
        "pending"
    );
    app.clock.advance(SignedDuration::from_hours(2));
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{}/accept", b["id"].as_str().unwrap()),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    app.tick().await;
    let (_, e) = app
        .get(
            &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()),
            mentee.token(),
        )
        .await;
    assert_eq!(e["status"], "expired");
    assert_eq!(app.balance(&mentee).await, (100, 0));
    app.assert_ledger_ok().await;
}

/// A request carries its own expiry time: no job is written per booking, and the job
/// worker's every-second sweep expires it (with the refund) once that time passes.
#[tokio::test]
async fn a_request_expires_within_seconds_without_a_job_of_its_own() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, "2026-03-20T10:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'booking.expire'")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "expiry jobs written for a request");
    let path = format!("/api/v1/bookings/{}", b["id"].as_str().unwrap());
    app.clock.advance(SignedDuration::from_hours(49));
    // No tick here: the running job worker sweeps every second.
    let started = std::time::Instant::now();
    loop {
        let (_, now) = app.get(&path, mentee.token()).await;
        if now["status"] == "expired" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "still {} after 5 s",
            now["status"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.balance(&mentee).await, (100, 0));
    app.assert_ledger_ok().await;
}

/// A request whose expiry fails every time (here its escrow cannot cover the refund)
/// does not hold up the requests due after it.
#[tokio::test]
async fn a_request_that_cannot_expire_does_not_hold_up_the_others() {
    let app = TestApp::spawn_with(mentorhub::config::Config {
        background_workers: false,
        ..crate::support::test_config()
    })
    .await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let mut ids = vec![];
    for start in ["2026-03-20T10:00:00Z", "2026-03-20T11:00:00Z"] {
        let (status, b) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                book(&mentor.user_id, &service, start),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
        // The first one is due first.
        app.clock.advance(SignedDuration::from_mins(1));
    }
    sqlx::query("UPDATE bookings SET credits_held = 1000000 WHERE id = $1")
        .bind(&ids[0])
        .execute(&app.ctx().db.pool)
        .await
        .unwrap();
    app.clock.advance(SignedDuration::from_hours(49));
    let expired = mentorhub::service::bookings::expire_due(app.ctx())
        .await
        .unwrap();
    assert_eq!(expired, 1);
    let mut statuses = vec![];
    for id in &ids {
        let (_, b) = app
            .get(&format!("/api/v1/bookings/{id}"), mentee.token())
            .await;
        statuses.push(b["status"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(
        statuses,
        ["pending", "expired"],
        "the one that cannot expire, the one due after it"
    );
}

#[tokio::test]
async fn cancellation_refunds_follow_the_policy() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 200).await;
    let mut ids = vec![];
    for start in [
        "2026-03-05T10:00:00Z",
        "2026-03-05T12:00:00Z",
        "2026-03-06T10:00:00Z",
    ] {
        ids.push(accepted_booking(&app, &mentor, &mentee, &service, start).await);
    }
    // Early mentee cancel: everything back.
    let (_, c) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", ids[0]),
            mentee.token(),
            json!({"reason": "Conflict"}),
        )
        .await;
    assert_eq!(
        (
            c["status"].as_str(),
            c["credits_refunded"].as_i64(),
            c["cancelled_by"].as_str()
        ),
        (Some("cancelled"), Some(40), Some(mentee.user_id.as_str()))
    );
    assert_eq!(c["cancel_reason"], "Conflict");
    // Late mentee cancel (10 hours ahead): half back, half to the mentor.
    app.clock.set("2026-03-05T02:00:00Z".parse().unwrap());
    let (_, c) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", ids[1]),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(
        (c["credits_refunded"].as_i64(), c["credits_paid"].as_i64()),
        (Some(20), Some(20))
    );
    // Mentor cancel, however late: everything back.
    let (_, c) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", ids[2]),
            mentor.token(),
            json!({"reason": "Sick"}),
        )
        .await;
    assert_eq!(c["credits_refunded"], 40);
    assert_eq!(app.balance(&mentee).await, (180, 0));
    assert_eq!(app.balance(&mentor).await, (20, 0));
    // Each wallet line says how the credits of a cancellation went.
    let (_, w) = app.get("/api/v1/me/credits", mentor.token()).await;
    assert_eq!(
        w["entries"][0]["memo"], "Cancelled late: split as the late-cancellation terms say",
        "{w}"
    );
    let (_, w) = app.get("/api/v1/me/credits", mentee.token()).await;
    let memos: Vec<&str> = w["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["memo"].as_str())
        .collect();
    assert_eq!(
        memos[..3],
        [
            "Booking cancelled: credits returned",
            "Cancelled late: split as the late-cancellation terms say",
            "Booking cancelled: credits returned",
        ],
        "{w}"
    );
    // A hold's line carries its booking's state now.
    assert!(
        w["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "booking_hold")
            .all(|e| e["booking_status"] == "cancelled"),
        "{w}"
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{}/cancel", ids[2]),
            mentor.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn reschedule_moves_atomically_and_keeps_history() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    let other = app.register("o@example.com").await;
    app.grant(&admin, &other.user_id, 100).await;
    app.post(
        "/api/v1/bookings",
        other.token(),
        book(&mentor.user_id, &service, TUE_11),
    )
    .await;
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentee.token(),
            json!({"start": TUE_11}),
        )
        .await,
        409,
        "slot_unavailable",
    );
    // The mentee has read their chat with the mentor so far.
    let (_, mine) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = mine["items"][0]["id"].as_str().unwrap().to_string();
    app.call(
        Method::POST,
        &format!("/api/v1/threads/{thread}/read"),
        mentee.token(),
        None,
    )
    .await;
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentee.token(),
            json!({"start": WED_10, "reason": "Clash"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["start"].as_str(), r["status"].as_str()),
        (Some(WED_10), Some("accepted"))
    );
    assert_eq!(r["sequence"], 2, "accept and the move each bump SEQUENCE");
    let (_, h) = app
        .get(&format!("/api/v1/bookings/{id}"), mentor.token())
        .await;
    let moved = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "rescheduled")
        .unwrap();
    assert_eq!(
        (moved["from_start"].as_str(), moved["to_start"].as_str()),
        (Some(TUE_10), Some(WED_10))
    );
    // The pair's chat says so and its invite shows the new time; the mentee, who moved
    // it, is not shown their own news as unread, the mentor is.
    let (_, mine) = app.get("/api/v1/threads", mentee.token()).await;
    let thread = &mine["items"][0];
    assert_eq!(
        thread["last_message"]["content"], "Booking moved: 1:1 mentoring session (Career)",
        "{thread}"
    );
    assert_eq!(thread["unread_count"], 0, "{thread}");
    let (_, theirs) = app.get("/api/v1/threads", mentor.token()).await;
    assert!(theirs["items"][0]["unread_count"].as_i64().unwrap() >= 1);
    let (_, lines) = app
        .get(
            &format!(
                "/api/v1/threads/{}/messages",
                thread["id"].as_str().unwrap()
            ),
            mentee.token(),
        )
        .await;
    let invite = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "invite")
        .expect("the booking's invite");
    assert_eq!(invite["metadata"]["start"], WED_10, "{invite}");
    // The chat's line says who moved it: the mentee, to each in their words.
    let chat = format!("/chat/{}", thread["id"].as_str().unwrap());
    for (email, by) in [
        ("mentor@example.com", "· by Test</span>"),
        ("mentee@example.com", "· by you</span>"),
    ] {
        let web = crate::web_mentors::sign_in(&app, email, "correct horse battery").await;
        let (_, html) = crate::web_mentors::text(&web, &app, &chat).await;
        let line = html
            .split("<li class=\"message system\"")
            .find(|l| l.contains("Booking moved: 1:1 mentoring session (Career)"))
            .unwrap_or_else(|| panic!("{html}"));
        assert!(line.contains(by), "{line}");
    }
    // The mentor is told the time it was moved from and why.
    let (_, inbox) = app.get("/api/v1/notifications", mentor.token()).await;
    let note = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"].as_str().unwrap().starts_with("Booking moved"))
        .expect("a notification of the move");
    let body = note["body"].as_str().unwrap();
    assert!(
        body.contains("When: Wed 4 Mar 2026, 10:00 (UTC)")
            && body.contains("Moved from: Tue 3 Mar 2026, 10:00 (UTC)")
            && body.contains("Reason: Clash"),
        "{body}"
    );
    // The old time is free again.
    assert_eq!(
        app.post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, TUE_10)
        )
        .await
        .0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn no_shows_and_notes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, a) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, WED_10),
        )
        .await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    for id in [&a, &b] {
        app.post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    }
    let (status, n) = app
        .call(Method::PUT, &format!("/api/v1/bookings/{a}/notes"), mentee.token(),
            Some(json!({"pre_meeting": "Agenda: résumé", "post_session": "private thoughts", "post_session_shared": false})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(n["my_notes"]["pre_meeting"], "Agenda: résumé");
    let (_, seen) = app
        .get(&format!("/api/v1/bookings/{a}"), mentor.token())
        .await;
    assert_eq!(seen["their_notes"]["pre_meeting"], "Agenda: résumé");
    assert!(
        seen["their_notes"]["post_session"].is_null(),
        "private notes stay private"
    );

    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{a}/no-show"),
            mentee.token(),
            json!({}),
        )
        .await,
        409,
        "invalid_transition",
    );
    // Five minutes late: they may still be joining.
    app.clock.set("2026-03-03T10:05:00Z".parse().unwrap());
    let (status, early) = app
        .post(
            &format!("/api/v1/bookings/{a}/no-show"),
            mentee.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{early}");
    assert!(
        early["detail"]
            .as_str()
            .unwrap_or("")
            .contains("10 minutes after the start"),
        "{early}"
    );
    app.clock.set("2026-03-03T10:20:00Z".parse().unwrap());
    let (_, ns) = app
        .post(
            &format!("/api/v1/bookings/{a}/no-show"),
            mentee.token(),
            json!({"reason": "Never came"}),
        )
        .await;
    assert_eq!(
        (
            ns["status"].as_str(),
            ns["no_show_party"].as_str(),
            ns["credits_refunded"].as_i64()
        ),
        (Some("no_show"), Some("mentor"), Some(10))
    );
    app.clock.set("2026-03-04T10:20:00Z".parse().unwrap());
    let (_, ns) = app
        .post(
            &format!("/api/v1/bookings/{b}/no-show"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(
        (ns["no_show_party"].as_str(), ns["credits_paid"].as_i64()),
        (Some("mentee"), Some(10))
    );
    let (_, m) = app
        .get(&format!("/api/v1/mentors/{}", mentor.user_id), None)
        .await;
    assert_eq!(
        m["missed_sessions"], 1,
        "the mentor's no-show counts against them"
    );
    // Each side reported against learns where the credits went, and that it may
    // dispute the report.
    let body_of = |s: &crate::support::Session, kind: &'static str| {
        let app = &app;
        let token = s.token().map(str::to_string);
        async move {
            let (_, notes) = app.get("/api/v1/notifications", token.as_deref()).await;
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["title"].as_str().unwrap_or("").starts_with(kind))
                .map(|n| n["body"].as_str().unwrap().to_string())
                .unwrap_or_default()
        }
    };
    let to_mentee = body_of(&mentee, "Marked as missed").await;
    assert!(
        to_mentee.contains(
            "Test marked that you did not come. The 10 credits held for it are not returned: they pay Test for the session. If that is not what happened, dispute it from the booking's page within 7 days."
        ),
        "{to_mentee}"
    );
    let to_mentor = body_of(&mentor, "Reported as missed").await;
    assert!(
        to_mentor.contains("reported that you did not come: their 10 credits went back to them."),
        "{to_mentor}"
    );
    app.assert_ledger_ok().await;
}

/// A declined request's notice says the credits are back.
#[tokio::test]
async fn a_declined_request_says_the_credits_are_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    let id = b["id"].as_str().unwrap();
    let (status, d) = app
        .post(
            &format!("/api/v1/bookings/{id}/decline"),
            mentor.token(),
            json!({"reason": "Away that week"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let (_, notes) = app.get("/api/v1/notifications", mentee.token()).await;
    let note = notes["items"][0].to_string();
    assert!(
        note.contains(
            "All 10 credits held for it are back in your wallet.\\nReason: Away that week"
        ),
        "{note}"
    );
}

#[tokio::test]
async fn review_services_are_delivered_by_a_deadline() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, _) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, svc) = app
        .post("/api/v1/me/services", mentor.token(), json!({"kind": "resume_review", "title": "CV review", "duration_minutes": 45, "credit_cost": 25}))
        .await;
    let svc = svc["id"].as_str().unwrap();
    // The mentor's page names it as written by a deadline, not by minutes.
    let (_, profile) = crate::web_mentors::text(
        &crate::web_mentors::client(),
        &app,
        &format!("/mentors/{}", mentor.user_id),
    )
    .await;
    assert!(
        profile.contains("CV review</bdi> · written, by a deadline · 25 credits"),
        "{profile}"
    );
    assert!(!profile.contains("CV review · 45 min"));
    let (status, r) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": svc, "topic": "My CV"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["timed"].as_bool(), r["end"].as_str()),
        (Some(false), Some("2026-03-05T09:00:00Z")),
        "due in 72 hours"
    );
    let id = r["id"].as_str().unwrap();
    // What is reviewed: the mentee's résumé from their settings, on the booking page
    // for both (the mentee told where to give it while it is missing) and for the
    // mentor through the mentee's profile.
    let page = format!("/bookings/{id}");
    let mentor_web =
        crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let mentee_web =
        crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, html) = crate::web_mentors::text(&mentee_web, &app, &page).await;
    assert!(
        html.contains("<dt>Your résumé</dt><dd id=\"reviewed\">Not given yet:"),
        "{html}"
    );
    // The request form says it before the credits are held.
    let (_, form) = crate::web_mentors::text(
        &mentee_web,
        &app,
        &format!("/mentors/{}/book?service={svc}", mentor.user_id),
    )
    .await;
    assert!(
        form.contains("<dt>Your résumé</dt><dd id=\"reviewed\">Not given yet:"),
        "{form}"
    );
    let cv = "https://example.com/ada-cv.pdf";
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            mentee.token(),
            Some(json!({"resume_url": cv})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = crate::web_mentors::text(&mentor_web, &app, &page).await;
    assert!(
        html.contains(&format!(
            "<dt>Their résumé</dt><dd id=\"reviewed\"><a href=\"{cv}\""
        )),
        "{html}"
    );
    let (_, seen) = app
        .get(
            &format!("/api/v1/mentees/{}", mentee.user_id),
            mentor.token(),
        )
        .await;
    assert_eq!(seen["resume_url"], cv, "{seen}");
    let (_, html) =
        crate::web_mentors::text(&mentor_web, &app, &format!("/mentees/{}", mentee.user_id)).await;
    assert!(html.contains(&format!("<a href=\"{cv}\"")), "{html}");
    app.post(
        &format!("/api/v1/bookings/{id}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentee.token(),
            json!({"start": WED_10}),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &app.post(
            &format!("/api/v1/bookings/{id}/deliver"),
            mentor.token(),
            json!({"url": "http://insecure.example.com"}),
        )
        .await,
        422,
        "invalid_input",
    );
    let delivered_notes = |n: &serde_json::Value| {
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "review_delivered")
            .map(|x| (x["title"].as_str().unwrap().to_string(), x["link"].clone()))
            .collect::<Vec<_>>()
    };
    let (_, before) = app.get("/api/v1/notifications", mentee.token()).await;
    assert_eq!(delivered_notes(&before), vec![], "nothing delivered yet");
    let (status, d) = app.post(&format!("/api/v1/bookings/{id}/deliver"), mentor.token(), json!({"text": "Solid CV; tighten the summary.", "url": "https://docs.example.com/review"})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["status"].as_str(), d["credits_paid"].as_i64()),
        (Some("completed"), Some(25))
    );
    // The mentee is told, with the way to the review.
    let (_, after) = app.get("/api/v1/notifications", mentee.token()).await;
    let notes = delivered_notes(&after);
    assert_eq!(notes.len(), 1, "{after}");
    assert!(
        notes[0].0.starts_with("Review delivered: CV review"),
        "{notes:?}"
    );
    assert_eq!(notes[0].1, json!(format!("/bookings/{id}")));
    assert!(
        after
            .to_string()
            .contains("The review: https://docs.example.com/review"),
        "the notice names the delivered link: {after}"
    );

    // An undelivered review is cancelled with a refund at its deadline.
    let (_, r2) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": svc}),
        )
        .await;
    let id2 = r2["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/bookings/{id2}/accept"),
        mentor.token(),
        json!({}),
    )
    .await;
    app.clock.advance(SignedDuration::from_hours(73));
    app.tick().await;
    let (_, late) = app
        .get(&format!("/api/v1/bookings/{id2}"), mentee.token())
        .await;
    assert_eq!(
        (late["status"].as_str(), late["credits_refunded"].as_i64()),
        (Some("cancelled"), Some(25))
    );
    assert!(late["cancel_reason"].as_str().unwrap().contains("deadline"));
    app.assert_ledger_ok().await;
}

/// Within the cancellation notice a mentee cannot move an accepted session: moving it
/// later and then cancelling would get everything back where a late cancellation pays
/// the mentor. The mentor still can; a request not yet accepted still can be moved;
/// the booking page says why instead of offering the move.
#[tokio::test]
async fn a_mentee_cannot_move_an_accepted_session_within_the_notice() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    let (_, pending) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_11),
        )
        .await;
    let pending = pending["id"].as_str().unwrap().to_string();
    let move_to = |id: String, who: &'static str, start: &'static str| {
        let (app, token) = (
            &app,
            if who == "mentor" {
                mentor.token()
            } else {
                mentee.token()
            },
        );
        async move {
            app.post(
                &format!("/api/v1/bookings/{id}/reschedule"),
                token,
                json!({"start": start}),
            )
            .await
        }
    };
    // 25 hours ahead (the notice is 24) the mentee may move it and back again.
    assert_eq!(
        move_to(id.clone(), "mentee", WED_10).await.0,
        StatusCode::OK
    );
    assert_eq!(
        move_to(id.clone(), "mentee", TUE_10).await.0,
        StatusCode::OK
    );

    // 23 hours ahead: no longer, and nothing changes.
    app.clock.advance(SignedDuration::from_hours(2));
    let late = move_to(id.clone(), "mentee", WED_10).await;
    assert_problem(&late, 409, "invalid_transition");
    assert!(
        late.1["detail"]
            .as_str()
            .unwrap()
            .contains("less than 24 hours"),
        "{}",
        late.1
    );
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    assert_eq!(b["start"], TUE_10);
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains("too soon for you to move it"),
        "the page says why"
    );
    assert!(!page.contains("name=\"start\""), "and offers no move");
    // A request not yet accepted holds no one's time: it may still move.
    assert_eq!(
        move_to(pending, "mentee", "2026-03-04T11:00:00Z").await.0,
        StatusCode::OK
    );
    // The mentor may move the session (the mentee is told).
    assert_eq!(
        move_to(id.clone(), "mentor", WED_10).await.0,
        StatusCode::OK
    );
}

/// The review form of a session starts with no stars chosen, and posting it without a
/// rating saves nothing (a pre-chosen 5 let an empty click post five stars).
#[tokio::test]
async fn a_review_needs_a_rating_chosen_by_the_mentee() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    // The request told the mentor until when to answer it.
    let (_, inbox) = app.get("/api/v1/notifications", mentor.token()).await;
    assert!(inbox.to_string().contains("Answer by: "), "{inbox}");
    // The acceptance told the mentee where to meet.
    let (_, inbox) = app.get("/api/v1/notifications", mentee.token()).await;
    assert!(
        inbox
            .to_string()
            .contains("Meeting link: https://meet.jit.si/mentorhub-"),
        "{inbox}"
    );
    app.clock.set("2026-03-03T11:30:00Z".parse().unwrap());
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{id}/complete"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The mentee is asked how it went, and led to the form.
    let (_, inbox) = app.get("/api/v1/notifications", mentee.token()).await;
    let prompt = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "session_completed")
        .expect("a prompt to review")
        .clone();
    assert_eq!(prompt["link"], json!(format!("/bookings/{id}")));
    assert!(
        prompt["body"].as_str().unwrap().contains("How did it go?"),
        "{prompt}"
    );
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains("How was it?"), "{page}");
    assert!(
        !page.contains("name=\"rating\" value=\"5\" checked"),
        "no star is chosen for the mentee"
    );
    let res = c
        .post(app.url(&format!("/bookings/{id}/review")))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("comment", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose 1 to 5 stars."));
    let (_, reviews) = app
        .get(&format!("/api/v1/mentors/{}/reviews", mentor.user_id), None)
        .await;
    assert_eq!(
        reviews["items"].as_array().map(Vec::len),
        Some(0),
        "nothing saved: {reviews}"
    );
    let (_, page) = crate::web_mentors::text(&c, &app, &format!("/bookings/{id}")).await;
    assert!(page.contains("How was it?"), "the form is still offered");
}

/// The credits history says which booking each movement was for: its title, the
/// other person and when, on both sides' pages.
#[tokio::test]
async fn the_credits_history_names_the_booking_of_each_movement() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{id}"), mentee.token())
        .await;
    let title = b["title"].as_str().unwrap().to_string();
    let (_, me) = app.get("/api/v1/me", mentor.token()).await;
    let mentor_name = format!(
        "{} {}",
        me["first_name"].as_str().unwrap(),
        me["last_name"].as_str().unwrap()
    );
    let c = crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&c, &app, "/credits").await;
    let line = format!(
        "Credits held for a booking · <a href=\"/bookings/{id}\">{title} with {mentor_name}, Tue 3 Mar 2026"
    );
    assert!(page.contains(&line), "{line}\n{page}");
    let (_, api) = app.get("/api/v1/me/credits", mentee.token()).await;
    let held = api["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "booking_hold")
        .unwrap();
    assert_eq!(held["booking_with"], mentor_name.as_str());
    assert_eq!(held["booking_start"], TUE_10);
}

/// On a request waiting for them the mentor is offered Decline, not also Cancel; the
/// move form takes a reason, which the other side is told.
#[tokio::test]
async fn the_booking_page_offers_one_way_to_refuse_and_a_reason_to_move() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (_, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, WED_10),
        )
        .await;
    let id = b["id"].as_str().unwrap();
    let m = crate::web_mentors::sign_in(&app, "mentor@example.com", "correct horse battery").await;
    let (_, page) = crate::web_mentors::text(&m, &app, &format!("/bookings/{id}")).await;
    assert!(
        page.contains(&format!("/bookings/{id}/do/decline")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/bookings/{id}/do/cancel")),
        "{page}"
    );
    assert!(page.contains("id=\"move-reason\""));
    let res = m
        .post(app.url(&format!("/bookings/{id}/reschedule")))
        .form(&[
            ("csrf", crate::web_mentors::csrf_of(&page).as_str()),
            ("start", "2026-03-04T11:00:00Z"),
            ("reason", "A clash on my side"),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = app.get("/api/v1/notifications", mentee.token()).await;
    assert!(
        inbox.to_string().contains("Reason: A clash on my side"),
        "{inbox}"
    );
}

/// An accepted session's reminders and its completion are queued for its time; when
/// the session moves they follow it, and when it ends early (cancelled, marked) they
/// go, so the job queue an admin reads holds only work that will do something.
#[tokio::test]
async fn a_sessions_reminders_follow_its_moves_and_go_with_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let id = &accepted_booking(&app, &mentor, &mentee, &service, "2026-03-05T10:00:00Z").await;
    let queued = || app.queued_job_keys(&["booking.reminder", "booking.finish"], id);
    let starts = |at: &str| at.parse::<jiff::Timestamp>().unwrap().as_microsecond();
    let thu = starts("2026-03-05T10:00:00Z");
    let fri = starts("2026-03-06T10:00:00Z");
    let before = queued().await;
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(
        before
            .iter()
            .all(|k| k.contains(&thu.to_string()) || k.starts_with("finish:"))
    );
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentee.token(),
            json!({"start": "2026-03-06T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let moved = queued().await;
    assert_eq!(moved.len(), 3, "the old time's jobs stay queued: {moved:?}");
    assert!(
        moved
            .iter()
            .filter(|k| k.starts_with("remind:"))
            .all(|k| k.ends_with(&fri.to_string())),
        "{moved:?}"
    );
    assert!(moved.iter().all(|k| !before.contains(k)), "{moved:?}");
    // The page offers notes while the session is on, and none once it never will be.
    let web =
        crate::web_mentors::sign_in(&app, "mentee@example.com", "correct horse battery").await;
    let path = format!("/bookings/{id}");
    let page = || crate::web_mentors::text(&web, &app, &path);
    assert!(page().await.1.contains("Save notes"));
    let (status, c) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            mentee.token(),
            json!({"reason": "Plans changed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(queued().await, Vec::<String>::new());
    let (status, html) = page().await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("Save notes") && html.contains("cancelled"),
        "{html}"
    );
    app.assert_ledger_ok().await;
}

/// The late-cancellation terms are for a time the mentee chose: a mentor who moves an
/// accepted session to within the notice leaves its mentee free to cancel that time
/// for everything back (and to move it); a move further ahead keeps the terms.
#[tokio::test]
async fn a_time_the_mentor_moved_within_the_notice_cancels_for_everything_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 40, 200).await;
    let refunded = |id: String| {
        let app = &app;
        let token = mentee.token().map(str::to_string);
        async move {
            let (status, r) = app
                .post(
                    &format!("/api/v1/bookings/{id}/cancel"),
                    token.as_deref(),
                    json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{r}");
            r["credits_refunded"].as_i64().unwrap()
        }
    };
    // Moved by the mentor to today 15:00, six hours ahead: everything back.
    let id = accepted_booking(&app, &mentor, &mentee, &service, WED_10).await;
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentor.token(),
            json!({"start": "2026-03-02T15:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(refunded(id).await, 40);
    // Moved by the mentor two days ahead, then cancelled late: the usual half.
    let id = accepted_booking(&app, &mentor, &mentee, &service, TUE_10).await;
    let (status, r) = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            mentor.token(),
            json!({"start": WED_10}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    app.clock.set("2026-03-03T12:00:00Z".parse().unwrap());
    assert_eq!(refunded(id).await, 20);
    app.assert_ledger_ok().await;
}
