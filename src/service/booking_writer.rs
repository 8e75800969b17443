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
//! The batch runs on a blocking thread with the writer's own native connection
//! ([`store::native`]): a statement is then a function call rather than a round trip
//! to sqlx's connection thread. While it writes, the task holds the process's write
//! turn ([`store::WriteTurn`]), so every other write waits for its turn.
//!
//! On PostgreSQL, while fewer than `booking_direct_writes` (4) requests are being
//! written, a request is written at once in its own transaction, from its own task
//! (measured at 4 connections: +7–16 % against queueing every request, where takes are
//! small and only two are written at once; −0–4 % at 32, where nearly every request
//! finds that many being written and queues; a request dropped mid-way rolls back,
//! having been acknowledged to no one). Beyond that, the requests waiting are grouped
//! so that no two of a group share a person, and each group is written in one
//! transaction of four statements (lock the people, read what every request needs,
//! write every booking's rows, commit) — [`store::bookings::batch`] explains why that
//! is the same as a transaction each. The groups of one take share people (a mentee
//! who asked twice, two mentees of one mentor), so they are written one after the
//! other in one transaction: the people locked once, each group's read seeing what the
//! groups before it wrote, one commit (measured at 32 connections: 3 % more bookings
//! and 4 % less of PostgreSQL's CPU a booking than a transaction a group, each waiting
//! for the one before to commit). A take that fails as a whole is written again group
//! by group, and a group that fails as a whole (a constraint, a lost connection) one
//! request at a time, each in its own transaction, so one request's failure is never
//! another's.

mod postgres;

use std::sync::atomic::Ordering::Relaxed;

use tokio::sync::{mpsc, oneshot};

use super::{
    Ctx,
    bookings::WriteJob,
    queue::{TaskQueue, next_batch},
};
use crate::{
    error::{AppError, AppResult},
    store::{Backend, Savepoint, native::NativeConn},
};

/// The most requests one transaction takes.
const BATCH: usize = 64;

/// How PostgreSQL's booking writer wrote requests: in groups of several (one
/// transaction for the group), or alone in their own transaction — because they came
/// alone, or because their group failed as a whole and each was written again.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Booking requests being written now (both engines).
    pub writing: std::sync::atomic::AtomicUsize,
    /// Written at once in their own transaction, few being written then.
    pub direct: std::sync::atomic::AtomicU64,
    pub together: std::sync::atomic::AtomicU64,
    pub groups: std::sync::atomic::AtomicU64,
    pub alone: std::sync::atomic::AtomicU64,
    pub failed_groups: std::sync::atomic::AtomicU64,
    /// Takes of the queue whose several groups (sharing people) were written one after
    /// the other in one transaction.
    pub layered_takes: std::sync::atomic::AtomicU64,
}

impl GroupStats {
    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        format!(
            "# HELP mentorhub_booking_requests_written_total Booking requests written on \
             PostgreSQL: in a group's transaction, alone from the queue, or directly (few \
             being written).\n\
             # TYPE mentorhub_booking_requests_written_total counter\n\
             mentorhub_booking_requests_written_total{{how=\"together\"}} {}\n\
             mentorhub_booking_requests_written_total{{how=\"alone\"}} {}\n\
             mentorhub_booking_requests_written_total{{how=\"direct\"}} {}\n\
             # HELP mentorhub_booking_groups_total Groups of booking requests written in one \
             transaction on PostgreSQL, and those that failed as a whole (written again one \
             by one).\n\
             # TYPE mentorhub_booking_groups_total counter\n\
             mentorhub_booking_groups_total{{outcome=\"written\"}} {}\n\
             mentorhub_booking_groups_total{{outcome=\"failed\"}} {}\n\
             # HELP mentorhub_booking_layered_takes_total Takes of PostgreSQL's booking \
             queue whose several groups (sharing people) were written in one transaction.\n\
             # TYPE mentorhub_booking_layered_takes_total counter\n\
             mentorhub_booking_layered_takes_total {}\n",
            self.together.load(Relaxed),
            self.alone.load(Relaxed),
            self.direct.load(Relaxed),
            self.groups.load(Relaxed),
            self.failed_groups.load(Relaxed),
            self.layered_takes.load(Relaxed),
        )
    }
}

/// A booking request being written: counted in [`GroupStats::writing`] while it lives.
struct Writing<'a> {
    stats: &'a GroupStats,
    /// How many were being written when this one came.
    before: usize,
}

impl<'a> Writing<'a> {
    fn enter(stats: &'a GroupStats) -> Self {
        let before = stats.writing.fetch_add(1, Relaxed);
        Self { stats, before }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.stats.writing.fetch_sub(1, Relaxed);
    }
}

/// What a booking request's transaction did.
#[derive(Debug)]
pub enum Written {
    /// Booked; the invite went to this thread.
    Booked { thread_id: String },
    /// The same idempotency key booked already: that booking (id, request hash).
    Replay { id: String, hash: String },
}

type Item = (WriteJob, oneshot::Sender<AppResult<Written>>);

/// The queue to the booking writer task (started on first use).
pub type BookingWriter = TaskQueue<Item>;

