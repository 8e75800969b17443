//! Threads (1:1 and group), participants with read markers and archive flags, and
//! messages (ids are time-ordered, so "unread" is "newer than my read marker").

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{
    Arg, SqlBuilder, Tx,
    column::{get, row},
};
use crate::domain::ids::new_id;

row! {
#[derive(Debug, Clone)]
pub struct ThreadRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub created_by: Option<String>,
    pub pair_key: Option<String>,
    pub last_message_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

/// A thread as one participant sees it.
#[derive(Debug, Clone)]
pub struct MyThreadRow {
    pub t: ThreadRow,
    pub archived: bool,
    pub last_read_id: String,
    pub unread_count: i64,
}

impl<'r> FromRow<'r, sqlx::any::AnyRow> for MyThreadRow {
    fn from_row(row: &'r sqlx::any::AnyRow) -> sqlx::Result<Self> {
        Ok(Self {
            t: ThreadRow::from_row(row)?,
            archived: get(row, "archived")?,
            last_read_id: get(row, "last_read_id")?,
            unread_count: get(row, "unread_count")?,
        })
    }
}

row! {
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub thread_id: String,
    pub sender_id: Option<String>,
    pub kind: String,
    pub content: String,
    pub metadata: serde_json::Value,
    pub booking_id: Option<String>,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Whose action a system line reports ("Booking cancelled" by the mentee).
    pub actor_id: Option<String>,
}
}

row! {
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: String,
    pub last_read_id: String,
    pub archived: bool,
    /// 1 when their account is closed (nobody reads for them any more).
    pub closed: i64,
}
}

/// The key of a direct thread between two users.
pub fn pair_key(a: &str, b: &str) -> String {
    if a < b {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    }
}

pub async fn by_pair<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    key: &str,
) -> sqlx::Result<Option<ThreadRow>> {
    sqlx::query_as("SELECT * FROM threads WHERE pair_key = $1")
        .bind(key)
        .fetch_optional(ex)
        .await
}

pub async fn thread<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ThreadRow>> {
    sqlx::query_as("SELECT * FROM threads WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Writes a thread: id, kind, title, created by, pair key, time.
pub(crate) const CREATE_THREAD: &str = "INSERT INTO threads (id, kind, title, created_by, pair_key, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

/// Adds a participant to a thread (once): thread, user, time.
pub(crate) const ADD_PARTICIPANT: &str = "INSERT INTO thread_participants (thread_id, user_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING";

/// The id of a pair's direct thread.
pub(crate) const THREAD_BY_PAIR: &str = "SELECT id FROM threads WHERE pair_key = $1";

pub async fn create_thread(
    tx: &mut Tx,
    kind: &str,
    title: &str,
    created_by: Option<&str>,
    pair_key: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(CREATE_THREAD)
        .bind(&id)
        .bind(kind)
        .bind(title)
        .bind(created_by)
        .bind(pair_key)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

pub async fn add_participant(
    tx: &mut Tx,
    thread_id: &str,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(ADD_PARTICIPANT)
        .bind(thread_id)
        .bind(user_id)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn remove_participant(tx: &mut Tx, thread_id: &str, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM thread_participants WHERE thread_id = $1 AND user_id = $2")
        .bind(thread_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The first names of those who wrote in a thread and are no longer in it (a seat
/// left, an account closed): (user id, first name).
pub async fn former_writers<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.first_name FROM users u WHERE u.id IN \
         (SELECT m.sender_id FROM messages m WHERE m.thread_id = $1 AND m.sender_id IS NOT NULL) \
         AND u.id NOT IN (SELECT p.user_id FROM thread_participants p WHERE p.thread_id = $1)",
    )
    .bind(thread_id)
    .fetch_all(ex)
    .await
}

pub async fn participants<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
) -> sqlx::Result<Vec<ParticipantRow>> {
    sqlx::query_as(
        "SELECT p.user_id, u.first_name, u.last_name, u.avatar_url, p.last_read_id, p.archived, \
         CAST(CASE WHEN u.deleted_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS closed \
         FROM thread_participants p JOIN users u ON u.id = p.user_id WHERE p.thread_id = $1 ORDER BY u.first_name, p.user_id",
    )
    .bind(thread_id)
    .fetch_all(ex)
    .await
}

pub async fn is_participant<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
    user_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM thread_participants WHERE thread_id = $1 AND user_id = $2",
    )
    .bind(thread_id)
    .bind(user_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

const UNREAD: &str = "(SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.id > p.last_read_id \
    AND (m.sender_id IS NULL OR m.sender_id <> p.user_id) \
    AND (m.actor_id IS NULL OR m.actor_id <> p.user_id) AND m.deleted_at IS NULL)";

/// How many threads I am in, archived or not (by the participants' user index).
pub async fn count_threads<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    archived: bool,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM thread_participants WHERE user_id = $1 AND archived = $2",
    )
    .bind(user_id)
    .bind(i64::from(archived))
    .fetch_one(ex)
    .await
}

/// My threads (archived or not), most recent activity first.
pub async fn my_threads<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    archived: Option<bool>,
    before: Option<(i64, String)>,
    limit: i64,
) -> sqlx::Result<Vec<MyThreadRow>> {
    let mut b = SqlBuilder::new(&format!(
        "SELECT t.*, p.archived, p.last_read_id, {UNREAD} AS unread_count FROM threads t \
         JOIN thread_participants p ON p.thread_id = t.id WHERE p.user_id = "
    ));
    b.bind(Arg::Text(user_id.into()));
    if let Some(a) = archived {
        b.push(" AND p.archived = ").bind(Arg::Int(i64::from(a)));
    }
    if let Some((at, id)) = before {
        b.push(" AND (COALESCE(t.last_message_at, t.created_at) < ")
            .bind(Arg::Int(at));
        b.push(" OR (COALESCE(t.last_message_at, t.created_at) = ")
            .bind(Arg::Int(at));
        b.push(" AND t.id < ").bind(Arg::Text(id)).push("))");
    }
    b.push(" ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC LIMIT ")
        .bind(Arg::Int(limit));
    b.query_as().fetch_all(ex).await
}

pub async fn my_thread<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    thread_id: &str,
) -> sqlx::Result<Option<MyThreadRow>> {
    let sql = format!(
        "SELECT t.*, p.archived, p.last_read_id, {UNREAD} AS unread_count FROM threads t \
         JOIN thread_participants p ON p.thread_id = t.id WHERE p.user_id = $1 AND t.id = $2"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(thread_id)
        .fetch_optional(ex)
        .await
}

/// Unread messages over all my (unarchived) threads.
pub async fn unread_total<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages m JOIN thread_participants p ON p.thread_id = m.thread_id \
         WHERE p.user_id = $1 AND p.archived = 0 AND m.id > p.last_read_id \
         AND (m.sender_id IS NULL OR m.sender_id <> p.user_id) \
         AND (m.actor_id IS NULL OR m.actor_id <> p.user_id) AND m.deleted_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(ex)
    .await
}

