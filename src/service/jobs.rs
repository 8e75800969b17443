//! The job runner: claims due jobs, runs their handler, and records the outcome.
//! Handlers are idempotent (each re-checks the state it acts on), so a job retried
//! after a crash, or whose effect already happened another way, changes nothing twice.

use serde_json::{Value, json};

use super::Ctx;
use crate::{
    error::{AppError, AppResult},
    store::{self, Tx},
};

/// Kinds of jobs.
pub mod kind {
    pub const BOOKING_EXPIRE: &str = "booking.expire";
    pub const BOOKING_FINISH: &str = "booking.finish";
    pub const BOOKING_REMINDER: &str = "booking.reminder";
    pub const MENTORSHIP_EXPIRE: &str = "mentorship.expire";
    pub const EMAIL_SEND: &str = "email.send";
    /// Does nothing (tests and health checks of the queue).
    pub const NOOP: &str = "noop";
}

/// The queue for admins: counts by status and the newest jobs (of one status when
/// given), at most `limit`.
pub async fn overview(
    ctx: &Ctx,
    admin: &store::users::UserRow,
    status: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<(String, i64)>, Vec<JobInfo>)> {
    super::admin::require_admin(admin)?;
    Ok((
        store::jobs::counts(&ctx.db.pool).await?,
        list(ctx, admin, status, limit).await?,
    ))
}

/// The newest jobs (admins), of one status or all, at most `limit`.
pub async fn list(
    ctx: &Ctx,
    admin: &store::users::UserRow,
    status: Option<&str>,
    limit: i64,
) -> AppResult<Vec<JobInfo>> {
    super::admin::require_admin(admin)?;
    Ok(store::jobs::list(&ctx.db.pool, status, limit).await?)
}

pub use crate::store::jobs::JobInfo;

