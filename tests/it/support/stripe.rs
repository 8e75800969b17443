//! A stand-in for Stripe's API for tests.

use super::*;

/// A local stand-in for Stripe's API: answers Checkout Session and Refund creation the
/// way Stripe does (the fields mentorhub reads) and keeps every request it received.
#[derive(Clone)]
pub struct StripeStandIn {
    pub base: String,
    pub requests: Arc<tokio::sync::Mutex<Vec<StripeCall>>>,
}

/// One request to the stand-in.
#[derive(Debug, Clone)]
pub struct StripeCall {
    pub path: String,
    pub authorization: String,
    pub idempotency_key: String,
    pub form: std::collections::BTreeMap<String, String>,
}

pub const STRIPE_KEY: &str = "sk_test_standin";
pub const WEBHOOK_SECRET: &str = "whsec_standin";

impl StripeStandIn {
    pub async fn start() -> StripeStandIn {
        use axum::{extract::State, http::HeaderMap, routing::post};
        type Calls = Arc<tokio::sync::Mutex<Vec<StripeCall>>>;
        async fn record(calls: &Calls, path: &str, headers: &HeaderMap, body: &str) -> StripeCall {
            let header = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            let call = StripeCall {
                path: path.to_string(),
                authorization: header("authorization"),
                idempotency_key: header("idempotency-key"),
                form: serde_urlencoded::from_str(body).unwrap_or_default(),
            };
            let mut all = calls.lock().await;
            all.push(call.clone());
            call
        }
        async fn sessions(
            State(calls): State<Calls>,
            headers: HeaderMap,
            body: String,
        ) -> axum::Json<Value> {
            let call = record(&calls, "/v1/checkout/sessions", &headers, &body).await;
            let id = format!("cs_test_{}", call.idempotency_key.replace('-', ""));
            axum::Json(json!({
                "id": id, "object": "checkout.session",
                "url": format!("https://checkout.stripe.test/c/pay/{id}"),
                "payment_status": "unpaid", "payment_intent": null,
            }))
        }
        async fn refunds(
            State(calls): State<Calls>,
            headers: HeaderMap,
            body: String,
        ) -> axum::Json<Value> {
            let call = record(&calls, "/v1/refunds", &headers, &body).await;
            let amount: i64 = call
                .form
                .get("amount")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0);
            axum::Json(
                json!({"id": "re_test_1", "object": "refund", "amount": amount, "status": "succeeded"}),
            )
        }
        let requests: Calls = Arc::new(tokio::sync::Mutex::new(vec![]));
        let app = axum::Router::new()
            .route("/v1/checkout/sessions", post(sessions))
            .route("/v1/refunds", post(refunds))
            .with_state(requests.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StripeStandIn {
            base: format!("http://{addr}"),
            requests,
        }
    }

    /// Settings for an app that buys through this stand-in.
    pub fn config(&self) -> Config {
        Config {
            stripe_secret_key: Some(STRIPE_KEY.into()),
            stripe_api_base: self.base.clone(),
            stripe_webhook_secrets: vec!["whsec_old_rotated_out".into(), WEBHOOK_SECRET.into()],
            ..test_config()
        }
    }

    pub async fn calls(&self) -> Vec<StripeCall> {
        self.requests.lock().await.clone()
    }
}

impl TestApp {
    /// Delivers a Stripe event to the webhook, signed with the stand-in's secret at the
    /// app's current time.
    pub async fn stripe_event(&self, event: &Value) -> (StatusCode, Value) {
        let body = event.to_string();
        let sig = mentorhub::domain::payment::sign(
            WEBHOOK_SECRET,
            self.clock_now().as_second(),
            body.as_bytes(),
        );
        self.stripe_raw(Some(&sig), &body).await
    }

    /// Delivers a raw webhook body with the given signature header.
    pub async fn stripe_raw(&self, signature: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(self.url("/api/v1/webhooks/stripe"))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(s) = signature {
            req = req.header("stripe-signature", s);
        }
        let res = req.send().await.expect("webhook");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
