//! Threads and messages. A mentee and a mentor get a 1:1 thread when a mentorship is
//! accepted or a booking requested (their existing thread is reused); the booking
//! appears there as an invite message whose `metadata.status` follows the booking.
//! People open threads only with those they are connected to (a mentorship or a
//! booking), except admins. Every change is pushed live to the participants.

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{Ctx, events::Event};
use crate::{
    domain::{
        text,
        user::{Role, Roles},
    },
    error::{AppError, AppResult, FieldError},
    store::{
        self, Tx,
        messages::{NewMessage, pair_key},
        users::UserRow,
    },
};

pub use crate::store::messages::{MessageRow, MyThreadRow, ParticipantRow};

pub const MAX_CONTENT: usize = 4000;

fn ts(t: jiff::Timestamp) -> String {
    t.to_string()
}

/// The 1:1 thread of two users, created when missing.
pub async fn direct_thread(
    tx: &mut Tx,
    a: &str,
    b: &str,
    now: jiff::Timestamp,
) -> AppResult<String> {
    use store::bookings::RequestTx;
    Ok((**tx).direct_thread(a, b, now).await?)
}

/// Posts a message in the caller's transaction and returns it (as stored: nothing
/// needs to be read back).
pub async fn post_in(tx: &mut Tx, m: &NewMessage<'_>) -> AppResult<MessageRow> {
    let id = store::messages::insert_message(tx, m).await?;
    Ok(stored(id, m))
}

/// The row a new message becomes once written with `id`.
pub fn stored(id: String, m: &NewMessage<'_>) -> MessageRow {
    MessageRow {
        id,
        thread_id: m.thread_id.to_string(),
        sender_id: m.sender_id.map(str::to_string),
        kind: m.kind.to_string(),
        content: m.content.to_string(),
        metadata: m.metadata.clone(),
        booking_id: m.booking_id.map(str::to_string),
        edited_at: None,
        deleted_at: None,
        created_at: m.now,
        updated_at: m.now,
        actor_id: m.actor_id.map(str::to_string),
    }
}

/// The JSON clients get for a message.
pub fn message_json(m: &MessageRow) -> Value {
    json!({
        "id": m.id,
        "thread_id": m.thread_id,
        "sender_id": m.sender_id,
        "kind": m.kind,
        "content": if m.deleted_at.is_some() { Value::Null } else { Value::String(m.content.clone()) },
        "metadata": m.metadata,
        "booking_id": m.booking_id,
        "deleted": m.deleted_at.is_some(),
        "edited_at": m.edited_at.map(ts),
        "created_at": ts(m.created_at),
    })
}

