//! Notifications: in-app (listed, counted, pushed live) and email (through the durable
//! outbox), per kind and channel as each user prefers. Emails show booking times in
//! the recipient's zone and the other party's, with the booking's `.ics` attached.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Ctx, events::Live, jobs};
use crate::{
    clock::to_micros,
    domain::{booking::BookingStatus, ics, ids::new_id},
    error::{AppError, AppResult},
    store::{self, Tx, bookings::BookingFull, notify::NewNotification},
};

use super::accounts::UserRow;
use crate::domain::clock::{stamp, stamp_in};

pub use crate::store::notify::NotificationRow;

/// A page of a user's notifications, newest first: those before the one with id
/// `before`, at most `limit`.
pub async fn inbox(
    ctx: &Ctx,
    user: &UserRow,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<NotificationRow>> {
    Ok(
        store::notify::list(&ctx.db.pool, &user.id, unread_only, before, limit)
            .await?
            .into_iter()
            .map(|n| read_as(user.reads(), n))
            .collect(),
    )
}

/// How many of a user's notifications are unread (counted up to 1,000).
pub async fn unread_count(ctx: &Ctx, user_id: &str) -> AppResult<i64> {
    Ok(store::notify::unread_count(&ctx.db.pool, user_id).await?)
}

/// Marks one of the user's notifications read and pushes the new unread count to their
/// sockets; another user's notification is "not found". Returns it (pages follow its
/// link).
pub async fn mark_read(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<NotificationRow> {
    let user_id = user.id.as_str();
    let n = store::notify::get(&ctx.db.pool, id)
        .await?
        .filter(|n| n.user_id == user_id)
        .ok_or(AppError::NotFound)?;
    store::notify::mark_read(&ctx.db.pool, user_id, Some(&n.id), ctx.now()).await?;
    ctx.realtime.notify_count(ctx, user_id).await;
    Ok(read_as(user.reads(), n))
}

/// Marks all of a user's notifications read and pushes the count (zero).
pub async fn mark_all_read(ctx: &Ctx, user_id: &str) -> AppResult<()> {
    store::notify::mark_read(&ctx.db.pool, user_id, None, ctx.now()).await?;
    ctx.realtime.notify_count(ctx, user_id).await;
    Ok(())
}

/// A kind of notification, its label, default channels and whom it can reach.
pub struct Kind {
    pub kind: &'static str,
    pub label: &'static str,
    pub in_app: bool,
    pub email: bool,
    pub audience: Audience,
}

/// Who can receive a kind of notification: the settings page offers a person only
/// the kinds that can reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// Mentors offering services (booked, asked for mentorship, reviewed, calendars).
    Mentors,
    Administrators,
}

impl Kind {
    /// Whether this kind can reach someone who is (or is not) a mentor and an admin.
    pub fn reaches(&self, mentor: bool, admin: bool) -> bool {
        match self.audience {
            Audience::Everyone => true,
            Audience::Mentors => mentor,
            Audience::Administrators => admin,
        }
    }
}

pub const BOOKING_REQUESTED: &str = "booking_requested";
pub const BOOKING_ACCEPTED: &str = "booking_accepted";
pub const BOOKING_DECLINED: &str = "booking_declined";
pub const BOOKING_CANCELLED: &str = "booking_cancelled";
pub const BOOKING_RESCHEDULED: &str = "booking_rescheduled";
pub const BOOKING_EXPIRED: &str = "booking_expired";
pub const BOOKING_REMINDER: &str = "booking_reminder";
pub const NEW_MESSAGE: &str = "new_message";
pub const REVIEW_RECEIVED: &str = "review_received";
pub const REVIEW_DELIVERED: &str = "review_delivered";
pub const SESSION_COMPLETED: &str = "session_completed";
pub const MENTORSHIP_REQUESTED: &str = "mentorship_requested";
pub const MENTORSHIP_ANSWERED: &str = "mentorship_answered";
pub const APPLICATION_DECIDED: &str = "application_decided";
pub const PAYMENT_UPDATED: &str = "payment_updated";
pub const CREDIT_REQUESTED: &str = "credit_requested";
pub const CREDIT_REQUEST_ANSWERED: &str = "credit_request_answered";
pub const GROUP_SEAT: &str = "group_seat";
pub const GROUP_ROSTER: &str = "group_roster";
pub const PROGRAM_UPDATE: &str = "program_update";
pub const CALENDAR_FAILING: &str = "calendar_failing";
pub const MENTOR_APPLIED: &str = "mentor_applied";
pub const REPORT_FILED: &str = "report_filed";
pub const REPORT_DECIDED: &str = "report_decided";
pub const CONTENT_REMOVED: &str = "content_removed";
pub const BOOKING_DISPUTE: &str = "booking_dispute";
pub const DISPUTE_OPENED: &str = "dispute_opened";
pub const ARTICLE_COMMENT: &str = "article_comment";
pub const ACCOUNT_STATUS: &str = "account_status";

pub const KINDS: &[Kind] = &[
    Kind {
        kind: BOOKING_REQUESTED,
        label: "Someone books a session with me",
        in_app: true,
        email: true,
        audience: Audience::Mentors,
    },
    Kind {
        kind: BOOKING_ACCEPTED,
        label: "My booking is accepted",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_DECLINED,
        label: "My booking is declined",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_CANCELLED,
        label: "A booking is cancelled",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_RESCHEDULED,
        label: "A booking is moved",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_EXPIRED,
        label: "A booking request expires",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_REMINDER,
        label: "Reminders 24 hours and 1 hour before a session",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: NEW_MESSAGE,
        label: "A new chat message while I am away",
        in_app: true,
        email: false,
        audience: Audience::Everyone,
    },
    Kind {
        kind: REVIEW_DELIVERED,
        label: "A review I booked (a résumé, some code) is delivered",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: SESSION_COMPLETED,
        label: "A session of mine is over (a prompt to review it)",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: REVIEW_RECEIVED,
        label: "I receive a review",
        in_app: true,
        email: true,
        audience: Audience::Mentors,
    },
    Kind {
        kind: MENTORSHIP_REQUESTED,
        label: "Someone asks me for mentorship",
        in_app: true,
        email: true,
        audience: Audience::Mentors,
    },
    Kind {
        kind: MENTORSHIP_ANSWERED,
        label: "My mentorship request is answered, or a mentorship of mine ends or pauses",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: APPLICATION_DECIDED,
        label: "My mentor application is decided",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: PAYMENT_UPDATED,
        label: "A credit purchase goes through, fails or is refunded",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: CREDIT_REQUEST_ANSWERED,
        label: "My request for credits is answered",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: BOOKING_DISPUTE,
        label: "How one of my sessions ended is disputed, or the dispute decided",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: GROUP_SEAT,
        label: "My place in a group session changes (seated from the waitlist, passed over, cancelled), or one I lead is called off",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: GROUP_ROSTER,
        label: "Someone joins, waits for or leaves a group session I lead",
        in_app: true,
        email: false,
        audience: Audience::Mentors,
    },
    Kind {
        kind: PROGRAM_UPDATE,
        label: "News from my programs (matched, made a manager)",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: CALENDAR_FAILING,
        label: "A calendar I connected cannot be read (mentors)",
        in_app: true,
        email: true,
        audience: Audience::Mentors,
    },
    Kind {
        kind: CREDIT_REQUESTED,
        label: "A member asks for credits (administrators)",
        in_app: true,
        email: true,
        audience: Audience::Administrators,
    },
    Kind {
        kind: MENTOR_APPLIED,
        label: "Someone applies to mentor (administrators)",
        in_app: true,
        email: true,
        audience: Audience::Administrators,
    },
    Kind {
        kind: DISPUTE_OPENED,
        label: "A member disputes how a session ended (administrators)",
        in_app: true,
        email: true,
        audience: Audience::Administrators,
    },
    Kind {
        kind: ARTICLE_COMMENT,
        label: "Someone comments on my article",
        in_app: true,
        email: false,
        audience: Audience::Mentors,
    },
    Kind {
        kind: REPORT_FILED,
        label: "A member reports something (administrators)",
        in_app: true,
        email: true,
        audience: Audience::Administrators,
    },
    Kind {
        kind: CONTENT_REMOVED,
        label: "Something I wrote is removed after a report",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: ACCOUNT_STATUS,
        label: "My account is suspended, or active again",
        in_app: true,
        email: true,
        audience: Audience::Everyone,
    },
    Kind {
        kind: REPORT_DECIDED,
        label: "Something I reported is decided",
        in_app: true,
        email: false,
        audience: Audience::Everyone,
    },
];

/// Whether a user wants `kind` in-app and by email, from their stored preference
/// (`None`: the kind's default).
pub fn wants_stored(kind: &str, stored: Option<(bool, bool)>) -> (bool, bool) {
    match stored {
        Some(choice) => choice,
        None => kind_info(kind)
            .map(|k| (k.in_app, k.email))
            .unwrap_or((true, false)),
    }
}

/// The text of a notification's email: its times written out for its reader now.
/// A note without a link says no "Open:" line; a notice of the account's standing
/// (which may reach someone who cannot sign in to choose anything) no footer about
/// choosing emails.
pub fn email_body(ctx: &Ctx, note: &Note<'_>) -> String {
    let open = match note.link.as_str() {
        "" => String::new(),
        link => format!("\n\nOpen: {}{link}", ctx.config.base_url),
    };
    let choose = match note.kind {
        ACCOUNT_STATUS => String::new(),
        _ => format!(
            " Choose which emails you get: {}/settings/notifications",
            ctx.config.base_url
        ),
    };
    format!(
        "{}\n\n{}{open}\n\n--\nmentorhub.{choose}\n",
        note.title,
        reader_of(note).read(&note.body),
    )
}

/// How a note's recipient reads times (UTC on 24 hours when the note does not say).
fn reader_of<'a>(note: &Note<'a>) -> crate::domain::clock::Reader<'a> {
    note.reader
        .unwrap_or(crate::domain::clock::Reader::of("UTC", "24h"))
}

