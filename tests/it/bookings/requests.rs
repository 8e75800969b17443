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