/// The last message of each of these threads.
pub async fn last_messages<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_ids: &[String],
) -> sqlx::Result<Vec<MessageRow>> {
    if thread_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut b = SqlBuilder::new(
        "SELECT m.* FROM messages m WHERE m.id IN (SELECT MAX(x.id) FROM messages x WHERE x.thread_id IN (",
    );
    for (i, id) in thread_ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::Text(id.clone()));
    }
    b.push(") GROUP BY x.thread_id)");
    b.query_as().fetch_all(ex).await
}

pub struct NewMessage<'a> {
    pub thread_id: &'a str,
    pub sender_id: Option<&'a str>,
    pub kind: &'a str,
    pub content: &'a str,
    pub metadata: &'a serde_json::Value,
    pub booking_id: Option<&'a str>,
    pub now: Timestamp,
    /// A system line's actor: the person whose action it reports, for whom it is
    /// never unread.
    pub actor_id: Option<&'a str>,
}

/// The statements of [`insert_message`]: the message, the thread's last activity, and
/// an archived thread brought back for everyone.
const MESSAGE_STATEMENTS: [&str; 3] = [
    "INSERT INTO messages (id, thread_id, sender_id, kind, content, metadata, booking_id, created_at, updated_at, actor_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
    "UPDATE threads SET last_message_at = $8, updated_at = $8 WHERE id = $2",
    "UPDATE thread_participants SET archived = 0, updated_at = $8 WHERE thread_id = $2 AND archived = 1",
];

/// [`MESSAGE_STATEMENTS`] after an update of another message's metadata (`$10`, `$11`).
const MESSAGE_AFTER_UPDATE: [&str; 4] = [
    "UPDATE messages SET metadata = $11, updated_at = $8 WHERE id = $10",
    MESSAGE_STATEMENTS[0],
    MESSAGE_STATEMENTS[1],
    MESSAGE_STATEMENTS[2],
];

/// Writes a message in its thread: the row, the thread's last activity, and (a new
/// message brings an archived thread back for everyone) its participants. One round
/// trip ([`super::OneTrip`]).
pub async fn insert_message(tx: &mut Tx, m: &NewMessage<'_>) -> sqlx::Result<String> {
    insert_message_after(tx, m, None).await
}

