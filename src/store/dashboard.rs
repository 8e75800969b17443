//! The figures dashboards show: counts, sums and weekly series, each a named,
//! indexed query (no caller hands in SQL). Weekly series are summed in the database over the week boundaries the
//! caller computed in the viewer's zone (one pass over the range, one column per
//! week), so DST weeks of 167 or 169 hours count exactly.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Arg, SqlBuilder, column::row};
use crate::domain::booking::BookingStatus;

/// A weekly series a dashboard draws: what is summed (`value`, `1` to count) over
/// which rows (`from_where`), by which instant (`at`).
#[derive(Debug, Clone, Copy)]
pub enum Series<'a> {
    /// A mentor's completed timed sessions, by start.
    MentorSessions(&'a str),
    /// Credits paid out to a mentor, by when the booking finished (or ended).
    MentorEarnings(&'a str),
    /// Views of an author's articles.
    ArticleViews(&'a str),
    /// New accounts.
    Signups,
    /// Mentors approved, by decision.
    MentorsApproved,
    /// Credits granted or bought: they only enter from the outside-world account, so
    /// its entries are what was granted, without looking at any wallet.
    CreditsGranted,
    /// Credits paid for bookings, by when the booking finished (or ended).
    CreditsSpent,
    /// Messages written.
    Messages,
}

impl Series<'_> {
    /// `(at, value, from_where, args)`.
    fn sql(&self) -> (&'static str, &'static str, &'static str, Vec<Arg>) {
        let of = |id: &str| vec![Arg::Text(id.to_string())];
        match self {
            Series::MentorSessions(id) => (
                "start_at",
                "1",
                "FROM bookings WHERE mentor_id = $1 AND status = 'completed' AND timed = 1",
                of(id),
            ),
            Series::MentorEarnings(id) => (
                "COALESCE(finished_at, end_at)",
                "credits_paid",
                "FROM bookings WHERE mentor_id = $1 AND credits_paid > 0",
                of(id),
            ),
            Series::ArticleViews(id) => (
                "v.created_at",
                "1",
                "FROM article_views v JOIN articles a ON a.id = v.article_id WHERE a.author_id = $1",
                of(id),
            ),
            Series::Signups => ("created_at", "1", "FROM users WHERE 1 = 1", vec![]),
            Series::MentorsApproved => (
                "decided_at",
                "1",
                "FROM mentor_profiles WHERE status = 'approved'",
                vec![],
            ),
            Series::CreditsGranted => (
                "e.created_at",
                "-e.amount",
                "FROM ledger_entries e WHERE e.account_id = 'world' AND e.amount < 0",
                vec![],
            ),
            Series::CreditsSpent => (
                "COALESCE(finished_at, end_at)",
                "credits_paid",
                "FROM bookings WHERE credits_paid > 0",
                vec![],
            ),
            Series::Messages => ("created_at", "1", "FROM messages WHERE 1 = 1", vec![]),
        }
    }
}

/// Sums a series over each week `[bounds[i], bounds[i + 1])`. One pass over the
/// range: each row's week is found by a binary search written as nested `CASE`s
/// (about five comparisons a row for 26 weeks, where a flat `CASE` averages
/// thirteen: 2–3× faster on both engines) and the rows are grouped by it.
pub async fn weekly<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    series: Series<'_>,
    bounds: &[i64],
) -> sqlx::Result<Vec<i64>> {
    let weeks = bounds.len().saturating_sub(1);
    let (at, value, from_where, args) = series.sql();
    let Some(b) = weekly_sql(at, None, value, from_where, args, bounds) else {
        return Ok(vec![]);
    };
    let rows: Vec<(i64, i64)> = b.query_as().fetch_all(ex).await?;
    let mut out = vec![0i64; weeks];
    for (week, total) in rows {
        if let Some(slot) = usize::try_from(week).ok().and_then(|w| out.get_mut(w)) {
            *slot += total;
        }
    }
    Ok(out)
}

