//! Buying credits on the web: the packs on `/credits`, the hop to Stripe's checkout,
//! the return pages, the payment history, paying for a booking from its form, and the
//! admins' payments page (refund, resolve a flag).
//!
//! The hop to Stripe is a page of our own (`/credits/buy/go`) that links and
//! refreshes to the checkout URL: the site's CSP allows forms to post only to
//! itself, and a form's redirect to another origin would be blocked by it.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::Uri,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{CsrfForm, Layout, PageResult, WebCtx, WebForm, error_page, page_query};
use crate::{
    domain::payment::PaymentStatus,
    http::{AppState, extract::path_id},
    service::{
        bookings::BookingInput,
        payments::{self, CheckoutInput, PaymentRow, money},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/credits/buy", post(buy))
        .route("/credits/buy/go", get(go))
        .route("/credits/buy/done", get(done))
        .route("/credits/buy/cancelled", get(cancelled))
        .route("/credits/payments", get(history))
        .route("/mentors/{id}/book/pay", post(pay_and_book))
        .route("/admin/payments", get(admin_list))
        .route("/admin/payments/{id}/refund", post(admin_refund))
        .route("/admin/payments/{id}/resolve", post(admin_resolve))
}

/// A pack as the credits page shows it.
pub struct PackLine {
    pub id: String,
    pub credits: i64,
    pub price: String,
}

pub fn pack_lines(state: &AppState) -> Vec<PackLine> {
    payments::packs(&state.ctx)
        .iter()
        .map(|p| PackLine {
            id: p.id.clone(),
            credits: p.credits,
            price: money(p.amount_cents, &p.currency),
        })
        .collect()
}

/// "Buy 30 credits (3 × 10 for 30.00 USD)" for what a booking lacks, when buying is on.
pub fn offer_for(state: &AppState, missing: i64) -> Option<String> {
    if !payments::enabled(&state.ctx) {
        return None;
    }
    let (p, n) = crate::domain::payment::packs_for(payments::packs(&state.ctx), missing)?;
    let total = money(p.amount_cents * n, &p.currency);
    Some(if n == 1 {
        format!("Buy {} credits for {total} and book", p.credits)
    } else {
        format!(
            "Buy {} credits ({n} × {}) for {total} and book",
            p.credits * n,
            p.credits
        )
    })
}

#[derive(Debug, Default, Deserialize)]
struct BuyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pack_id: String,
}

