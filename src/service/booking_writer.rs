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

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::{Ctx, bookings::WriteJob};
use crate::{
    error::{AppError, AppResult},
    store::{self, Backend},
};

/// The most requests one transaction takes.
const BATCH: usize = 64;
/// A writer task with nothing to do for this long stops (a new one starts on demand).
const IDLE: std::time::Duration = std::time::Duration::from_secs(2);

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
#[derive(Debug, Default)]
pub struct BookingWriter {
    sender: Mutex<Option<mpsc::Sender<Item>>>,
}

/// Writes one booking request (see the module documentation).
pub async fn write(ctx: &Ctx, job: WriteJob) -> AppResult<Written> {
    if ctx.db.backend == Backend::Postgres {
        let mut tx = ctx.db.begin_write().await?;
        store::bookings::lock_people(&mut tx, ctx.db.backend, &job.mentor_id, &job.mentee_id)
            .await?;
        let written = super::bookings::write_request(ctx, &mut tx, &job, false).await?;
        if matches!(written, Written::Booked { .. }) {
            tx.commit().await?;
        }
        return Ok(written);
    }
    let (reply, answer) = oneshot::channel();
    let mut item = (job, reply);
    loop {
        let sender = {
            let mut slot = ctx
                .booking_writer
                .sender
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match slot.as_ref() {
                Some(s) if !s.is_closed() => s.clone(),
                _ => {
                    let (s, r) = mpsc::channel(4 * BATCH);
                    tokio::spawn(run(ctx.clone(), r));
                    *slot = Some(s.clone());
                    s
                }
            }
        };
        match sender.send(item).await {
            Ok(()) => break,
            // That task was stopping: hand the request to a new one.
            Err(mpsc::error::SendError(back)) => item = back,
        }
    }
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the booking writer stopped before answering"
        ))
    })?
}

async fn run(ctx: Ctx, mut queue: mpsc::Receiver<Item>) {
    loop {
        let first = match tokio::time::timeout(IDLE, queue.recv()).await {
            Ok(Some(item)) => item,
            Ok(None) => return,
            Err(_) => {
                // Idle: stop taking requests, write what came in meanwhile, and end
                // (which lets the application's context go when it is dropped).
                queue.close();
                let mut rest = vec![];
                while let Ok(item) = queue.try_recv() {
                    rest.push(item);
                }
                if !rest.is_empty() {
                    write_batch(&ctx, rest).await;
                }
                return;
            }
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        write_batch(&ctx, batch).await;
    }
}

/// The same failure for every request of a batch whose transaction failed.
fn batch_failed(e: &sqlx::Error) -> AppError {
    if store::is_storage_failure(e) {
        AppError::Unavailable {
            code: "database_unavailable",
            detail: "The database cannot store this right now (it may be out of space). \
                     Nothing was changed; try again shortly."
                .into(),
        }
    } else {
        AppError::Internal(anyhow::anyhow!("writing bookings: {e}"))
    }
}

async fn savepoint(tx: &mut store::Tx, sql: &'static str) -> sqlx::Result<()> {
    sqlx::query(sql).execute(&mut **tx).await.map(|_| ())
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
            if let Err(e) = savepoint(&mut tx, "SAVEPOINT booking").await {
                broken = Some(e);
                answers.push((reply, None));
                continue;
            }
            let outcome = super::bookings::write_request(ctx, &mut tx, &job, true).await;
            let end = match &outcome {
                // Its write released the savepoint.
                Ok(Written::Booked { .. }) => Ok(()),
                Ok(Written::Replay { .. }) => savepoint(&mut tx, "RELEASE booking").await,
                Err(_) => match savepoint(&mut tx, "ROLLBACK TO booking").await {
                    Ok(()) => savepoint(&mut tx, "RELEASE booking").await,
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
