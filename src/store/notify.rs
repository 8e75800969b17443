//! Notifications, their per-kind preferences, and the email outbox.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::ids::new_id;

row! {
#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub related_id: Option<String>,
    pub read_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

pub struct NewNotification<'a> {
    pub user_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub link: &'a str,
    pub related_id: Option<&'a str>,
    pub now: Timestamp,
}

/// A notification ready to be written as its recipient prefers ([`deliver`]).
pub struct Delivery<'a> {
    pub notification: NewNotification<'a>,
    pub notification_id: &'a str,
    /// What the recipient gets when they have chosen nothing for this kind: (in app,
    /// email).
    pub defaults: (bool, bool),
    /// The email, if it can go anywhere: outbox id, address, body, calendar file, and
    /// its sending job's id and payload.
    pub email: Option<DeliveryEmail<'a>>,
}

/// The email of a [`Delivery`].
pub struct DeliveryEmail<'a> {
    pub outbox_id: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub ics: &'a str,
    pub job_id: &'a str,
    pub job_payload: &'a str,
}

/// The recipient's stored choice for the notification's kind in column `$col`, else
/// the default in `$default` (parameters of [`DELIVER_STATEMENTS`]).
macro_rules! chosen {
    ($col:literal, $default:literal) => {
        concat!(
            "COALESCE((SELECT ",
            $col,
            " FROM notification_preferences WHERE user_id = $1 AND kind = $2), ",
            $default,
            ")"
        )
    };
}

/// The statements of [`deliver`], in order; the last answers whether the in-app row
/// was written.
const DELIVER_STATEMENTS: [&str; 4] = [
    concat!(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, related_id, created_at, updated_at) \
         SELECT $5, $1, $2, $6, $7, $8, $9, $10, $10 WHERE ",
        chosen!("in_app", "$3"),
        " = 1"
    ),
    concat!(
        "INSERT INTO outbox (id, user_id, to_email, subject, body, ics, status, created_at, updated_at) \
         SELECT $11, $1, $12, $6, $13, $14, 'queued', $10, $10 WHERE $17 = 1 AND ",
        chosen!("email", "$4"),
        " = 1"
    ),
    concat!(
        "INSERT INTO jobs (id, kind, payload, status, run_at, created_at, updated_at) \
         SELECT $15, 'email.send', $16, 'queued', $10, $10, $10 WHERE $17 = 1 AND ",
        chosen!("email", "$4"),
        " = 1"
    ),
    concat!("SELECT ", chosen!("in_app", "$3")),
];

/// Writes a notification as its recipient prefers (their stored choice for its kind,
/// else `defaults`): the in-app row, and the email's outbox row with its sending job.
/// One round trip: on SQLite one multi-statement command, on PostgreSQL one statement
/// of data-modifying CTEs (each reads the preference from the same snapshot). Returns
/// whether the in-app row was written (its live event follows the commit).
pub async fn deliver(tx: &mut Tx, d: &Delivery<'_>) -> sqlx::Result<bool> {
    static DELIVER: super::OneTrip = super::OneTrip::new(&DELIVER_STATEMENTS);
    let n = &d.notification;
    let (outbox_id, to, body, ics, job_id, job_payload) =
        d.email.as_ref().map_or(("", "", "", "", "", ""), |e| {
            (e.outbox_id, e.to, e.body, e.ics, e.job_id, e.job_payload)
        });
    let in_app: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(DELIVER.sql(tx.backend())))
        .bind(n.user_id)
        .bind(n.kind)
        .bind(i64::from(d.defaults.0))
        .bind(i64::from(d.defaults.1))
        .bind(d.notification_id)
        .bind(n.title)
        .bind(n.body)
        .bind(n.link)
        .bind(n.related_id)
        .bind(n.now.stored())
        .bind(outbox_id)
        .bind(to)
        .bind(body)
        .bind(ics)
        .bind(job_id)
        .bind(job_payload)
        .bind(i64::from(d.email.is_some()))
        .fetch_all(&mut **tx)
        .await?;
    Ok(in_app.first() == Some(&1))
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    unread_only: bool,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    sqlx::query_as(
        "SELECT * FROM notifications WHERE user_id = $1 AND ($2 = 0 OR read_at IS NULL) \
         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(i64::from(unread_only))
    .bind(before_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn unread_count<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<i64> {
    // Counted up to 1,000 (badges show "999+"), so the cost does not grow with a
    // pile of unread notifications.
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND read_at IS NULL LIMIT 1000) n",
    )
        .bind(user_id)
        .fetch_one(ex)
        .await
}

