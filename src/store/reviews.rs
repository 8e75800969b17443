//! Reviews of completed bookings, and the mentor rating derived from them.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};

row! {
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: String,
    pub booking_id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub rating: i64,
    pub comment: String,
    pub reply: String,
    pub replied_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub service_title: String,
}
}

const SELECT: &str = "SELECT r.*, u.first_name AS mentee_first_name, u.last_name AS mentee_last_name, \
    b.title AS service_title FROM reviews r JOIN users u ON u.id = r.mentee_id JOIN bookings b ON b.id = r.booking_id";

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ReviewRow>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn of_booking<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<ReviewRow>> {
    let sql = format!("{SELECT} WHERE r.booking_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(booking_id)
        .fetch_optional(ex)
        .await
}

/// A mentor's reviews, newest first.
pub async fn for_mentor<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    let sql = format!(
        "{SELECT} WHERE r.mentor_id = $1 AND ($2 IS NULL OR r.id < $2) ORDER BY r.id DESC LIMIT $3"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(mentor_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// A review as a mentor's page lists it, of a booking or of a group session.
pub struct ProfileReview {
    pub rating: i64,
    pub comment: String,
    /// The mentor's answer ("" for none; group sessions' reviews have none).
    pub reply: String,
    pub created_at: Timestamp,
    pub first_name: String,
    pub last_name: String,
    /// The booking's or the group session's title.
    pub title: String,
}

/// A mentor's latest reviews of both kinds (bookings' and group sessions', both of
/// which count in the rating), newest first.
pub async fn latest_on_profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<ProfileReview>> {
    let rows: Vec<(i64, String, String, i64, String, String, String)> = sqlx::query_as(
        "SELECT rating, comment, reply, created_at, first_name, last_name, title FROM (\
           SELECT r.rating, r.comment, r.reply, r.created_at, u.first_name, u.last_name, \
                  b.title, r.id FROM reviews r JOIN users u ON u.id = r.mentee_id \
                  JOIN bookings b ON b.id = r.booking_id WHERE r.mentor_id = $1 \
           UNION ALL \
           SELECT r.rating, r.comment, '', r.created_at, u.first_name, u.last_name, \
                  g.title, r.id FROM group_reviews r JOIN users u ON u.id = r.user_id \
                  JOIN group_sessions g ON g.id = r.session_id WHERE r.mentor_id = $1\
         ) x ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(mentor_id)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(rating, comment, reply, at, first_name, last_name, title)| ProfileReview {
                rating,
                comment,
                reply,
                created_at: Timestamp::from_microsecond(at).unwrap_or_default(),
                first_name,
                last_name,
                title,
            },
        )
        .collect())
}

/// The reviews a mentee wrote, newest first (their data export).
pub async fn written_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentee_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    let sql = format!("{SELECT} WHERE r.mentee_id = $1 ORDER BY r.id DESC LIMIT $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(mentee_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}

pub struct NewReview<'a> {
    pub id: &'a str,
    pub booking_id: &'a str,
    pub mentor_id: &'a str,
    pub mentee_id: &'a str,
    pub rating: i64,
    pub comment: &'a str,
    pub now: Timestamp,
}

/// Whether it was written: `false` when a unique key already held it (a duplicate,
/// perhaps sent at the same time), which PostgreSQL then does not log as an error.
pub async fn insert(tx: &mut Tx, r: &NewReview<'_>) -> sqlx::Result<bool> {
    let written = sqlx::query(
        "INSERT INTO reviews (id, booking_id, mentor_id, mentee_id, rating, comment, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
    )
    .bind(r.id)
    .bind(r.booking_id)
    .bind(r.mentor_id)
    .bind(r.mentee_id)
    .bind(r.rating)
    .bind(r.comment)
    .bind(r.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Recomputes a mentor's rating average and count from their reviews (of bookings and
/// of group sessions).
pub async fn recompute_rating(tx: &mut Tx, mentor_id: &str, now: Timestamp) -> sqlx::Result<()> {
    let (count, sum): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(rating), 0) AS BIGINT) FROM (\
         SELECT rating FROM reviews WHERE mentor_id = $1 \
         UNION ALL SELECT rating FROM group_reviews WHERE mentor_id = $1) r",
    )
    .bind(mentor_id)
    .fetch_one(&mut **tx)
    .await?;
    let avg = if count > 0 {
        sum as f64 / count as f64
    } else {
        0.0
    };
    sqlx::query("UPDATE mentor_profiles SET rating_avg = $2, rating_count = $3, updated_at = $4 WHERE user_id = $1")
        .bind(mentor_id)
        .bind(avg)
        .bind(count)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the mentor's reply unless there already is one; returns whether it was set.
pub async fn set_reply<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    reply: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE reviews SET reply = $2, replied_at = $3, updated_at = $3 WHERE id = $1 AND replied_at IS NULL")
        .bind(id)
        .bind(reply)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}