/// [`insert_message`], first setting the metadata of message `update.0` (an invite
/// that follows its booking) to `update.1`, in the same round trip.
/// Marks line `message_id` read for `user_id` when it is the only one they have not
/// read in the thread (besides `seen`, the booking request they have just answered,
/// whose invite is no news to them either): a line about their own action is no news
/// to them, but it must not mark read what the other person wrote before it.
pub async fn read_own_line<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
    user_id: &str,
    (message_id, seen): (&str, Option<&str>),
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE thread_participants SET last_read_id = $3, updated_at = $4 \
         WHERE thread_id = $1 AND user_id = $2 AND last_read_id < $3 \
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = $1 \
         AND m.id > thread_participants.last_read_id AND m.id < $3 \
         AND (m.sender_id IS NULL OR m.sender_id <> $2) \
         AND (m.actor_id IS NULL OR m.actor_id <> $2) AND m.deleted_at IS NULL \
         AND m.id <> $5)",
    )
    .bind(thread_id)
    .bind(user_id)
    .bind(message_id)
    .bind(now.stored())
    .bind(seen.unwrap_or(""))
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn insert_message_after(
    tx: &mut Tx,
    m: &NewMessage<'_>,
    update: Option<(&str, &serde_json::Value)>,
) -> sqlx::Result<String> {
    static MESSAGE: super::OneTrip = super::OneTrip::new(&MESSAGE_STATEMENTS);
    static AFTER_UPDATE: super::OneTrip = super::OneTrip::new(&MESSAGE_AFTER_UPDATE);
    let id = new_id();
    let sql = match update {
        None => MESSAGE.sql(tx.backend()),
        Some(_) => AFTER_UPDATE.sql(tx.backend()),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&id)
        .bind(m.thread_id)
        .bind(m.sender_id)
        .bind(m.kind)
        .bind(m.content)
        .bind(m.metadata.to_string())
        .bind(m.booking_id)
        .bind(m.now.stored())
        .bind(m.actor_id);
    if let Some((other, metadata)) = update {
        q = q.bind(other).bind(metadata.to_string());
    }
    q.execute(&mut **tx).await?;
    Ok(id)
}

pub async fn message<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as("SELECT * FROM messages WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// A page of a thread's messages, newest first.
pub async fn messages<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    sqlx::query_as("SELECT * FROM messages WHERE thread_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3")
        .bind(thread_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}

pub async fn edit_message<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    content: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE messages SET content = $2, edited_at = $3, updated_at = $3 WHERE id = $1 AND deleted_at IS NULL")
        .bind(id)
        .bind(content)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Deletes a message: its content is erased, the row stays (shown as deleted).
pub async fn delete_message<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE messages SET content = '', metadata = '{}', deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// Moves my read marker forward to `message_id` (never back).
pub async fn mark_read<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
    user_id: &str,
    message_id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE thread_participants SET last_read_id = $3, updated_at = $4 \
         WHERE thread_id = $1 AND user_id = $2 AND last_read_id < $3",
    )
    .bind(thread_id)
    .bind(user_id)
    .bind(message_id)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn set_archived<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    thread_id: &str,
    user_id: &str,
    archived: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE thread_participants SET archived = $3, updated_at = $4 WHERE thread_id = $1 AND user_id = $2")
        .bind(thread_id)
        .bind(user_id)
        .bind(i64::from(archived))
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

/// A booking's invite message (`$1` the booking), through the index of messages that
/// have a booking.
pub const INVITE_OF: &str = "SELECT * FROM messages WHERE booking_id = $1 AND kind = 'invite'";

/// The invite message of a booking, if any.
pub async fn invite_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as(INVITE_OF)
        .bind(booking_id)
        .fetch_optional(ex)
        .await
}

/// The invite of series `series_id` in its pair's chat (its first session's: a series
/// has one).
pub async fn series_invite<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    series_id: &str,
) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as(
        "SELECT * FROM messages WHERE kind = 'invite' AND booking_id IN \
         (SELECT id FROM bookings WHERE series_id = $1) LIMIT 1",
    )
    .bind(series_id)
    .fetch_optional(ex)
    .await
}

/// Whether two users are connected (a mentorship or a booking between them, either way).
/// Stops at the first row found, each direction on its own index (a count read every
/// booking the pair ever had).
pub async fn connected<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    a: &str,
    b: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM mentorships WHERE mentor_id = $1 AND mentee_id = $2) \
         OR EXISTS (SELECT 1 FROM mentorships WHERE mentor_id = $2 AND mentee_id = $1) \
         OR EXISTS (SELECT 1 FROM bookings WHERE mentor_id = $1 AND mentee_id = $2) \
         OR EXISTS (SELECT 1 FROM bookings WHERE mentor_id = $2 AND mentee_id = $1) \
         THEN 1 ELSE 0 END AS BIGINT)",
    )
    .bind(a)
    .bind(b)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Messages a user wrote, newest first (for the data export).
pub async fn sent_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    sqlx::query_as("SELECT * FROM messages WHERE sender_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(user_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}
