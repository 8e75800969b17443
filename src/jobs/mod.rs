//! The job runner: claims due jobs, runs each with the handler of the service it
//! belongs to, and records the outcome. It sits beside `http`, above `service`
//! (`domain ← store ← service ← http | jobs`): the services enqueue typed work
//! ([`Job`]) without knowing who runs it, and no service imports another to dispatch.
//!
//! Handlers are idempotent (each re-checks the state it acts on), so a job retried
//! after a crash, or whose effect already happened another way, changes nothing twice.

use std::collections::HashMap;

use crate::{
    error::{AppError, AppResult},
    service::{
        self, Ctx,
        jobs::{Claimed, Job},
    },
    store::notify::OutboxRow,
};

/// How many jobs a worker claims at once. Each claim and each settling of a batch is a
/// write transaction, which on SQLite holds the one write lock the bookings need: a
/// hundred at a time keeps that to two short transactions per hundred emails. A batch
/// that runs long (slow SMTP) gives back what it has not started after half its lease.
const BATCH: i64 = 100;

/// Runs every job due now, in batches, until none is left. Returns how many ran.
pub async fn run_due(ctx: &Ctx, worker: &str) -> AppResult<usize> {
    run_batches(ctx, worker, true).await
}

/// Runs the jobs due now, in batches, until a batch comes back short: what falls due
/// meanwhile waits for the next pass (the job worker's, a second later), so a steady
/// trickle of jobs is claimed and settled once a second rather than one by one, each
/// time a write transaction. Returns how many ran.
pub async fn run_ready(ctx: &Ctx, worker: &str) -> AppResult<usize> {
    run_batches(ctx, worker, false).await
}

/// Runs due jobs in batches; with `drain`, until none is left, otherwise until a batch
/// comes back short.
///
/// Claims carry a token unique to this call (`worker` plus a random suffix), so two
/// instances never share claims even under one name. While jobs are held, a heartbeat
/// renews their lease every third of [`crate::config::Config::job_lease`]; when the
/// worker dies (a crash, `kill -9`) its heartbeat stops and another worker takes its
/// jobs over once the lease runs out. A batch never outlives its lease: jobs not yet
/// started when half of it has passed go back to the queue for other workers. Jobs
/// that succeed are marked done together at the end of their batch (one commit); a
/// crash before that runs them again, which their handlers make harmless.
async fn run_batches(ctx: &Ctx, worker: &str, drain: bool) -> AppResult<usize> {
    let token = format!("{worker}:{}", crate::domain::ids::new_id());
    let _heartbeat = Heartbeat::start(ctx, &token);
    let lease = service::micros(ctx.config.job_lease);
    let mut total = 0;
    loop {
        let claimed_at = std::time::Instant::now();
        let batch = service::jobs::claim(ctx, &token, lease, BATCH).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let full = batch.len() as i64 >= BATCH;
        // The batch's emails are read together (one statement instead of one each).
        let outbox_ids: Vec<String> = batch
            .iter()
            .filter_map(|c| match &c.job {
                Ok(Job::EmailSend { outbox_id }) => Some(outbox_id.clone()),
                _ => None,
            })
            .collect();
        let emails = service::notify::batch_emails(ctx, &outbox_ids).await?;
        let mut done = Vec::with_capacity(batch.len());
        let mut logged = vec![];
        for claimed in batch {
            if claimed_at.elapsed() > ctx.config.job_lease / 2 {
                service::jobs::release(ctx, &claimed.id, &token).await?;
                continue;
            }
            total += 1;
            match run(ctx, &token, &claimed, &emails, &mut logged).await {
                Ok(()) => done.push(claimed.id),
                Err(e) => {
                    let retry = (claimed.attempts < claimed.max_attempts).then(|| {
                        crate::clock::after(
                            ctx.now(),
                            service::jobs::backoff_micros(claimed.attempts),
                        )
                    });
                    tracing::warn!(job = %claimed.id, kind = %claimed.kind,
                        attempts = claimed.attempts, error = %e, dead = retry.is_none(),
                        "job failed");
                    service::jobs::failed(ctx, &claimed.id, &token, &e.to_string(), retry).await?;
                }
            }
        }
        if !done.is_empty() {
            service::jobs::settle(ctx, &token, &done, &logged).await?;
        }
        if !drain && !full {
            return Ok(total);
        }
    }
}

/// Runs one claimed job with its service's handler.
async fn run(
    ctx: &Ctx,
    worker: &str,
    claimed: &Claimed,
    emails: &HashMap<String, OutboxRow>,
    logged: &mut Vec<String>,
) -> AppResult<()> {
    let job = claimed
        .job
        .as_ref()
        .map_err(|why| AppError::Internal(anyhow::anyhow!("{why}")))?;
    match job {
        Job::BookingExpire { booking_id } => service::bookings::expire_one(ctx, booking_id).await,
        Job::BookingFinish { booking_id } => service::bookings::finish_one(ctx, booking_id).await,
        Job::BookingReminder {
            booking_id,
            start_at,
            lead,
        } => service::notify::booking_reminder(ctx, booking_id, *start_at, lead).await,
        Job::GroupReminder {
            session_id,
            start_at,
            lead,
        } => service::groups::remind(ctx, session_id, *start_at, lead).await,
        Job::MentorshipExpire { mentorship_id } => {
            service::mentorships::expire_one(ctx, mentorship_id).await
        }
        Job::EmailSend { outbox_id } => {
            service::notify::send_email(ctx, emails.get(outbox_id), worker, logged).await
        }
        Job::PlaceBooking { payment_id } => service::payments::place_booking(ctx, payment_id).await,
        Job::CalendarSync { connection_id } => service::calendars::sync(ctx, connection_id).await,
        Job::CalendarPush { booking_id } => service::calendars::push(ctx, booking_id).await,
        Job::CalendarPushGroup { session_id } => {
            service::calendars::push_group(ctx, session_id).await
        }
        Job::Noop => Ok(()),
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
                let until = crate::clock::after(ctx.now(), service::micros(lease));
                if let Err(e) = service::jobs::renew(&ctx, &token, until).await {
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
