//! When a mentor is busy, and what conflicts with a slot: the overlap queries, bounded by the longest session so they read an index range.

use super::*;
use crate::domain::availability::Busy;
use crate::store::column::{Column, instant};
use jiff::Timestamp;

/// What keeps a mentor busy in `[from, to)`: live timed bookings (but `except`), and
/// slots held for a mentee whose checkout is open (but the hold of `except_hold`).
pub struct BusyAsk<'a> {
    pub mentor_id: &'a str,
    pub from: Timestamp,
    pub to: Timestamp,
    pub except: Option<&'a str>,
    pub except_hold: Option<&'a str>,
    pub now: Timestamp,
}

/// What keeps mentor `$1` busy in `[$2, $3)` (rows `0, start, end`): live timed
/// bookings but `$4`, open checkouts' held slots (at `$6`) but payment `$5`, and their
/// open group sessions; then, a person being one person whichever side they are on,
/// their own live timed bookings with other mentors and their seats in others' group
/// sessions; `$7` is [`LONGEST`]. Then (rows `3, start, end`) the busy
/// times read from their own calendars, stored in pieces of at most a day
/// (`86400000000` µs is [`crate::store::calendars::PIECE`]). Shared by [`mentor_busy`]
/// and [`slot_conflicts`].
macro_rules! mentor_busy_sql {
    () => {
        "SELECT 0, start_at, end_at FROM bookings WHERE mentor_id = $1 AND timed = 1 \
         AND status IN ('pending', 'accepted') AND start_at < $3 AND start_at > $2 - $7 \
         AND +end_at > $2 AND ($4 IS NULL OR id <> $4) \
         UNION ALL SELECT 0, hold_start, hold_end FROM payments WHERE hold_mentor_id = $1 \
         AND hold_until > $6 AND status = 'pending' AND hold_start < $3 AND hold_end > $2 \
         AND ($5 IS NULL OR id <> $5) \
         UNION ALL SELECT 0, start_at, end_at FROM group_sessions WHERE mentor_id = $1 \
         AND status = 'open' AND start_at < $3 AND start_at > $2 - $7 AND end_at > $2 \
         UNION ALL SELECT 0, start_at, end_at FROM bookings WHERE mentee_id = $1 AND timed = 1 \
         AND status IN ('pending', 'accepted') AND start_at < $3 AND start_at > $2 - $7 \
         AND +end_at > $2 AND ($4 IS NULL OR id <> $4) \
         UNION ALL SELECT 0, g.start_at, g.end_at FROM group_seats s \
         JOIN group_sessions g ON g.id = s.session_id WHERE s.user_id = $1 \
         AND s.status = 'seated' AND g.status = 'open' AND g.start_at < $3 AND g.end_at > $2 \
         UNION ALL SELECT 3, start_at, end_at FROM calendar_busy WHERE mentor_id = $1 \
         AND start_at < $3 AND start_at > $2 - 86400000000 AND end_at > $2"
    };
}

/// The longest a timed booking lasts (µs): an overlap with `[from, to)` starts after
/// `from - LONGEST`.
pub(super) const LONGEST: i64 = crate::domain::mentor::MAX_DURATION * 60_000_000;

/// (In these overlap queries the start is bounded on both sides, so the person's
/// `(id, status, start_at)` index reads only the bookings near the range, not all
/// their bookings before it; and `+end_at` keeps SQLite's planner off the `(status,
/// end_at)` index, which would read every live booking of every mentor.)
pub async fn mentor_busy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ask: &BusyAsk<'_>,
) -> sqlx::Result<Vec<Busy>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(concat!(mentor_busy_sql!(), " ORDER BY 2"))
        .bind(ask.mentor_id)
        .bind(ask.from.stored())
        .bind(ask.to.stored())
        .bind(ask.except)
        .bind(ask.except_hold)
        .bind(ask.now.stored())
        .bind(LONGEST)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(busy_row).collect()
}