/// Bookings requested each week, counted separately for each status: `(status,
/// per-week counts)` pairs, statuses in ascending order.
pub async fn bookings_weekly_by_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    bounds: &[i64],
) -> sqlx::Result<Vec<(String, Vec<i64>)>> {
    let weeks = bounds.len().saturating_sub(1);
    let Some(b) = weekly_sql(
        "created_at",
        Some("status"),
        "1",
        "FROM bookings WHERE 1 = 1",
        vec![],
        bounds,
    ) else {
        return Ok(vec![]);
    };
    let rows: Vec<(i64, String, i64)> = b.query_as().fetch_all(ex).await?;
    let mut out: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (week, k, total) in rows {
        let per_week = out.entry(k).or_insert_with(|| vec![0; weeks]);
        if let Some(slot) = usize::try_from(week).ok().and_then(|w| per_week.get_mut(w)) {
            *slot += total;
        }
    }
    Ok(out.into_iter().collect())
}

/// `SELECT week[, key], total … GROUP BY …` over the weeks of `bounds`; `None` when
/// there is no week.
fn weekly_sql(
    at: &str,
    key: Option<&str>,
    value: &str,
    from_where: &str,
    args: Vec<Arg>,
    bounds: &[i64],
) -> Option<SqlBuilder> {
    let weeks = bounds.len().checked_sub(1).filter(|w| *w > 0)?;
    let mut b = SqlBuilder::new("");
    b.args = args;
    let first = b.args.len() + 1;
    for edge in bounds {
        b.args.push(Arg::Int(*edge));
    }
    let case = week_of(at, first, 0, weeks);
    let (key_col, group) = match key {
        Some(k) => (format!(", {k} AS k"), "1, 2"),
        None => (String::new(), "1"),
    };
    b.push(&format!(
        "SELECT {case} AS week{key_col}, CAST(COALESCE(SUM({value}), 0) AS BIGINT) AS total "
    ));
    b.push(from_where);
    b.push(&format!(
        " AND {at} >= ${first} AND {at} < ${} GROUP BY {group}",
        first + weeks
    ));
    Some(b)
}

/// The week index in `lo..hi` of `at`, as nested `CASE`s splitting the range in
/// halves; week `i` starts at the bound bound to `$(first + i)`.
fn week_of(at: &str, first: usize, lo: usize, hi: usize) -> String {
    if hi - lo <= 1 {
        return lo.to_string();
    }
    let mid = (lo + hi) / 2;
    format!(
        "CASE WHEN {at} < ${} THEN {} ELSE {} END",
        first + mid,
        week_of(at, first, lo, mid),
        week_of(at, first, mid, hi)
    )
}

/// A mentee's own figures.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct MenteeFigures {
    /// Minutes of completed timed sessions received, and of group sessions attended.
    pub minutes_received: i64,
    /// Mentorship requests still waiting for an answer.
    pub pending_mentorship_requests: i64,
    /// Booking requests still waiting for an answer.
    pub pending_booking_requests: i64,
}

pub async fn mentee_figures<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<MenteeFigures> {
    sqlx::query_as(
        "SELECT \
         (SELECT CAST(COALESCE(SUM(duration_minutes), 0) AS BIGINT) FROM bookings \
          WHERE mentee_id = $1 AND status = 'completed' AND timed = 1) \
         + (SELECT CAST(COALESCE(SUM((g.end_at - g.start_at) / 60000000), 0) AS BIGINT) \
          FROM group_seats s JOIN group_sessions g ON g.id = s.session_id \
          WHERE s.user_id = $1 AND s.status = 'attended') AS minutes_received, \
         (SELECT COUNT(*) FROM mentorships WHERE mentee_id = $1 AND status = 'pending' \
          AND expires_at > $2) AS pending_mentorship_requests, \
         (SELECT COUNT(*) FROM bookings WHERE mentee_id = $1 AND status = 'pending') \
          AS pending_booking_requests",
    )
    .bind(user_id)
    .bind(now.stored())
    .fetch_one(ex)
    .await
}

/// A mentor's own figures; `answered` and `expired` count the mentorship and booking
/// requests made since `since` that were answered or left to expire.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct MentorFigures {
    pub minutes_given: i64,
    pub earnings: i64,
    pub answered: i64,
    pub expired: i64,
    pub group_sessions_upcoming: i64,
    pub group_sessions_held: i64,
    pub group_attendees: i64,
}

