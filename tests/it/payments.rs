//! Buying credits: packs, Checkout through a local stand-in for Stripe, signed
//! webhooks applied once in any order, refunds, paying for a booking.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{STRIPE_KEY, Session, StripeStandIn, TestApp, WEBHOOK_SECRET, assert_problem};

const TUE_10: &str = "2026-03-03T10:00:00Z";

/// Starts a checkout (`body`: a pack or a booking to pay for), which must be created,
/// and returns its answer.
async fn checkout(app: &TestApp, who: &Session, body: Value) -> Value {
    let (s, c) = app
        .post("/api/v1/payments/checkout", who.token(), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

/// Starts a checkout for `pack` and returns (payment id, checkout session id).
async fn buy(app: &TestApp, who: &Session, pack: &str) -> (String, String) {
    let c = checkout(app, who, json!({"pack_id": pack})).await;
    let payment = c["payment_id"].as_str().unwrap().to_string();
    let url = c["checkout_url"].as_str().unwrap();
    let session = url.rsplit('/').next().unwrap().to_string();
    (payment, session)
}

fn completed(event_id: &str, session: &str, payment: &str, intent: &str) -> Value {
    json!({
        "id": event_id, "object": "event", "type": "checkout.session.completed",
        "data": {"object": {
            "id": session, "object": "checkout.session", "payment_status": "paid",
            "payment_intent": intent, "metadata": {"payment_id": payment},
        }}
    })
}

fn session_event(event_id: &str, kind: &str, session: &str) -> Value {
    json!({
        "id": event_id, "object": "event", "type": kind,
        "data": {"object": {"id": session, "object": "checkout.session", "payment_status": "unpaid", "metadata": {}}}
    })
}

fn refunded(event_id: &str, intent: &str, amount_refunded: i64) -> Value {
    json!({
        "id": event_id, "object": "event", "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": intent,
                            "amount_refunded": amount_refunded, "refunded": true}}
    })
}

async fn payment(app: &TestApp, who: &Session, id: &str) -> Value {
    let (_, list) = app.get("/api/v1/me/payments", who.token()).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("payment {id} in {list}"))
}

