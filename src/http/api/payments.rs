//! `/api/v1/credit-packs`, `/api/v1/payments/checkout`, `/api/v1/webhooks/stripe`,
//! `/api/v1/me/payments`, `/api/v1/admin/payments*`: buying credits with Stripe.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{decode_cursor, next_page, parse_limit, ts};
use crate::{
    domain::payment::CreditPack,
    domain::payment::PaymentStatus,
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath},
        problem::Problem,
    },
    service::payments::PaymentRow,
    service::payments::{self, CheckoutInput, CheckoutView, WebhookResult},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(credit_packs))
        .routes(routes!(checkout))
        .routes(routes!(stripe_webhook))
        .routes(routes!(my_payments))
        .routes(routes!(admin_payments))
        .routes(routes!(admin_refund))
        .routes(routes!(admin_resolve))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackList {
    pub items: Vec<CreditPack>,
    /// False when the operator has not configured Stripe: buying is off.
    pub payments_enabled: bool,
}

/// The credit packs on sale.
#[utoipa::path(get, path = "/api/v1/credit-packs", tag = "credits",
    responses((status = 200, body = PackList)))]
async fn credit_packs(State(state): State<AppState>) -> axum::Json<PackList> {
    axum::Json(PackList {
        items: payments::packs(&state.ctx).to_vec(),
        payments_enabled: payments::enabled(&state.ctx),
    })
}

/// Start buying credits: answers the Stripe Checkout URL to send the buyer to. With
/// `booking`, buys what that booking lacks, holds its slot for 15 minutes and
/// requests it once paid.
#[utoipa::path(post, path = "/api/v1/payments/checkout", tag = "credits", security(("bearer" = [])),
    request_body = CheckoutInput,
    responses((status = 201, body = CheckoutView), (status = 409, description = "`slot_unavailable`, `enough_credits`", body = Problem),
        (status = 422, body = Problem),
        (status = 503, description = "`payments_disabled` or `payments_unavailable`", body = Problem)))]
async fn checkout(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> Result<impl IntoResponse, AppError> {
    let v = payments::checkout(&state.ctx, &me.user, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// Stripe's webhook. Verified by `Stripe-Signature`; a bad or missing signature is
/// 400 and changes nothing. Each event is applied once.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", tag = "credits",
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the raw body")),
    request_body(content = String, content_type = "application/json", description = "A Stripe event"),
    responses((status = 200, body = WebhookResult), (status = 400, description = "`invalid_signature`", body = Problem),
        (status = 503, description = "`payments_disabled`: no webhook secret configured", body = Problem)))]
async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<WebhookResult>, AppError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    Ok(axum::Json(
        payments::webhook(&state.ctx, signature, &body).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub pack_id: String,
    pub quantity: i64,
    pub credits: i64,
    pub amount_cents: i64,
    pub currency: String,
    /// `pending`, `succeeded`, `failed` or `refunded`.
    pub status: String,
    /// While pending: where to finish paying.
    pub checkout_url: Option<String>,
    pub refunded_cents: i64,
    /// Credits taken back for refunds.
    pub reclaimed_credits: i64,
    /// Why an admin should look at it (empty when nothing).
    pub flag: String,
    pub failure_reason: String,
    /// The booking this payment was for, once placed.
    pub booking_id: Option<String>,
    pub created_at: String,
    pub succeeded_at: Option<String>,
    pub refunded_at: Option<String>,
}

impl From<&PaymentRow> for PaymentView {
    fn from(p: &PaymentRow) -> Self {
        PaymentView {
            id: p.id.clone(),
            pack_id: p.pack_id.clone(),
            quantity: p.quantity,
            credits: p.credits,
            amount_cents: p.amount_cents,
            currency: p.currency.clone(),
            status: p.status.as_str().to_string(),
            checkout_url: (p.status == PaymentStatus::Pending && !p.checkout_url.is_empty())
                .then(|| p.checkout_url.clone()),
            refunded_cents: p.refunded_cents,
            reclaimed_credits: p.reclaimed_credits,
            flag: p.flag.clone(),
            failure_reason: p.failure_reason.clone(),
            booking_id: p.booking_id.clone(),
            created_at: ts(p.created_at),
            succeeded_at: p.succeeded_at.map(ts),
            refunded_at: p.refunded_at.map(ts),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub items: Vec<PaymentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// My payments, newest first.
#[utoipa::path(get, path = "/api/v1/me/payments", tag = "credits", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = PaymentList)))]
async fn my_payments(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<axum::Json<PaymentList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows = payments::mine(&state.ctx, &me.user, before.as_deref(), limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.id.clone());
    Ok(axum::Json(PaymentList {
        items: rows.iter().map(PaymentView::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPaymentView {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub user_id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPaymentList {
    pub items: Vec<AdminPaymentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminParams {
    /// Only payments flagged for attention.
    pub flagged: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Every payment (admins), newest first.
#[utoipa::path(get, path = "/api/v1/admin/payments", tag = "admin", security(("bearer" = [])),
    params(AdminParams), responses((status = 200, body = AdminPaymentList), (status = 403, body = Problem)))]
async fn admin_payments(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiQuery(p): ApiQuery<AdminParams>,
) -> Result<axum::Json<AdminPaymentList>, AppError> {
    let limit = parse_limit(p.limit)?;
    let before = decode_cursor(p.cursor.as_deref())?;
    let mut rows = payments::all(
        &state.ctx,
        &me.user,
        p.flagged.unwrap_or(false),
        before.as_deref(),
        limit + 1,
    )
    .await?;
    let next_cursor = next_page(&mut rows, limit, |r| r.p.id.clone());
    Ok(axum::Json(AdminPaymentList {
        items: rows
            .iter()
            .map(|r| AdminPaymentView {
                payment: PaymentView::from(&r.p),
                user_id: r.p.user_id.clone(),
                email: r.email.clone(),
                name: format!("{} {}", r.first_name, r.last_name),
            })
            .collect(),
        next_cursor,
    }))
}

/// Refund a payment in full through Stripe (admins); the credits are taken back as
/// far as they are unspent, and the rest is flagged.
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/refund", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`not_refundable`", body = Problem), (status = 503, body = Problem)))]
async fn admin_refund(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<axum::Json<PaymentView>, AppError> {
    let p = payments::refund(&state.ctx, &me.user, &id).await?;
    Ok(axum::Json(PaymentView::from(&p)))
}

/// Mark a flagged payment as dealt with (admins).
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/resolve", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn admin_resolve(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    IdPath(id): IdPath,
) -> Result<StatusCode, AppError> {
    payments::resolve_flag(&state.ctx, &me.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