pub async fn mentor_figures<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    since: Timestamp,
) -> sqlx::Result<MentorFigures> {
    const ANSWERED: &str = "('accepted', 'declined', 'completed', 'no_show', 'ended')";
    let requests = |statuses: &str| {
        format!(
            "(SELECT COUNT(*) FROM mentorships WHERE mentor_id = $1 AND created_at >= $2 \
             AND status IN {statuses}) + (SELECT COUNT(*) FROM bookings WHERE mentor_id = $1 \
             AND created_at >= $2 AND status IN {statuses})"
        )
    };
    let sql = format!(
        "SELECT \
         (SELECT CAST(COALESCE(SUM(duration_minutes), 0) AS BIGINT) FROM bookings \
          WHERE mentor_id = $1 AND status = 'completed' AND timed = 1) \
         + (SELECT CAST(COALESCE(SUM((end_at - start_at) / 60000000), 0) AS BIGINT) \
          FROM group_sessions WHERE mentor_id = $1 AND status = 'completed') AS minutes_given, \
         (SELECT CAST(COALESCE(SUM(credits_paid), 0) AS BIGINT) FROM bookings \
          WHERE mentor_id = $1) + (SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) \
          FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id \
          JOIN ledger_accounts a ON a.id = e.account_id WHERE a.kind = 'wallet' \
          AND a.user_id = $1 AND t.kind = 'seat_settle' AND e.amount > 0) AS earnings, \
         {} AS answered, {} AS expired, \
         (SELECT COUNT(*) FROM group_sessions WHERE mentor_id = $1 AND status = 'open') \
          AS group_sessions_upcoming, \
         (SELECT COUNT(*) FROM group_sessions WHERE mentor_id = $1 AND status = 'completed') \
          AS group_sessions_held, \
         (SELECT COUNT(*) FROM group_seats s JOIN group_sessions g ON g.id = s.session_id \
          WHERE g.mentor_id = $1 AND s.status = 'attended') AS group_attendees",
        requests(ANSWERED),
        requests("('expired')")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(since.stored())
        .fetch_one(ex)
        .await
}

row! {
/// A person with a relation to the viewer (a mentor, a mentee, a requester).
#[derive(Debug, Clone)]
pub struct PersonLine {
    pub id: String,
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    /// When the relation started or the request was made.
    pub since: Timestamp,
}
}

/// The user's current mentors (`as_mentee`) or mentees, whose accounts are open (a
/// suspended one is on the mentorship page, marked not active).
pub async fn relations<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    as_mentee: bool,
) -> sqlx::Result<Vec<PersonLine>> {
    // A mentor takes part while approved too (their profile opens to their mentees).
    let (me, other, approved) = if as_mentee {
        (
            "mentee_id",
            "mentor_id",
            " AND EXISTS (SELECT 1 FROM mentor_profiles p WHERE p.user_id = u.id \
             AND p.status = 'approved')",
        )
    } else {
        ("mentor_id", "mentee_id", "")
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.id, u.id AS user_id, u.first_name, u.last_name, u.headline, \
         COALESCE(m.started_at, m.created_at) AS since FROM mentorships m \
         JOIN users u ON u.id = m.{other} WHERE m.{me} = $1 AND m.status = 'accepted' \
         AND u.suspended_at IS NULL AND u.deleted_at IS NULL{approved} ORDER BY since DESC LIMIT 50"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Mentorship requests waiting for this mentor's answer, oldest first.
pub async fn waiting_requests<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    now: Timestamp,
) -> sqlx::Result<Vec<PersonLine>> {
    sqlx::query_as(
        "SELECT m.id, u.id AS user_id, u.first_name, u.last_name, u.headline, m.created_at AS since \
         FROM mentorships m JOIN users u ON u.id = m.mentee_id \
         WHERE m.mentor_id = $1 AND m.status = 'pending' AND m.expires_at > $2 \
         ORDER BY m.created_at LIMIT 50",
    )
    .bind(mentor_id)
    .bind(now.stored())
    .fetch_all(ex)
    .await
}

row! {
/// A booking line: what, when, with whom.
#[derive(Debug, Clone)]
pub struct SessionLine {
    pub id: String,
    pub title: String,
    pub status: BookingStatus,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub meeting_link: String,
    pub other_id: String,
    pub other_first_name: String,
    pub other_last_name: String,
    /// The other person is the session's mentor (so the user is its mentee).
    pub other_is_mentor: bool,
    pub created_at: Timestamp,
    /// A session with a time (false: a review, whose `end_at` is its due date).
    pub timed: bool,
}
}

/// The user's coming sessions (pending or accepted, not yet over), soonest first.
pub async fn upcoming<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<SessionLine>> {
    sqlx::query_as(
        "SELECT b.id, b.title, b.status, b.start_at, b.end_at, b.meeting_link, u.id AS other_id, \
         u.first_name AS other_first_name, u.last_name AS other_last_name, \
         CAST(CASE WHEN b.mentor_id = $1 THEN 0 ELSE 1 END AS BIGINT) AS other_is_mentor, b.created_at, b.timed \
         FROM bookings b JOIN users u ON u.id = CASE WHEN b.mentor_id = $1 THEN b.mentee_id ELSE b.mentor_id END \
         WHERE (b.mentor_id = $1 OR b.mentee_id = $1) AND b.timed = 1 \
         AND b.status IN ('pending', 'accepted') AND b.end_at > $2 ORDER BY b.start_at LIMIT $3",
    )
    .bind(user_id)
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

row! {
/// A group session the user leads or has a place in (a seat, or in line).
#[derive(Debug, Clone)]
pub struct GroupLine {
    pub id: String,
    pub title: String,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub mentor_id: String,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    /// People seated now.
    pub seated: i64,
    /// The user leads it (else they have a place in it).
    pub leads: bool,
    /// The session's status (`open`, `completed`, `cancelled`).
    pub status: String,
    /// The user's place: `seated`, `waiting`, or once over `attended`, `absent`,
    /// `refunded` (cancelled); empty for the mentor.
    pub place: String,
    /// In line: how many are ahead of the user (0: next).
    pub ahead: i64,
    pub meeting_link: String,
}
}

/// The columns of [`GroupLine`] from `group_sessions g`, its mentor `u` and the user's
/// place `s` (left-joined), the user being `$1`.
const GROUP_LINE: &str = "SELECT g.id, g.title, g.start_at, g.end_at, g.mentor_id, \
    u.first_name AS mentor_first_name, u.last_name AS mentor_last_name, g.seated, \
    CAST(CASE WHEN g.mentor_id = $1 THEN 1 ELSE 0 END AS BIGINT) AS leads, g.status, \
    COALESCE(s.status, '') AS place, \
    CASE WHEN s.status = 'waiting' THEN (SELECT COUNT(*) FROM group_seats w \
      WHERE w.session_id = s.session_id AND w.status = 'waiting' \
      AND (w.queued_at < s.queued_at OR (w.queued_at = s.queued_at AND w.id < s.id))) \
      ELSE 0 END AS ahead, g.meeting_link \
    FROM group_sessions g JOIN users u ON u.id = g.mentor_id \
    LEFT JOIN group_seats s ON s.session_id = g.id AND s.user_id = $1";

/// The user's coming group sessions (open, not yet over), led, seated in or waited
/// for in line, soonest first.
pub async fn upcoming_groups<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<GroupLine>> {
    group_lines(
        ex,
        (user_id, now, limit),
        "('seated', 'waiting')",
        "g.status = 'open' AND g.end_at > $2",
        "g.start_at",
    )
    .await
}

/// The user's group sessions that are over or were cancelled, led or with a seat in
/// them then (attended, absent, refunded when cancelled, or seated in one not yet
/// closed), latest first.
pub async fn past_groups<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: Timestamp,
    limit: i64,
) -> sqlx::Result<Vec<GroupLine>> {
    group_lines(
        ex,
        (user_id, now, limit),
        "('seated', 'attended', 'absent', 'refunded')",
        "(g.status <> 'open' OR g.end_at <= $2)",
        "g.start_at DESC",
    )
    .await
}

/// The sessions `user_id` leads or has a place in with one of `places`, that pass
/// `when` (`$2` is `now`), in `order`, at most `limit`; each side read by its index
/// (the mentor's sessions, the user's seats).
async fn group_lines<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    (user_id, now, limit): (&str, Timestamp, i64),
    places: &str,
    when: &str,
    order: &str,
) -> sqlx::Result<Vec<GroupLine>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{GROUP_LINE} AND s.status IN {places} WHERE {when} AND (g.mentor_id = $1 OR g.id IN \
         (SELECT p.session_id FROM group_seats p WHERE p.user_id = $1 AND p.status IN {places})) \
         ORDER BY {order} LIMIT $3"
    )))
    .bind(user_id)
    .bind(now.stored())
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Booking requests waiting for this mentor's answer, oldest first.
/// A booking request waiting for its mentor, with its series when it is one session of
/// a recurring request.
#[derive(Debug, sqlx::FromRow)]
pub struct WaitingBooking {
    #[sqlx(flatten)]
    pub line: SessionLine,
    pub series_id: Option<String>,
    /// Its series' weeks between sessions (1 or 2).
    pub every_weeks: Option<i64>,
}