/// A stored notification as its reader reads it now: the moments stamped into its
/// body written out in their zone and on their clock of today (see [`Note::reader`]).
pub fn read_as(
    reader: crate::domain::clock::Reader<'_>,
    mut n: NotificationRow,
) -> NotificationRow {
    if let std::borrow::Cow::Owned(body) = reader.read(&n.body) {
        n.body = body;
    }
    n
}

/// Whether a note's email can go anywhere (see [`mail_reaches`]).
pub fn deliverable(note: &Note<'_>) -> bool {
    mail_reaches(note.email)
}

/// Whether mail to `address` can go anywhere: demo and closed accounts use `.invalid`.
pub fn mail_reaches(address: &str) -> bool {
    !address.ends_with(".invalid")
}

fn kind_info(kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// One notification to one person.
pub struct Note<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// A site path (`/bookings/…`).
    pub link: String,
    pub related_id: Option<&'a str>,
    /// An iCalendar file to attach to the email.
    pub ics: Option<String>,
    /// How the recipient reads times, for the moments stamped into `body`
    /// ([`crate::domain::clock::stamp`]; a `title` is written out already): the email
    /// is written out with it now; the in-app notification keeps its stamps, written
    /// out when it is read ([`read_as`]), in the zone and on the clock its reader has
    /// then. `None`: UTC, 24 hours.
    pub reader: Option<crate::domain::clock::Reader<'a>>,
}

