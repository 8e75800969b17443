//! PostgreSQL's booking writer: groups of requests that share no person, each written
//! in one transaction (see the parent module).

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering::Relaxed},
};

use futures_util::future::join_all;
use tokio::sync::{Semaphore, mpsc};

use super::{BATCH, Item, Written, guarded};
use crate::{
    error::AppResult,
    service::{Ctx, bookings::WriteJob, queue::next_batch},
    store::{
        self,
        bookings::batch::{self, Prefetched, Recorder},
    },
};

/// How many takes of the queue are written at once. A second lets the requests that
/// arrived during a take start before it ends (measured: +10–20 % at 4 connections,
/// where takes are small); more make the takes smaller and the booking dearer. It also
/// keeps one take that waits on a lock (another action of the same person) from
/// holding up every other request.
const WAVES: usize = 2;

/// Once fewer than [`WAVES`] takes are being written, takes the requests waiting (up to
/// [`BATCH`]), groups them, and writes the take (see [`write_take`]). Two takes written
/// at once may share people: their locks, taken in id order, make the later wait for
/// the earlier's commit.
pub(super) async fn run(ctx: Ctx, mut queue: mpsc::Receiver<Item>) {
    let waves = Arc::new(Semaphore::new(WAVES));
    loop {
        let Ok(turn) = waves.clone().acquire_owned().await else {
            return;
        };
        let Some(waiting) = next_batch(&mut queue, BATCH).await else {
            return;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            write_take(&ctx, groups(waiting)).await;
            drop(turn);
        });
    }
}

