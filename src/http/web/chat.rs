//! Chat and notifications pages. Forms post without JavaScript; `static/app.js` adds
//! live updates (new messages, typing, the notification count) over the socket.

use crate::http::web::in_words;
use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    routing::{get, post},
};
use serde::Deserialize;

use super::{CsrfForm, Layout, PageResult, WebCtx, WebForm};
use crate::{
    error::AppError,
    http::{AppState, extract::path_id},
    service::{
        accounts::UserRow,
        messages::{self, MessageRow, ThreadSummary},
        notify,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat", get(threads))
        .route("/chat/{id}", get(conversation).post(send))
        .route("/chat/{id}/messages/{message}", get(one_message))
        .route("/chat/{id}/messages/{message}/edit", post(edit_message))
        .route("/chat/{id}/messages/{message}/delete", post(delete_message))
        .route("/chat/{id}/{action}", post(archive))
        .route("/chat/with/{user}", post(chat_with))
        .route("/notifications", get(notifications))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/open", get(open))
        .route("/settings/notifications", get(prefs_form).post(save_prefs))
}

/// "3 Mar, 2:05 PM" or "3 Mar, 14:05", as the person reads times (the conversation
/// list, the notifications).
fn short_time(web: &WebCtx, t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let z = t.to_zoned(tz.clone());
    format!("{}, {}", z.strftime("%-d %b"), web.clock_time(&z))
}

pub struct ThreadLine {
    pub id: String,
    pub name: String,
    pub preview: String,
    pub unread: i64,
    pub when: String,
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ThreadsPage {
    layout: Layout,
    threads: Vec<ThreadLine>,
    /// The archived conversations are listed (not the inbox).
    archived: bool,
    /// How many conversations the other list holds.
    elsewhere: i64,
}

#[derive(Debug, Default, Deserialize)]
struct ThreadsQuery {
    #[serde(default)]
    archived: String,
}

/// A thread's title, or the names of the others in it; a group session's thread is
/// named by the session as it is now, with its start in the reader's zone ("Rust
/// basics, Tue 8 Dec 2026, 18:00"), which tells weekly repeats apart.
fn thread_name(t: &ThreadSummary, me: &str, web: &WebCtx, tz: &jiff::tz::TimeZone) -> String {
    if let Some(g) = &t.group {
        return format!("{}, {}", g.title, web.when(g.start_at, tz));
    }
    if !t.thread.t.title.is_empty() {
        return t.thread.t.title.clone();
    }
    let others: Vec<String> = t
        .participants
        .iter()
        .filter(|p| p.user_id != me)
        .map(|p| format!("{} {}", p.first_name, p.last_name))
        .collect();
    others.join(", ")
}

fn preview(m: &MessageRow) -> String {
    if m.deleted_at.is_some() {
        return "(deleted)".into();
    }
    let text = match m.kind.as_str() {
        "image" => "(image)".to_string(),
        "invite" if m.content.trim().is_empty() => "Booking request".to_string(),
        "invite" => format!("Booking request: {}", m.content),
        _ => m.content.clone(),
    };
    crate::domain::text::clipped(&text, 80)
}

async fn threads(State(state): State<AppState>, web: WebCtx, uri: axum::http::Uri) -> PageResult {
    let me = web.require_user()?.user.clone();
    let q: ThreadsQuery = super::page_query(&uri);
    let archived = q.archived == "1";
    let rows = messages::my_threads(&state.ctx, &me.id, archived, None, 100).await?;
    let elsewhere = messages::thread_count(&state.ctx, &me.id, !archived).await?;
    let tz = super::zone_of(Some(&me));
    let mut threads = vec![];
    for t in rows {
        threads.push(ThreadLine {
            name: thread_name(&t, &me.id, &web, &tz),
            preview: t.last.as_ref().map(preview).unwrap_or_default(),
            unread: t.thread.unread_count,
            when: short_time(
                &web,
                t.thread.t.last_message_at.unwrap_or(t.thread.t.created_at),
                &tz,
            ),
            id: t.thread.t.id,
        });
    }
    Ok(web.render(
        &state,
        &ThreadsPage {
            layout: web.layout(),
            threads,
            archived,
            elsewhere,
        },
    ))
}

pub struct MessageLine {
    pub id: String,
    pub mine: bool,
    pub sender: String,
    pub kind: String,
    pub content: String,
    /// The text in runs, links apart: (text, href; empty when plain text).
    pub parts: Vec<(String, String)>,
    pub deleted: bool,
    pub when: String,
    pub booking_id: String,
    pub status: String,
    /// A booking request's session: its title and, for a timed one, when it is (in
    /// the reader's zone and clock).
    pub session: String,
    /// For a line about someone's action ("Booking cancelled"): "by you", "by Ada
    /// Lovelace"; empty otherwise.
    pub by: String,
    /// Changed since it was sent.
    pub edited: bool,
    /// The reader wrote it and may still change it (a text) or delete it.
    pub editable: bool,
    pub deletable: bool,
    /// Why an edit of it was refused ("" when none): its menu opens with it.
    pub edit_error: String,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    layout: Layout,
    /// This page, to come back to after reporting a message.
    self_path: String,
    thread_id: String,
    name: String,
    /// The other person's profile, in a conversation of two; a group session's page.
    profile_href: String,
    /// The chat of a group session (named by the session, not "Chat with …").
    group: bool,
    /// That session is cancelled (its chat stays open to who was in it).
    group_cancelled: bool,
    me: String,
    messages: Vec<MessageLine>,
    error: Option<String>,
    draft: String,
    /// Out of the reader's inbox (until someone writes in it).
    archived: bool,
    /// Everyone else closed their account: no composer, a line saying so.
    closed: bool,
    /// The oldest message shown, when there are earlier ones (their page's link).
    earlier: Option<String>,
    /// This page shows earlier messages, not the latest (live ones are not added).
    is_earlier: bool,
}

impl ConversationPage {
    fn closed_note(&self) -> &'static str {
        messages::CLOSED_NOTE
    }
}

/// An edit of one of my messages that came back refused: (message id, why, what was
/// typed), shown in that message's open menu.
type Refused = (String, String, String);

/// What a conversation's page shows besides its latest messages.
#[derive(Debug, Default)]
struct Shown {
    /// Why a message was not sent, and the text kept in the composer.
    error: Option<String>,
    draft: String,
    refused_edit: Option<Refused>,
    /// A page of earlier messages: those before this one.
    before: Option<String>,
}

/// Messages on one page of a conversation.
const PAGE_MESSAGES: usize = 100;

async fn render_conversation(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    id: &str,
    shown: Shown,
) -> PageResult {
    let Shown {
        error,
        draft,
        refused_edit,
        before,
    } = shown;
    let thread_id = path_id(id)?;
    let t = messages::summary(&state.ctx, me, &thread_id, false).await?;
    let limit = PAGE_MESSAGES as i64 + 1;
    let mut rows = messages::page(&state.ctx, me, &thread_id, before.as_deref(), limit).await?;
    // One more than a page read: there are earlier ones, from the oldest shown back.
    let earlier = (rows.len() > PAGE_MESSAGES).then(|| {
        rows.truncate(PAGE_MESSAGES);
        rows.last().map(|m| m.id.clone()).unwrap_or_default()
    });
    rows.reverse();
    messages::read(&state.ctx, me, &thread_id, None).await?;
    let others: Vec<&str> = t
        .participants
        .iter()
        .map(|p| p.user_id.as_str())
        .filter(|id| *id != me.id.as_str())
        .collect();
    let profile_href = match (&t.group, others.as_slice()) {
        (Some(g), _) => format!("/group-sessions/{}", g.id),
        (None, [other]) => crate::service::mentees::profile_href(&state.ctx, me, other).await?,
        _ => String::new(),
    };
    let tz = super::zone_of(Some(me));
    let former = messages::former_writers(&state.ctx, me, &thread_id).await?;
    let names = first_names(&t, &former);
    let messages = rows
        .into_iter()
        .map(|m| {
            let mut line = message_line(m, me, &names, &tz, web);
            if let Some((id, why, typed)) = &refused_edit
                && *id == line.id
            {
                line.edit_error = why.clone();
                line.content = typed.clone();
            }
            line
        })
        .collect();
    // This thread is read now: the navigation's count says so.
    let mut layout = web.layout();
    layout.unread_messages = messages::unread_total(&state.ctx, &me.id).await?;
    Ok(web.render(
        state,
        &ConversationPage {
            layout,
            self_path: format!("/chat/{thread_id}"),
            name: thread_name(&t, &me.id, web, &tz),
            group: t.group.is_some(),
            group_cancelled: t.group.as_ref().is_some_and(|g| g.status == "cancelled"),
            profile_href,
            closed: messages::nobody_reads(&t.participants, &me.id),
            thread_id,
            me: me.id.to_string(),
            messages,
            error,
            draft,
            archived: t.thread.archived,
            earlier,
            is_earlier: before.is_some(),
        },
    ))
}

/// The thread's people as (id, first name), to name a message's sender, then those
/// who wrote in it and have left (`former`).
fn first_names<'a>(
    t: &'a ThreadSummary,
    former: &'a [(String, String)],
) -> Vec<(&'a str, &'a str)> {
    t.participants
        .iter()
        .map(|p| (p.user_id.as_str(), p.first_name.as_str()))
        .chain(former.iter().map(|(id, name)| (id.as_str(), name.as_str())))
        .collect()
}