/// What the administrators are told of (a request for credits, an application, a
/// report): one notification to each active administrator, in the caller's
/// transaction.
pub struct AdminNote<'a> {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub link: String,
    pub related_id: &'a str,
}

/// Tells every active administrator `note` (see [`AdminNote`]).
pub async fn tell_admins(
    ctx: &Ctx,
    tx: &mut Tx,
    note: &AdminNote<'_>,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    for (admin_id, email) in store::users::admins(&mut **tx).await? {
        let one = Note {
            reader: None,
            user_id: &admin_id,
            email: &email,
            kind: note.kind,
            title: note.title.clone(),
            body: note.body.clone(),
            link: note.link.clone(),
            related_id: Some(note.related_id),
            ics: None,
        };
        notify(ctx, tx, &one, now, live).await?;
    }
    Ok(())
}

/// Marks read what `user_id` was told about `related_id` (a booking, a mentorship),
/// now that they acted on it: what asked for their attention has had it. Their badge
/// follows after the commit.
pub async fn seen_by_acting(
    tx: &mut Tx,
    user_id: &str,
    related_id: &str,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    if store::notify::mark_read_about(&mut **tx, user_id, related_id, now).await? > 0 {
        live.count_changed(user_id);
    }
    Ok(())
}

/// Marks read every administrator's notification of `kind` about `related_id` (see
/// [`AdminNote`]): one of them handled it, so it asks nobody's attention any more.
pub async fn handled_by_admins(
    tx: &mut Tx,
    kind: &str,
    related_id: &str,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    for user in store::notify::mark_read_by_admins(&mut **tx, kind, related_id, now).await? {
        live.count_changed(&user);
    }
    Ok(())
}