pub async fn waiting_bookings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<Vec<WaitingBooking>> {
    sqlx::query_as(
        "SELECT b.id, b.title, b.status, b.start_at, b.end_at, b.meeting_link, u.id AS other_id, \
         u.first_name AS other_first_name, u.last_name AS other_last_name, \
         CAST(0 AS BIGINT) AS other_is_mentor, b.created_at, b.timed, b.series_id, \
         s.every_weeks \
         FROM bookings b JOIN users u ON u.id = b.mentee_id \
         LEFT JOIN booking_series s ON s.id = b.series_id \
         WHERE b.mentor_id = $1 AND b.status = 'pending' ORDER BY b.created_at, b.start_at LIMIT 200",
    )
    .bind(mentor_id)
    .fetch_all(ex)
    .await
}

/// Reviews per star, 1 to 5.
pub async fn rating_distribution<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<[i64; 5]> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT rating, COUNT(*) FROM reviews WHERE mentor_id = $1 GROUP BY rating")
            .bind(mentor_id)
            .fetch_all(ex)
            .await?;
    let mut out = [0i64; 5];
    for (stars, n) in rows {
        if let Some(slot) = usize::try_from(stars - 1).ok().and_then(|i| out.get_mut(i)) {
            *slot = n;
        }
    }
    Ok(out)
}

