//! Buying credits with Stripe Checkout.
//!
//! - `checkout` records a pending payment, then creates a Checkout Session through
//!   Stripe's HTTP API (form-encoded, with the payment id as Stripe's idempotency key)
//!   and returns its URL. Without a secret key every entry point answers 503
//!   `payments_disabled`.
//! - `webhook` verifies `Stripe-Signature` (see `domain::payment`), then applies the
//!   event in one transaction that also stores the event id: a replayed delivery finds
//!   the id and changes nothing, and the credit grant has its own ledger idempotency
//!   key (`payment:<id>`), so credits are granted once however events arrive.
//!   Deliveries in any order: a late "paid" after "expired" still grants (the money was
//!   taken), a "failed" after "paid" changes nothing, and a refund that arrives before
//!   its checkout completed waits on the event row until it does.
//! - A refund takes back the refunded share of the credits from the wallet as far as
//!   the balance allows; what was already spent is flagged for an admin.
//! - Paying for a booking: the checkout holds the slot (it counts as busy for everyone
//!   else) for [`HOLD_MINUTES`]; once paid, a job places the booking with the
//!   booking's own rules (the slot must still be free; the hold itself is ignored).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{Ctx, bookings::BookingInput, jobs, notify};
use crate::{
    domain::{
        ids::new_id,
        payment::{self, CreditPack, PaymentStatus},
    },
    error::{AppError, AppResult},
    store::{
        self, Tx,
        ledger::{Outcome, Transfer, WORLD},
        payments::NewPayment,
        users::UserRow,
    },
};

mod webhook;

use webhook::apply_refund;
pub use webhook::{WebhookResult, webhook};

/// How long a slot is held for a mentee while their checkout is open.
pub const HOLD_MINUTES: i64 = 15;
const MINUTE: i64 = 60_000_000;

/// `POST /api/v1/payments/checkout`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// The pack to buy. With `booking`, optional: the cheapest packs covering what is
    /// missing are chosen.
    #[serde(default)]
    pub pack_id: Option<String>,
    /// How many of the pack (1-20, default 1).
    #[serde(default)]
    pub quantity: Option<i64>,
    /// Pay for this booking: the credits it lacks are bought, the slot is held while
    /// the checkout is open, and the booking is requested once the payment succeeds.
    #[serde(default)]
    pub booking: Option<BookingInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    pub payment_id: String,
    /// Send the buyer here (Stripe's hosted checkout page).
    pub checkout_url: String,
}

fn disabled() -> AppError {
    AppError::Unavailable {
        code: "payments_disabled",
        detail: "Buying credits is not enabled on this site.".into(),
    }
}

fn stripe_down() -> AppError {
    AppError::Unavailable {
        code: "payments_unavailable",
        detail:
            "The payment provider could not be reached; nothing was charged. Try again in a minute."
                .into(),
    }
}

pub fn enabled(ctx: &Ctx) -> bool {
    ctx.config.stripe_secret_key.is_some()
}

pub fn packs(ctx: &Ctx) -> &[CreditPack] {
    &ctx.config.credit_packs
}

/// Calls Stripe's API: a form POST with the secret key and an idempotency key.
async fn stripe_post(
    ctx: &Ctx,
    path: &str,
    form: &[(String, String)],
    idempotency_key: &str,
) -> AppResult<Value> {
    let key = ctx
        .config
        .stripe_secret_key
        .as_deref()
        .ok_or_else(disabled)?;
    let url = format!("{}{path}", ctx.config.stripe_api_base);
    let res = ctx
        .http
        .post(&url)
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key)
        .form(form)
        .send()
        .await
        .map_err(|e| {
            tracing::error!(error = %e, %url, "calling Stripe");
            stripe_down()
        })?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        tracing::error!(%status, %url, error = %body["error"]["message"], "Stripe refused a request");
        return Err(stripe_down());
    }
    Ok(body)
}