/// A row of [`mentor_busy_sql`] as busy time.
fn busy_row((kind, s, e): (i64, i64, i64)) -> sqlx::Result<Busy> {
    Ok(Busy {
        start: instant(s, "start_at")?,
        end: instant(e, "end_at")?,
        booked: kind == 0,
    })
}

/// In one statement: what keeps the mentor busy around a requested slot (as
/// [`mentor_busy`]), whether the mentee is busy during `mentee_span` (a live timed
/// booking or a group seat, or, when they mentor too, a live timed booking with them as
/// the mentor, an open group session of theirs or a slot of theirs held for a checkout),
/// and the mentee's wallet balance (0 without a wallet).
pub struct SlotConflicts {
    pub busy: Vec<Busy>,
    pub mentee_busy: bool,
    pub balance: i64,
}

pub(crate) const SLOT_CONFLICTS: &str = concat!(
    mentor_busy_sql!(),
    " UNION ALL SELECT 1, start_at, end_at FROM bookings WHERE mentee_id = $8 AND timed = 1 \
     AND status IN ('pending', 'accepted') AND start_at < $10 AND start_at > $9 - $7 \
     AND +end_at > $9 AND ($4 IS NULL OR id <> $4) \
     UNION ALL SELECT 1, g.start_at, g.end_at FROM group_seats s \
     JOIN group_sessions g ON g.id = s.session_id WHERE s.user_id = $8 \
     AND s.status = 'seated' AND g.status = 'open' AND g.start_at < $10 AND g.end_at > $9 \
     UNION ALL SELECT 1, start_at, end_at FROM bookings WHERE mentor_id = $8 AND timed = 1 \
     AND status IN ('pending', 'accepted') AND start_at < $10 AND start_at > $9 - $7 \
     AND +end_at > $9 AND ($4 IS NULL OR id <> $4) \
     UNION ALL SELECT 1, start_at, end_at FROM group_sessions WHERE mentor_id = $8 \
     AND status = 'open' AND start_at < $10 AND start_at > $9 - $7 AND end_at > $9 \
     UNION ALL SELECT 1, hold_start, hold_end FROM payments WHERE hold_mentor_id = $8 \
     AND hold_until > $6 AND status = 'pending' AND hold_start < $10 AND hold_end > $9 \
     AND ($5 IS NULL OR id <> $5) \
     UNION ALL SELECT 2, balance, 0 FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $8"
);

/// The parameters of [`SLOT_CONFLICTS`].
pub(crate) fn slot_conflicts_args(
    ask: &BusyAsk<'_>,
    mentee_id: &str,
    mentee_span: (Timestamp, Timestamp),
) -> Vec<Arg> {
    vec![
        ask.mentor_id.into(),
        ask.from.stored().into(),
        ask.to.stored().into(),
        ask.except.into(),
        ask.except_hold.into(),
        ask.now.stored().into(),
        LONGEST.into(),
        mentee_id.into(),
        mentee_span.0.stored().into(),
        mentee_span.1.stored().into(),
    ]
}

/// [`SlotConflicts`] from the rows of [`SLOT_CONFLICTS`].
pub(crate) fn conflicts_from(rows: Vec<(i64, i64, i64)>) -> sqlx::Result<SlotConflicts> {
    let mentee_busy = rows.iter().any(|r| r.0 == 1);
    let balance = rows.iter().find(|r| r.0 == 2).map_or(0, |r| r.1);
    let mut busy = rows
        .into_iter()
        .filter(|r| r.0 == 0 || r.0 == 3)
        .map(busy_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    busy.sort_unstable();
    Ok(SlotConflicts {
        busy,
        mentee_busy,
        balance,
    })
}

pub async fn slot_conflicts<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ask: &BusyAsk<'_>,
    mentee_id: &str,
    mentee_span: (Timestamp, Timestamp),
) -> sqlx::Result<SlotConflicts> {
    let rows: Vec<(i64, i64, i64)> = crate::store::bind_all_as(
        sqlx::query_as(SLOT_CONFLICTS),
        slot_conflicts_args(ask, mentee_id, mentee_span),
    )
    .fetch_all(ex)
    .await?;
    conflicts_from(rows)
}