async fn buy(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<BuyForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = CheckoutInput {
        pack_id: Some(f.pack_id.clone()),
        ..Default::default()
    };
    let c = payments::checkout(&state.ctx, &me, &input).await?;
    Ok(Redirect::to(&format!("/credits/buy/go?payment={}", c.payment_id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct PaymentQuery {
    #[serde(default)]
    payment: String,
}

/// The signed-in user's own payment named in the query.
async fn own_payment(state: &AppState, web: &WebCtx, uri: &Uri) -> Result<PaymentRow, Response> {
    let me = web.require_user()?.user.clone();
    let q: PaymentQuery = page_query(uri);
    let id = path_id(&q.payment).map_err(|e| error_page(state, Some(web), e))?;
    payments::own(&state.ctx, &me, &id)
        .await
        .map_err(|e| error_page(state, Some(web), e))
}

#[derive(Template)]
#[template(path = "payment_go.html")]
struct GoPage {
    layout: Layout,
    url: String,
    credits: i64,
    price: String,
}

async fn go(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let p = own_payment(&state, &web, &uri).await?;
    if p.status != PaymentStatus::Pending || !p.checkout_url.starts_with("https://") {
        return Ok(web.redirect_flash(
            &format!("/credits/buy/done?payment={}", p.id),
            "payment_not_open",
        ));
    }
    Ok(web.render(
        &state,
        &GoPage {
            layout: web.layout(),
            url: p.checkout_url.clone(),
            credits: p.credits,
            price: money(p.amount_cents, &p.currency),
        },
    ))
}

#[derive(Template)]
#[template(path = "payment_result.html")]
struct ResultPage {
    layout: Layout,
    /// `succeeded`, `pending`, `failed`, `refunded` or `cancelled`.
    state: String,
    credits: i64,
    price: String,
    reason: String,
    booking_id: Option<String>,
    for_booking: bool,
}

fn result_page(web: &WebCtx, p: &PaymentRow, state: &str) -> ResultPage {
    ResultPage {
        layout: web.layout(),
        state: state.to_string(),
        credits: p.credits,
        price: money(p.amount_cents, &p.currency),
        reason: p.failure_reason.clone(),
        booking_id: p.booking_id.clone(),
        for_booking: !p.booking_request.is_empty(),
    }
}

/// Stripe's success return: the payment is confirmed by the webhook, which may come a
/// moment later, so a pending payment's page refreshes itself.
async fn done(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let p = own_payment(&state, &web, &uri).await?;
    Ok(web.render(&state, &result_page(&web, &p, p.status.as_str())))
}

/// Stripe's cancel return: the checkout is given up, and a held slot released.
async fn cancelled(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = web.require_user()?.user.clone();
    let q: PaymentQuery = page_query(&uri);
    let id = path_id(&q.payment)?;
    let p = payments::cancel_checkout(&state.ctx, &me, &id).await?;
    let state_name = if p.status == PaymentStatus::Pending {
        "cancelled"
    } else {
        p.status.as_str()
    };
    Ok(web.render(&state, &result_page(&web, &p, state_name)))
}

struct PaymentLine {
    id: String,
    when: String,
    credits: i64,
    price: String,
    status: String,
    note: String,
    checkout_url: String,
    booking_id: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct HistoryPage {
    layout: Layout,
    lines: Vec<PaymentLine>,
    enabled: bool,
}

fn line(web: &WebCtx, p: &PaymentRow, tz: &jiff::tz::TimeZone) -> PaymentLine {
    let note = if p.status == PaymentStatus::Refunded {
        format!(
            "{} refunded, {} credits taken back",
            money(p.refunded_cents, &p.currency),
            p.reclaimed_credits
        )
    } else {
        p.failure_reason.clone()
    };
    PaymentLine {
        id: p.id.clone(),
        when: web.when(p.created_at, tz),
        credits: p.credits,
        price: money(p.amount_cents, &p.currency),
        status: p.status.as_str().to_string(),
        note,
        checkout_url: if p.status == PaymentStatus::Pending {
            format!("/credits/buy/go?payment={}", p.id)
        } else {
            String::new()
        },
        booking_id: p.booking_id.clone().unwrap_or_default(),
    }
}

async fn history(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let tz = super::zone_of(Some(&me));
    let rows = payments::mine(&state.ctx, &me, None, 200).await?;
    Ok(web.render(
        &state,
        &HistoryPage {
            layout: web.layout(),
            lines: rows.iter().map(|p| line(&web, p, &tz)).collect(),
            enabled: payments::enabled(&state.ctx),
        },
    ))
}

/// The booking form's "buy what is missing and book" button.
async fn pay_and_book(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<super::bookings::BookForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = CheckoutInput {
        booking: Some(BookingInput {
            mentor_id: id,
            service_id: f.service,
            start: Some(f.start).filter(|s| !s.is_empty()),
            topic: f.topic,
            message: f.message,
            timezone: None,
        }),
        ..Default::default()
    };
    let c = payments::checkout(&state.ctx, &me, &input).await?;
    Ok(web.redirect_flash(
        &format!("/credits/buy/go?payment={}", c.payment_id),
        "slot_held",
    ))
}

struct AdminLine {
    line: PaymentLine,
    buyer: String,
    email: String,
    flag: String,
    refundable: bool,
}

#[derive(Template)]
#[template(path = "admin_payments.html")]
struct AdminPage {
    layout: Layout,
    lines: Vec<AdminLine>,
    flagged_only: bool,
    /// Buying credits is set up (a Stripe key); else the page says so.
    enabled: bool,
}

#[derive(Debug, Default, Deserialize)]
struct AdminQuery {
    #[serde(default)]
    flagged: String,
}

async fn admin_list(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = web.require_user()?.user.clone();
    let q: AdminQuery = page_query(&uri);
    let flagged_only = !q.flagged.is_empty();
    let tz = super::zone_of(Some(&me));
    let rows = payments::all(&state.ctx, &me, flagged_only, None, 200).await?;
    Ok(web.render(
        &state,
        &AdminPage {
            enabled: crate::service::payments::enabled(&state.ctx),
            layout: web.layout(),
            lines: rows
                .iter()
                .map(|r| AdminLine {
                    line: line(&web, &r.p, &tz),
                    buyer: format!("{} {}", r.first_name, r.last_name),
                    email: r.email.clone(),
                    flag: r.p.flag.clone(),
                    refundable: r.p.status == PaymentStatus::Succeeded
                        && r.p.payment_intent_id.is_some(),
                })
                .collect(),
            flagged_only,
        },
    ))
}

async fn admin_refund(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    payments::refund(&state.ctx, &me, &id).await?;
    Ok(web.redirect_flash("/admin/payments", "payment_refunded"))
}

async fn admin_resolve(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    payments::resolve_flag(&state.ctx, &me, &id).await?;
    Ok(web.redirect_flash("/admin/payments?flagged=1", "payment_resolved"))
}
