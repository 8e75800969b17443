//! Buying credits through the pages: packs, the hop to Stripe, the return pages, the
//! history, paying for a booking from its form, and the admin's payments page.

use reqwest::{Client, StatusCode, header};
use serde_json::json;

use crate::{
    support::{StripeStandIn, TestApp},
    web_mentors::{csrf_of, sign_in, text},
};

const PASSWORD: &str = "correct horse battery";

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn post_form(
    c: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

fn completed(event_id: &str, payment: &str) -> serde_json::Value {
    json!({"id": event_id, "type": "checkout.session.completed", "data": {"object": {
        "id": format!("cs_{payment}"), "payment_status": "paid", "payment_intent": format!("pi_{event_id}"),
        "metadata": {"payment_id": payment}}}})
}

#[tokio::test]
async fn without_stripe_the_credits_page_does_not_offer_buying() {
    let app = TestApp::spawn().await;
    app.register("buyer@example.com").await;
    let c = sign_in(&app, "buyer@example.com", PASSWORD).await;
    let (s, html) = text(&c, &app, "/credits").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !html.contains("Buy credits") && html.contains("Ask for credits"),
        "{html}"
    );
    // The admins' payments page says buying is off, rather than only "No payment yet".
    app.admin().await;
    let a = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&a, &app, "/admin/payments").await;
    assert!(
        html.contains("Buying credits is switched off on this site"),
        "{html}"
    );
}

#[tokio::test]
async fn buying_a_pack_through_the_pages() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    app.admin().await;
    let s = app.register("buyer@example.com").await;
    let c = sign_in(&app, "buyer@example.com", PASSWORD).await;
    let (_, html) = text(&c, &app, "/credits").await;
    assert!(
        html.contains("Buy credits") && html.contains("45.00 USD"),
        "{html}"
    );
    let csrf = csrf_of(&html);

    let res = post_form(
        &c,
        &app,
        "/credits/buy",
        &[("csrf", &csrf), ("pack_id", "pack-50")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let go = location(&res);
    assert!(go.starts_with("/credits/buy/go?payment="), "{go}");
    let payment = go.rsplit('=').next().unwrap().to_string();
    let (s1, html) = text(&c, &app, &go).await;
    assert_eq!(s1, StatusCode::OK);
    assert!(
        html.contains("https://checkout.stripe.test/c/pay/"),
        "{html}"
    );
    assert!(html.contains("Continue to secure payment"));
    // Someone else's payment is not yours to see.
    app.register("other@example.com").await;
    let other = sign_in(&app, "other@example.com", PASSWORD).await;
    let (s2, _) = text(&other, &app, &go).await;
    assert_eq!(s2, StatusCode::NOT_FOUND);

    // Back from Stripe before the webhook: the page waits; after it: thanks.
    let (_, html) = text(&c, &app, &format!("/credits/buy/done?payment={payment}")).await;
    assert!(html.contains("Confirming your payment"), "{html}");
    app.stripe_event(&completed("evt_1", &payment)).await;
    let (_, html) = text(&c, &app, &format!("/credits/buy/done?payment={payment}")).await;
    assert!(
        html.contains("Thank you") && html.contains("50 credits"),
        "{html}"
    );
    assert_eq!(app.balance(&s).await.0, 50);
    let (_, html) = text(&c, &app, "/credits/payments").await;
    assert!(
        html.contains("succeeded") && html.contains("45.00 USD"),
        "{html}"
    );

    // Cancelling a checkout: nothing charged, the payment is closed.
    let res = post_form(
        &c,
        &app,
        "/credits/buy",
        &[("csrf", &csrf), ("pack_id", "pack-10")],
    )
    .await;
    let second = location(&res).rsplit('=').next().unwrap().to_string();
    let (_, html) = text(
        &c,
        &app,
        &format!("/credits/buy/cancelled?payment={second}"),
    )
    .await;
    assert!(html.contains("Nothing was charged"), "{html}");
    let (_, list) = app.get("/api/v1/me/payments", s.token()).await;
    assert_eq!(list["items"][0]["status"], "failed");

    // The admin sees both and refunds the first from the page.
    let a = sign_in(&app, "root@example.com", "admin password 1").await;
    let (_, html) = text(&a, &app, "/admin/payments").await;
    assert!(!html.contains("id=\"buying-off\""), "buying is on: {html}");
    assert!(
        html.contains("buyer@example.com") && html.contains(">Refund</button>"),
        "{html}"
    );
    let res = post_form(
        &a,
        &app,
        &format!("/admin/payments/{payment}/refund"),
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.balance(&s).await.0, 0);
    let (st, _) = text(&c, &app, "/admin/payments").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "not for members");
    app.assert_ledger_ok().await;
}

#[tokio::test]
async fn the_booking_form_offers_to_buy_what_is_missing() {
    let stripe = StripeStandIn::start().await;
    let app = TestApp::spawn_with(stripe.config()).await;
    let admin = app.admin().await;
    let (mentor, _mentee, service) = app.booking_setup(&admin, "UTC", 30, 5).await;
    let c = sign_in(&app, "mentee@example.com", PASSWORD).await;
    let start = "2026-03-03T10:00:00Z";
    let (st, html) = text(
        &c,
        &app,
        &format!(
            "/mentors/{}/book?service={service}&start={start}",
            mentor.user_id
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("Buy 30 credits (3 × 10) for 30.00 USD and book"),
        "{html}"
    );
    let res = post_form(
        &c,
        &app,
        &format!("/mentors/{}/book/pay", mentor.user_id),
        &[
            ("csrf", &csrf_of(&html)),
            ("service", &service),
            ("start", start),
            ("topic", "Career"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let payment = location(&res).rsplit('=').next().unwrap().to_string();
    app.stripe_event(&completed("evt_b", &payment)).await;
    mentorhub::jobs::run_due(app.ctx(), "test").await.unwrap();
    let (_, html) = text(&c, &app, &format!("/credits/buy/done?payment={payment}")).await;
    assert!(html.contains("Your booking is requested"), "{html}");
    app.assert_ledger_ok().await;
}