async fn stripe_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn without_stripe_buying_is_off_and_says_so() {
    let app = TestApp::spawn().await;
    let s = app.register("buyer@example.com").await;
    let (status, packs) = app.get("/api/v1/credit-packs", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(packs["payments_enabled"], false);
    assert_eq!(
        packs["items"][0],
        json!({"id": "pack-10", "credits": 10, "amount_cents": 1000, "currency": "usd"})
    );
    assert_problem(
        &app.post(
            "/api/v1/payments/checkout",
            s.token(),
            json!({"pack_id": "pack-10"}),
        )
        .await,
        503,
        "payments_disabled",
    );
    assert_problem(
        &app.stripe_raw(Some("t=1,v1=00"), "{}").await,
        503,
        "payments_disabled",
    );
    // The page hides buying.
    let html = app
        .http
        .get(app.url("/credits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("Buy credits"),
        "signed out: the page asks to sign in"
    );
}

#[tokio::test]
async fn checkout_sends_stripe_the_right_session_and_records_a_pending_payment() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let s = app.register("buyer@example.com").await;
    let (_, packs) = app.get("/api/v1/credit-packs", None).await;
    assert_eq!(packs["payments_enabled"], true);

    assert_problem(
        &app.post(
            "/api/v1/payments/checkout",
            s.token(),
            json!({"pack_id": "nope"}),
        )
        .await,
        422,
        "invalid_input",
    );
    assert_problem(
        &app.post(
            "/api/v1/payments/checkout",
            None,
            json!({"pack_id": "pack-10"}),
        )
        .await,
        401,
        "unauthenticated",
    );
    let (payment_id, session) = buy(&app, &s, "pack-50").await;
    let calls = stripe.calls().await;
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c.path, "/v1/checkout/sessions");
    assert_eq!(c.authorization, format!("Bearer {STRIPE_KEY}"));
    assert_eq!(
        c.idempotency_key, payment_id,
        "retries cannot make two sessions"
    );
    let f = |k: &str| c.form.get(k).map(String::as_str).unwrap_or("<missing>");
    assert_eq!(f("mode"), "payment");
    assert_eq!(f("client_reference_id"), s.user_id);
    assert_eq!(f("metadata[user_id]"), s.user_id);
    assert_eq!(f("metadata[pack_id]"), "pack-50");
    assert_eq!(f("metadata[payment_id]"), payment_id);
    assert_eq!(f("line_items[0][price_data][unit_amount]"), "4500");
    assert_eq!(f("line_items[0][price_data][currency]"), "usd");
    assert_eq!(f("line_items[0][quantity]"), "1");
    assert!(f("success_url").ends_with(&format!("/credits/buy/done?payment={payment_id}")));
    assert!(f("cancel_url").contains("/credits/buy/cancelled"));

    let p = payment(&app, &s, &payment_id).await;
    assert_eq!(p["status"], "pending");
    assert_eq!(
        (p["credits"].as_i64(), p["amount_cents"].as_i64()),
        (Some(50), Some(4500))
    );
    assert_eq!(p["currency"], "usd");
    assert!(p["checkout_url"].as_str().unwrap().ends_with(&session));
    assert_eq!(app.balance(&s).await.0, 0, "no credits before the money");
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let s = app.register("buyer@example.com").await;
    let (payment_id, session) = buy(&app, &s, "pack-10").await;
    let event = completed("evt_bad", &session, &payment_id, "pi_1");
    let body = event.to_string();
    let now = app.clock_now().as_second();
    let sign =
        |secret: &str, t: i64, b: &str| mentorhub::domain::payment::sign(secret, t, b.as_bytes());
    let cases = [
        ("missing header", None),
        ("wrong secret", Some(sign("whsec_wrong", now, &body))),
        (
            "stale timestamp",
            Some(sign(WEBHOOK_SECRET, now - 301, &body)),
        ),
        ("garbage", Some("v1=zz".to_string())),
    ];
    for (why, header) in cases {
        let got = app.stripe_raw(header.as_deref(), &body).await;
        assert_problem(&got, 400, "invalid_signature");
        assert!(!got.1["detail"].as_str().unwrap_or("").is_empty(), "{why}");
    }
    // One changed byte after signing.
    let good = sign(WEBHOOK_SECRET, now, &body);
    let tampered = body.replace("\"paid\"", "\"pai d\"");
    assert_problem(
        &app.stripe_raw(Some(&good), &tampered).await,
        400,
        "invalid_signature",
    );
    assert_eq!(stripe_events(&app).await, 0, "nothing recorded");
    assert_eq!(payment(&app, &s, &payment_id).await["status"], "pending");
    assert_eq!(app.balance(&s).await.0, 0);
    // The same body with its real signature goes through.
    let (st, _) = app.stripe_raw(Some(&good), &body).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.balance(&s).await.0, 10);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn replayed_and_reordered_deliveries_grant_once() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let s = app.register("buyer@example.com").await;

    // Payment A: completed delivered three times, then a stale "expired" and a second
    // success event for the same session.
    let (a, session_a) = buy(&app, &s, "pack-10").await;
    for _ in 0..3 {
        let (st, r) = app
            .stripe_event(&completed("evt_a1", &session_a, &a, "pi_a"))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
    }
    let (_, r) = app
        .stripe_event(&completed("evt_a1", &session_a, &a, "pi_a"))
        .await;
    assert_eq!(r["duplicate"], true);
    app.stripe_event(&session_event(
        "evt_a2",
        "checkout.session.expired",
        &session_a,
    ))
    .await;
    let mut again = completed("evt_a3", &session_a, &a, "pi_a");
    again["type"] = json!("checkout.session.async_payment_succeeded");
    app.stripe_event(&again).await;
    assert_eq!(app.balance(&s).await.0, 10, "granted once");
    let p = payment(&app, &s, &a).await;
    assert_eq!(p["status"], "succeeded");
    assert!(p["checkout_url"].is_null());

    // Payment B: expired first, then (late) paid: the money was taken, so it grants.
    let (b, session_b) = buy(&app, &s, "pack-50").await;
    app.stripe_event(&session_event(
        "evt_b1",
        "checkout.session.expired",
        &session_b,
    ))
    .await;
    assert_eq!(payment(&app, &s, &b).await["status"], "failed");
    app.stripe_event(&completed("evt_b2", &session_b, &b, "pi_b"))
        .await;
    assert_eq!(payment(&app, &s, &b).await["status"], "succeeded");
    assert_eq!(app.balance(&s).await.0, 60);

    // Payment C: the refund arrives before the checkout's completion.
    let (c, session_c) = buy(&app, &s, "pack-10").await;
    app.stripe_event(&refunded("evt_c1", "pi_c", 1000)).await;
    assert_eq!(payment(&app, &s, &c).await["status"], "pending");
    app.stripe_event(&completed("evt_c2", &session_c, &c, "pi_c"))
        .await;
    let p = payment(&app, &s, &c).await;
    assert_eq!(p["status"], "refunded", "{p}");
    assert_eq!(p["reclaimed_credits"], 10);
    assert_eq!(app.balance(&s).await.0, 60, "granted and taken back");
    // …and redelivering everything changes nothing.
    for e in [
        refunded("evt_c1", "pi_c", 1000),
        completed("evt_c2", &session_c, &c, "pi_c"),
        completed("evt_b2", &session_b, &b, "pi_b"),
    ] {
        app.stripe_event(&e).await;
    }
    assert_eq!(app.balance(&s).await.0, 60);

    // Payment D: a failed payment is marked failed, and a failure after success is ignored.
    let (d, session_d) = buy(&app, &s, "pack-10").await;
    app.stripe_event(&session_event(
        "evt_d1",
        "checkout.session.async_payment_failed",
        &session_d,
    ))
    .await;
    let p = payment(&app, &s, &d).await;
    assert_eq!(
        (p["status"].as_str(), p["failure_reason"].as_str()),
        (Some("failed"), Some("payment failed"))
    );
    app.stripe_event(&session_event(
        "evt_a4",
        "checkout.session.expired",
        &session_a,
    ))
    .await;
    assert_eq!(payment(&app, &s, &a).await["status"], "succeeded");

    // Events that are not ours, or of other kinds, are accepted and ignored.
    let (st, _) = app
        .stripe_event(&json!({"id": "evt_x", "type": "customer.created", "data": {"object": {}}}))
        .await;
    assert_eq!(st, StatusCode::OK);
    app.stripe_event(&completed("evt_y", "cs_other", "", "pi_other"))
        .await;
    assert_eq!(app.balance(&s).await.0, 60);
    // The buyer was told.
    let (_, notes) = app.get("/api/v1/notifications", s.token()).await;
    assert!(notes.to_string().contains("10 credits added"), "{notes}");
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn admins_refund_and_spent_credits_are_flagged() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let admin = app.admin().await;
    let s = app.register("buyer@example.com").await;
    let (a, session_a) = buy(&app, &s, "pack-10").await;
    app.stripe_event(&completed("evt_1", &session_a, &a, "pi_a"))
        .await;
    let (b, session_b) = buy(&app, &s, "pack-50").await;
    app.stripe_event(&completed("evt_2", &session_b, &b, "pi_b"))
        .await;
    assert_eq!(app.balance(&s).await.0, 60);

    // Not for members, and not for payments that did not succeed.
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/payments/{a}/refund"),
            s.token(),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    let (pending, _) = buy(&app, &s, "pack-10").await;
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/payments/{pending}/refund"),
            admin.token(),
            json!({}),
        )
        .await,
        409,
        "not_refundable",
    );

    // Refund A in full: Stripe is asked, the 10 credits come back.
    let (st, p) = app
        .post(
            &format!("/api/v1/admin/payments/{a}/refund"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(
        (p["status"].as_str(), p["reclaimed_credits"].as_i64()),
        (Some("refunded"), Some(10))
    );
    let call = stripe
        .calls()
        .await
        .into_iter()
        .find(|c| c.path == "/v1/refunds")
        .unwrap();
    assert_eq!(
        call.form.get("payment_intent").map(String::as_str),
        Some("pi_a")
    );
    assert_eq!(call.form.get("amount").map(String::as_str), Some("1000"));
    assert_eq!(app.balance(&s).await.0, 50);
    // Stripe's charge.refunded that follows takes nothing more.
    app.stripe_event(&refunded("evt_3", "pi_a", 1000)).await;
    assert_eq!(app.balance(&s).await.0, 50);
    assert_problem(
        &app.post(
            &format!("/api/v1/admin/payments/{a}/refund"),
            admin.token(),
            json!({}),
        )
        .await,
        409,
        "not_refundable",
    );

    // Spend 45 of B's 50 credits, then B is refunded from Stripe's dashboard: 5 come
    // back, 45 are flagged for an admin.
    {
        use mentorhub::store::ledger::{Transfer, WORLD, transfer, wallet};
        let ctx = app.ctx();
        let mut tx = ctx.db.begin_write().await.unwrap();
        let w = wallet(&mut tx, &s.user_id, ctx.now()).await.unwrap();
        transfer(
            &mut tx,
            &Transfer {
                key: "test-spend",
                kind: "test",
                booking_id: None,
                actor_id: None,
                memo: "spent elsewhere",
                legs: vec![(w, -45), (WORLD.to_string(), 45)],
                now: ctx.now(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    app.stripe_event(&refunded("evt_4", "pi_b", 4500)).await;
    assert_eq!(app.balance(&s).await.0, 0, "never below zero");
    let p = payment(&app, &s, &b).await;
    assert_eq!(p["status"], "refunded");
    assert_eq!(p["reclaimed_credits"], 5);
    assert!(p["flag"].as_str().unwrap().contains("45 of 50"), "{p}");
    let (_, flagged) = app
        .get("/api/v1/admin/payments?flagged=true", admin.token())
        .await;
    assert_eq!(flagged["items"].as_array().unwrap().len(), 1);
    assert_eq!(flagged["items"][0]["id"], b.as_str());
    assert_eq!(flagged["items"][0]["email"], "buyer@example.com");
    let (st, _) = app
        .post(
            &format!("/api/v1/admin/payments/{b}/resolve"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, flagged) = app
        .get("/api/v1/admin/payments?flagged=true", admin.token())
        .await;
    assert!(flagged["items"].as_array().unwrap().is_empty());
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('payment.refund', 'payment.flag_resolved')",
    )
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn paying_for_a_booking_holds_the_slot_and_books_once_paid() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 5).await;
    let other = app.register("other@example.com").await;
    app.grant(&admin, &other.user_id, 100).await;
    let booking = json!({"mentor_id": mentor.user_id, "service_id": service, "start": TUE_10, "topic": "Career"});

    // Not enough credits to book directly.
    let direct = app
        .post("/api/v1/bookings", mentee.token(), booking.clone())
        .await;
    assert_eq!(direct.0, StatusCode::PAYMENT_REQUIRED, "{}", direct.1);

    // Pay for it: 25 credits are missing; 3 × pack-10 (30.00) is cheaper than one
    // pack-50 (45.00).
    let c = checkout(&app, &mentee, json!({"booking": booking})).await;
    let payment_id = c["payment_id"].as_str().unwrap().to_string();
    let call = stripe.calls().await.pop().unwrap();
    assert_eq!(
        call.form.get("metadata[pack_id]").map(String::as_str),
        Some("pack-10")
    );
    assert_eq!(
        call.form.get("line_items[0][quantity]").map(String::as_str),
        Some("3")
    );
    assert!(call.form.contains_key("expires_at"));
    let session = c["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    // While the checkout is open the slot is held: nobody else gets it.
    let (_, slots) = app
        .get(&format!("/api/v1/mentors/{}/slots?service_id={service}&from=2026-03-03T00:00:00Z&to=2026-03-04T00:00:00Z", mentor.user_id), None)
        .await;
    let starts: Vec<&str> = slots["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["start"].as_str().unwrap())
        .collect();
    assert!(starts.contains(&"2026-03-03T11:00:00Z"), "{slots}");
    assert!(
        !starts.contains(&TUE_10),
        "held slots are not offered: {slots}"
    );
    let theirs = app
        .post(
            "/api/v1/bookings",
            other.token(),
            json!({"mentor_id": mentor.user_id, "service_id": service, "start": TUE_10}),
        )
        .await;
    assert_problem(&theirs, 409, "slot_unavailable");
    // Nor can a second checkout hold it; and one who has the credits books directly.
    let third = app.register("third@example.com").await;
    assert_problem(
        &app.post(
            "/api/v1/payments/checkout",
            third.token(),
            json!({"booking": booking}),
        )
        .await,
        409,
        "slot_unavailable",
    );
    assert_problem(
        &app.post(
            "/api/v1/payments/checkout",
            other.token(),
            json!({"booking": {"mentor_id": mentor.user_id, "service_id": service, "start": "2026-03-03T11:00:00Z"}}),
        )
        .await,
        409,
        "enough_credits",
    );

    // Paid: the credits arrive and the booking is requested with them.
    app.stripe_event(&completed("evt_1", &session, &payment_id, "pi_1"))
        .await;
    mentorhub::jobs::run_due(app.ctx(), "test").await.unwrap();
    let p = payment(&app, &mentee, &payment_id).await;
    let booking_id = p["booking_id"]
        .as_str()
        .unwrap_or_else(|| panic!("booked: {p}"))
        .to_string();
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{booking_id}"), mentee.token())
        .await;
    assert_eq!(b["status"], "pending", "{b}");
    assert_eq!(b["start"], TUE_10);
    assert_eq!(
        app.balance(&mentee).await,
        (5, 30),
        "35 bought+owned, 30 held for the session"
    );
    // A replayed delivery does not book twice.
    app.stripe_event(&completed("evt_1", &session, &payment_id, "pi_1"))
        .await;
    mentorhub::jobs::run_due(app.ctx(), "test").await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings")
        .fetch_one(&app.ctx().db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_held_slot_is_released_after_fifteen_minutes() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 0).await;
    let other = app.register("other@example.com").await;
    app.grant(&admin, &other.user_id, 100).await;
    let booking = json!({"mentor_id": mentor.user_id, "service_id": service, "start": TUE_10});
    let c = checkout(&app, &mentee, json!({"booking": booking})).await;
    app.clock.advance(jiff::SignedDuration::from_mins(16));
    let (st, b) = app
        .post("/api/v1/bookings", other.token(), booking.clone())
        .await;
    assert_eq!(st, StatusCode::CREATED, "the hold ran out: {b}");

    // When the late payment arrives the credits stay in the wallet, the buyer is told.
    let payment_id = c["payment_id"].as_str().unwrap();
    let session = c["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    app.stripe_event(&completed("evt_late", &session, payment_id, "pi_late"))
        .await;
    mentorhub::jobs::run_due(app.ctx(), "test").await.unwrap();
    assert_eq!(app.balance(&mentee).await.0, 30);
    let p = payment(&app, &mentee, payment_id).await;
    assert!(p["booking_id"].is_null());
    let (_, notes) = app.get("/api/v1/notifications", mentee.token()).await;
    assert!(notes.to_string().contains("could not be placed"), "{notes}");
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn concurrent_deliveries_grant_once() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let s = app.register("buyer@example.com").await;
    let (p, session) = buy(&app, &s, "pack-10").await;
    let same = completed("evt_same", &session, &p, "pi_c");
    let mut other = completed("evt_other", &session, &p, "pi_c");
    other["type"] = json!("checkout.session.async_payment_succeeded");
    let deliveries = (0..8).map(|i| {
        let e = if i % 2 == 0 {
            same.clone()
        } else {
            other.clone()
        };
        let app = &app;
        async move { app.stripe_event(&e).await.0 }
    });
    let statuses = futures_util::future::join_all(deliveries).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.balance(&s).await.0, 10);
    let grants: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'purchase'")
            .fetch_one(&app.ctx().db.pool)
            .await
            .unwrap();
    assert_eq!(grants, 1);
    app.assert_ledger_ok().await;
}

/// A checkout that holds a slot works on a server with a single database connection
/// (`MENTORHUB_DATABASE_CONNECTIONS=1`): nothing it does inside its write transaction
/// waits for a second connection. It once read the mentor's availability through the
/// pool from inside the transaction, which with one connection waited out the pool's
/// timeout and answered 500 — and with the default pool did so once as many checkouts
/// ran at once as it has connections.
#[tokio::test]
async fn a_checkout_holding_a_slot_needs_one_database_connection() {
    let stripe = StripeStandIn::start().await;
    let mut config = stripe.config();
    config.database_connections = 1;
    let app = TestApp::spawn_with(config).await;
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 30, 5).await;
    let booking = json!({"mentor_id": mentor.user_id, "service_id": service, "start": TUE_10, "topic": "Career"});
    // Not enough credits to book directly: the checkout is what is left.
    let direct = app
        .post("/api/v1/bookings", mentee.token(), booking.clone())
        .await;
    assert_eq!(direct.0, StatusCode::PAYMENT_REQUIRED, "{}", direct.1);
    let started = std::time::Instant::now();
    checkout(&app, &mentee, json!({"booking": booking})).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payments WHERE hold_mentor_id IS NOT NULL AND status = 'pending'",
    )
    .fetch_one(&app.ctx().db.pool)
    .await
    .unwrap();
    assert_eq!(held, 1);
}