/// A message as the conversation shows it, whether loaded with the page or arriving
/// live (the script fetches [`one_message`]): the sender's first name, the time in the
/// reader's zone and clock, links made clickable.
fn message_line(
    m: MessageRow,
    me: &UserRow,
    names: &[(&str, &str)],
    tz: &jiff::tz::TimeZone,
    web: &WebCtx,
) -> MessageLine {
    let z = m.created_at.to_zoned(tz.clone());
    let mine = m.sender_id.as_deref() == Some(me.id.as_str());
    let live = m.deleted_at.is_none();
    MessageLine {
        mine,
        edited: live && m.edited_at.is_some(),
        editable: mine && live && m.kind == "text",
        deletable: mine && live && matches!(m.kind.as_str(), "text" | "image"),
        edit_error: String::new(),
        // Someone whose name this reader may not see (a group session that hides its
        // attendees' names from each other) is "An attendee".
        sender: m
            .sender_id
            .as_ref()
            .map(|s| {
                names
                    .iter()
                    .find(|(id, _)| id == s)
                    .map_or_else(|| "An attendee".to_string(), |(_, n)| n.to_string())
            })
            .unwrap_or_default(),
        parts: linkify(&with_dates(&m, tz, web)),
        kind: m.kind.clone(),
        content: m.content.clone(),
        deleted: m.deleted_at.is_some(),
        when: format!("{}, {}", z.strftime("%-d %b"), web.clock_time(&z)),
        booking_id: m.booking_id.clone().unwrap_or_default(),
        status: m.metadata["status"].as_str().unwrap_or("").to_string(),
        session: invite_session(&m.metadata, tz, web),
        by: match m.actor_id.as_deref() {
            _ if m.kind != "system" => String::new(),
            Some(a) if a == me.id.as_str() => "by you".into(),
            Some(a) => names
                .iter()
                .find(|(id, _)| *id == a)
                .map(|(_, n)| format!("by {n}"))
                .unwrap_or_default(),
            None => String::new(),
        },
        id: m.id,
    }
}

