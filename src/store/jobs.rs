//! The durable job queue. Jobs are claimed with a lease (Postgres: `FOR UPDATE SKIP
//! LOCKED`, so instances never claim the same row; SQLite: one writer at a time). A job
//! whose lease expired (its worker died) is claimed again.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Backend, Tx, column::row};
use crate::domain::ids::new_id;

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Enqueues a job in the caller's transaction. With a dedupe key, enqueueing the same
/// key twice keeps the first.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &serde_json::Value,
    run_at: Timestamp,
    dedupe_key: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(kind)
    .bind(payload.to_string())
    .bind(dedupe_key)
    .bind(run_at.stored())
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims up to `limit` due jobs (or jobs whose lease ran out) for `worker`.
pub async fn claim(
    tx: &mut Tx,
    backend: Backend,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<JobRow>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Two index range scans (due queued jobs by run_at; expired leases), not one OR
    // that would read every queued job, however far in the future.
    let sql = format!(
        "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
         updated_at = $3 WHERE id IN (SELECT id FROM (SELECT id FROM jobs WHERE status = 'queued' \
         AND run_at <= $3 ORDER BY run_at LIMIT $4{lock}) due UNION ALL SELECT id FROM (SELECT id \
         FROM jobs WHERE status = 'running' AND locked_until <= $3 LIMIT $4{lock}) lapsed) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(lease_until.stored())
        .bind(now.stored())
        .bind(limit)
        .fetch_all(&mut **tx)
        .await
}

/// Renews the lease of every job `worker` holds (its heartbeat). Returns how many.
pub async fn renew<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    worker: &str,
    lease_until: Timestamp,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE jobs SET locked_until = $2, updated_at = $3 WHERE locked_by = $1 AND status = 'running'",
    )
    .bind(worker)
    .bind(lease_until.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// Gives a claimed job that was not started back to the queue (its attempt uncounted).
pub async fn release<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    worker: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, \
         attempts = attempts - 1, updated_at = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes the queued (not yet claimed) jobs with these dedupe keys, in one statement.
pub async fn drop_queued<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    keys: &[String],
) -> sqlx::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut b = crate::store::SqlBuilder::new(
        "DELETE FROM jobs WHERE status = 'queued' AND dedupe_key IN (",
    );
    b.bind_list(keys).push(")");
    b.query().execute(ex).await?;
    Ok(())
}

/// Marks jobs done (those this worker still holds), in one statement.
pub async fn done<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ids: &[String],
    worker: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut b = crate::store::SqlBuilder::new(
        "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = ",
    );
    b.bind(crate::store::Arg::Int(now.stored()))
        .push(" WHERE locked_by = ")
        .bind(crate::store::Arg::Text(worker.to_string()))
        .push(" AND status = 'running' AND id IN (")
        .bind_list(ids)
        .push(")");
    b.query().execute(ex).await?;
    Ok(())
}

/// Records a failure: retried at `retry_at`, or dead-lettered when out of attempts.
pub async fn failed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = CASE WHEN $4 IS NULL THEN 'dead' ELSE 'queued' END, \
         run_at = COALESCE($4, run_at), last_error = $3, locked_until = NULL, updated_at = $5 \
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .bind(retry_at.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

row! {
/// A job as the admin page lists it.
#[derive(Debug, Clone)]
pub struct JobInfo {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub run_at: Timestamp,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: String,
    pub updated_at: Timestamp,
}
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    status: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<JobInfo>> {
    sqlx::query_as(
        "SELECT id, kind, payload, status, run_at, attempts, max_attempts, last_error, updated_at FROM jobs \
         WHERE ($1 IS NULL OR status = $1) ORDER BY updated_at DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// What an operator alerts on, read by index for every scrape of `/metrics`: jobs
/// waiting, running and dead (not the done, which pile up), and emails waiting to be
/// sent with the oldest's age in seconds at `now`.
pub async fn gauges<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    now: Timestamp,
) -> sqlx::Result<(Vec<(String, i64)>, i64, i64)> {
    let counted: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running', 'dead') \
         GROUP BY status",
    )
    .fetch_all(ex)
    .await?;
    // Every status said, 0 when none has it (a gauge that vanishes reads as unknown).
    let jobs = ["queued", "running", "dead"]
        .iter()
        .map(|status| {
            let n = counted
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            (status.to_string(), n)
        })
        .collect();
    let (emails, oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'queued'")
            .fetch_one(ex)
            .await?;
    let age = oldest.map_or(0, |t| ((now.stored() - t) / 1_000_000).max(0));
    Ok((jobs, emails, age))
}

/// Counts by status, for the admin page and metrics.
pub async fn counts<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
        .fetch_all(ex)
        .await
}

/// A job's status, `None` when there is no such job.
pub async fn status_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Puts a dead job back in the queue (admin "retry").
pub async fn retry<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE jobs SET status = 'queued', run_at = $2, attempts = 0, updated_at = $2 WHERE id = $1 AND status = 'dead'")
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}
