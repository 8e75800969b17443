//! The figures dashboards show: counts, sums and weekly series, each one indexed
//! query. Weekly series are summed in the database over the week boundaries the
//! caller computed in the viewer's zone (one pass over the range, one column per
//! week), so DST weeks of 167 or 169 hours count exactly.

use sqlx::{Any, Executor, FromRow};

use super::{Arg, SqlBuilder};

/// Sums `value` (an SQL expression, `1` to count) over rows of `from_where` (an SQL
/// `FROM … WHERE …` with `$1`… placeholders for `args`) whose `at` falls in each
/// week `[bounds[i], bounds[i + 1])`. One pass over the range: each row's week is
/// found by a binary search written as nested `CASE`s (about five comparisons a row
/// for 26 weeks, where a flat `CASE` averages thirteen: 2–3× faster on both engines)
/// and the rows are grouped by it.
pub async fn weekly<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    at: &str,
    value: &str,
    from_where: &str,
    args: Vec<Arg>,
    bounds: &[i64],
) -> sqlx::Result<Vec<i64>> {
    let weeks = bounds.len().saturating_sub(1);
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

/// Like [`weekly`], summed separately for each value of `key` (an SQL expression
/// giving text): `(key, per-week sums)` pairs, keys in ascending order.
pub async fn weekly_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    at: &str,
    key: &str,
    value: &str,
    from_where: &str,
    args: Vec<Arg>,
    bounds: &[i64],
) -> sqlx::Result<Vec<(String, Vec<i64>)>> {
    let weeks = bounds.len().saturating_sub(1);
    let Some(b) = weekly_sql(at, Some(key), value, from_where, args, bounds) else {
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

/// A single number.
pub async fn scalar<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    sql: &str,
    args: Vec<Arg>,
) -> sqlx::Result<i64> {
    let mut b = SqlBuilder::new(sql);
    b.args = args;
    let (n,): (i64,) = b.query_as().fetch_one(ex).await?;
    Ok(n)
}

/// A person with a relation to the viewer (a mentor, a mentee, a requester).
#[derive(Debug, Clone, FromRow)]
pub struct PersonLine {
    pub id: String,
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    /// When the relation started or the request was made.
    pub since: i64,
}

/// The user's current mentors (`as_mentee`) or mentees.
pub async fn relations<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    as_mentee: bool,
) -> sqlx::Result<Vec<PersonLine>> {
    let (me, other) = if as_mentee {
        ("mentee_id", "mentor_id")
    } else {
        ("mentor_id", "mentee_id")
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.id, u.id AS user_id, u.first_name, u.last_name, u.headline, \
         COALESCE(m.started_at, m.created_at) AS since FROM mentorships m \
         JOIN users u ON u.id = m.{other} WHERE m.{me} = $1 AND m.status = 'accepted' \
         ORDER BY since DESC LIMIT 50"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Mentorship requests waiting for this mentor's answer, oldest first.
pub async fn waiting_requests<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    now: i64,
) -> sqlx::Result<Vec<PersonLine>> {
    sqlx::query_as(
        "SELECT m.id, u.id AS user_id, u.first_name, u.last_name, u.headline, m.created_at AS since \
         FROM mentorships m JOIN users u ON u.id = m.mentee_id \
         WHERE m.mentor_id = $1 AND m.status = 'pending' AND m.expires_at > $2 \
         ORDER BY m.created_at LIMIT 50",
    )
    .bind(mentor_id)
    .bind(now)
    .fetch_all(ex)
    .await
}

/// A booking line: what, when, with whom.
#[derive(Debug, Clone, FromRow)]
pub struct SessionLine {
    pub id: String,
    pub title: String,
    pub status: String,
    pub start_at: i64,
    pub end_at: i64,
    pub meeting_link: String,
    pub other_id: String,
    pub other_first_name: String,
    pub other_last_name: String,
    pub created_at: i64,
}

/// The user's coming sessions (pending or accepted, not yet over), soonest first.
pub async fn upcoming<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<SessionLine>> {
    sqlx::query_as(
        "SELECT b.id, b.title, b.status, b.start_at, b.end_at, b.meeting_link, u.id AS other_id, \
         u.first_name AS other_first_name, u.last_name AS other_last_name, b.created_at \
         FROM bookings b JOIN users u ON u.id = CASE WHEN b.mentor_id = $1 THEN b.mentee_id ELSE b.mentor_id END \
         WHERE (b.mentor_id = $1 OR b.mentee_id = $1) AND b.timed = 1 \
         AND b.status IN ('pending', 'accepted') AND b.end_at > $2 ORDER BY b.start_at LIMIT $3",
    )
    .bind(user_id)
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Booking requests waiting for this mentor's answer, oldest first.
pub async fn waiting_bookings<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<Vec<SessionLine>> {
    sqlx::query_as(
        "SELECT b.id, b.title, b.status, b.start_at, b.end_at, b.meeting_link, u.id AS other_id, \
         u.first_name AS other_first_name, u.last_name AS other_last_name, b.created_at \
         FROM bookings b JOIN users u ON u.id = b.mentee_id \
         WHERE b.mentor_id = $1 AND b.status = 'pending' ORDER BY b.created_at LIMIT 50",
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

/// Counts of a table's rows by status.
pub async fn by_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    table: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status"
    )))
    .fetch_all(ex)
    .await
}

