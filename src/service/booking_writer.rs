//! The write transaction of a booking request, and on SQLite its group commit.
//!
//! SQLite has one writer, and every commit of a booking writes some seventy pages
//! (the booking and its indexes, the event, jobs, notification, email, chat message,
//! ledger rows) and waits for `fsync`. Requests that arrive while a commit is running
//! are therefore written together: one task takes every request waiting (up to
//! [`BATCH`]), runs each in its own savepoint of one transaction (a request refused
//! with a 4xx rolls back to its savepoint and changes nothing), commits once, then
//! answers each. Every check runs inside that transaction, after the requests before
//! it in the batch, so the guarantees are exactly those of one transaction per
//! booking; only the `fsync` and the page writes are shared. Nothing is acknowledged
//! before the commit that holds it.
//!
//! On PostgreSQL each request has its own transaction (row locks let unrelated
//! bookings run side by side; the server groups their commits itself).

use tokio::sync::{mpsc, oneshot};

use super::{
    Ctx,
    bookings::WriteJob,
    queue::{TaskQueue, next_batch},
};
use crate::{
    error::{AppError, AppResult},
    store::{self, Backend, Savepoint},
};

/// The most requests one transaction takes.
const BATCH: usize = 64;

/// What a booking request's transaction did.
#[derive(Debug)]
pub enum Written {
    /// Booked; the invite went to this thread.
    Booked { thread_id: String },
    /// The same idempotency key booked already: that booking (id, request hash).
    Replay { id: String, hash: String },
}

type Item = (WriteJob, oneshot::Sender<AppResult<Written>>);

/// The queue to SQLite's booking writer task (started on first use).
pub type BookingWriter = TaskQueue<Item>;

/// Writes one booking request (see the module documentation).
pub async fn write(ctx: &Ctx, job: WriteJob) -> AppResult<Written> {
    if ctx.db.backend == Backend::Postgres {
        let mut tx = ctx.db.begin_write().await?;
        let (mentor, mentee) = job.people();
        store::bookings::lock_people(&mut tx, ctx.db.backend, mentor, mentee).await?;
        let written = super::bookings::write_request(ctx, &mut tx, &job, false).await?;
        if matches!(written, Written::Booked { .. }) {
            tx.commit().await?;
        }
        return Ok(written);
    }
    let (reply, answer) = oneshot::channel();
    ctx.booking_writer
        .send((job, reply), |queue| run(ctx.clone(), queue))
        .await;
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the booking writer stopped before answering"
        ))
    })?
}

async fn run(ctx: Ctx, mut queue: mpsc::Receiver<Item>) {
    while let Some(batch) = next_batch(&mut queue, BATCH).await {
        write_batch(&ctx, batch).await;
    }
}

/// The same failure for every request of a batch whose transaction failed.
fn batch_failed(e: &sqlx::Error) -> AppError {
    if store::is_storage_failure(e) {
        AppError::database_unavailable()
    } else {
        AppError::Internal(anyhow::anyhow!("writing bookings: {e}"))
    }
}

async fn savepoint(tx: &mut store::Tx, step: Savepoint) -> sqlx::Result<()> {
    store::savepoint(tx, step, "booking").await
}

async fn write_batch(ctx: &Ctx, batch: Vec<Item>) {
    let started = std::time::Instant::now();
    let size = batch.len();
    let mut tx = match ctx.db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a booking transaction");
            for (_, reply) in batch {
                let _ = reply.send(Err(batch_failed(&e)));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = None;
    if batch.len() == 1 {
        // Alone: the transaction is the request's; a refusal rolls it all back.
        for (job, reply) in batch {
            match super::bookings::write_request(ctx, &mut tx, &job, false).await {
                Ok(written) => answers.push((reply, Some(Ok(written)))),
                Err(refusal) => {
                    drop(tx);
                    let _ = reply.send(Err(refusal));
                    return;
                }
            }
        }
    } else {
        for (job, reply) in batch {
            if broken.is_some() {
                answers.push((reply, None));
                continue;
            }
            if let Err(e) = savepoint(&mut tx, Savepoint::Set).await {
                broken = Some(e);
                answers.push((reply, None));
                continue;
            }
            let outcome = super::bookings::write_request(ctx, &mut tx, &job, true).await;
            let end = match &outcome {
                // Its write released the savepoint.
                Ok(Written::Booked { .. }) => Ok(()),
                Ok(Written::Replay { .. }) => savepoint(&mut tx, Savepoint::Release).await,
                Err(_) => match savepoint(&mut tx, Savepoint::RollbackTo).await {
                    Ok(()) => savepoint(&mut tx, Savepoint::Release).await,
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = end {
                broken = Some(e);
                answers.push((reply, None));
                continue;
            }
            answers.push((reply, Some(outcome)));
        }
    }
    let written = started.elapsed();
    let committed = match broken {
        Some(e) => Err(e),
        None => tx.commit().await,
    };
    tracing::debug!(
        size,
        write_us = written.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "booking batch"
    );
    match committed {
        Ok(()) => {
            for (reply, outcome) in answers {
                if let Some(outcome) = outcome {
                    let _ = reply.send(outcome);
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "a booking transaction failed; nothing of it was written");
            for (reply, outcome) in answers {
                // A refusal (4xx) stays what it was; everything else failed with the batch.
                let answer = match outcome {
                    Some(Err(refusal)) if !matches!(refusal, AppError::Internal(_)) => Err(refusal),
                    _ => Err(batch_failed(&e)),
                };
                let _ = reply.send(answer);
            }
        }
    }
}
