//! The job queue's use cases: enqueue typed work ([`Job`]) inside the transaction
//! that needs it, claim, release, renew and settle it for the runner (`crate::jobs`),
//! and the admins' view of it. Running a job is the runner's business; the
//! handlers it calls are the services' own.

use serde_json::json;

use super::Ctx;
pub use crate::domain::job::Job;
use crate::{
    error::{AppError, AppResult},
    store::{self, Tx},
};

/// The queue for admins: counts by status and the newest jobs (of one status when
/// given), at most `limit`.
pub async fn overview(
    ctx: &Ctx,
    admin: &store::users::UserRow,
    status: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<(String, i64)>, Vec<JobInfo>)> {
    // `list` checks the admin first.
    let jobs = list(ctx, admin, status, limit).await?;
    Ok((store::jobs::counts(&ctx.db.pool).await?, jobs))
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

/// The background work's gauges for `/metrics` in Prometheus' text format: jobs by
/// status (not the done), emails waiting and the oldest one's age. A database that
/// cannot answer leaves them out (the rest of the page is still served).
pub async fn gauges(ctx: &Ctx) -> String {
    let read = store::jobs::gauges(&ctx.db.pool, ctx.now()).await;
    let Ok((jobs, emails, oldest)) = read else {
        return "# mentorhub_jobs: the database did not answer\n".to_string();
    };
    let mut out = String::from(
        "# HELP mentorhub_jobs Background jobs by status (done ones are not counted).\n\
         # TYPE mentorhub_jobs gauge\n",
    );
    for (status, n) in jobs {
        out.push_str(&format!("mentorhub_jobs{{status=\"{status}\"}} {n}\n"));
    }
    out.push_str(&format!(
        "# HELP mentorhub_emails_waiting Emails not yet handed to the SMTP server.\n\
         # TYPE mentorhub_emails_waiting gauge\n\
         mentorhub_emails_waiting {emails}\n\
         # HELP mentorhub_emails_oldest_waiting_seconds Age of the oldest email not yet \
         sent (0: none waits); a growing age means mail is not going out.\n\
         # TYPE mentorhub_emails_oldest_waiting_seconds gauge\n\
         mentorhub_emails_oldest_waiting_seconds {oldest}\n"
    ));
    out
}

/// What a job is about, for the admins' list: an email's recipient and subject (an
/// undelivered email says whom it was for); "" for other kinds. One read for the list.
pub async fn about(ctx: &Ctx, jobs: &[JobInfo]) -> AppResult<Vec<String>> {
    let outbox_of = |j: &JobInfo| -> Option<String> {
        (j.kind == crate::domain::job::Job::EMAIL_SEND)
            .then(|| serde_json::from_str::<serde_json::Value>(&j.payload).ok())
            .flatten()
            .and_then(|p| p["outbox_id"].as_str().map(str::to_string))
    };
    let ids: Vec<String> = jobs.iter().filter_map(outbox_of).collect();
    let emails = if ids.is_empty() {
        Default::default()
    } else {
        super::notify::batch_emails(ctx, &ids).await?
    };
    Ok(jobs
        .iter()
        .map(|j| {
            outbox_of(j)
                .and_then(|id| emails.get(&id))
                .map(|e| format!("To {}: {}", e.to_email, e.subject))
                .unwrap_or_default()
        })
        .collect())
}

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

/// Adds a job in the caller's transaction: it exists exactly if the change that
/// needs it commits. With a `dedupe_key`, a second job with the same key is not added.
pub async fn enqueue(
    tx: &mut Tx,
    job: &Job,
    run_at: jiff::Timestamp,
    dedupe_key: Option<&str>,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::jobs::enqueue(tx, job.kind(), &job.payload(), run_at, dedupe_key, now).await?;
    Ok(())
}

/// Retry delay after `attempts` failures: 30 s doubling, at most an hour.
pub fn backoff_micros(attempts: i64) -> i64 {
    let secs = 30i64
        .saturating_mul(1i64 << (attempts.clamp(1, 20) - 1))
        .min(3600);
    secs * 1_000_000
}

/// A job a worker holds: its row and what it says to do (or why that cannot be
/// read: such a job fails like any other and ends dead).
#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub job: Result<Job, String>,
}

/// Claims up to `limit` due jobs (or jobs whose lease ran out) for `token`, leased
/// for `lease` microseconds; one transaction.
pub async fn claim(ctx: &Ctx, token: &str, lease: i64, limit: i64) -> AppResult<Vec<Claimed>> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let rows = store::jobs::claim(
        &mut tx,
        ctx.db.backend,
        token,
        now,
        crate::clock::after(now, lease),
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            job: Job::parse(&r.kind, &r.payload),
            id: r.id,
            kind: r.kind,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
        })
        .collect())
}

/// Gives back a claimed job not started (another worker may take it at once).
pub async fn release(ctx: &Ctx, id: &str, token: &str) -> AppResult<()> {
    store::jobs::release(&mut *ctx.db.write_conn().await?, id, token, ctx.now()).await?;
    Ok(())
}

/// Records a failure: retried at `retry` (µs), or dead when `None`.
pub async fn failed(
    ctx: &Ctx,
    id: &str,
    token: &str,
    error: &str,
    retry: Option<jiff::Timestamp>,
) -> AppResult<()> {
    store::jobs::failed(
        &mut *ctx.db.write_conn().await?,
        id,
        token,
        error,
        retry,
        ctx.now(),
    )
    .await?;
    Ok(())
}

/// Marks a batch's successful jobs done, and the emails it only logged (no SMTP
/// configured) as logged, in one commit.
pub async fn settle(ctx: &Ctx, token: &str, done: &[String], logged: &[String]) -> AppResult<()> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::notify::emails_logged(&mut *tx, logged, now).await?;
    store::jobs::done(&mut *tx, done, token, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Renews the leases of everything `token` holds (its jobs and the emails it is
/// sending) until `until`.
pub async fn renew(ctx: &Ctx, token: &str, until: jiff::Timestamp) -> AppResult<()> {
    let mut conn = ctx.db.write_conn().await?;
    store::jobs::renew(&mut *conn, token, until, ctx.now()).await?;
    store::notify::renew_email_claims(&mut *conn, token, until).await?;
    Ok(())
}