/// Records a notification in the caller's transaction, as the recipient prefers: an
/// in-app row and/or an email in the outbox with a job to send it. The live event
/// (with the unread count) goes into `live`, published after the commit.
pub async fn notify(
    ctx: &Ctx,
    tx: &mut Tx,
    note: &Note<'_>,
    now: jiff::Timestamp,
    live: &mut Live,
) -> AppResult<()> {
    let notification_id = new_id();
    // The email's rows (outbox id, job id, body, job payload), when it can go anywhere;
    // whether the recipient wants it is read with the write.
    let email = deliverable(note).then(|| {
        let outbox_id = new_id();
        let payload = jobs::Job::EmailSend {
            outbox_id: outbox_id.clone(),
        }
        .payload()
        .to_string();
        (outbox_id, new_id(), email_body(ctx, note), payload)
    });
    let delivery = store::notify::Delivery {
        notification: NewNotification {
            user_id: note.user_id,
            kind: note.kind,
            title: &note.title,
            body: &note.body,
            link: &note.link,
            related_id: note.related_id,
            now,
        },
        notification_id: &notification_id,
        defaults: wants_stored(note.kind, None),
        email: email.as_ref().map(|(outbox_id, job_id, body, payload)| {
            store::notify::DeliveryEmail {
                outbox_id,
                to: note.email,
                body,
                ics: note.ics.as_deref().unwrap_or(""),
                job_id,
                job_payload: payload,
            }
        }),
    };
    let in_app = store::notify::deliver(tx, &delivery).await?;
    if in_app {
        live.notification(
            note.user_id,
            super::events::Event::new_notification(
                &notification_id,
                note.kind,
                &note.title,
                &note.link,
            ),
        );
    }
    Ok(())
}