/// Starts a checkout: records the pending payment (holding a slot when paying for a
/// booking) and creates the Stripe Checkout Session.
#[tracing::instrument(name = "payments::checkout", skip_all, fields(user_id = %user.id))]
pub async fn checkout(ctx: &Ctx, user: &UserRow, input: &CheckoutInput) -> AppResult<CheckoutView> {
    if !enabled(ctx) {
        return Err(disabled());
    }
    let quantity = input.quantity.unwrap_or(1);
    if !(1..=20).contains(&quantity) {
        return Err(AppError::invalid(
            "quantity",
            "out_of_range",
            "Buy 1 to 20 packs at a time.",
        ));
    }
    let Purchase {
        pack,
        quantity,
        hold,
        request,
    } = purchase(ctx, user, input, quantity).await?;
    let now = ctx.now();
    let id = new_id();
    let credits = pack.credits * quantity;
    let amount = pack.amount_cents * quantity;
    {
        let held = match &hold {
            Some((mentor, s, e, _)) => {
                let a = super::bookings::availability_to_hold(ctx, mentor).await?;
                Some((a, mentor.as_str(), (*s, *e)))
            }
            None => None,
        };
        let mut tx = ctx.db.begin_write().await?;
        if let Some((a, mentor, span)) = &held {
            // Re-check inside the write lock: the slot must be free, holds included.
            super::bookings::check_slot_free(ctx, &mut tx, a, (mentor, &user.id), *span).await?;
        }
        store::payments::insert(
            &mut *tx,
            &NewPayment {
                id: &id,
                user_id: &user.id,
                pack_id: &pack.id,
                quantity,
                credits,
                amount_cents: amount,
                currency: &pack.currency,
                booking_request: &request,
                hold: hold
                    .as_ref()
                    .map(|(m, s, e, u)| (m.as_str(), *s, *e, crate::clock::to_micros(*u))),
                now,
            },
        )
        .await?;
        tx.commit().await?;
    }
    let form = session_form(ctx, user, &pack, quantity, &id, hold.is_some());
    let session = match stripe_post(ctx, "/v1/checkout/sessions", &form, &id).await {
        Ok(s) => s,
        Err(e) => {
            store::payments::mark_failed(&ctx.db.pool, &id, "checkout could not start", ctx.now())
                .await?;
            return Err(e);
        }
    };
    let (Some(session_id), Some(url)) = (session["id"].as_str(), session["url"].as_str()) else {
        tracing::error!(body = %session, "Stripe's checkout session has no id or url");
        store::payments::mark_failed(&ctx.db.pool, &id, "checkout could not start", ctx.now())
            .await?;
        return Err(stripe_down());
    };
    store::payments::set_checkout(&ctx.db.pool, &id, session_id, url, ctx.now()).await?;
    Ok(CheckoutView {
        payment_id: id,
        checkout_url: url.to_string(),
    })
}

/// What a checkout buys: the pack and how many, and for pay-and-book the slot to hold
/// (mentor, start, end, held until) and the booking request to make once paid.
struct Purchase {
    pack: CreditPack,
    quantity: i64,
    hold: Option<(String, i64, i64, jiff::Timestamp)>,
    request: String,
}

/// Chooses the purchase: the pack asked for, or for pay-and-book the fewest packs that
/// cover what the balance lacks.
async fn purchase(
    ctx: &Ctx,
    user: &UserRow,
    input: &CheckoutInput,
    quantity: i64,
) -> AppResult<Purchase> {
    let find_pack = |id: &str| {
        packs(ctx)
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| {
                AppError::invalid("pack_id", "not_found", "There is no such credit pack.")
            })
    };
    let now = ctx.now();
    let (pack, quantity, hold, request) = match &input.booking {
        None => {
            let id = input
                .pack_id
                .as_deref()
                .ok_or_else(|| AppError::invalid("pack_id", "required", "Choose a credit pack."))?;
            (find_pack(id)?, quantity, None, String::new())
        }
        Some(b) => {
            let plan = super::bookings::plan_paid(ctx, user, b).await?;
            let missing = plan.cost - store::ledger::wallet_balance(&ctx.db.pool, &user.id).await?;
            if missing <= 0 {
                return Err(AppError::conflict(
                    "enough_credits",
                    "You already have the credits for this booking: book it directly.",
                ));
            }
            let (pack, n) = match input.pack_id.as_deref() {
                Some(id) => {
                    let p = find_pack(id)?;
                    let n = (missing + p.credits - 1) / p.credits;
                    (p, n)
                }
                None => payment::packs_for(packs(ctx), missing)
                    .map(|(p, n)| (p.clone(), n))
                    .ok_or_else(|| AppError::invalid("pack_id", "not_found", "No pack on sale."))?,
            };
            let request = serde_json::to_string(b).map_err(|e| AppError::Internal(e.into()))?;
            let hold = plan.slot.map(|(mentor, s, e)| {
                (
                    mentor,
                    s,
                    e,
                    crate::clock::after(now, HOLD_MINUTES * MINUTE),
                )
            });
            (pack, n, hold, request)
        }
    };
    Ok(Purchase {
        pack,
        quantity,
        hold,
        request,
    })
}