async fn participant_ids(ctx: &Ctx, thread_id: &str) -> AppResult<Vec<String>> {
    Ok(store::messages::participants(&ctx.db.pool, thread_id)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}

/// Pushes an event to a thread's participants.
pub async fn push(ctx: &Ctx, thread_id: &str, event: Event) {
    match participant_ids(ctx, thread_id).await {
        Ok(users) => ctx.realtime.publish(ctx, &users, event).await,
        Err(e) => tracing::warn!(error = %e, "listing participants for a live event failed"),
    }
}

/// What a booking's invite message carries (and keeps up to date).
pub fn invite_metadata(b: &store::bookings::BookingFull) -> Value {
    json!({
        "booking_id": b.b.id, "status": b.b.status, "title": b.b.title,
        "start": ts(b.b.start_at), "end": ts(b.b.end_at), "timed": b.b.timed,
    })
}

/// A booking changed: its invite follows the status and time, and a system message
/// says so, carrying the starts of the `sessions` it is about (`starts`, none for a
/// review) for each reader to see in their own zone; a later session of a series,
/// which has no invite of its own, gets its line in the series' thread. The person
/// whose action it was (`by`) is not shown their own news as unread. Returns the
/// thread to push to (after commit).
pub async fn booking_changed(
    tx: &mut Tx,
    b: &store::bookings::BookingFull,
    sessions: &[store::bookings::BookingFull],
    what: &str,
    by: Option<&str>,
    now: jiff::Timestamp,
) -> AppResult<Option<String>> {
    // A session of a series other than its first has no invite of its own: its line
    // goes in the series' thread, and the series' invite (the first session's) stays.
    let (invite, own) = match store::messages::invite_of(&mut **tx, &b.b.id).await? {
        Some(i) => (i, true),
        None => match &b.b.series_id {
            Some(series) => match store::messages::series_invite(&mut **tx, series).await? {
                Some(i) => (i, false),
                None => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    // What else the invite says (a series' size) stays as it was written.
    let mut meta = invite.metadata.clone();
    meta["status"] = json!(b.b.status);
    meta["start"] = json!(ts(b.b.start_at));
    meta["end"] = json!(ts(b.b.end_at));
    let line = store::messages::insert_message_after(
        tx,
        &NewMessage {
            thread_id: &invite.thread_id,
            sender_id: None,
            kind: "system",
            content: what,
            metadata: &json!({
                "booking_id": b.b.id,
                "status": b.b.status,
                "starts": sessions
                    .iter()
                    .filter(|s| s.b.timed)
                    .map(|s| ts(s.b.start_at))
                    .collect::<Vec<_>>(),
            }),
            booking_id: None,
            now,
            actor_id: by,
        },
        own.then_some((invite.id.as_str(), &meta)),
    )
    .await?;
    if let Some(by) = by {
        // The request they answered is no news to them either.
        let seen = own.then_some(invite.id.as_str());
        store::messages::read_own_line(&mut **tx, &invite.thread_id, by, (&line, seen), now)
            .await?;
    }
    Ok(Some(invite.thread_id))
}

/// A note from the platform in a thread (a group session cancelled), shown live to
/// everyone in it once the transaction commits; not unread for the person whose action
/// it tells of (`by`).
pub async fn platform_note(
    tx: &mut Tx,
    thread_id: &str,
    text: &str,
    by: Option<&str>,
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<()> {
    let line = post_in(
        tx,
        &NewMessage {
            thread_id,
            sender_id: None,
            kind: "system",
            content: text,
            metadata: &json!({}),
            booking_id: None,
            now,
            actor_id: by,
        },
    )
    .await?;
    if let Some(by) = by {
        store::messages::read_own_line(&mut **tx, thread_id, by, (&line.id, None), now).await?;
    }
    let people = store::messages::participants(&mut **tx, thread_id).await?;
    live.push(
        people.into_iter().map(|p| p.user_id).collect(),
        Event::Message {
            message: message_json(&line),
        },
    );
    Ok(())
}

/// A mentorship was accepted: the pair's thread opens (or is reused) with a note,
/// not unread for the person who accepted it (`by`).
pub async fn mentorship_started(
    tx: &mut Tx,
    mentor_id: &str,
    mentee_id: &str,
    by: Option<&str>,
    now: jiff::Timestamp,
) -> AppResult<String> {
    let thread = direct_thread(tx, mentee_id, mentor_id, now).await?;
    let line = post_in(
        tx,
        &NewMessage {
            thread_id: &thread,
            sender_id: None,
            kind: "system",
            // Shown "by" whoever accepted: the line says what they did.
            content: "Mentorship request accepted. Say hello!",
            metadata: &json!({}),
            booking_id: None,
            now,
            actor_id: by,
        },
    )
    .await?;
    if let Some(by) = by {
        store::messages::read_own_line(&mut **tx, &thread, by, (&line.id, None), now).await?;
    }
    Ok(thread)
}

/// `POST /api/v1/threads`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThreadInput {
    /// The other participants: one for a 1:1 thread (an existing one is reused), two or
    /// more for a group (mentors and admins only).
    pub participant_ids: Vec<String>,
    /// A group's title.
    #[serde(default)]
    pub title: String,
}

#[tracing::instrument(name = "messages::create_thread", skip_all, fields(user_id = %me.id))]
pub async fn create_thread(
    ctx: &Ctx,
    me: &UserRow,
    input: &NewThreadInput,
) -> AppResult<(String, bool)> {
    let mut others: Vec<String> = vec![];
    for (i, raw) in input.participant_ids.iter().enumerate() {
        let id = crate::domain::ids::parse_id(raw).ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                &format!("participant_ids[{i}]"),
                "not_found",
                "There is no such user.",
            )])
        })?;
        if id != me.id && !others.contains(&id) {
            others.push(id);
        }
    }
    if others.is_empty() {
        return Err(AppError::invalid(
            "participant_ids",
            "required",
            "Name at least one other person.",
        ));
    }
    if others.len() > 50 {
        return Err(AppError::invalid(
            "participant_ids",
            "too_many",
            "A group has at most 50 other people.",
        ));
    }
    let roles = Roles::from_db(&me.roles);
    let admin = roles.has(Role::Admin);
    for (i, other) in others.iter().enumerate() {
        let exists = store::users::by_id(&ctx.db.pool, other)
            .await?
            .is_some_and(|u| u.deleted_at.is_none() && u.suspended_at.is_none());
        if !exists {
            return Err(AppError::Invalid(vec![FieldError::new(
                &format!("participant_ids[{i}]"),
                "not_found",
                "There is no such user.",
            )]));
        }
        if !admin && !store::messages::connected(&ctx.db.pool, &me.id, other).await? {
            return Err(AppError::forbidden(
                "You can message people you have a mentorship or a booking with.",
            ));
        }
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    if others.len() == 1 {
        let existed = store::messages::by_pair(&mut *tx, &pair_key(&me.id, &others[0]))
            .await?
            .is_some();
        let id = direct_thread(&mut tx, &me.id, &others[0], now).await?;
        tx.commit().await?;
        return Ok((id, !existed));
    }
    if !admin && !roles.has(Role::Mentor) {
        return Err(AppError::forbidden(
            "Group threads are started by mentors and admins.",
        ));
    }
    let title =
        text::required_line("title", &input.title, 120).map_err(|e| AppError::Invalid(vec![e]))?;
    let id =
        store::messages::create_thread(&mut tx, "group", &title, Some(&me.id), None, now).await?;
    store::messages::add_participant(&mut tx, &id, &me.id, now).await?;
    for o in &others {
        store::messages::add_participant(&mut tx, &id, o, now).await?;
    }
    tx.commit().await?;
    Ok((id, true))
}

