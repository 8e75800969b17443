//! Races: many requests for one slot, one mentee for two mentors, one grant key twice.

use super::*;

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
    // The key reused for another person, amount or reason is refused, not answered
    // as if granted.
    let other = app.register("other@example.com").await;
    for body in [
        json!({"user_id": other.user_id, "amount": 50, "reason": "Welcome bonus"}),
        json!({"user_id": user.user_id, "amount": 500, "reason": "Welcome bonus"}),
        json!({"user_id": user.user_id, "amount": 50, "reason": "Another reason"}),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/admin/credits/grant"))
            .bearer_auth(&admin.access)
            .header("idempotency-key", "g-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let problem: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(
            problem["errors"][0]["code"], "idempotency_key_reused",
            "{problem}"
        );
    }
    assert_eq!(app.balance(&other).await.0, 0);
    assert_eq!(app.balance(&user).await.0, 50);
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