/// The Stripe Checkout Session's form fields.
fn session_form(
    ctx: &Ctx,
    user: &UserRow,
    pack: &CreditPack,
    quantity: i64,
    id: &str,
    holds_a_slot: bool,
) -> Vec<(String, String)> {
    let credits = pack.credits * quantity;
    let base = &ctx.config.base_url;
    let name = if quantity == 1 {
        format!("{} mentorhub credits", pack.credits)
    } else {
        format!(
            "{} mentorhub credits ({quantity} × {})",
            credits, pack.credits
        )
    };
    let mut form: Vec<(String, String)> = [
        ("mode", "payment".to_string()),
        ("client_reference_id", user.id.to_string()),
        ("customer_email", user.email.clone()),
        ("metadata[user_id]", user.id.to_string()),
        ("metadata[pack_id]", pack.id.clone()),
        ("metadata[payment_id]", id.to_string()),
        ("payment_intent_data[metadata][payment_id]", id.to_string()),
        ("line_items[0][quantity]", quantity.to_string()),
        ("line_items[0][price_data][currency]", pack.currency.clone()),
        (
            "line_items[0][price_data][unit_amount]",
            pack.amount_cents.to_string(),
        ),
        ("line_items[0][price_data][product_data][name]", name),
        (
            "success_url",
            format!("{base}/credits/buy/done?payment={id}"),
        ),
        (
            "cancel_url",
            format!("{base}/credits/buy/cancelled?payment={id}"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if holds_a_slot {
        // Stripe's shortest session; the slot itself is held for HOLD_MINUTES.
        let expires = ctx.clock.now() + jiff::SignedDuration::from_mins(31);
        form.push(("expires_at".into(), expires.as_second().to_string()));
    }
    form
}

/// An admin refunds a payment in full through Stripe, then applies it at once (the
/// `charge.refunded` webhook that follows finds nothing left to do).
#[tracing::instrument(name = "payments::refund", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn refund(ctx: &Ctx, admin: &UserRow, id: &str) -> AppResult<PaymentRow> {
    super::admin::require_admin(admin)?;
    if !enabled(ctx) {
        return Err(disabled());
    }
    let p = store::payments::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if p.status != PaymentStatus::Succeeded {
        return Err(AppError::conflict(
            "not_refundable",
            "Only a succeeded payment can be refunded.",
        ));
    }
    let Some(intent) = p.payment_intent_id.clone() else {
        return Err(AppError::conflict(
            "not_refundable",
            "This payment has no Stripe payment to refund.",
        ));
    };
    let remaining = p.amount_cents - p.refunded_cents;
    let form = vec![
        ("payment_intent".to_string(), intent),
        ("amount".to_string(), remaining.to_string()),
        ("metadata[payment_id]".to_string(), p.id.clone()),
    ];
    let r = stripe_post(
        ctx,
        "/v1/refunds",
        &form,
        &format!("refund-{}-{}", p.id, p.refunded_cents),
    )
    .await?;
    if matches!(r["status"].as_str(), Some("failed" | "canceled")) {
        return Err(AppError::conflict(
            "refund_failed",
            "Stripe could not refund this payment; see the Stripe dashboard.",
        ));
    }
    let refunded = r["amount"].as_i64().unwrap_or(remaining);
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let fresh = store::payments::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    apply_refund(&mut tx, &fresh, fresh.refunded_cents + refunded, now).await?;
    store::audit::insert(
        &mut *tx,
        &store::audit::NewAudit {
            actor_id: Some(&admin.id),
            action: "payment.refund",
            target_type: "payment",
            target_id: id,
            before: serde_json::json!({"status": p.status, "refunded_cents": p.refunded_cents}),
            after: serde_json::json!({"status": "refunded", "refunded_cents": p.refunded_cents + refunded, "stripe_refund": r["id"]}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    if let Err(e) = notify_buyer(ctx, id, "refunded").await {
        tracing::warn!(payment = %id, error = ?e, "payment notification failed");
    }
    store::payments::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An admin has dealt with a flagged payment.
#[tracing::instrument(name = "payments::resolve_flag", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn resolve_flag(ctx: &Ctx, admin: &UserRow, id: &str) -> AppResult<()> {
    super::admin::require_admin(admin)?;
    let p = store::payments::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::payments::clear_flag(&mut *tx, id, now).await?;
    store::audit::insert(
        &mut *tx,
        &store::audit::NewAudit {
            actor_id: Some(&admin.id),
            action: "payment.flag_resolved",
            target_type: "payment",
            target_id: id,
            before: serde_json::json!({"flag": p.flag}),
            after: serde_json::json!({"flag": ""}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The job: places the booking a payment was for. If it cannot be placed any more
/// (the slot went, the mentor left), the credits stay in the wallet and the buyer is
/// told; the payment records why.
#[tracing::instrument(name = "payments::place_booking", skip_all)]
pub async fn place_booking(ctx: &Ctx, payment_id: &str) -> AppResult<()> {
    let Some(p) = store::payments::get(&ctx.db.pool, payment_id).await? else {
        return Ok(());
    };
    if p.booking_request.is_empty() || p.booking_id.is_some() {
        return Ok(());
    }
    let Some(user) = store::users::by_id(&ctx.db.pool, &p.user_id).await? else {
        return Ok(());
    };
    let input: BookingInput = serde_json::from_str(&p.booking_request)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored booking request: {e}")))?;
    let key = format!("payment:{}", p.id);
    let placed =
        super::bookings::request_holding(ctx, &user, &input, Some(&key), Some(&p.id)).await;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    match &placed {
        Ok((b, _)) => {
            store::payments::set_booking(&mut tx, &p.id, Some(&b.b.id), "", now).await?;
        }
        Err(AppError::Internal(e)) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "placing a paid booking: {e}"
            )));
        }
        Err(e) => {
            store::payments::set_booking(&mut tx, &p.id, None, "", now).await?;
            notify::notify(
                ctx,
                &mut tx,
                &notify::Note {
                    reader: None,
                    user_id: &user.id,
                    email: &user.email,
                    kind: notify::PAYMENT_UPDATED,
                    title: "Your booking could not be placed".into(),
                    body: format!(
                        "Your payment went through and the credits are in your wallet, but the booking could not be placed: {} Pick another time.",
                        e.detail()
                    ),
                    link: "/credits".into(),
                    related_id: Some(&p.id),
                    ics: None,
                },
                now,
                &mut live,
            )
            .await?;
        }
    }
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(())
}

async fn notify_buyer(ctx: &Ctx, payment_id: &str, what: &str) -> AppResult<()> {
    let Some(p) = store::payments::get(&ctx.db.pool, payment_id).await? else {
        return Ok(());
    };
    let Some(user) = store::users::by_id(&ctx.db.pool, &p.user_id).await? else {
        return Ok(());
    };
    let (title, body) = match what {
        "succeeded" => (
            format!("{} credits added", p.credits),
            format!(
                "Your payment of {} went through: {} credits are in your wallet.",
                money(p.amount_cents, &p.currency),
                p.credits
            ),
        ),
        "failed" => (
            "Your payment did not go through".to_string(),
            "Nothing was charged and no credits were added. You can try again from the credits page."
                .to_string(),
        ),
        _ => (
            "Your payment was refunded".to_string(),
            format!(
                "{} was refunded; {} credits were taken back.",
                money(p.refunded_cents, &p.currency),
                p.reclaimed_credits
            ),
        ),
    };
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    notify::notify(
        ctx,
        &mut tx,
        &notify::Note {
            reader: None,
            user_id: &user.id,
            email: &user.email,
            kind: notify::PAYMENT_UPDATED,
            title,
            body,
            link: "/credits/payments".into(),
            related_id: Some(&p.id),
            ics: None,
        },
        ctx.now(),
        &mut live,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(())
}

/// "12.34 USD".
pub fn money(cents: i64, currency: &str) -> String {
    format!(
        "{}.{:02} {}",
        cents / 100,
        (cents % 100).abs(),
        currency.to_ascii_uppercase()
    )
}

/// One of the user's own payments (another's is "not found").
pub async fn own(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<PaymentRow> {
    store::payments::get(&ctx.db.pool, id)
        .await?
        .filter(|p| p.user_id == user.id)
        .ok_or(AppError::NotFound)
}

/// The buyer left the checkout through its cancel link: a payment still pending is
/// closed as failed (which frees a slot it held). Returns it as it was.
pub async fn cancel_checkout(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<PaymentRow> {
    let p = own(ctx, user, id).await?;
    if p.status == PaymentStatus::Pending {
        store::payments::mark_failed(&ctx.db.pool, &p.id, "cancelled at checkout", ctx.now())
            .await?;
    }
    Ok(p)
}

pub use crate::store::payments::{AdminPaymentRow, PaymentRow};

/// Lists for the API and pages.
pub async fn mine(
    ctx: &Ctx,
    user: &UserRow,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<PaymentRow>> {
    Ok(store::payments::for_user(&ctx.db.pool, &user.id, before, limit).await?)
}

pub async fn all(
    ctx: &Ctx,
    admin: &UserRow,
    flagged_only: bool,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<AdminPaymentRow>> {
    super::admin::require_admin(admin)?;
    Ok(store::payments::all(&ctx.db.pool, flagged_only, before, limit).await?)
}
