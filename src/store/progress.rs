//! A mentorship's progress: goals and their milestones, skill self-assessments, and
//! the activity a pair's health and reports are read from.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};

row! {
#[derive(Debug, Clone)]
pub struct GoalRow {
    pub id: String,
    pub title: String,
    pub position: i64,
    /// None for a goal copied from the mentorship's program.
    pub created_by: Option<String>,
}
}

row! {
#[derive(Debug, Clone)]
pub struct MilestoneRow {
    pub id: String,
    pub goal_id: String,
    pub title: String,
    pub position: i64,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<String>,
    pub booking_id: Option<String>,
    /// None for one copied from the program (or written before authors were kept).
    pub created_by: Option<String>,
}
}

pub async fn insert_goal(
    tx: &mut Tx,
    id: &str,
    mentorship_id: &str,
    title: &str,
    created_by: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentorship_goals (id, mentorship_id, title, position, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM mentorship_goals WHERE mentorship_id = $2), \
         $4, $5, $5)",
    )
    .bind(id)
    .bind(mentorship_id)
    .bind(title)
    .bind(created_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A milestone of a goal; `created_by` None for one copied from a program.
pub async fn insert_milestone(
    tx: &mut Tx,
    id: &str,
    goal_id: &str,
    mentorship_id: &str,
    title: &str,
    created_by: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentorship_milestones (id, goal_id, mentorship_id, title, position, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM mentorship_milestones WHERE goal_id = $2), \
         $5, $6, $6)",
    )
    .bind(id)
    .bind(goal_id)
    .bind(mentorship_id)
    .bind(title)
    .bind(created_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks a mentorship's goals and milestones against another writer until the end of
/// `tx` (PostgreSQL: the mentorship's row, `FOR NO KEY UPDATE`, which what references
/// it does not wait for; SQLite's write transaction holds the whole database already),
/// so that a count read after it still holds when the write commits.
pub async fn lock_plan(
    tx: &mut Tx,
    backend: super::Backend,
    mentorship_id: &str,
) -> sqlx::Result<()> {
    if backend == super::Backend::Postgres {
        sqlx::query("SELECT id FROM mentorships WHERE id = $1 FOR NO KEY UPDATE")
            .bind(mentorship_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// How many goals a mentorship has, whether `goal_id` is one of them (1 or 0), and how
/// many milestones that goal has.
pub async fn plan_counts(
    tx: &mut Tx,
    mentorship_id: &str,
    goal_id: &str,
) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM mentorship_goals WHERE mentorship_id = $1), \
         (SELECT COUNT(*) FROM mentorship_goals WHERE mentorship_id = $1 AND id = $2), \
         (SELECT COUNT(*) FROM mentorship_milestones WHERE mentorship_id = $1 AND goal_id = $2)",
    )
    .bind(mentorship_id)
    .bind(goal_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn goals<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentorship_id: &str,
) -> sqlx::Result<Vec<GoalRow>> {
    sqlx::query_as(
        "SELECT id, title, position, created_by FROM mentorship_goals WHERE mentorship_id = $1 ORDER BY position, id",
    )
    .bind(mentorship_id)
    .fetch_all(ex)
    .await
}

pub async fn milestones<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentorship_id: &str,
) -> sqlx::Result<Vec<MilestoneRow>> {
    sqlx::query_as(
        "SELECT id, goal_id, title, position, done_at, done_by, booking_id, created_by FROM mentorship_milestones \
         WHERE mentorship_id = $1 ORDER BY position, id",
    )
    .bind(mentorship_id)
    .fetch_all(ex)
    .await
}

/// Renames a goal of the mentorship; false when it has no such goal.
pub async fn rename_goal(
    tx: &mut Tx,
    id: &str,
    mentorship_id: &str,
    title: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE mentorship_goals SET title = $3, updated_at = $4 WHERE id = $1 AND mentorship_id = $2",
    )
    .bind(id)
    .bind(mentorship_id)
    .bind(title)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes a goal of the mentorship with its milestones; false when it has no such goal.
pub async fn remove_goal(tx: &mut Tx, id: &str, mentorship_id: &str) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM mentorship_milestones WHERE goal_id = $1 AND mentorship_id = $2")
        .bind(id)
        .bind(mentorship_id)
        .execute(&mut **tx)
        .await?;
    let r = sqlx::query("DELETE FROM mentorship_goals WHERE id = $1 AND mentorship_id = $2")
        .bind(id)
        .bind(mentorship_id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes a milestone of the mentorship; false when it has no such milestone.
pub async fn remove_milestone(tx: &mut Tx, id: &str, mentorship_id: &str) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM mentorship_milestones WHERE id = $1 AND mentorship_id = $2")
        .bind(id)
        .bind(mentorship_id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A milestone's change: ticked (by whom, when) or not, renamed, linked to a session.
pub struct MilestoneChange<'a> {
    pub done: Option<Option<(&'a str, Timestamp)>>,
    pub title: Option<&'a str>,
    pub booking_id: Option<Option<&'a str>>,
}

pub async fn change_milestone(
    tx: &mut Tx,
    id: &str,
    mentorship_id: &str,
    c: &MilestoneChange<'_>,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let (set_done, done_by, done_at) = match c.done {
        None => (0, None, None),
        Some(None) => (1, None, None),
        Some(Some((who, at))) => (1, Some(who), Some(at.stored())),
    };
    let (set_booking, booking) = match c.booking_id {
        None => (0, None),
        Some(b) => (1, b),
    };
    let r = sqlx::query(
        "UPDATE mentorship_milestones SET \
         done_at = CASE WHEN $3 = 1 THEN $4 ELSE done_at END, \
         done_by = CASE WHEN $3 = 1 THEN $5 ELSE done_by END, \
         title = COALESCE($6, title), \
         booking_id = CASE WHEN $7 = 1 THEN $8 ELSE booking_id END, \
         updated_at = $9 WHERE id = $1 AND mentorship_id = $2",
    )
    .bind(id)
    .bind(mentorship_id)
    .bind(set_done)
    .bind(done_at)
    .bind(done_by)
    .bind(c.title)
    .bind(set_booking)
    .bind(booking)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a self-assessment (the latest answer for a skill and phase counts).
pub async fn assess(
    tx: &mut Tx,
    id: &str,
    mentorship_id: &str,
    skill: &str,
    phase: &str,
    level: i64,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO skill_assessments (id, mentorship_id, skill, phase, level, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (mentorship_id, skill, phase) DO UPDATE SET level = $5, updated_at = $6",
    )
    .bind(id)
    .bind(mentorship_id)
    .bind(skill)
    .bind(phase)
    .bind(level)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A mentorship's assessments: (skill, phase, level), by skill.
pub async fn assessments<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentorship_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT skill, phase, level FROM skill_assessments WHERE mentorship_id = $1 ORDER BY skill, phase DESC",
    )
    .bind(mentorship_id)
    .fetch_all(ex)
    .await
}

row! {
/// What a pair did, for health and reports.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub mentorship_id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub status: crate::domain::mentorship::MentorshipStatus,
    pub started_at: Option<Timestamp>,
    /// Sessions held (completed) since the match.
    pub held: i64,
    pub first_session: Option<Timestamp>,
    /// The last session held or accepted, at or before now.
    pub last_session: Option<Timestamp>,
    /// The next session booked (accepted or asked for) after now.
    pub next_session: Option<Timestamp>,
    pub last_message: Option<Timestamp>,
    pub milestones: i64,
    pub milestones_done: i64,
    /// No-shows and cancellations within a day of the start, by side.
    pub mentee_no_shows: i64,
    pub mentor_no_shows: i64,
    pub mentee_late_cancels: i64,
    pub mentor_late_cancels: i64,
    /// The mentee's reviews of sessions in this pair: count and sum of ratings.
    pub reviews: i64,
    pub rating_sum: i64,
}
}

/// Which mentorships [`activity`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Pairs<'a> {
    /// A program's mentorships.
    Program(&'a str),
    /// One mentorship, in a program or not.
    One(&'a str),
}

/// The activity of mentorships (a program's, or one), at `now`.
pub async fn activity<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    pairs: Pairs<'_>,
    now: Timestamp,
) -> sqlx::Result<Vec<ActivityRow>> {
    // Each a lookup by its own key: the program's mentorships, or the one by id.
    let (key, filter) = match pairs {
        Pairs::Program(p) => (p, "m.program_id = $1"),
        Pairs::One(id) => (id, "m.id = $1"),
    };
    let sql = format!(
        "SELECT m.id AS mentorship_id, m.mentor_id, m.mentee_id, \
         a.first_name AS mentor_first_name, a.last_name AS mentor_last_name, \
         b.first_name AS mentee_first_name, b.last_name AS mentee_last_name, m.status, m.started_at, \
         (SELECT COUNT(*) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status = 'completed' AND k.start_at >= m.started_at) AS held, \
         (SELECT MIN(k.start_at) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status IN ('completed', 'accepted') AND k.start_at >= m.started_at AND k.start_at <= $2) AS first_session, \
         (SELECT MAX(k.start_at) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status IN ('completed', 'accepted') AND k.start_at >= m.started_at AND k.start_at <= $2) AS last_session, \
         (SELECT MIN(k.start_at) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status IN ('accepted', 'pending') AND k.start_at > $2) AS next_session, \
         (SELECT MAX(x.created_at) FROM messages x JOIN threads t ON t.id = x.thread_id \
          WHERE t.pair_key = CASE WHEN m.mentor_id < m.mentee_id THEN m.mentor_id || ':' || m.mentee_id \
          ELSE m.mentee_id || ':' || m.mentor_id END AND x.kind <> 'system' AND x.created_at >= m.started_at) AS last_message, \
         (SELECT COUNT(*) FROM mentorship_milestones s WHERE s.mentorship_id = m.id) AS milestones, \
         (SELECT COUNT(*) FROM mentorship_milestones s WHERE s.mentorship_id = m.id AND s.done_at IS NOT NULL) AS milestones_done, \
         (SELECT COUNT(*) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status = 'no_show' AND k.no_show_party = 'mentee' AND k.start_at >= m.started_at) AS mentee_no_shows, \
         (SELECT COUNT(*) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status = 'no_show' AND k.no_show_party = 'mentor' AND k.start_at >= m.started_at) AS mentor_no_shows, \
         (SELECT COUNT(*) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status = 'cancelled' AND k.cancelled_by = m.mentee_id AND k.finished_at > k.start_at - 86400000000 \
          AND k.start_at >= m.started_at) AS mentee_late_cancels, \
         (SELECT COUNT(*) FROM bookings k WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id \
          AND k.status = 'cancelled' AND k.cancelled_by = m.mentor_id AND k.finished_at > k.start_at - 86400000000 \
          AND k.start_at >= m.started_at) AS mentor_late_cancels, \
         (SELECT COUNT(*) FROM reviews r JOIN bookings k ON k.id = r.booking_id WHERE k.mentor_id = m.mentor_id \
          AND k.mentee_id = m.mentee_id AND r.mentee_id = m.mentee_id AND k.start_at >= m.started_at) AS reviews, \
         (SELECT CAST(COALESCE(SUM(r.rating), 0) AS BIGINT) FROM reviews r JOIN bookings k ON k.id = r.booking_id \
          WHERE k.mentor_id = m.mentor_id AND k.mentee_id = m.mentee_id AND r.mentee_id = m.mentee_id \
          AND k.start_at >= m.started_at) AS rating_sum \
         FROM mentorships m JOIN users a ON a.id = m.mentor_id JOIN users b ON b.id = m.mentee_id \
         WHERE {filter} AND m.started_at IS NOT NULL \
         ORDER BY a.first_name, a.last_name, b.first_name, b.last_name, m.id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .bind(now.stored())
        .fetch_all(ex)
        .await
}

/// The program a mentorship belongs to, if any.
pub async fn program_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentorship_id: &str,
) -> sqlx::Result<Option<String>> {
    let p: Option<Option<String>> =
        sqlx::query_scalar("SELECT program_id FROM mentorships WHERE id = $1")
            .bind(mentorship_id)
            .fetch_optional(ex)
            .await?;
    Ok(p.flatten())
}

/// The starts of the sessions held (completed) by a program's pairs since their match.
pub async fn sessions_held<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT k.start_at FROM bookings k JOIN mentorships m ON m.mentor_id = k.mentor_id \
         AND m.mentee_id = k.mentee_id WHERE m.program_id = $1 AND m.started_at IS NOT NULL \
         AND k.status = 'completed' AND k.start_at >= m.started_at ORDER BY k.start_at",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await
}

/// A program's sponsored credits held now for its mentees' coming sessions (in escrow
/// for pending and accepted bookings), neither spent nor unspent yet.
pub async fn program_credits_held<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(0 - e.amount), 0) AS BIGINT) FROM ledger_entries e \
         JOIN ledger_accounts a ON a.id = e.account_id \
         JOIN ledger_transfers t ON t.id = e.transfer_id \
         JOIN bookings b ON b.id = t.booking_id \
         WHERE a.program_id = $1 AND a.kind = 'sponsored' AND t.kind = 'booking_hold' \
         AND b.status IN ('pending', 'accepted')",
    )
    .bind(program_id)
    .fetch_one(ex)
    .await
}

/// A program's credit movements by kind: (transfer kind, credits into the program's
/// sponsored accounts or out of its funding account).
pub async fn program_credits<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT t.kind, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM ledger_entries e \
         JOIN ledger_transfers t ON t.id = e.transfer_id JOIN ledger_accounts a ON a.id = e.account_id \
         WHERE a.program_id = $1 AND a.kind = 'program' GROUP BY t.kind ORDER BY t.kind",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await
}