/// The notification for one side of a booking event: times in the recipient's zone and
/// the other side's, the `.ics` attached for events that change the calendar.
pub fn booking_note<'a>(
    ctx: &Ctx,
    b: &'a BookingFull,
    to_mentor: bool,
    kind: &'static str,
    headline: &str,
    detail: &str,
    attach: bool,
) -> Note<'a> {
    let r = &b.b;
    let (user_id, email, reader, other, other_tz) = if to_mentor {
        (
            r.mentor_id.as_str(),
            b.mentor_email.as_str(),
            b.mentor_reads(),
            format!("{} {}", b.mentee_first_name, b.mentee_last_name),
            b.mentee_timezone.as_str(),
        )
    } else {
        (
            r.mentee_id.as_str(),
            b.mentee_email.as_str(),
            b.mentee_reads(),
            format!("{} {}", b.mentor_first_name, b.mentor_last_name),
            b.mentor_timezone.as_str(),
        )
    };
    // Times are stamped, written out in the reader's zone and clock when read.
    let when = if r.timed {
        format!(
            "When: {}\nFor {other}: {}",
            stamp(r.start_at),
            stamp_in(other_tz, r.start_at)
        )
    } else {
        format!("Due: {}", stamp(r.end_at))
    };
    let mut body = format!("{} with {other}.\n{when}", r.title);
    if !r.topic.trim().is_empty() {
        body.push_str(&format!("\nTopic: {}", r.topic.trim()));
    }
    // A request waits for the mentor's answer until it expires: say until when.
    if kind == BOOKING_REQUESTED {
        body.push_str(&format!("\nAnswer by: {}", stamp(r.expires_at)));
    }
    if !detail.is_empty() {
        body.push_str(&format!("\n{detail}"));
    }
    let ics = (attach && r.timed).then(|| {
        ics::calendar(
            "mentorhub booking",
            &[super::calendar::event(ctx, b, user_id)],
        )
    });
    Note {
        user_id,
        email,
        kind,
        title: format!("{headline}: {} with {other}", r.title),
        body,
        link: format!("/bookings/{}", r.id),
        related_id: Some(r.id.as_str()),
        ics,
        reader: Some(reader),
    }
}

/// One notification for several sessions of a series that changed together (accepted,
/// declined or cancelled at once): each session's time in the reader's zone, its
/// meeting link once it has one, and every session's event in the attached `.ics`.
/// `done` holds at least one booking; all are of one pair and one series.
pub fn series_note<'a>(
    ctx: &Ctx,
    done: &'a [BookingFull],
    to_mentor: bool,
    kind: &'static str,
    headline: &str,
    detail: &str,
    attach: bool,
) -> Note<'a> {
    let first = &done[0];
    let mut note = booking_note(ctx, first, to_mentor, kind, headline, detail, attach);
    let other = if to_mentor {
        format!("{} {}", first.mentee_first_name, first.mentee_last_name)
    } else {
        format!("{} {}", first.mentor_first_name, first.mentor_last_name)
    };
    let r = &first.b;
    let sessions = crate::domain::text::sessions(done.len());
    note.title = format!("{headline}: {sessions} of {} with {other}", r.title);
    let mut body = format!("{sessions} of {} with {other}:", r.title);
    for b in done {
        body.push_str(&format!("\n- {}", stamp(b.b.start_at)));
        if kind == BOOKING_ACCEPTED && !b.b.meeting_link.is_empty() {
            body.push_str(&format!(" (meeting link: {})", b.b.meeting_link));
        }
    }
    if !r.topic.trim().is_empty() {
        body.push_str(&format!("\nTopic: {}", r.topic.trim()));
    }
    if !detail.is_empty() {
        body.push_str(&format!("\n{detail}"));
    }
    note.body = body;
    note.ics = (attach && r.timed).then(|| {
        ics::calendar(
            "mentorhub booking",
            &done
                .iter()
                .map(|b| super::calendar::event(ctx, b, note.user_id))
                .collect::<Vec<_>>(),
        )
    });
    note
}