pub async fn my_thread(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<MyThreadRow> {
    store::messages::my_thread(&ctx.db.pool, &me.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One of my threads as a list shows it: the thread (with my unread count), its
/// people, and its newest message.
#[derive(Debug, Clone)]
pub struct ThreadSummary {
    pub thread: MyThreadRow,
    pub participants: Vec<ParticipantRow>,
    pub last: Option<MessageRow>,
    /// A group session's thread: the session as it is now (its title follows a
    /// rename; weekly repeats, which share a title, differ by their start).
    pub group: Option<store::groups::ThreadGroupRow>,
}

/// The people of a thread as `me` may see them: in a group session's thread whose
/// session keeps its attendees' names from each other, an attendee sees the mentor and
/// themselves only (what they write still says who wrote it, as on the session's page).
fn visible(
    me: &str,
    group: Option<&store::groups::ThreadGroupRow>,
    people: Vec<ParticipantRow>,
) -> Vec<ParticipantRow> {
    match group {
        Some(g) if !g.show_names && g.mentor_id != me => people
            .into_iter()
            .filter(|p| p.user_id == me || p.user_id == g.mentor_id)
            .collect(),
        _ => people,
    }
}

/// The group sessions of those of `threads` that are a session's.
async fn groups_of(
    ctx: &Ctx,
    threads: &[&MyThreadRow],
) -> AppResult<Vec<store::groups::ThreadGroupRow>> {
    let ids: Vec<String> = threads
        .iter()
        .filter(|t| t.t.kind == "group")
        .map(|t| t.t.id.clone())
        .collect();
    Ok(store::groups::of_threads(&ctx.db.pool, &ids).await?)
}

/// A page of my threads, most recently active first: those after the cursor `before`
/// (last activity, id), at most `limit`.
pub async fn my_threads(
    ctx: &Ctx,
    me: &str,
    archived: bool,
    before: Option<(i64, String)>,
    limit: i64,
) -> AppResult<Vec<ThreadSummary>> {
    let pool = &ctx.db.pool;
    let rows = store::messages::my_threads(pool, me, Some(archived), before, limit).await?;
    let ids: Vec<String> = rows.iter().map(|t| t.t.id.clone()).collect();
    let mut lasts = store::messages::last_messages(pool, &ids).await?;
    let mut groups = groups_of(ctx, &rows.iter().collect::<Vec<_>>()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for thread in rows {
        let participants = store::messages::participants(pool, &thread.t.id).await?;
        let last = lasts
            .iter()
            .position(|m| m.thread_id == thread.t.id)
            .map(|i| lasts.swap_remove(i));
        let group = groups
            .iter()
            .position(|g| g.thread_id == thread.t.id)
            .map(|i| groups.swap_remove(i));
        let participants = visible(me, group.as_ref(), participants);
        out.push(ThreadSummary {
            thread,
            participants,
            last,
            group,
        });
    }
    Ok(out)
}

/// How many of my threads are archived (or not): the other list's count on a page.
pub async fn thread_count(ctx: &Ctx, me: &str, archived: bool) -> AppResult<i64> {
    Ok(store::messages::count_threads(&ctx.db.pool, me, archived).await?)
}

/// One of my threads, summed up as in [`my_threads`]; its newest message only when
/// `with_last` (a page that lists the messages anyway does not need it).
pub async fn summary(
    ctx: &Ctx,
    me: &UserRow,
    id: &str,
    with_last: bool,
) -> AppResult<ThreadSummary> {
    let thread = my_thread(ctx, me, id).await?;
    let pool = &ctx.db.pool;
    let last = if with_last {
        store::messages::last_messages(pool, &[id.to_string()])
            .await?
            .pop()
    } else {
        None
    };
    let group = groups_of(ctx, &[&thread]).await?.pop();
    Ok(ThreadSummary {
        participants: visible(
            &me.id,
            group.as_ref(),
            store::messages::participants(pool, id).await?,
        ),
        last,
        thread,
        group,
    })
}

/// My unread messages over all my threads that are not archived.
pub async fn unread_total(ctx: &Ctx, user_id: &str) -> AppResult<i64> {
    Ok(store::messages::unread_total(&ctx.db.pool, user_id).await?)
}

/// `POST /api/v1/threads/{id}/messages`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// Plain text (up to 4000 characters), or for `image` an https URL.
    pub content: String,
    /// `text` (default) or `image`.
    #[serde(default)]
    pub kind: Option<String>,
}

#[tracing::instrument(name = "messages::send", skip_all, fields(user_id = %me.id))]
pub async fn send(
    ctx: &Ctx,
    me: &UserRow,
    thread_id: &str,
    input: &MessageInput,
) -> AppResult<MessageRow> {
    // Membership only (cheap): no unread counting on the hot path.
    if !store::messages::is_participant(&ctx.db.pool, thread_id, &me.id).await? {
        return Err(AppError::NotFound);
    }
    let kind = input.kind.as_deref().unwrap_or("text");
    let content = match kind {
        "text" => text::optional_text("content", &input.content, MAX_CONTENT).and_then(|t| {
            if t.is_empty() {
                Err(FieldError::new(
                    "content",
                    "required",
                    "Write something first.",
                ))
            } else {
                Ok(t)
            }
        }),
        "image" => text::optional_https_url("content", &input.content).and_then(|u| {
            if u.is_empty() {
                Err(FieldError::new(
                    "content",
                    "required",
                    "An image message is an https URL.",
                ))
            } else {
                Ok(u)
            }
        }),
        _ => Err(FieldError::new(
            "kind",
            "invalid_kind",
            "kind is text or image.",
        )),
    }
    .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    // Who is not connected right now gets a notification (and an email if they want).
    // Asked before the write transaction: on PostgreSQL presence is a read of its own,
    // which from inside the transaction would hold one connection while waiting for
    // another (with every connection held that way, none would come back).
    let people = store::messages::participants(&ctx.db.pool, thread_id).await?;
    if nobody_reads(&people, &me.id) {
        return Err(AppError::conflict("recipient_closed", CLOSED_NOTE));
    }
    let mut away = vec![];
    for p in &people {
        if p.user_id != me.id && !super::events::is_online(ctx, &p.user_id).await {
            away.push(p.user_id.as_str());
        }
    }
    // Those away are told of a group session's line by the session, and of its writers
    // by first name only (attendees may not even see each other's names on the
    // session's page); nobody away, nothing to name.
    let group = if away.is_empty() {
        None
    } else {
        group_of(ctx, thread_id).await?
    };
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    let m = post_in(
        &mut tx,
        &NewMessage {
            thread_id,
            sender_id: Some(&me.id),
            kind,
            content: &content,
            metadata: &json!({}),
            booking_id: None,
            now,
            actor_id: None,
        },
    )
    .await?;
    store::messages::mark_read(&mut *tx, thread_id, &me.id, &m.id, now).await?;
    for user_id in away {
        if let Some(u) = store::users::by_id(&mut *tx, user_id).await? {
            let (title, body) = note_text(group.as_ref(), me, &u.id, &preview(&content));
            let note = super::notify::Note {
                reader: Some(u.reads()),
                user_id: &u.id,
                email: &u.email,
                kind: super::notify::NEW_MESSAGE,
                title,
                body,
                link: format!("/chat/{thread_id}"),
                related_id: Some(thread_id),
                ics: None,
            };
            super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
        }
    }
    tx.commit().await?;
    live.publish(ctx).await;
    let users: Vec<String> = people.into_iter().map(|p| p.user_id).collect();
    ctx.realtime
        .publish(
            ctx,
            &users,
            Event::Message {
                message: message_json(&m),
            },
        )
        .await;
    Ok(m)
}

/// What a conversation whose other people all closed their accounts says where its
/// composer was, and what sending there answers (`409 recipient_closed`).
pub const CLOSED_NOTE: &str = "This person closed their account: nobody reads this \
    conversation any more. What was written stays here.";

/// Whether everyone in a thread but `me` closed their account (a thread with others,
/// all gone): a message there would be read by nobody.
pub fn nobody_reads(people: &[ParticipantRow], me: &str) -> bool {
    let mut others = people.iter().filter(|p| p.user_id != me).peekable();
    others.peek().is_some() && others.all(|p| p.closed == 1)
}

pub async fn page(
    ctx: &Ctx,
    me: &UserRow,
    thread_id: &str,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<MessageRow>> {
    my_thread(ctx, me, thread_id).await?;
    Ok(store::messages::messages(&ctx.db.pool, thread_id, before, limit).await?)
}

/// The first names of those who wrote in one of my threads and have left it, to name
/// their messages: (user id, first name). None to an attendee of a group session that
/// keeps its attendees' names from each other (as [`visible`]).
pub async fn former_writers(
    ctx: &Ctx,
    me: &UserRow,
    thread_id: &str,
) -> AppResult<Vec<(String, String)>> {
    my_thread(ctx, me, thread_id).await?;
    if let Some(g) = group_of(ctx, thread_id).await?
        && !g.show_names
        && g.mentor_id != me.id
    {
        return Ok(vec![]);
    }
    Ok(store::messages::former_writers(&ctx.db.pool, thread_id).await?)
}

/// One message of one of my threads (another thread's is "not found").
pub async fn one(ctx: &Ctx, me: &UserRow, thread_id: &str, id: &str) -> AppResult<MessageRow> {
    my_thread(ctx, me, thread_id).await?;
    store::messages::message(&ctx.db.pool, id)
        .await?
        .filter(|m| m.thread_id == thread_id)
        .ok_or(AppError::NotFound)
}

/// Moves my read marker to `message_id` (default: the newest) and tells the others.
pub async fn read(
    ctx: &Ctx,
    me: &UserRow,
    thread_id: &str,
    message_id: Option<&str>,
) -> AppResult<()> {
    my_thread(ctx, me, thread_id).await?;
    let all = message_id.is_none();
    let upto = match message_id {
        Some(id) => {
            store::messages::message(&ctx.db.pool, id)
                .await?
                .filter(|m| m.thread_id == thread_id)
                .ok_or(AppError::NotFound)?
                .id
        }
        None => match store::messages::messages(&ctx.db.pool, thread_id, None, 1)
            .await?
            .first()
        {
            Some(m) => m.id.clone(),
            None => return Ok(()),
        },
    };
    store::messages::mark_read(&ctx.db.pool, thread_id, &me.id, &upto, ctx.now()).await?;
    // The whole thread read: its "new message" notifications have had their attention.
    if all && store::notify::mark_read_about(&ctx.db.pool, &me.id, thread_id, ctx.now()).await? > 0
    {
        let mut live = super::events::Live::new();
        live.count_changed(&me.id);
        live.publish(ctx).await;
    }
    push(
        ctx,
        thread_id,
        Event::Read {
            thread_id: thread_id.to_string(),
            user_id: me.id.to_string(),
            message_id: upto,
        },
    )
    .await;
    Ok(())
}

pub async fn archive(ctx: &Ctx, me: &UserRow, thread_id: &str, archived: bool) -> AppResult<()> {
    my_thread(ctx, me, thread_id).await?;
    store::messages::set_archived(&ctx.db.pool, thread_id, &me.id, archived, ctx.now()).await?;
    Ok(())
}

async fn own_message(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<MessageRow> {
    let m = store::messages::message(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::messages::is_participant(&ctx.db.pool, &m.thread_id, &me.id).await? {
        return Err(AppError::NotFound);
    }
    if m.sender_id.as_deref() != Some(me.id.as_str()) {
        return Err(AppError::forbidden(
            "You can only change your own messages.",
        ));
    }
    if m.deleted_at.is_some() {
        return Err(AppError::conflict(
            "message_deleted",
            "This message was deleted.",
        ));
    }
    Ok(m)
}

/// `PATCH /api/v1/messages/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    pub content: String,
}

#[tracing::instrument(name = "messages::edit", skip_all, fields(user_id = %me.id, id = %id))]
pub async fn edit(ctx: &Ctx, me: &UserRow, id: &str, input: &EditInput) -> AppResult<MessageRow> {
    let m = own_message(ctx, me, id).await?;
    if m.kind != "text" {
        return Err(AppError::conflict(
            "not_editable",
            "Only text messages can be edited.",
        ));
    }
    let content = text::optional_text("content", &input.content, MAX_CONTENT)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if content.is_empty() {
        return Err(AppError::invalid(
            "content",
            "required",
            "Write something, or delete the message.",
        ));
    }
    // Read before the write transaction (which must not wait for a second connection).
    let people = participant_ids(ctx, &m.thread_id).await?;
    let group = group_of(ctx, &m.thread_id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::messages::edit_message(&mut *tx, id, &content, now).await?;
    rewrite_notes(
        &mut tx,
        (me, group.as_ref()),
        &m,
        &people,
        Some(&content),
        now,
    )
    .await?;
    tx.commit().await?;
    let m = store::messages::message(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // To the people read before the write (as `push` would read them again).
    ctx.realtime
        .publish(
            ctx,
            &people,
            Event::MessageUpdated {
                message: message_json(&m),
            },
        )
        .await;
    Ok(m)
}

#[tracing::instrument(name = "messages::delete", skip_all, fields(user_id = %me.id, id = %id))]
pub async fn delete(ctx: &Ctx, me: &UserRow, id: &str) -> AppResult<()> {
    let m = own_message(ctx, me, id).await?;
    let people = participant_ids(ctx, &m.thread_id).await?;
    let group = group_of(ctx, &m.thread_id).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::messages::delete_message(&mut *tx, id, now).await?;
    rewrite_notes(&mut tx, (me, group.as_ref()), &m, &people, None, now).await?;
    tx.commit().await?;
    ctx.realtime
        .publish(
            ctx,
            &people,
            Event::MessageDeleted {
                thread_id: m.thread_id.clone(),
                message_id: id.to_string(),
            },
        )
        .await;
    Ok(())
}

/// What a notification of a new message says of it: its first 140 characters.
fn preview(content: &str) -> String {
    content.chars().take(140).collect()
}

/// The title and body of the notification of a new message (`preview`) by `writer` to
/// `reader_id`. In a group session's chat: the session and its time (stamped, so that
/// it is written out in the reader's zone when read), and the writer by first name —
/// or as "An attendee" to another attendee when the session hides names (its mentor
/// is always named, and sees every name); between two people, the writer's name.
fn note_text(
    group: Option<&store::groups::ThreadGroupRow>,
    writer: &UserRow,
    reader_id: &str,
    preview: &str,
) -> (String, String) {
    match group {
        Some(g) => {
            let named = g.show_names || writer.id == g.mentor_id || reader_id == g.mentor_id;
            let who = if named {
                writer.first_name.as_str()
            } else {
                "An attendee"
            };
            (
                format!("New message in “{}”", g.title),
                format!(
                    "{who}: {preview}\nThe session: {}",
                    crate::domain::clock::stamp(g.start_at)
                ),
            )
        }
        None => (
            format!(
                "New message from {} {}",
                writer.first_name, writer.last_name
            ),
            preview.to_string(),
        ),
    }
}

/// The group session whose chat this thread is, if it is one.
async fn group_of(ctx: &Ctx, thread_id: &str) -> AppResult<Option<store::groups::ThreadGroupRow>> {
    Ok(
        store::groups::of_threads(&ctx.db.pool, &[thread_id.to_string()])
            .await?
            .pop(),
    )
}

/// What the thread's other people were told of message `m` by notification (its
/// preview, [`note_text`]) follows its edit (`Some`: the new text) or its deletion
/// (`None`), so that what its writer took back is not read there still. An email
/// already sent stays as it went.
async fn rewrite_notes(
    tx: &mut Tx,
    (me, group): (&UserRow, Option<&store::groups::ThreadGroupRow>),
    m: &MessageRow,
    people: &[String],
    new: Option<&str>,
    now: jiff::Timestamp,
) -> AppResult<()> {
    let old = preview(&m.content);
    let new = new.map_or_else(|| "(deleted)".to_string(), preview);
    for user_id in people {
        if user_id == me.id.as_str() {
            continue;
        }
        let about = (
            user_id.as_str(),
            super::notify::NEW_MESSAGE,
            m.thread_id.as_str(),
        );
        let (_, was) = note_text(group, me, user_id, &old);
        let (_, now_reads) = note_text(group, me, user_id, &new);
        store::notify::redact_body(tx, about, &was, &now_reads, now).await?;
        if group.is_some() {
            // Written before the session's time moved into the body: "Ada: …".
            let (was, now_reads) = (
                format!("{}: {old}", me.first_name),
                format!("{}: {new}", me.first_name),
            );
            store::notify::redact_body(tx, about, &was, &now_reads, now).await?;
        }
    }
    Ok(())
}

/// A typing indicator from a participant (over the socket).
pub async fn typing(ctx: &Ctx, me: &UserRow, thread_id: &str) -> AppResult<()> {
    my_thread(ctx, me, thread_id).await?;
    let others: Vec<String> = participant_ids(ctx, thread_id)
        .await?
        .into_iter()
        .filter(|u| *u != me.id)
        .collect();
    ctx.realtime
        .publish(
            ctx,
            &others,
            Event::Typing {
                thread_id: thread_id.to_string(),
                user_id: me.id.to_string(),
            },
        )
        .await;
    Ok(())
}
