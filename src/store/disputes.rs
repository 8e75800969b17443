//! Disputes of finished sessions' outcomes (see `domain::dispute`).

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::dispute::DisputeStatus;

row! {
/// A dispute with the booking it is about and both people's names.
#[derive(Debug, Clone)]
pub struct DisputeRow {
    pub id: String,
    pub booking_id: String,
    pub opened_by: String,
    pub reason: String,
    pub status: DisputeStatus,
    pub resolution: String,
    pub resolved_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub title: String,
    pub start_at: Timestamp,
    /// A timed session (else a written review, requested at `start_at`).
    pub timed: bool,
    pub delivered_at: Option<Timestamp>,
    pub booking_status: crate::domain::booking::BookingStatus,
    pub no_show_party: String,
    pub credits_held: i64,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    /// Who decided it (once decided).
    pub resolver_name: Option<String>,
    /// The other side's account of it ('' until they give one).
    pub answer: String,
    pub answered_at: Option<Timestamp>,
}
}

const SELECT: &str = "SELECT d.id, d.booking_id, d.opened_by, d.reason, d.status, d.resolution, \
    d.resolved_at, d.created_at, b.title, b.start_at, b.timed, b.delivered_at, \
    b.status AS booking_status, \
    b.no_show_party, b.credits_held, b.mentor_id, \
    TRIM(m.first_name || ' ' || m.last_name) AS mentor_name, b.mentee_id, \
    TRIM(e.first_name || ' ' || e.last_name) AS mentee_name, \
    TRIM(r.first_name || ' ' || r.last_name) AS resolver_name, d.answer, d.answered_at \
    FROM booking_disputes d JOIN bookings b ON b.id = d.booking_id \
    JOIN users m ON m.id = b.mentor_id JOIN users e ON e.id = b.mentee_id \
    LEFT JOIN users r ON r.id = d.resolved_by";

/// Whether it was written: `false` when the booking already has a dispute (perhaps
/// sent at the same time).
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    booking_id: &str,
    opened_by: &str,
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO booking_disputes (id, booking_id, opened_by, reason, status, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $5) ON CONFLICT (booking_id) DO NOTHING",
    )
    .bind(id)
    .bind(booking_id)
    .bind(opened_by)
    .bind(reason)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<DisputeRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn of_booking<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<DisputeRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.booking_id = $1"
    )))
    .bind(booking_id)
    .fetch_optional(ex)
    .await
}

/// The disputes a person opened, newest first (their data export).
pub async fn opened_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<DisputeRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.opened_by = $1 ORDER BY d.created_at DESC, d.id LIMIT $2"
    )))
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The disputes a person answered (the other side of them), newest first (their data
/// export).
pub async fn answered_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<DisputeRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.answered_at IS NOT NULL AND d.opened_by <> $1 \
         AND (b.mentor_id = $1 OR b.mentee_id = $1) ORDER BY d.answered_at DESC, d.id LIMIT $2"
    )))
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Disputes in `status` (open ones oldest first, the rest newest first).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    status: DisputeStatus,
    limit: i64,
) -> sqlx::Result<Vec<DisputeRow>> {
    let order = if status == DisputeStatus::Open {
        "ASC"
    } else {
        "DESC"
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.status = $1 ORDER BY d.created_at {order}, d.id LIMIT $2"
    )))
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records the other side's answer to an open dispute; `false` when it is decided
/// or already answered (perhaps at the same time).
pub async fn answer(tx: &mut Tx, id: &str, answer: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE booking_disputes SET answer = $2, answered_at = $3, updated_at = $3 \
         WHERE id = $1 AND status = 'open' AND answered_at IS NULL",
    )
    .bind(id)
    .bind(answer)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Closes an open dispute; `false` when it was no longer open (another admin).
pub async fn resolve(
    tx: &mut Tx,
    id: &str,
    status: DisputeStatus,
    resolution: &str,
    admin_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE booking_disputes SET status = $2, resolution = $3, resolved_by = $4, \
         resolved_at = $5, updated_at = $5 WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(resolution)
    .bind(admin_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The accounts a booking's settlement credited and by how much (its escrow leg, the
/// only debit, left out).
pub async fn settled_legs<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT e.account_id, e.amount FROM ledger_transfers t \
         JOIN ledger_entries e ON e.transfer_id = t.id \
         WHERE t.idempotency_key = $1 AND e.amount > 0 ORDER BY e.account_id",
    )
    .bind(format!("settle:{booking_id}"))
    .fetch_all(ex)
    .await
}

/// Records a booking's settlement amounts after a granted dispute.
pub async fn set_settled(
    tx: &mut Tx,
    booking_id: &str,
    refunded: i64,
    paid: i64,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE bookings SET credits_refunded = $2, credits_paid = $3, updated_at = $4 \
         WHERE id = $1",
    )
    .bind(booking_id)
    .bind(refunded)
    .bind(paid)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