/// `items` in groups where no person appears twice, in arrival order: each goes to
/// the first group that has neither of its people.
fn groups(items: Vec<Item>) -> Vec<Vec<Item>> {
    let mut groups: Vec<(HashSet<String>, Vec<Item>)> = vec![];
    for item in items {
        let (mentor, mentee) = item.0.people();
        let free = groups
            .iter_mut()
            .find(|(people, _)| !people.contains(mentor) && !people.contains(mentee));
        let (people, group) = match free {
            Some(g) => g,
            None => {
                groups.push((HashSet::new(), vec![]));
                groups.last_mut().expect("just pushed")
            }
        };
        people.insert(mentor.to_string());
        people.insert(mentee.to_string());
        group.push(item);
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// A take's groups. Several (they share people: a mentee who asked twice) are written
/// one after the other in one transaction — the people locked once, each group's reads
/// seeing the groups written before it, one commit — instead of one transaction each
/// waiting for the one before to commit. If that transaction fails, each group is
/// written on its own as before.
async fn write_take(ctx: &Ctx, groups: Vec<Vec<Item>>) {
    if groups.len() > 1 {
        let layers: Vec<Vec<&WriteJob>> = (groups.iter())
            .map(|g| g.iter().map(|(job, _)| job).collect())
            .collect();
        match write_together(ctx, &layers).await {
            Ok(outcomes) => {
                drop(layers);
                ctx.booking_groups.layered_takes.fetch_add(1, Relaxed);
                answer(ctx, groups, outcomes);
                return;
            }
            Err(e) => {
                ctx.booking_groups.failed_groups.fetch_add(1, Relaxed);
                tracing::warn!(
                    error = %e,
                    groups = groups.len(),
                    "a take of booking requests failed; writing each group alone"
                )
            }
        }
    }
    join_all(groups.into_iter().map(|g| write_group(ctx, g))).await;
}

/// Each request of groups written together gets its outcome, counted.
fn answer(ctx: &Ctx, groups: Vec<Vec<Item>>, outcomes: Vec<Vec<AppResult<Written>>>) {
    let stats = &ctx.booking_groups;
    for (group, outcomes) in groups.into_iter().zip(outcomes) {
        stats.groups.fetch_add(1, Relaxed);
        stats.together.fetch_add(group.len() as u64, Relaxed);
        for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

async fn write_group(ctx: &Ctx, group: Vec<Item>) {
    tracing::debug!(size = group.len(), "booking group");
    if group.len() > 1 {
        let jobs: Vec<&WriteJob> = group.iter().map(|(job, _)| job).collect();
        match write_together(ctx, &[jobs]).await {
            Ok(outcomes) => {
                answer(ctx, vec![group], outcomes);
                return;
            }
            Err(e) => {
                ctx.booking_groups.failed_groups.fetch_add(1, Relaxed);
                tracing::warn!(
                    error = %e,
                    size = group.len(),
                    "a group of booking requests failed; writing each alone"
                )
            }
        }
    }
    ctx.booking_groups
        .alone
        .fetch_add(group.len() as u64, Relaxed);
    // Alone: each in its own transaction, side by side (their people differ).
    join_all(group.into_iter().map(|(job, reply)| async move {
        let _ = reply.send(write_alone(ctx, &job).await);
    }))
    .await;
}

/// One request in its own transaction.
pub(super) async fn write_alone(ctx: &Ctx, job: &WriteJob) -> AppResult<Written> {
    let mut tx = ctx.db.begin_write().await?;
    let (mentor, mentee) = job.people();
    if !store::bookings::lock_people_open(&mut tx, ctx.db.backend, mentor, mentee).await? {
        return Err(crate::service::bookings::account_gone());
    }
    let written = guarded(crate::service::bookings::write_request(
        ctx, &mut *tx, job, false,
    ))
    .await?;
    if matches!(written, Written::Booked { .. }) {
        tx.commit().await?;
    }
    Ok(written)
}

/// Groups of requests, no person twice within a group, in one transaction, group after
/// group: each request's outcome (a refusal changes nothing), or an error when the
/// transaction failed (nothing was written).
async fn write_together(
    ctx: &Ctx,
    layers: &[Vec<&WriteJob>],
) -> anyhow::Result<Vec<Vec<AppResult<Written>>>> {
    // The dry runs: what each request asks (no database involved).
    let mut asks = Vec::with_capacity(layers.len());
    for jobs in layers {
        let mut layer = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut recorder = Recorder::default();
            // Its outcome does not matter: only how far it got and what it asked.
            let _ = guarded(crate::service::bookings::write_request(
                ctx,
                &mut recorder,
                job,
                false,
            ))
            .await;
            layer.push(recorder.asks);
        }
        asks.push(layer);
    }
    let mut tx = ctx.db.begin_write().await?;
    let mut people: Vec<&str> = (layers.iter().flatten())
        .flat_map(|j| {
            let (a, b) = j.people();
            [a, b]
        })
        .collect();
    people.sort_unstable();
    people.dedup();
    let gone = batch::lock_all(&mut tx, &people).await?;
    let mut outcomes = Vec::with_capacity(layers.len());
    for (jobs, asks) in layers.iter().zip(asks) {
        outcomes.push(write_layer(ctx, &mut tx, jobs, asks, &gone).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// One group of [`write_together`], its people locked: reads what every request needs
/// (seeing the groups written before it), runs each, writes the rows of those that
/// booked.
async fn write_layer(
    ctx: &Ctx,
    tx: &mut sqlx::AnyConnection,
    jobs: &[&WriteJob],
    asks: Vec<batch::Asks>,
    gone: &[String],
) -> anyhow::Result<Vec<AppResult<Written>>> {
    let mut escrow: Vec<String> = jobs
        .iter()
        .map(|j| store::ledger::escrow_for(&j.rows().booking.id))
        .collect();
    escrow.sort_unstable();
    escrow.dedup();
    let answers = batch::read_all(&mut *tx, &asks, &escrow).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut runs = Vec::with_capacity(jobs.len());
    for ((job, asks), answers) in jobs.iter().zip(asks).zip(answers) {
        let mut run = Prefetched::new(asks, answers);
        // Someone of it closed or suspended since its checks: refused, nothing written.
        let (mentor, mentee) = job.people();
        if gone.iter().any(|g| g == mentor || g == mentee) {
            outcomes.push(Err(crate::service::bookings::account_gone()));
            runs.push(run);
            continue;
        }
        let outcome = guarded(crate::service::bookings::write_request(
            ctx, &mut run, job, false,
        ))
        .await;
        if run.missed {
            anyhow::bail!("a request asked what its dry run did not");
        }
        outcomes.push(outcome);
        runs.push(run);
    }
    // Those that booked: their thread when the pair had none, then every row at once.
    let mut writes: Vec<batch::ToWrite<'_>> = vec![];
    for (job, run) in jobs.iter().zip(&mut runs) {
        let Some((thread, sponsored)) = &run.insert else {
            continue;
        };
        batch::create_thread(&mut *tx, std::mem::take(&mut run.new_thread)).await?;
        writes.push((
            job.rows(),
            thread.as_str(),
            sponsored.as_ref().map(|(a, n)| (a.as_str(), *n)),
        ));
    }
    batch::write_all(&mut *tx, &writes).await?;
    Ok(outcomes)
}
