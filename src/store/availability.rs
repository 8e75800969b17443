//! A mentor's availability (one row per mentor; rules and overrides as JSON).

use jiff::Timestamp;
use sqlx::{Any, Executor};

use super::column::{Column, row};
use crate::domain::availability::{OverrideIo, RuleIo};

row! {
#[derive(Debug, Clone)]
pub struct AvailabilityRow {
    pub mentor_id: String,
    pub timezone: String,
    pub weekly: Vec<RuleIo>,
    pub overrides: Vec<OverrideIo>,
    pub min_notice_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub horizon_days: i64,
    pub slot_step_minutes: i64,
    pub max_per_day: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<Option<AvailabilityRow>> {
    sqlx::query_as("SELECT * FROM availability WHERE mentor_id = $1")
        .bind(mentor_id)
        .fetch_optional(ex)
        .await
}

pub async fn put<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    r: &AvailabilityRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO availability (mentor_id, timezone, weekly, overrides, min_notice_minutes, \
         buffer_before_minutes, buffer_after_minutes, horizon_days, slot_step_minutes, max_per_day, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (mentor_id) DO UPDATE SET timezone = excluded.timezone, weekly = excluded.weekly, \
         overrides = excluded.overrides, min_notice_minutes = excluded.min_notice_minutes, \
         buffer_before_minutes = excluded.buffer_before_minutes, \
         buffer_after_minutes = excluded.buffer_after_minutes, horizon_days = excluded.horizon_days, \
         slot_step_minutes = excluded.slot_step_minutes, max_per_day = excluded.max_per_day, \
         updated_at = excluded.updated_at",
    )
    .bind(&r.mentor_id)
    .bind(&r.timezone)
    .bind(r.weekly.stored())
    .bind(r.overrides.stored())
    .bind(r.min_notice_minutes)
    .bind(r.buffer_before_minutes)
    .bind(r.buffer_after_minutes)
    .bind(r.horizon_days)
    .bind(r.slot_step_minutes)
    .bind(r.max_per_day)
    .bind(r.updated_at.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// A mentor's cached next free slot.
pub async fn next_free_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<Option<Timestamp>> {
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT next_free_at FROM mentor_profiles WHERE user_id = $1",
    )
    .bind(mentor_id)
    .fetch_optional(ex)
    .await?
    .flatten()
    .map(|us| super::column::instant(us, "next_free_at"))
    .transpose()
}

pub async fn set_next_free<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    at: Option<Timestamp>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE mentor_profiles SET next_free_at = $2 WHERE user_id = $1")
        .bind(mentor_id)
        .bind(at.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Approved mentors whose cached next free slot has already passed: the sweep refreshes
/// them. (A mentor with no free slot at all is refreshed by the events that can free
/// one: saving availability, a booking ending, moving or being cancelled.)
pub async fn stale_next_free<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT p.user_id FROM mentor_profiles p JOIN availability a ON a.mentor_id = p.user_id \
         WHERE p.status = 'approved' AND p.next_free_at IS NOT NULL AND p.next_free_at <= $1 \
         ORDER BY p.next_free_at LIMIT $2",
    )
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}
