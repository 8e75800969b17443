//! Recurring series of bookings: the series row, and its occurrences.

use super::*;

row! {
#[derive(Debug, Clone)]
pub struct SeriesRow {
    pub id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub service_id: String,
    pub every_weeks: i64,
    pub occurrences: i64,
    pub timezone: String,
    pub created_at: Timestamp,
}
}

/// Writes a series' row (its bookings are tied to it with [`tie_to_series`]).
pub async fn insert_series(tx: &mut Tx, s: &SeriesRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO booking_series (id, mentor_id, mentee_id, service_id, every_weeks, occurrences, \
         timezone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&s.id)
    .bind(&s.mentor_id)
    .bind(&s.mentee_id)
    .bind(&s.service_id)
    .bind(s.every_weeks)
    .bind(s.occurrences)
    .bind(&s.timezone)
    .bind(s.created_at.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks bookings (just written in this transaction) as occurrences of a series.
pub async fn tie_to_series(
    tx: &mut Tx,
    series_id: &str,
    booking_ids: &[String],
) -> sqlx::Result<()> {
    for id in booking_ids {
        sqlx::query("UPDATE bookings SET series_id = $1 WHERE id = $2")
            .bind(series_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn series<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<SeriesRow>> {
    sqlx::query_as(
        "SELECT id, mentor_id, mentee_id, service_id, every_weeks, occurrences, timezone, created_at \
         FROM booking_series WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A series' occurrences, oldest first.
pub async fn of_series<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    series_id: &str,
) -> sqlx::Result<Vec<BookingFull>> {
    let sql = format!("{FULL} WHERE b.series_id = $1 ORDER BY b.start_at");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(series_id)
        .fetch_all(ex)
        .await
}