/// Counts of bookings by status.
pub async fn bookings_by_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT status, COUNT(*) FROM bookings GROUP BY status ORDER BY status")
        .fetch_all(ex)
        .await
}

/// The audit log, newest first, filtered by action prefix (words separated by spaces
/// match the code's `.` and `_`: "credit request grant" finds `credit_request.grant`),
/// actor, or target.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// Lines where this person acted or was acted on.
    pub person_id: Option<String>,
    pub before_id: Option<String>,
    pub limit: i64,
}

row! {
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    /// The acting admin's name (empty for the system).
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// A user target's name and email (empty for other targets).
    pub target_name: String,
    pub target_email: String,
    /// A program's name, a booking's or an article's title (empty for other targets,
    /// or one since deleted), and an article's slug.
    pub target_title: String,
    pub target_slug: String,
    pub before_json: String,
    pub after_json: String,
    pub created_at: Timestamp,
}
}

pub async fn audit<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &AuditFilter,
) -> sqlx::Result<Vec<AuditLine>> {
    let mut b = SqlBuilder::new(
        "SELECT a.id, a.actor_id, u.email AS actor_email, \
         COALESCE(u.first_name || ' ' || u.last_name, '') AS actor_name, a.action, \
         a.target_type, a.target_id, COALESCE(t.first_name || ' ' || t.last_name, '') AS target_name, \
         COALESCE(t.email, '') AS target_email, \
         COALESCE(p.name, b.title, ar.title, '') AS target_title, COALESCE(ar.slug, '') AS target_slug, \
         a.before_json, a.after_json, a.created_at \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         LEFT JOIN users t ON a.target_type = 'user' AND t.id = a.target_id \
         LEFT JOIN programs p ON a.target_type = 'program' AND p.id = a.target_id \
         LEFT JOIN bookings b ON a.target_type = 'booking' AND b.id = a.target_id \
         LEFT JOIN articles ar ON a.target_type = 'article' AND ar.id = a.target_id WHERE 1 = 1",
    );
    if let Some(action) = &f.action {
        // As typed from the code ("credit_request.") or from the page's words
        // ("credit request grant"): a space stands for one `.` or `_`.
        let words: Vec<String> = action
            .to_lowercase()
            .split_whitespace()
            .map(super::like_escape)
            .collect();
        b.push(" AND a.action LIKE ")
            .bind(Arg::Text(format!("{}%", words.join("_"))))
            .push(" ESCAPE '\\'");
    }
    if let Some(actor) = &f.actor_id {
        b.push(" AND a.actor_id = ").bind(Arg::Text(actor.clone()));
    }
    if let Some(person) = &f.person_id {
        b.push(" AND (a.actor_id = ")
            .bind(Arg::Text(person.clone()))
            .push(" OR a.target_id = ")
            .bind(Arg::Text(person.clone()))
            .push(")");
    }
    if let Some(target) = &f.target_id {
        b.push(" AND a.target_id = ")
            .bind(Arg::Text(target.clone()));
    }
    if let Some(before) = &f.before_id {
        b.push(" AND a.id < ").bind(Arg::Text(before.clone()));
    }
    b.push(" ORDER BY a.id DESC LIMIT ").bind(Arg::Int(f.limit));
    b.query_as().fetch_all(ex).await
}

