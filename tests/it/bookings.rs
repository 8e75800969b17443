//! Availability, slots, the booking life cycle, credits, reviews, calendar files.

use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Session, TestApp, assert_problem, mentor_profile, weekdays_nine_to_five};

const TUE_10: &str = "2026-03-03T10:00:00Z";
const TUE_11: &str = "2026-03-03T11:00:00Z";
const WED_10: &str = "2026-03-04T10:00:00Z";

fn book(mentor: &str, service: &str, start: &str) -> serde_json::Value {
    json!({"mentor_id": mentor, "service_id": service, "start": start, "topic": "Career", "message": "Hello"})
}

/// The mentee books `start` and the mentor accepts; returns the booking id.
async fn accepted_booking(
    app: &TestApp,
    mentor: &Session,
    mentee: &Session,
    service: &str,
    start: &str,
) -> String {
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, service, start),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (status, a) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    id
}

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
async fn not_enough_credits_books_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 20).await;
    let got = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    assert_problem(&got, 402, "insufficient_credits");
    assert_eq!(app.balance(&mentee).await, (20, 0));
    let (_, list) = app.get("/api/v1/bookings", mentee.token()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn taken_or_invalid_slots_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let other = app.register("other@example.com").await;
    app.grant(&admin, &other.user_id, 100).await;
    assert_eq!(
        app.post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, TUE_10)
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await,
        409,
        "slot_unavailable",
    );
    // Outside the rules, not on the step, in the past, a weekend.
    for start in [
        "2026-03-03T18:00:00Z",
        "2026-03-03T10:30:00Z",
        "2026-03-02T08:00:00Z",
        "2026-03-07T10:00:00Z",
    ] {
        assert_problem(
            &app.post(
                "/api/v1/bookings",
                other.token(),
                book(&mentor.user_id, &service, start),
            )
            .await,
            409,
            "slot_unavailable",
        );
    }
    // A mentee cannot be in two sessions at once, even with another mentor.
    let second = app
        .approved_mentor(
            &admin,
            "second@example.com",
            mentor_profile(&["x"], &[], 10),
        )
        .await;
    app.set_availability(&second, weekdays_nine_to_five("UTC"))
        .await;
    let s2 = app.first_service(&second.user_id).await;
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            book(&second.user_id, &s2, TUE_10),
        )
        .await,
        409,
        "slot_unavailable",
    );
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentor.token(),
            book(&mentor.user_id, &service, TUE_11),
        )
        .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service}),
        )
        .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, &service, "tomorrow at ten"),
        )
        .await,
        422,
        "invalid_input",
    );
    // Buffers keep room after a booking.
    let mut buffered = weekdays_nine_to_five("UTC");
    buffered["settings"]["buffer_after_minutes"] = json!(30);
    app.set_availability(&mentor, buffered).await;
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, TUE_11),
        )
        .await,
        409,
        "slot_unavailable",
    );
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn idempotency_key_makes_retries_safe() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let send = |body: serde_json::Value| {
        app.http
            .post(app.url("/api/v1/bookings"))
            .bearer_auth(&mentee.access)
            .header("idempotency-key", "retry-1")
            .json(&body)
            .send()
    };
    let first = send(book(&mentor.user_id, &service, TUE_10)).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = send(book(&mentor.user_id, &service, TUE_10)).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.balance(&mentee).await, (90, 10), "charged once");
    let other = send(book(&mentor.user_id, &service, WED_10)).await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "same key, different request"
    );
    app.assert_ledger_ok().await;
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
    app.assert_ledger_ok().await;
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
    let (status, d) = app.post(&format!("/api/v1/bookings/{id}/deliver"), mentor.token(), json!({"text": "Solid CV; tighten the summary.", "url": "https://docs.example.com/review"})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["status"].as_str(), d["credits_paid"].as_i64()),
        (Some("completed"), Some(25))
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
    // A re-issued feed revokes the old URL.
    app.post("/api/v1/me/calendar-feed", mentor.token(), json!({}))
        .await;
    assert_eq!(
        app.http.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_requests_for_one_slot_book_it_once() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.admin().await;
    let (mentor, _, service) = app.booking_setup(&admin, "UTC", 10, 0).await;
    let mut mentees = vec![];
    for i in 0..50 {
        let s = app.register(&format!("racer{i}@example.com")).await;
        app.grant(&admin, &s.user_id, 10).await;
        mentees.push(s);
    }
    let tasks: Vec<_> = mentees
        .iter()
        .map(|s| {
            let (app, token, body) = (
                app.clone(),
                s.access.clone(),
                book(&mentor.user_id, &service, TUE_10),
            );
            tokio::spawn(async move { app.post("/api/v1/bookings", Some(&token), body).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status.as_u16() {
            201 => won += 1,
            409 => assert_eq!(body["code"], "slot_unavailable"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won, 1, "exactly one booking for the slot");
    let mut charged = 0;
    for s in &mentees {
        let (balance, held) = app.balance(s).await;
        assert_eq!(balance + held, 10);
        charged += held;
    }
    assert_eq!(charged, 10, "only the winner paid");
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_mentee_racing_two_mentors_at_the_same_time_gets_one() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.admin().await;
    let (m1, mentee, s1) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let m2 = app
        .approved_mentor(&admin, "m2@example.com", mentor_profile(&["x"], &[], 10))
        .await;
    app.set_availability(&m2, weekdays_nine_to_five("UTC"))
        .await;
    let s2 = app.first_service(&m2.user_id).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (mid, sid) = if i % 2 == 0 {
                (m1.user_id.clone(), s1.clone())
            } else {
                (m2.user_id.clone(), s2.clone())
            };
            let (app, token) = (app.clone(), mentee.access.clone());
            tokio::spawn(async move {
                app.post("/api/v1/bookings", Some(&token), book(&mid, &sid, TUE_10))
                    .await
                    .0
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap() == StatusCode::CREATED);
    }
    assert_eq!(won, 1);
    assert_eq!(app.balance(&mentee).await, (90, 10));
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn admins_grant_credits_once_per_key() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.register("u@example.com").await;
    assert_problem(
        &app.post(
            "/api/v1/admin/credits/grant",
            user.token(),
            json!({"user_id": user.user_id, "amount": 5, "reason": "x"}),
        )
        .await,
        403,
        "forbidden",
    );
    let grant = || {
        app.http
            .post(app.url("/api/v1/admin/credits/grant"))
            .bearer_auth(&admin.access)
            .header("idempotency-key", "g-1")
            .json(&json!({"user_id": user.user_id, "amount": 50, "reason": "Welcome bonus"}))
            .send()
    };
    let first: serde_json::Value = grant().await.unwrap().json().await.unwrap();
    let second: serde_json::Value = grant().await.unwrap().json().await.unwrap();
    assert_eq!(
        (first["replayed"].as_bool(), second["replayed"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(first["transfer_id"], second["transfer_id"]);
    let (_, c) = app.get("/api/v1/me/credits", user.token()).await;
    assert_eq!(c["balance"], 50);
    assert_eq!(c["entries"][0]["memo"], "Welcome bonus");
    for bad in [
        json!({"user_id": user.user_id, "amount": 0, "reason": "x"}),
        json!({"user_id": user.user_id, "amount": 5, "reason": ""}),
        json!({"user_id": "nobody", "amount": 5, "reason": "x"}),
    ] {
        assert_problem(
            &app.post("/api/v1/admin/credits/grant", admin.token(), bad)
                .await,
            422,
            "invalid_input",
        );
    }
    app.assert_ledger_ok().await;
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