/// A booking's system line with the dates it is about, in the reader's zone:
/// "Booking cancelled: Career chat · Tue 3 Mar 2026, 10:00", or for a series "Series
/// accepted: 3 sessions of Career chat · Tue 3 Mar, Tue 10 Mar, Tue 17 Mar 2026 at
/// 10:00" (each with its time when the times differ, as across a change of summer
/// time). Other messages as written.
fn with_dates(m: &MessageRow, tz: &jiff::tz::TimeZone, web: &WebCtx) -> String {
    let starts: Vec<jiff::Zoned> = match m.metadata["starts"].as_array() {
        Some(a) if m.kind == "system" => a
            .iter()
            .filter_map(|s| s.as_str()?.parse::<jiff::Timestamp>().ok())
            .map(|t| t.to_zoned(tz.clone()))
            .collect(),
        _ => vec![],
    };
    let dates = match starts.as_slice() {
        [] => return m.content.clone(),
        [one] => web.when(one.timestamp(), tz),
        [first, .., last] => {
            let clock = web.clock_time(first);
            if starts.iter().all(|z| web.clock_time(z) == clock) {
                let year = first.year() != last.year();
                let fmt = if year { "%a %-d %b %Y" } else { "%a %-d %b" };
                let days: Vec<String> =
                    starts.iter().map(|z| z.strftime(fmt).to_string()).collect();
                let tail = if year {
                    String::new()
                } else {
                    last.strftime(" %Y").to_string()
                };
                format!("{}{tail} at {clock}", days.join(", "))
            } else {
                starts
                    .iter()
                    .map(|z| web.when(z.timestamp(), tz))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        }
    };
    format!("{} · {dates}", m.content)
}

/// "Career chat, Tue 3 Mar 2026, 10:00": a booking request's title and, when it has a
/// time (not a review), its start, and for a series' first session how many there are
/// ("…, the first of 4 sessions, every week"); empty for other messages.
fn invite_session(meta: &serde_json::Value, tz: &jiff::tz::TimeZone, web: &WebCtx) -> String {
    let title = meta["title"].as_str().unwrap_or("");
    let start = meta["start"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    let session = match start {
        Some(t) if meta["timed"].as_bool() != Some(false) => {
            format!("{title}, {}", web.when(t, tz))
        }
        _ => title.to_string(),
    };
    match meta["series_sessions"].as_i64() {
        Some(n) if n > 1 => format!(
            "{session}, the first of {n} sessions, {}",
            crate::domain::text::every_weeks(meta["series_every_weeks"].as_i64().unwrap_or(1))
        ),
        _ => session,
    }
}

/// Splits text into plain runs and web links (`http://` or `https://` up to a space;
/// trailing punctuation stays text).
pub fn linkify(text: &str) -> Vec<(String, String)> {
    let mut parts = vec![];
    let mut rest = text;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let end = rest[at..]
            .find(char::is_whitespace)
            .map(|e| at + e)
            .unwrap_or(rest.len());
        let url = rest[at..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        let url_end = at + url.len();
        if at > 0 {
            parts.push((rest[..at].to_string(), String::new()));
        }
        if url.len() > "https://".len() {
            parts.push((url.to_string(), url.to_string()));
        } else {
            parts.push((url.to_string(), String::new()));
        }
        rest = &rest[url_end..];
    }
    if !rest.is_empty() {
        parts.push((rest.to_string(), String::new()));
    }
    parts
}

#[derive(Template)]
#[template(path = "partials/message.html")]
struct OneMessage {
    layout: Layout,
    m: MessageLine,
    self_path: String,
}

/// One message as its conversation shows it (the script appends what arrives live).
async fn one_message(
    State(state): State<AppState>,
    web: WebCtx,
    Path((thread, id)): Path<(String, String)>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let (thread, id) = (path_id(&thread)?, path_id(&id)?);
    let m = messages::one(&state.ctx, &me, &thread, &id).await?;
    let t = messages::summary(&state.ctx, &me, &thread, false).await?;
    // What arrives live comes from someone still in the thread.
    let names = first_names(&t, &[]);
    let tz = super::zone_of(Some(&me));
    Ok(web.render(
        &state,
        &OneMessage {
            layout: web.layout(),
            m: message_line(m, &me, &names, &tz, &web),
            self_path: format!("/chat/{thread}"),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    confirmed: String,
}

/// Edits one of my messages from its menu; a refused text comes back in that menu,
/// open, saying why.
async fn edit_message(
    State(state): State<AppState>,
    web: WebCtx,
    Path((thread, id)): Path<(String, String)>,
    WebForm(f): WebForm<ChangeForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let (thread, id) = (path_id(&thread)?, path_id(&id)?);
    messages::one(&state.ctx, &me, &thread, &id).await?;
    let input = messages::EditInput { content: f.content };
    match messages::edit(&state.ctx, &me, &id, &input).await {
        Ok(_) => Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to(&format!("/chat/{thread}#m-{id}")),
        )),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let why = format!("Your message was not changed. {}", in_words(&e));
            let shown = Shown {
                refused_edit: Some((id.clone(), why, input.content)),
                ..Shown::default()
            };
            render_conversation(&state, &web, &me, &thread, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes one of my messages, once confirmed: it stays in the conversation as
/// "(deleted)".
async fn delete_message(
    State(state): State<AppState>,
    web: WebCtx,
    Path((thread, id)): Path<(String, String)>,
    WebForm(f): WebForm<ChangeForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let (thread, id) = (path_id(&thread)?, path_id(&id)?);
    let m = messages::one(&state.ctx, &me, &thread, &id).await?;
    if !super::confirm::confirmed(&f.confirmed) {
        return Ok(super::confirm::page(
            &state,
            &web,
            super::confirm::Confirm {
                question: "Delete this message?".into(),
                consequence: format!(
                    "“{}” is taken away for everyone in the conversation, who see “(deleted)” in its place.",
                    crate::domain::text::clipped(&m.content, 120)
                ),
                action: format!("/chat/{thread}/messages/{id}/delete"),
                fields: vec![],
                yes: "Yes, delete it",
                back: format!("/chat/{thread}#m-{id}"),
                no: "No, keep it",
                reason: None,
                errors: super::FormErrors::default(),
            },
        ));
    }
    messages::delete(&state.ctx, &me, &id).await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!("/chat/{thread}")),
    ))
}

/// Takes a conversation out of my inbox (`archive`: it comes back when someone writes
/// in it), or puts it back (`unarchive`).
async fn archive(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let archived = match action.as_str() {
        "archive" => true,
        "unarchive" => false,
        _ => return Err(AppError::NotFound.into()),
    };
    messages::archive(&state.ctx, &me, &id, archived).await?;
    Ok(if archived {
        web.redirect_flash("/chat", "conversation_archived")
    } else {
        web.redirect_flash(&format!("/chat/{id}"), "conversation_unarchived")
    })
}

#[derive(Debug, Default, Deserialize)]
struct ConversationQuery {
    /// Show the messages before this one (a page of earlier ones).
    #[serde(default)]
    before: String,
}

async fn conversation(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let q: ConversationQuery = super::page_query(&uri);
    // Not a message's id: no such page of messages.
    let before = match q.before.as_str() {
        "" => None,
        raw => Some(path_id(raw)?),
    };
    let shown = Shown {
        before,
        ..Shown::default()
    };
    match render_conversation(&state, &web, &me, &id, shown).await {
        // A group session's chat the reader is not in (in line, left, never joined):
        // its page, saying whose the chat is, rather than "not found".
        Err(e @ super::PageError::Failed(AppError::NotFound)) => {
            let thread_id = path_id(&id)?;
            match crate::service::groups::session_of_chat(&state.ctx, &me, &thread_id).await? {
                Some(g) => Ok(web.redirect_flash(
                    &format!("/group-sessions/{}", g.id),
                    "group_chat_for_seated",
                )),
                None => Err(e),
            }
        }
        other => other,
    }
}

#[derive(Debug, Default, Deserialize)]
struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    content: String,
}

async fn send(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<SendForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let tid = path_id(&id)?;
    let result = messages::send(
        &state.ctx,
        &me,
        &tid,
        &messages::MessageInput {
            content: f.content.clone(),
            kind: None,
        },
    )
    .await;
    Ok(match result {
        Ok(_) => axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            &format!("/chat/{tid}#composer"),
        )),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let shown = Shown {
                error: Some(in_words(&e)),
                draft: f.content,
                ..Shown::default()
            };
            render_conversation(&state, &web, &me, &tid, shown).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub struct NotificationLine {
    pub id: String,
    pub title: String,
    /// The body's text and its web links (a meeting link opens from here).
    pub body: Vec<(String, String)>,
    pub when: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<NotificationLine>,
}

async fn notifications(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let rows = notify::inbox(&state.ctx, &me, false, None, 100).await?;
    let tz = super::zone_of(Some(&me));
    let items = rows
        .into_iter()
        .map(|n| NotificationLine {
            unread: n.read_at.is_none(),
            when: short_time(&web, n.created_at, &tz),
            title: n.title,
            body: linkify(&n.body),
            id: n.id,
        })
        .collect();
    Ok(web.render(
        &state,
        &NotificationsPage {
            layout: web.layout(),
            items,
        },
    ))
}

/// Opens a notification: marks it read and goes where it points.
async fn open(State(state): State<AppState>, web: WebCtx, Path(id): Path<String>) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    let n = notify::mark_read(&state.ctx, &me, &id).await?;
    let to = if super::is_local_path(&n.link) {
        n.link
    } else {
        "/notifications".into()
    };
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&to),
    ))
}