/// The platform's totals, read in one statement (one round trip; each count is
/// served by an index or a small table).
#[derive(Debug, Clone, Default, FromRow)]
pub struct PlatformTotals {
    /// Accounts not closed (suspended ones included).
    pub users: i64,
    /// Approved mentors whose account is open and not suspended (listed or not).
    pub mentors_approved: i64,
    pub mentorships_active: i64,
    /// The outside world's balance (negative: what it gave, less refunds).
    pub world_balance: i64,
    pub credits_spent: i64,
    pub messages: i64,
    pub articles_published: i64,
    pub group_sessions_upcoming: i64,
    pub group_sessions_held: i64,
    pub group_attendees: i64,
}

pub async fn platform_totals<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<PlatformTotals> {
    sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM users WHERE deleted_at IS NULL) AS users, \
         (SELECT COUNT(*) FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
          WHERE p.status = 'approved' AND u.suspended_at IS NULL AND u.deleted_at IS NULL) \
          AS mentors_approved, \
         (SELECT COUNT(*) FROM mentorships WHERE status = 'accepted') AS mentorships_active, \
         COALESCE((SELECT balance FROM ledger_accounts WHERE id = 'world'), 0) AS world_balance, \
         (SELECT CAST(COALESCE(SUM(credits_paid), 0) AS BIGINT) FROM bookings \
          WHERE credits_paid > 0) AS credits_spent, \
         (SELECT COUNT(*) FROM messages) AS messages, \
         (SELECT COUNT(*) FROM articles WHERE status = 'published') AS articles_published, \
         (SELECT COUNT(*) FROM group_sessions WHERE status = 'open') AS group_sessions_upcoming, \
         (SELECT COUNT(*) FROM group_sessions WHERE status = 'completed') AS group_sessions_held, \
         (SELECT COUNT(*) FROM group_seats WHERE status = 'attended') AS group_attendees",
    )
    .fetch_one(ex)
    .await
}

/// What waits for an admin, counted now (each count served by an index): the
/// overview's to-do list, which must not lag behind a decision as the cached
/// figures may.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Waiting {
    pub applications_pending: i64,
    pub payments_flagged: i64,
    pub reports_open: i64,
    pub disputes_open: i64,
    pub credit_requests_open: i64,
    pub jobs_dead: i64,
}

pub async fn waiting<'e, E: Executor<'e, Database = Any>>(ex: E) -> sqlx::Result<Waiting> {
    sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM mentor_profiles WHERE status = 'pending') AS applications_pending, \
         (SELECT COUNT(*) FROM payments WHERE flag <> '') AS payments_flagged, \
         (SELECT COUNT(*) FROM reports WHERE status = 'open') AS reports_open, \
         (SELECT COUNT(*) FROM booking_disputes WHERE status = 'open') AS disputes_open, \
         (SELECT COUNT(*) FROM credit_requests WHERE status = 'open') AS credit_requests_open, \
         (SELECT COUNT(*) FROM jobs WHERE status = 'dead') AS jobs_dead",
    )
    .fetch_one(ex)
    .await
}

#[cfg(test)]
mod tests {
    use super::week_of;

    #[test]
    fn week_of_is_a_binary_search_over_the_bounds() {
        assert_eq!(week_of("t", 5, 0, 1), "0");
        assert_eq!(
            week_of("t", 1, 0, 4),
            "CASE WHEN t < $3 THEN CASE WHEN t < $2 THEN 0 ELSE 1 END \
             ELSE CASE WHEN t < $4 THEN 2 ELSE 3 END END"
        );
        // Every week index appears exactly once, whatever the count.
        for weeks in 1..40 {
            let sql = week_of("t", 1, 0, weeks);
            for w in 0..weeks {
                let hits = sql
                    .split(|c: char| !c.is_ascii_digit() && c != '$')
                    .filter(|tok| *tok == w.to_string())
                    .count();
                assert_eq!(hits, 1, "week {w} of {weeks}: {sql}");
            }
        }
    }
}