/// Writes one booking request (see the module documentation).
pub async fn write(ctx: &Ctx, job: WriteJob) -> AppResult<Written> {
    // Counted from here to the answer (or until the request is dropped).
    let writing = Writing::enter(&ctx.booking_groups);
    if ctx.db.backend == Backend::Postgres && writing.before < ctx.config.booking_direct_writes {
        ctx.booking_groups.direct.fetch_add(1, Relaxed);
        return postgres::write_alone(ctx, &job).await;
    }
    let (reply, answer) = oneshot::channel();
    match ctx.db.backend {
        Backend::Postgres => {
            ctx.booking_writer
                .send((job, reply), |queue| postgres::run(ctx.clone(), queue))
                .await
        }
        Backend::Sqlite => {
            ctx.booking_writer
                .send((job, reply), |queue| run(ctx.clone(), queue))
                .await
        }
    }
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the booking writer stopped before answering"
        ))
    })?
}

async fn run(ctx: Ctx, mut queue: mpsc::Receiver<Item>) {
    let mut conn: Option<NativeConn> = None;
    while let Some(batch) = next_batch(&mut queue, BATCH).await {
        // Holding the write turn keeps every other write of this process queued behind
        // the batch (first come, first served), so the two connections never meet in
        // SQLite's busy handler.
        let gate = match ctx.db.write_turn().await {
            Ok(gate) => gate,
            Err(e) => {
                tracing::error!(error = %e, "cannot take the database's write turn");
                fail(batch, &e);
                continue;
            }
        };
        let taken = conn.take();
        let batch_ctx = ctx.clone();
        let handle = tokio::runtime::Handle::current();
        let joined = tokio::task::spawn_blocking(move || {
            let ctx = batch_ctx;
            let opened = match taken {
                Some(c) => Ok(c),
                None => match &ctx.db.sqlite_file {
                    Some(file) => NativeConn::open(file),
                    None => Err(sqlx::Error::Protocol("no SQLite file".into())),
                },
            };
            let mut native = match opened {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the booking writer's connection");
                    fail(batch, &e);
                    return None;
                }
            };
            handle.block_on(write_batch(&ctx, &mut native, batch));
            // A connection left inside a transaction (its COMMIT and ROLLBACK both
            // failed) is closed; the next batch opens another.
            (!native.in_transaction()).then_some(native)
        })
        .await;
        conn = joined.ok().flatten();
        drop(gate);
    }
}

/// One request's write, with a panic turned into that request's own error: the
/// requests written with it (a batch, a group) still get their answers, and the
/// transaction goes on (the request rolls back to its savepoint like a refusal).
pub(super) async fn guarded(
    write: impl std::future::Future<Output = AppResult<Written>>,
) -> AppResult<Written> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(write)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(AppError::Internal(anyhow::anyhow!(
                "writing a booking request panicked"
            )))
        })
}

/// The same failure for every request of a batch whose transaction failed.
fn batch_failed(e: &sqlx::Error) -> AppError {
    AppError::outage(e)
        .unwrap_or_else(|| AppError::Internal(anyhow::anyhow!("writing bookings: {e}")))
}

fn fail(batch: Vec<Item>, e: &sqlx::Error) {
    for (_, reply) in batch {
        let _ = reply.send(Err(batch_failed(e)));
    }
}

/// Ends a transaction that will not be committed (nothing of it is kept).
fn roll_back(conn: &mut NativeConn) {
    if let Err(e) = conn.rollback() {
        tracing::error!(error = %e, "rolling back a booking transaction failed");
    }
}

async fn write_batch(ctx: &Ctx, conn: &mut NativeConn, batch: Vec<Item>) {
    let started = std::time::Instant::now();
    let size = batch.len();
    if let Err(e) = conn.begin() {
        tracing::error!(error = %e, "cannot start a booking transaction");
        fail(batch, &e);
        return;
    }
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = None;
    if batch.len() == 1 {
        // Alone: the transaction is the request's; a refusal rolls it all back.
        for (job, reply) in batch {
            // Someone of it closed or suspended since its checks: nothing to write.
            let (mentor, mentee) = job.people();
            match crate::store::bookings::people_open_native(conn, mentor, mentee) {
                Ok(true) => {}
                open => {
                    roll_back(conn);
                    let _ = reply.send(Err(match open {
                        Err(e) => e.into(),
                        Ok(_) => super::bookings::account_gone(),
                    }));
                    return;
                }
            }
            match guarded(super::bookings::write_request(ctx, conn, &job, false)).await {
                Ok(written) => answers.push((reply, Some(Ok(written)))),
                Err(refusal) => {
                    roll_back(conn);
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
            let (mentor, mentee) = job.people();
            match crate::store::bookings::people_open_native(conn, mentor, mentee) {
                Ok(true) => {}
                Ok(false) => {
                    answers.push((reply, Some(Err(super::bookings::account_gone()))));
                    continue;
                }
                Err(e) => {
                    broken = Some(e);
                    answers.push((reply, None));
                    continue;
                }
            }
            if let Err(e) = conn.savepoint(Savepoint::Set, "booking") {
                broken = Some(e);
                answers.push((reply, None));
                continue;
            }
            let outcome = guarded(super::bookings::write_request(ctx, conn, &job, true)).await;
            let end = match &outcome {
                // Its write released the savepoint.
                Ok(Written::Booked { .. }) => Ok(()),
                Ok(Written::Replay { .. }) => conn.savepoint(Savepoint::Release, "booking"),
                Err(_) => conn.savepoint(Savepoint::RollbackTo, "booking"),
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
        None => conn.commit(),
    };
    if committed.is_err() {
        roll_back(conn);
    }
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