/// "Message": opens (creating when missing) my conversation with one person I have a
/// mentorship or a booking with, and goes there.
async fn chat_with(
    State(state): State<AppState>,
    web: WebCtx,
    Path(user): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = messages::NewThreadInput {
        participant_ids: vec![user],
        title: String::new(),
    };
    let (thread, _) = messages::create_thread(&state.ctx, &me, &input).await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!("/chat/{thread}#composer")),
    ))
}

async fn read_all(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    notify::mark_all_read(&state.ctx, &me.id).await?;
    Ok(web.redirect_flash("/notifications", "notifications_read"))
}

#[derive(Template)]
#[template(path = "settings_notifications.html")]
struct PrefsPage {
    layout: Layout,
    show_services: bool,
    prefs: Vec<notify::Preference>,
}

async fn prefs_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let show_services = crate::service::mentors::offers_services(&state.ctx, &me).await;
    // Only the kinds that can reach this person (a mentee is never booked).
    let admin = crate::service::admin::is_admin(&me);
    let paying = crate::service::payments::enabled(&state.ctx);
    let prefs = notify::preferences(&state.ctx, &me.id)
        .await?
        .into_iter()
        .filter(|p| {
            notify::KINDS
                .iter()
                .any(|k| k.kind == p.kind && shown(k, show_services, admin, paying))
        })
        .collect();
    Ok(web.render(
        &state,
        &PrefsPage {
            layout: web.layout(),
            show_services,
            prefs,
        },
    ))
}