/// Marks one (or, with `id = None`, every) unread notification of a user read.
pub async fn mark_read<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    id: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let r = sqlx::query("UPDATE notifications SET read_at = $3, updated_at = $3 WHERE user_id = $1 AND read_at IS NULL AND ($2 IS NULL OR id = $2)")
        .bind(user_id)
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(r.rows_affected())
}

/// Marks read `user_id`'s unread notifications about `related_id` (they acted on it,
/// so what asked for their attention has had it). Returns how many.
pub async fn mark_read_about<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    related_id: &str,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = $3, updated_at = $3 \
         WHERE user_id = $1 AND read_at IS NULL AND related_id = $2",
    )
    .bind(user_id)
    .bind(related_id)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// Marks read every administrator's unread notification of `kind` about `related_id`
/// (one of them handled it); returns whose changed.
pub async fn mark_read_by_admins<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    kind: &str,
    related_id: &str,
    now: Timestamp,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE notifications SET read_at = $3, updated_at = $3 \
         WHERE user_id IN (SELECT id FROM users WHERE roles LIKE '%,admin,%') \
         AND read_at IS NULL AND kind = $1 AND related_id = $2 RETURNING user_id",
    )
    .bind(kind)
    .bind(related_id)
    .bind(now.stored())
    .fetch_all(ex)
    .await
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<NotificationRow>> {
    sqlx::query_as("SELECT * FROM notifications WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

row! {
/// The stored preferences of a user: (kind, in_app, email).
/// A user's stored choice for one kind of notification.
#[derive(Debug, Clone)]
pub struct PreferenceRow {
    pub kind: String,
    pub in_app: bool,
    pub email: bool,
}
}

pub async fn preferences<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<PreferenceRow>> {
    sqlx::query_as("SELECT kind, in_app, email FROM notification_preferences WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(ex)
        .await
}

pub async fn set_preference<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    kind: &str,
    in_app: bool,
    email: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (user_id, kind, in_app, email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, kind) DO UPDATE SET in_app = excluded.in_app, \
         email = excluded.email, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(kind)
    .bind(i64::from(in_app))
    .bind(i64::from(email))
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub user_id: Option<String>,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub ics: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub sent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewEmail<'a> {
    pub user_id: Option<&'a str>,
    pub to_email: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub ics: &'a str,
    pub now: Timestamp,
}

pub async fn queue_email(tx: &mut Tx, e: &NewEmail<'_>) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO outbox (id, user_id, to_email, subject, body, ics, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7)",
    )
    .bind(&id)
    .bind(e.user_id)
    .bind(e.to_email)
    .bind(e.subject)
    .bind(e.body)
    .bind(e.ics)
    .bind(e.now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<OutboxRow>> {
    sqlx::query_as("SELECT * FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// The outbox rows of `ids` (those that exist), in one read: a job batch's emails.
pub async fn emails<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ids: &[String],
) -> sqlx::Result<Vec<OutboxRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = crate::store::SqlBuilder::new("SELECT * FROM outbox WHERE id IN (");
    b.bind_list(ids).push(")");
    b.query_as().fetch_all(ex).await
}

/// Claims a queued email for one sending attempt until `until`: false when it is not
/// queued any more, or another worker is sending it right now.
pub async fn claim_email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    claimant: &str,
    until: Timestamp,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE outbox SET claimed_by = $2, claimed_until = $3, updated_at = $4 \
         WHERE id = $1 AND status = 'queued' \
         AND (claimed_until IS NULL OR claimed_until <= $4 OR claimed_by = $2)",
    )
    .bind(id)
    .bind(claimant)
    .bind(until.stored())
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Renews the claims `claimant` holds on emails being sent (with its jobs' leases).
pub async fn renew_email_claims<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    claimant: &str,
    until: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET claimed_until = $2 WHERE claimed_by = $1 AND status = 'queued'")
        .bind(claimant)
        .bind(until.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records the outcome of a sending attempt and releases its claim; `body`, when
/// given, replaces the stored body (a delivered email's without its link secrets).
pub async fn email_outcome<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    status: &str,
    error: &str,
    body: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = $2, last_error = $3, attempts = attempts + 1, \
         claimed_by = NULL, claimed_until = NULL, body = COALESCE($5, body), \
         sent_at = CASE WHEN $2 IN ('sent', 'logged') THEN $4 ELSE sent_at END, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(now.stored())
    .bind(body)
    .execute(ex)
    .await?;
    Ok(())
}

/// Marks emails logged (no SMTP server: written to the log, kept in the outbox).
pub async fn emails_logged<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ids: &[String],
    now: Timestamp,
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut b = crate::store::SqlBuilder::new(
        "UPDATE outbox SET status = 'logged', last_error = '', attempts = attempts + 1, \
         claimed_by = NULL, claimed_until = NULL, sent_at = $1, updated_at = $1 WHERE id IN (",
    );
    b.args.push(crate::store::Arg::Int(now.stored()));
    b.bind_list(ids).push(")");
    b.query().execute(ex).await?;
    Ok(())
}

/// Emails sent to a user (newest first), for tests and the export.
pub async fn emails_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    to_email: &str,
) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as("SELECT * FROM outbox WHERE to_email = $1 ORDER BY id DESC")
        .bind(to_email)
        .fetch_all(ex)
        .await
}