/// A reminder job: only for a booking still accepted at the same start.
pub async fn booking_reminder(
    ctx: &Ctx,
    booking_id: &str,
    start_at: i64,
    lead: &str,
) -> AppResult<()> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some(b) = store::bookings::get(&mut *tx, booking_id).await? else {
        return Ok(());
    };
    if b.b.status != BookingStatus::Accepted
        || to_micros(b.b.start_at) != start_at
        || to_micros(now) >= start_at
    {
        return Ok(()); // cancelled, moved, or too late: no reminder
    }
    let headline = if lead == "1h" {
        "In one hour"
    } else {
        "Tomorrow"
    };
    let link = if b.b.meeting_link.is_empty() {
        String::new()
    } else {
        format!("Join: {}", b.b.meeting_link)
    };
    let mut live = Live::new();
    for to_mentor in [true, false] {
        let note = booking_note(ctx, &b, to_mentor, BOOKING_REMINDER, headline, &link, true);
        notify(ctx, &mut tx, &note, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(())
}

/// The outbox rows of a job batch's emails, by id, in one read (see [`send_email`]).
pub async fn batch_emails(
    ctx: &Ctx,
    ids: &[String],
) -> AppResult<std::collections::HashMap<String, store::notify::OutboxRow>> {
    Ok(store::notify::emails(&ctx.db.pool, ids)
        .await?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect())
}

/// An `email.send` job: deliver one outbox email over SMTP, or log it when no SMTP
/// server is configured (it stays in the outbox either way). `email` is its outbox
/// row as read for the whole batch ([`batch_emails`]; `None`: there is no such email),
/// so a batch of a hundred emails costs one read rather than a hundred. That row may be
/// stale by the time it is sent; the claim below is what decides. The email is claimed
/// for the attempt first, so two workers (a job taken over from a stalled worker, say)
/// never hand it to the server twice at the same time. The claim is the worker's
/// (`claimant`) for one job lease and is renewed by its heartbeat, like its jobs.
/// Without an SMTP server the email is only logged, and marking it so is left to the
/// caller (`logged`), which does it with its other bookkeeping in one commit.
pub async fn send_email(
    ctx: &Ctx,
    email: Option<&store::notify::OutboxRow>,
    claimant: &str,
    logged: &mut Vec<String>,
) -> AppResult<()> {
    let Some(e) = email else {
        return Ok(());
    };
    let outbox_id = e.id.as_str();
    if e.status != "queued" {
        return Ok(());
    }
    let Some(url) = ctx.config.smtp_url.as_deref() else {
        // Nothing leaves the server: logging twice would be harmless, no claim needed.
        tracing::info!(to = %e.to_email, subject = %e.subject, body = %e.body, "email (no SMTP server configured; kept in the outbox)");
        logged.push(outbox_id.to_string());
        return Ok(());
    };
    let now = ctx.now();
    if !store::notify::claim_email(
        &mut *ctx.db.write_conn().await?,
        outbox_id,
        claimant,
        crate::clock::after(now, super::micros(ctx.config.job_lease)),
        now,
    )
    .await?
    {
        // Sent meanwhile (nothing to do) or being sent by another worker (try later).
        return match store::notify::email(&ctx.db.pool, outbox_id).await? {
            Some(e) if e.status == "queued" => Err(AppError::Unavailable {
                code: "email_in_flight",
                detail: "another worker is sending this email".into(),
            }),
            _ => Ok(()),
        };
    }
    // A one-time link that expired while the email waited (an SMTP server down for
    // hours, a dead job retried later) would only lead to "this link does not work":
    // not sent, said why; the member asks for a new one. (Claimed first: no other
    // worker is sending it.)
    if let Some(lasts) = link_lifetime_micros(&e.body)
        && crate::clock::to_micros(ctx.now()) - e.created_at > lasts
    {
        store::notify::email_outcome(
            &mut *ctx.db.write_conn().await?,
            outbox_id,
            "failed",
            "not sent: its one-time link expired while it waited",
            None,
            ctx.now(),
        )
        .await?;
        return Ok(());
    }
    let sent = tokio::time::timeout(
        ctx.config.smtp_timeout,
        smtp_send(url, &ctx.config.mail_from, e, ctx.config.smtp_timeout),
    )
    .await
    .unwrap_or_else(|_| {
        Err(format!(
            "SMTP: no answer within {} s",
            ctx.config.smtp_timeout.as_secs_f64()
        ))
    });
    match sent {
        Ok(()) => {
            // Delivered: the stored copy keeps no live link to an account.
            let kept = crate::domain::text::without_link_secrets(&e.body);
            store::notify::email_outcome(
                &mut *ctx.db.write_conn().await?,
                outbox_id,
                "sent",
                "",
                kept.as_deref(),
                ctx.now(),
            )
            .await?;
            Ok(())
        }
        Err(err) => {
            store::notify::email_outcome(
                &mut *ctx.db.write_conn().await?,
                outbox_id,
                "queued",
                &err,
                None,
                ctx.now(),
            )
            .await?;
            Err(AppError::Unavailable {
                code: "smtp_failed",
                detail: err,
            })
        }
    }
}

/// How long the one-time link an email carries works, in microseconds from when the
/// email was queued (a password reset's, an email confirmation's); none for others.
fn link_lifetime_micros(body: &str) -> Option<i64> {
    use super::accounts::{CONFIRM_LINK_HOURS, RESET_LINK_MINUTES};
    if body.contains("/reset-password?token=") {
        Some(RESET_LINK_MINUTES * 60_000_000)
    } else if body.contains("/confirm-email?token=") {
        Some(CONFIRM_LINK_HOURS * 3_600_000_000)
    } else {
        None
    }
}

/// Hands one email to the SMTP server at `url`. Each of lettre's socket operations has
/// `timeout`; the caller also bounds the whole exchange, since lettre's does not cover
/// every wait (a server that never sends its greeting held it for minutes).
async fn smtp_send(
    url: &str,
    from: &str,
    e: &store::notify::OutboxRow,
    timeout: std::time::Duration,
) -> Result<(), String> {
    use lettre::{
        AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
        message::{Attachment, MultiPart, SinglePart, header::ContentType},
    };
    let sender: lettre::message::Mailbox = from
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    // One Message-ID an email, the same on every attempt (a server that took it twice
    // can tell), at the sender's domain.
    let message_id = format!("<{}@{}>", e.id, sender.email.domain());
    let builder = Message::builder()
        .message_id(Some(message_id))
        .from(sender)
        .to(e
            .to_email
            .parse()
            .map_err(|e| format!("bad recipient address: {e}"))?)
        .subject(e.subject.clone());
    let msg = if e.ics.is_empty() {
        builder.header(ContentType::TEXT_PLAIN).body(e.body.clone())
    } else {
        let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
            .map_err(|e| e.to_string())?;
        builder.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(e.body.clone()))
                .singlepart(Attachment::new("booking.ics".into()).body(e.ics.clone(), calendar)),
        )
    }
    .map_err(|e| format!("building the email: {e}"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("MENTORHUB_SMTP_URL: {e}"))?
        .timeout(Some(timeout))
        .build();
    transport
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

// ------------------------------------------------------------------ user-facing

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
pub struct Preference {
    /// A notification kind, e.g. `booking_reminder`.
    pub kind: String,
    /// What it is, for people.
    #[serde(default)]
    pub label: String,
    pub in_app: bool,
    pub email: bool,
}

pub async fn preferences(ctx: &Ctx, user_id: &str) -> AppResult<Vec<Preference>> {
    let stored = store::notify::preferences(&ctx.db.pool, user_id).await?;
    Ok(KINDS
        .iter()
        .map(|k| {
            let (in_app, email) = stored
                .iter()
                .find(|p| p.kind == k.kind)
                .map(|p| (p.in_app, p.email))
                .unwrap_or((k.in_app, k.email));
            Preference {
                kind: k.kind.into(),
                label: k.label.into(),
                in_app,
                email,
            }
        })
        .collect())
}

pub async fn set_preferences(
    ctx: &Ctx,
    user_id: &str,
    prefs: &[Preference],
) -> AppResult<Vec<Preference>> {
    for (i, p) in prefs.iter().enumerate() {
        if kind_info(&p.kind).is_none() {
            return Err(AppError::invalid(
                &format!("preferences[{i}].kind"),
                "invalid_kind",
                "Unknown notification kind.",
            ));
        }
    }
    let now = ctx.now();
    for p in prefs {
        store::notify::set_preference(&ctx.db.pool, user_id, &p.kind, p.in_app, p.email, now)
            .await?;
    }
    preferences(ctx, user_id).await
}