/// The audit log, newest first, filtered by action prefix, actor, or target.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    pub before_id: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditLine {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_json: String,
    pub after_json: String,
    pub created_at: i64,
}

pub async fn audit<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    f: &AuditFilter,
) -> sqlx::Result<Vec<AuditLine>> {
    let mut b = SqlBuilder::new(
        "SELECT a.id, a.actor_id, u.email AS actor_email, a.action, a.target_type, a.target_id, \
         a.before_json, a.after_json, a.created_at FROM audit_log a \
         LEFT JOIN users u ON u.id = a.actor_id WHERE 1 = 1",
    );
    if let Some(action) = &f.action {
        b.push(" AND a.action LIKE ")
            .bind(Arg::Text(format!("{}%", super::like_escape(action))))
            .push(" ESCAPE '\\'");
    }
    if let Some(actor) = &f.actor_id {
        b.push(" AND a.actor_id = ").bind(Arg::Text(actor.clone()));
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
    pub users: i64,
    pub mentors_approved: i64,
    pub applications_pending: i64,
    pub mentorships_active: i64,
    /// The outside world's balance (negative: what it gave, less refunds).
    pub world_balance: i64,
    pub credits_spent: i64,
    pub messages: i64,
    pub articles_published: i64,
    pub payments_flagged: i64,
    pub reports_open: i64,
    pub jobs_dead: i64,
}

pub async fn platform_totals<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<PlatformTotals> {
    sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM users WHERE deleted_at IS NULL) AS users, \
         (SELECT COUNT(*) FROM mentor_profiles WHERE status = 'approved') AS mentors_approved, \
         (SELECT COUNT(*) FROM mentor_profiles WHERE status = 'pending') AS applications_pending, \
         (SELECT COUNT(*) FROM mentorships WHERE status = 'accepted') AS mentorships_active, \
         COALESCE((SELECT balance FROM ledger_accounts WHERE id = 'world'), 0) AS world_balance, \
         (SELECT CAST(COALESCE(SUM(credits_paid), 0) AS BIGINT) FROM bookings \
          WHERE credits_paid > 0) AS credits_spent, \
         (SELECT COUNT(*) FROM messages) AS messages, \
         (SELECT COUNT(*) FROM articles WHERE status = 'published') AS articles_published, \
         (SELECT COUNT(*) FROM payments WHERE flag <> '') AS payments_flagged, \
         (SELECT COUNT(*) FROM reports WHERE status = 'open') AS reports_open, \
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