/// Whether the preferences page offers a kind: one that can reach this person, and
/// news of purchases only where credits can be bought.
fn shown(k: &notify::Kind, mentor: bool, admin: bool, paying: bool) -> bool {
    k.reaches(mentor, admin) && (paying || k.kind != notify::PAYMENT_UPDATED)
}

async fn save_prefs(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    web.check_csrf(csrf)?;
    let has = |k: &str| form.iter().any(|(n, _)| n == k);
    // The kinds the page showed this person; the others keep what they were.
    let mentor = crate::service::mentors::offers_services(&state.ctx, &me).await;
    let admin = crate::service::admin::is_admin(&me);
    let paying = crate::service::payments::enabled(&state.ctx);
    let prefs: Vec<notify::Preference> = notify::KINDS
        .iter()
        .filter(|k| shown(k, mentor, admin, paying))
        .map(|k| notify::Preference {
            kind: k.kind.into(),
            label: String::new(),
            in_app: has(&format!("{}_in_app", k.kind)),
            email: has(&format!("{}_email", k.kind)),
        })
        .collect();
    notify::set_preferences(&state.ctx, &me.id, &prefs).await?;
    Ok(web.redirect_flash("/settings/notifications", "preferences_saved"))
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn links_become_links_and_the_rest_stays_text() {
        let link = |s: &str| (s.to_string(), s.to_string());
        let text = |s: &str| (s.to_string(), String::new());
        assert_eq!(
            linkify("See https://example.com/a?b=1, then http://x.org."),
            vec![
                text("See "),
                link("https://example.com/a?b=1"),
                text(", then "),
                link("http://x.org"),
                text("."),
            ]
        );
        assert_eq!(linkify("no links"), vec![text("no links")]);
        assert_eq!(
            linkify("https:// alone"),
            vec![text("https://"), text(" alone")]
        );
        assert_eq!(linkify(""), vec![]);
    }
}