/// Puts a dead job back in the queue with fresh attempts (admins), recorded in the
/// audit log in the same transaction. 404 for no such job, 409 `not_dead` for a job
/// that is not dead.
pub async fn retry_dead(ctx: &Ctx, admin: &store::users::UserRow, id: &str) -> AppResult<()> {
    super::admin::require_admin(admin)?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    if !store::jobs::retry(&mut *tx, id, now).await? {
        store::jobs::status_of(&mut *tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::conflict(
            "not_dead",
            "Only a dead job can be retried.",
        ));
    }
    store::audit::insert(
        &mut *tx,
        &store::audit::NewAudit {
            actor_id: Some(&admin.id),
            action: "job.retry",
            target_type: "job",
            target_id: id,
            before: json!({"status": "dead"}),
            after: json!({"status": "queued"}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: Value,
    run_at: i64,
    dedupe_key: Option<&str>,
    now: i64,
) -> AppResult<()> {
    store::jobs::enqueue(tx, kind, &payload, run_at, dedupe_key, now).await?;
    Ok(())
}

/// Retry delay after `attempts` failures: 30 s doubling, at most an hour.
pub fn backoff_micros(attempts: i64) -> i64 {
    let secs = 30i64
        .saturating_mul(1i64 << (attempts.clamp(1, 20) - 1))
        .min(3600);
    secs * 1_000_000
}

/// How many jobs a worker claims at once.
const BATCH: i64 = 10;

/// Runs every job due now, in batches, until none is left. Returns how many ran.
///
/// Claims carry a token unique to this call (`worker` plus a random suffix), so two
/// instances never share claims even under one name. While jobs are held, a heartbeat
/// renews their lease every third of [`crate::config::Config::job_lease`]; when the
/// worker dies (a crash, `kill -9`) its heartbeat stops and another worker takes its
/// jobs over once the lease runs out. A batch never outlives its lease: jobs not yet
/// started when half of it has passed go back to the queue for other workers. Jobs
/// that succeed are marked done together at the end of their batch (one commit); a
/// crash before that runs them again, which their handlers make harmless.
pub async fn run_due(ctx: &Ctx, worker: &str) -> AppResult<usize> {
    let token = format!("{worker}:{}", crate::domain::ids::new_id());
    let _heartbeat = Heartbeat::start(ctx, &token);
    let lease = super::micros(ctx.config.job_lease);
    let mut total = 0;
    loop {
        let claimed_at = std::time::Instant::now();
        let now = ctx.now();
        let mut tx = ctx.db.begin_write().await?;
        let batch =
            store::jobs::claim(&mut tx, ctx.db.backend, &token, now, now + lease, BATCH).await?;
        tx.commit().await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let mut done = Vec::with_capacity(batch.len());
        let mut logged = vec![];
        for job in batch {
            if claimed_at.elapsed() > ctx.config.job_lease / 2 {
                store::jobs::release(&ctx.db.writer, &job.id, &token, ctx.now()).await?;
                continue;
            }
            total += 1;
            let payload: Value = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
            match handle(ctx, &token, &job.kind, &payload, &mut logged).await {
                Ok(()) => done.push(job.id),
                Err(e) => {
                    let now = ctx.now();
                    let retry = (job.attempts < job.max_attempts)
                        .then(|| now + backoff_micros(job.attempts));
                    tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = %e,
                        dead = retry.is_none(), "job failed");
                    store::jobs::failed(
                        &ctx.db.writer,
                        &job.id,
                        &token,
                        &e.to_string(),
                        retry,
                        now,
                    )
                    .await?;
                }
            }
        }
        if !done.is_empty() {
            let now = ctx.now();
            let mut tx = ctx.db.begin_write().await?;
            for id in &logged {
                store::notify::email_outcome(&mut *tx, id, "logged", "", now).await?;
            }
            for id in &done {
                store::jobs::done(&mut *tx, id, &token, now).await?;
            }
            tx.commit().await?;
        }
    }
}

/// Renews the leases of what one worker holds (its jobs and the emails it is sending)
/// until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(ctx: &Ctx, token: &str) -> Heartbeat {
        let (ctx, token) = (ctx.clone(), token.to_string());
        Heartbeat(tokio::spawn(async move {
            let lease = ctx.config.job_lease;
            loop {
                tokio::time::sleep(lease / 3).await;
                let now = ctx.now();
                let until = now + super::micros(lease);
                let renewed = async {
                    store::jobs::renew(&ctx.db.writer, &token, until, now).await?;
                    store::notify::renew_email_claims(&ctx.db.writer, &token, until).await
                };
                if let Err(e) = renewed.await {
                    tracing::warn!(error = %e, worker = %token, "renewing job leases failed");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn id_of(payload: &Value, key: &str) -> AppResult<String> {
    payload[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("job payload without {key}")))
}

async fn handle(
    ctx: &Ctx,
    worker: &str,
    kind: &str,
    payload: &Value,
    logged: &mut Vec<String>,
) -> AppResult<()> {
    match kind {
        kind::BOOKING_EXPIRE => {
            super::bookings::expire_one(ctx, &id_of(payload, "booking_id")?).await
        }
        kind::BOOKING_FINISH => {
            super::bookings::finish_one(ctx, &id_of(payload, "booking_id")?).await
        }
        kind::BOOKING_REMINDER => {
            let start = payload["start_at"].as_i64().unwrap_or_default();
            let lead = payload["lead"].as_str().unwrap_or("");
            super::notify::booking_reminder(ctx, &id_of(payload, "booking_id")?, start, lead).await
        }
        kind::MENTORSHIP_EXPIRE => {
            super::mentorships::expire_one(ctx, &id_of(payload, "mentorship_id")?).await
        }
        kind::EMAIL_SEND => {
            super::notify::send_email(ctx, &id_of(payload, "outbox_id")?, worker, logged).await
        }
        kind::NOOP => Ok(()),
        super::payments::PLACE_BOOKING_JOB => {
            super::payments::place_booking(ctx, &id_of(payload, "payment_id")?).await
        }
        other => Err(AppError::Internal(anyhow::anyhow!(
            "unknown job kind {other}"
        ))),
    }
}

/// A payload naming one booking.
pub fn booking(id: &str) -> Value {
    json!({ "booking_id": id })
}
