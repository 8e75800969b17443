//! What a booking request refuses, and retries that book once.

use super::*;

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
    let taken = app
        .post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, TUE_10),
        )
        .await;
    assert_problem(&taken, 409, "slot_unavailable");
    assert_eq!(
        taken.1["detail"], "This time is no longer free. Pick another slot.",
        "{}",
        taken.1
    );
    // Outside the rules, not on the step, in the past, a weekend.
    for start in [
        "2026-03-03T18:00:00Z",
        "2026-03-03T10:30:00Z",
        "2026-03-02T08:00:00Z",
        "2026-03-07T10:00:00Z",
    ] {
        let refused = app
            .post(
                "/api/v1/bookings",
                other.token(),
                book(&mentor.user_id, &service, start),
            )
            .await;
        assert_problem(&refused, 409, "slot_unavailable");
        // A time never offered is not said to be "no longer" free.
        assert!(
            !refused.1["detail"].as_str().unwrap().contains("no longer"),
            "{start}: {}",
            refused.1
        );
    }
    let never = app
        .post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, "2026-03-03T18:00:00Z"),
        )
        .await;
    assert!(
        never.1["detail"]
            .as_str()
            .unwrap()
            .starts_with("This time is not one of the mentor's bookable times"),
        "{}",
        never.1
    );
    // A past start says so.
    let past = app
        .post(
            "/api/v1/bookings",
            other.token(),
            book(&mentor.user_id, &service, "2026-03-02T08:00:00Z"),
        )
        .await;
    assert_eq!(
        past.1["detail"], "This time has already passed. Pick one of the coming free slots.",
        "{}",
        past.1
    );
    // A mentee cannot be in two sessions at once, even with another mentor.
    let (second, s2) = app.second_mentor(&admin).await;
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

/// A mentor who books another mentor is one person on both sides: never in two live
/// sessions at once, whichever side each is on, and their own slots show it.
#[tokio::test]
async fn a_mentor_booking_a_mentor_is_never_in_two_sessions_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (a, mentee, service_a) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let (b, service_b) = app.second_mentor(&admin).await;
    app.grant(&admin, &a.user_id, 100).await;
    let slot_starts = |who: String, service: String| {
        let app = &app;
        async move {
            let (_, s) = app
                .get(
                    &format!("/api/v1/mentors/{who}/slots?service_id={service}&from=2026-03-03T00:00:00Z&to=2026-03-05T00:00:00Z"),
                    None,
                )
                .await;
            s["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["start"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };

    // Booked as a mentor at 10:00: A cannot book B then.
    let (s, x) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&a.user_id, &service_a, TUE_10),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{x}");
    assert!(
        slot_starts(b.user_id.clone(), service_b.clone())
            .await
            .contains(&TUE_10.to_string())
    );
    let refused = app
        .post(
            "/api/v1/bookings",
            a.token(),
            book(&b.user_id, &service_b, TUE_10),
        )
        .await;
    assert_problem(&refused, 409, "slot_unavailable");
    assert_eq!(
        refused.1["detail"],
        "You already have a session at that time."
    );

    // Booked as a mentee at 14:00: A's own 14:00 is gone, and no one can book it.
    let tue_14 = "2026-03-03T14:00:00Z";
    assert!(
        slot_starts(a.user_id.clone(), service_a.clone())
            .await
            .contains(&tue_14.to_string())
    );
    let (s, y) = app
        .post(
            "/api/v1/bookings",
            a.token(),
            book(&b.user_id, &service_b, tue_14),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{y}");
    assert!(
        !slot_starts(a.user_id.clone(), service_a.clone())
            .await
            .contains(&tue_14.to_string()),
        "A's own slot at 14:00 is no longer offered"
    );
    assert_problem(
        &app.post(
            "/api/v1/bookings",
            mentee.token(),
            book(&a.user_id, &service_a, tue_14),
        )
        .await,
        409,
        "slot_unavailable",
    );
    // Cancelled, the time is A's to offer again.
    let (s, _) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", y["id"].as_str().unwrap()),
            a.token(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, z) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&a.user_id, &service_a, tue_14),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{z}");
    app.assert_ledger_ok().await;
}
