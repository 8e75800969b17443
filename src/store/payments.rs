//! Credit purchases and the Stripe events applied to them.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::payment::PaymentStatus;

row! {
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub id: String,
    pub user_id: String,
    pub pack_id: String,
    pub quantity: i64,
    pub credits: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub provider: String,
    pub checkout_session_id: Option<String>,
    pub checkout_url: String,
    pub payment_intent_id: Option<String>,
    pub refunded_cents: i64,
    pub reclaimed_credits: i64,
    pub flag: String,
    pub failure_reason: String,
    pub booking_request: String,
    pub hold_mentor_id: Option<String>,
    pub hold_start: Option<Timestamp>,
    pub hold_end: Option<Timestamp>,
    pub hold_until: Option<Timestamp>,
    pub booking_id: Option<String>,
    pub succeeded_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub refunded_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

const COLUMNS: &str = "id, user_id, pack_id, quantity, credits, amount_cents, currency, status, \
    provider, checkout_session_id, checkout_url, payment_intent_id, refunded_cents, \
    reclaimed_credits, flag, failure_reason, booking_request, hold_mentor_id, hold_start, hold_end, \
    hold_until, booking_id, \
    succeeded_at, failed_at, refunded_at, created_at, updated_at";

pub struct NewPayment<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub pack_id: &'a str,
    pub quantity: i64,
    pub credits: i64,
    pub amount_cents: i64,
    pub currency: &'a str,
    pub booking_request: &'a str,
    /// (mentor, start, end, until): the slot held while the checkout is open.
    pub hold: Option<(&'a str, i64, i64, i64)>,
    pub now: Timestamp,
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    p: &NewPayment<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payments (id, user_id, pack_id, quantity, credits, amount_cents, currency, \
         status, booking_request, hold_mentor_id, hold_start, hold_end, hold_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(p.id)
    .bind(p.user_id)
    .bind(p.pack_id)
    .bind(p.quantity)
    .bind(p.credits)
    .bind(p.amount_cents)
    .bind(p.currency)
    .bind(p.booking_request)
    .bind(p.hold.map(|h| h.0))
    .bind(p.hold.map(|h| h.1))
    .bind(p.hold.map(|h| h.2))
    .bind(p.hold.map(|h| h.3))
    .bind(p.now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The payment a Stripe object refers to: by our id (metadata), the Checkout Session
/// id, or the PaymentIntent id, in that order.
pub async fn find(
    tx: &mut Tx,
    payment_id: Option<&str>,
    session_id: Option<&str>,
    intent_id: Option<&str>,
) -> sqlx::Result<Option<PaymentRow>> {
    for (column, value) in [
        ("id", payment_id),
        ("checkout_session_id", session_id),
        ("payment_intent_id", intent_id),
    ] {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        let row: Option<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM payments WHERE {column} = $1"
        )))
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
        if row.is_some() {
            return Ok(row);
        }
    }
    Ok(None)
}

/// Records the Checkout Session made for a payment.
pub async fn set_checkout<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    session_id: &str,
    url: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET checkout_session_id = $2, checkout_url = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(session_id)
    .bind(url)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Moves a pending or failed payment to succeeded; false when another delivery got
/// there first (the row lock makes a concurrent one re-read the status).
pub async fn mark_succeeded(
    tx: &mut Tx,
    id: &str,
    intent_id: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'succeeded', payment_intent_id = COALESCE($2, payment_intent_id), \
         failure_reason = '', succeeded_at = $3, updated_at = $3 \
         WHERE id = $1 AND status IN ('pending', 'failed')",
    )
    .bind(id)
    .bind(intent_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_intent(
    tx: &mut Tx,
    id: &str,
    intent_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE payments SET payment_intent_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(intent_id)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn mark_failed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET status = 'failed', failure_reason = $2, failed_at = $3, \
         hold_until = NULL, updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(reason)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn mark_refunded(
    tx: &mut Tx,
    id: &str,
    refunded_cents: i64,
    reclaimed_credits: i64,
    flag: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET status = 'refunded', refunded_cents = $2, reclaimed_credits = $3, \
         flag = CASE WHEN $4 = '' THEN flag ELSE $4 END, hold_until = NULL, \
         refunded_at = $5, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(refunded_cents)
    .bind(reclaimed_credits)
    .bind(flag)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Links a paid-for booking (or clears the hold when it could not be placed).
pub async fn set_booking(
    tx: &mut Tx,
    id: &str,
    booking_id: Option<&str>,
    note: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payments SET booking_id = $2, hold_until = NULL, \
         flag = CASE WHEN $3 = '' THEN flag ELSE $3 END, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(booking_id)
    .bind(note)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn clear_flag<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE payments SET flag = '', updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// A user's payments, newest first (before the cursor id).
pub async fn for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payments WHERE user_id = $1 AND ($2 = '' OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(user_id)
    .bind(before_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// A payment with its buyer, for the admin's list.
#[derive(Debug, Clone, FromRow)]
pub struct AdminPaymentRow {
    #[sqlx(flatten)]
    pub p: PaymentRow,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// Every payment (or only flagged ones), newest first.
pub async fn all<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    flagged_only: bool,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<AdminPaymentRow>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols}, u.email, u.first_name, u.last_name FROM payments p \
         JOIN users u ON u.id = p.user_id \
         WHERE ($1 = 0 OR p.flag <> '') AND ($2 = '' OR p.id < $2) ORDER BY p.id DESC LIMIT $3"
    )))
    .bind(i64::from(flagged_only))
    .bind(before_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records a webhook event; false when it was already received (a replay).
pub async fn record_event(tx: &mut Tx, id: &str, kind: &str, now: Timestamp) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO stripe_events (id, type, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes which payment an event was applied to, or the PaymentIntent of a refund
/// that must wait for its checkout.
pub async fn note_event(
    tx: &mut Tx,
    id: &str,
    payment_id: Option<&str>,
    pending: Option<(&str, i64)>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE stripe_events SET payment_id = $2, pending_intent = $3, pending_refund_cents = $4 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(payment_id)
    .bind(pending.map(|p| p.0))
    .bind(pending.map(|p| p.1))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The largest refunded total among refund events that arrived before the checkout of
/// `intent_id` completed (totals are cumulative), and forgets them.
pub async fn take_pending_refunds(tx: &mut Tx, intent_id: &str) -> sqlx::Result<Option<i64>> {
    let totals: Vec<i64> = sqlx::query_scalar(
        "SELECT COALESCE(pending_refund_cents, 0) FROM stripe_events WHERE pending_intent = $1",
    )
    .bind(intent_id)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query("UPDATE stripe_events SET pending_intent = NULL WHERE pending_intent = $1")
        .bind(intent_id)
        .execute(&mut **tx)
        .await?;
    Ok(totals.into_iter().max())
}