/// A closed account's own notifications, preferences and emails (every email to a
/// person is written with their id): nobody can read them any more, and the emails
/// hold its address.
pub async fn erase_user(tx: &mut Tx, user_id: &str) -> sqlx::Result<()> {
    for sql in [
        "DELETE FROM notifications WHERE user_id = $1",
        "DELETE FROM notification_preferences WHERE user_id = $1",
        "DELETE FROM outbox WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Where a closed account's name may still be written: other people's notifications
/// and emails. `(table, its title column, id, title or subject, body)`.
pub type NamedText = (&'static str, &'static str, String, String, String);

/// Other people's notifications and emails whose title or body holds `name` (a
/// closed account's full name; `pattern` is it LIKE-escaped). With `only_theirs`
/// (someone else bears the same name, and mentions of it may be theirs), only the
/// notifications about the account's own bookings and mentorships, and no email.
pub async fn naming(
    pool: &sqlx::Pool<Any>,
    user_id: &str,
    pattern: &str,
    only_theirs: bool,
) -> sqlx::Result<Vec<NamedText>> {
    let mut out = Vec::new();
    for (table, title) in [("notifications", "title"), ("outbox", "subject")] {
        let scope = match (only_theirs, table) {
            (false, _) => "",
            (true, "notifications") => {
                " AND related_id IN (SELECT id FROM bookings WHERE mentee_id = $1 \
                 UNION SELECT id FROM bookings WHERE mentor_id = $1 \
                 UNION SELECT id FROM mentorships WHERE mentee_id = $1 \
                 UNION SELECT id FROM mentorships WHERE mentor_id = $1)"
            }
            (true, _) => continue,
        };
        let sql = format!(
            "SELECT id, {title}, body FROM {table} WHERE user_id IS NOT NULL AND user_id <> $1 \
             AND ({title} LIKE $2 ESCAPE '\\' OR body LIKE $2 ESCAPE '\\'){scope}"
        );
        let rows: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(format!("%{pattern}%"))
            .fetch_all(pool)
            .await?;
        out.extend(rows.into_iter().map(|(id, t, b)| (table, title, id, t, b)));
    }
    Ok(out)
}

/// Rewrites one row found by [`naming`].
/// Replaces the body of `user_id`'s notifications of `kind` about `related_id` whose
/// body is `body` (a removed comment quoted in "… commented on …"), so that what was
/// taken away is not still read there. Returns how many changed.
pub async fn redact_body(
    tx: &mut Tx,
    (user_id, kind, related_id): (&str, &str, &str),
    body: &str,
    replacement: &str,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET body = $5, updated_at = $6 \
         WHERE user_id = $1 AND kind = $2 AND related_id = $3 AND body = $4",
    )
    .bind(user_id)
    .bind(kind)
    .bind(related_id)
    .bind(body)
    .bind(replacement)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn rewrite_named(tx: &mut Tx, row: &NamedText) -> sqlx::Result<()> {
    let (table, title_col, id, title, body) = row;
    let sql = format!("UPDATE {table} SET {title_col} = $2, body = $3 WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(title)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
