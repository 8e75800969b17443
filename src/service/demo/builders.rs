//! What `fill` builds with: a deterministic generator, demo grants, past sessions
//! (completed, paid and reviewed through the ledger), and a progress bar.

use std::io::Write;

use super::*;

/// A small deterministic generator (xorshift64*): demo data needs variety, not secrecy.
pub(super) struct Gen(pub(super) u64);

impl Gen {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(super) fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    pub(super) fn some(&mut self, xs: &[&str], k: usize) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for _ in 0..k * 3 {
            if out.len() >= k {
                break;
            }
            let x = self.pick(xs).to_string();
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    }
}

pub(super) fn progress(label: &str, done: usize, total: usize, show: bool) {
    if !show || total == 0 {
        return;
    }
    let step = (total / 100).max(1);
    if !done.is_multiple_of(step) && done != total {
        return;
    }
    let width = 30;
    let filled = width * done / total;
    eprint!(
        "\r{label:<10} [{}{}] {:>3}% {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled),
        100 * done / total
    );
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

/// Credits from the outside world (demo grants).
pub(super) async fn grant(
    tx: &mut store::Tx,
    user_id: &str,
    amount: i64,
    memo: &str,
    now: i64,
) -> AppResult<()> {
    let wallet = store::ledger::wallet(tx, user_id, from_micros(now)).await?;
    store::ledger::transfer(
        tx,
        &store::ledger::Transfer {
            key: &format!("demo-grant:{}", new_id()),
            kind: "grant",
            booking_id: None,
            actor_id: None,
            memo,
            legs: vec![
                (store::ledger::WORLD.to_string(), -amount),
                (wallet, amount),
            ],
            now: from_micros(now),
        },
    )
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("demo grant: {e:?}")))?;
    Ok(())
}

/// A past session, drawn when its mentor is made and written later, in the order the
/// sessions took place (so that each person's credit history reads in time order).
pub(super) struct PastSession {
    pub(super) mentor_id: String,
    pub(super) mentee_id: String,
    pub(super) service_id: String,
    pub(super) cost: i64,
    pub(super) at: i64,
    pub(super) rating: i64,
    pub(super) comment: &'static str,
}

/// A past, completed and reviewed session, paid through the ledger like a real one:
/// requested three days ahead with credits the admins granted for it, then held.
pub(super) async fn past_session(tx: &mut store::Tx, p: &PastSession) -> AppResult<()> {
    let (mentor_id, mentee_id, service_id, cost, at) = (
        p.mentor_id.as_str(),
        p.mentee_id.as_str(),
        p.service_id.as_str(),
        p.cost,
        p.at,
    );
    let requested = at - 3 * DAY;
    let id = new_id();
    grant(
        tx,
        mentee_id,
        cost,
        "Credits from the admins (demo)",
        requested,
    )
    .await?;
    store::bookings::insert(
        tx,
        &store::bookings::NewBooking {
            id: &id,
            mentor_id,
            mentee_id,
            service_id,
            kind: "session",
            title: "1:1 mentoring session",
            duration_minutes: 60,
            timed: true,
            start_at: at,
            end_at: at + 3_600_000_000,
            timezone: "UTC",
            topic: "Career and next steps",
            message: "",
            mentorship_id: None,
            credits_held: cost,
            expires_at: from_micros(at),
            idempotency_key: None,
            request_hash: "",
            now: from_micros(requested),
        },
    )
    .await?;
    crate::service::credits::hold(tx, mentee_id, &id, cost, from_micros(requested)).await?;
    for (from, to, finished) in [
        ("pending", "accepted", false),
        ("accepted", "completed", true),
    ] {
        store::bookings::change_status(
            tx,
            &store::bookings::StatusChange {
                id: &id,
                from,
                to,
                refunded: 0,
                paid: if finished { cost } else { 0 },
                finished,
                now: from_micros(at),
            },
        )
        .await?;
    }
    let s = crate::domain::booking::Settlement {
        to_mentee: 0,
        to_mentor: cost,
        to_platform: 0,
    };
    crate::service::credits::settle(
        tx,
        &id,
        mentee_id,
        mentor_id,
        &s,
        "Session completed",
        from_micros(at),
    )
    .await?;
    store::reviews::insert(
        tx,
        &store::reviews::NewReview {
            id: &new_id(),
            booking_id: &id,
            mentor_id,
            mentee_id,
            rating: p.rating,
            comment: p.comment,
            now: from_micros(at + 3_600_000_000),
        },
    )
    .await?;
    Ok(())
}
