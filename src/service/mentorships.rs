//! Mentorship requests and relationships: ask, accept, decline, cancel, end, expire.
//!
//! Invariants enforced in the database, whatever the concurrency: one live (pending or
//! accepted) relationship per pair (a partial unique index); at most
//! [`MAX_PENDING_PER_MENTEE`] pending requests per mentee and at most `max_mentees`
//! accepted mentees per mentor (checked inside a write transaction that holds the
//! mentee's or mentor's row lock on Postgres, and SQLite's single write lock).

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Ctx, wind_down::Why};
use crate::{
    domain::{
        ids::new_id,
        mentorship::{
            self, Action, EXPIRY_DAYS, MAX_PENDING_PER_MENTEE, MentorshipStatus, Side,
            TransitionError,
        },
        text,
    },
    error::{AppError, AppResult, FieldError},
    store::{self, mentorships::NewMentorship, users::UserRow},
};

pub use crate::store::mentorships::{ListFilter, MentorshipListRow};

/// `POST /api/v1/mentorships`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub mentor_id: String,
    /// An introduction: who you are, what you hope to work on (required, up to 2000
    /// characters).
    #[serde(default)]
    pub message: String,
}

/// Body of accept/decline/cancel/end (all optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// A note to the other side (e.g. why a request was declined).
    #[serde(default)]
    pub reason: Option<String>,
    /// Set by [`super::wind_down`] only: the acting person's account closes or was
    /// suspended, so the other side is told it ended, not that the person chose to
    /// decline or end it (and, for a closed account, without the person's name).
    #[serde(skip)]
    pub account_gone: Option<Why>,
}

const DAY_MICROS: i64 = 24 * 3600 * 1_000_000;

#[tracing::instrument(name = "mentorships::request", skip_all, fields(user_id = %mentee.id))]
pub async fn request(
    ctx: &Ctx,
    mentee: &UserRow,
    input: &RequestInput,
) -> AppResult<MentorshipListRow> {
    let message = text::optional_text("message", &input.message, 2000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    // The mentor decides on it: an empty request tells them nothing.
    if message.trim().is_empty() {
        return Err(AppError::invalid(
            "message",
            "required",
            "Introduce yourself: who you are and what you hope to work on together.",
        ));
    }
    let mentor_id = crate::domain::ids::parse_id(&input.mentor_id).ok_or_else(|| {
        AppError::Invalid(vec![FieldError::new(
            "mentor_id",
            "not_found",
            "There is no such mentor.",
        )])
    })?;
    if mentor_id == mentee.id {
        return Err(AppError::Invalid(vec![FieldError::new(
            "mentor_id",
            "cannot_request_self",
            "You cannot ask yourself for mentorship.",
        )]));
    }
    // Only mentors visible in discovery take requests.
    if store::discovery::listed_mentor(&ctx.db.pool, &mentor_id)
        .await?
        .is_none()
    {
        return Err(AppError::Invalid(vec![FieldError::new(
            "mentor_id",
            "not_found",
            "There is no such mentor taking requests.",
        )]));
    }
    // A mentor whose places are all taken could not accept it (their answer checks
    // again, under their lock): the mentee hears so now, not after waiting.
    if let Some(profile) = store::mentors::profile(&ctx.db.pool, &mentor_id).await?
        && store::mentors::active_mentees(&ctx.db.pool, &mentor_id).await? >= profile.max_mentees
    {
        return Err(AppError::conflict(
            "mentor_at_capacity",
            "This mentor mentors as many people as they take for now: book a session with them, or ask again later.",
        ));
    }
    let now = ctx.now();
    let id = new_id();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    store::mentorships::lock_user(&mut tx, ctx.db.backend, &mentee.id).await?;
    if store::mentorships::live_between(&mut *tx, &mentor_id, &mentee.id)
        .await?
        .is_some()
    {
        return Err(already());
    }
    if store::mentorships::count_pending_for_mentee(&mut tx, &mentee.id, now).await?
        >= MAX_PENDING_PER_MENTEE
    {
        return Err(AppError::conflict(
            "too_many_pending",
            format!(
                "You already have {MAX_PENDING_PER_MENTEE} requests waiting for an answer. Wait for one, or cancel one."
            ),
        ));
    }
    // Expired-by-time requests still hold the pair's slot until the sweep: expire them now.
    store::mentorships::expire_due(&mut *tx, now).await?;
    let written = store::mentorships::insert(
        &mut tx,
        &NewMentorship {
            id: &id,
            mentor_id: &mentor_id,
            mentee_id: &mentee.id,
            message: &message,
            expires_at: crate::clock::after(now, EXPIRY_DAYS * DAY_MICROS),
            now,
        },
    )
    .await?;
    if !written {
        return Err(already());
    }
    let expires_at = crate::clock::after(now, EXPIRY_DAYS * DAY_MICROS);
    super::jobs::enqueue(
        &mut tx,
        &super::jobs::Job::MentorshipExpire {
            mentorship_id: id.clone(),
        },
        expires_at,
        None,
        now,
    )
    .await?;
    if let Some(mentor) = store::users::by_id(&mut *tx, &mentor_id).await? {
        let note = super::notify::Note {
            reader: None,
            user_id: &mentor.id,
            email: &mentor.email,
            kind: super::notify::MENTORSHIP_REQUESTED,
            title: format!(
                "{} {} asks you for mentorship",
                mentee.first_name, mentee.last_name
            ),
            body: message.clone(),
            link: "/mentorship?tab=mentees".into(),
            related_id: Some(&id),
            ics: None,
        };
        super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    }
    tx.commit().await?;
    live.publish(ctx).await;
    store::mentorships::get(&ctx.db.pool, &id)
        .await?
        .ok_or(AppError::NotFound)
}

fn already() -> AppError {
    AppError::conflict(
        "mentorship_exists",
        "You already have a pending or active mentorship with this mentor.",
    )
}

/// Gets a mentorship the user is part of (404 otherwise).
/// A mentorship, for its pair; a program's pair also for that program's managers and
/// the admins (who follow its progress). Anyone else finds nothing.
pub async fn get(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<MentorshipListRow> {
    let m = store::mentorships::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.m.mentor_id == user.id || m.m.mentee_id == user.id {
        return Ok(m);
    }
    let Some(program) = store::progress::program_of(&ctx.db.pool, id).await? else {
        return Err(AppError::NotFound);
    };
    if super::admin::is_admin(user)
        || store::programs::is_manager(&ctx.db.pool, &program, &user.id).await?
    {
        Ok(m)
    } else {
        Err(AppError::NotFound)
    }
}

/// Applies an answer or an ending to a mentorship.
#[tracing::instrument(name = "mentorships::act", skip_all, fields(user_id = %user.id, id = %id))]
pub async fn act(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    action: Action,
    input: &AnswerInput,
) -> AppResult<MentorshipListRow> {
    let reason = text::optional_text("reason", input.reason.as_deref().unwrap_or(""), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let mut live = super::events::Live::new();
    let Some(row) = store::mentorships::get(&mut *tx, id).await? else {
        return Err(AppError::NotFound);
    };
    let m = &row.m;
    let side = if m.mentor_id == user.id {
        Side::Mentor
    } else if m.mentee_id == user.id {
        Side::Mentee
    } else {
        return Err(AppError::NotFound);
    };
    let from = m.status;
    if from == MentorshipStatus::Pending && m.expires_at <= now {
        // Past its time: it expired, whatever the sweep has done so far.
        store::mentorships::transition(&mut tx, id, "pending", "expired", None, None, now).await?;
        tx.commit().await?;
        return Err(wrong_state(action, MentorshipStatus::Expired));
    }
    let to = match mentorship::transition(from, action, side) {
        Ok(to) => to,
        Err(TransitionError::NotYours) => {
            return Err(AppError::forbidden(match action {
                Action::Accept | Action::Decline => {
                    "Only the mentor can answer a mentorship request."
                }
                Action::Cancel => "Only the mentee can cancel a request; the mentor declines it.",
                Action::End => "Only the two people in a mentorship can end it.",
            }));
        }
        Err(TransitionError::WrongState(s)) => return Err(wrong_state(action, s)),
    };
    if to == MentorshipStatus::Accepted {
        store::mentors::lock_profile(&mut tx, ctx.db.backend, &m.mentor_id).await?;
        let profile = store::mentors::profile(&mut *tx, &m.mentor_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let active = store::mentors::active_mentees(&mut *tx, &m.mentor_id).await?;
        if active >= profile.max_mentees {
            return Err(AppError::conflict(
                "mentor_at_capacity",
                format!(
                    "You already mentor {active} people, your limit. End a mentorship, or raise the \
                     number of mentees you take in your mentor profile, first."
                ),
            ));
        }
    }
    let answer = (!reason.is_empty()).then_some(reason.as_str());
    let ended_by = (to == MentorshipStatus::Ended).then_some(user.id.as_str());
    if !store::mentorships::transition(
        &mut tx,
        id,
        from.as_str(),
        to.as_str(),
        answer,
        ended_by,
        now,
    )
    .await?
    {
        // Someone else moved it first.
        let current = store::mentorships::get(&mut *tx, id)
            .await?
            .map_or(from, |r| r.m.status);
        return Err(wrong_state(action, current));
    }
    if to == MentorshipStatus::Accepted {
        super::messages::mentorship_started(
            &mut tx,
            &m.mentor_id,
            &m.mentee_id,
            Some(&user.id),
            now,
        )
        .await?;
    }
    if matches!(to, MentorshipStatus::Accepted | MentorshipStatus::Declined)
        && let Some(mentee) = store::users::by_id(&mut *tx, &m.mentee_id).await?
    {
        let accepted = to == MentorshipStatus::Accepted;
        let mentor = format!("{} {}", row.mentor_first_name, row.mentor_last_name);
        let note = super::notify::Note {
            reader: None,
            user_id: &mentee.id,
            email: &mentee.email,
            kind: super::notify::MENTORSHIP_ANSWERED,
            title: match input.account_gone {
                Some(Why::Closed) => {
                    "Your mentorship request ended: the mentor closed their account".into()
                }
                Some(Why::Suspended) => {
                    format!("Your mentorship request to {} ended", mentor.trim())
                }
                None => format!(
                    "{} {} your mentorship request",
                    mentor.trim(),
                    if accepted { "accepted" } else { "declined" }
                ),
            },
            body: {
                // What comes next, then the mentor's word when they gave one.
                let next = match (input.account_gone, accepted) {
                    (None, true) => format!(
                        "You are {}'s mentee now: book a session from their profile, and \
                         write to them in Chat.",
                        row.mentor_first_name
                    ),
                    (None, false) => {
                        "You may ask another mentor: Find a mentor lists who takes mentees."
                            .to_string()
                    }
                    _ => String::new(),
                };
                match (next.is_empty(), reason.is_empty()) {
                    (true, _) => reason.clone(),
                    (false, true) => next,
                    (false, false) => format!("{}: {reason}\n\n{next}", row.mentor_first_name),
                }
            },
            link: "/mentorship?tab=mentors".into(),
            related_id: Some(id),
            ics: None,
        };
        super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
    }
    // An ended mentorship, or a request its mentee withdrew, is news for the other
    // side (with the reason, when one was given).
    if matches!(to, MentorshipStatus::Ended | MentorshipStatus::Cancelled) {
        let role = if side == Side::Mentor {
            "mentor"
        } else {
            "mentee"
        };
        let (other_id, who, tab) = match side {
            Side::Mentor => (
                &m.mentee_id,
                format!("{} {}", row.mentor_first_name, row.mentor_last_name),
                "mentors",
            ),
            Side::Mentee => (
                &m.mentor_id,
                format!("{} {}", row.mentee_first_name, row.mentee_last_name),
                "mentees",
            ),
        };
        // What they were told before about it (a request, its answer) is settled;
        // marked read first, so the news below stays unread.
        super::notify::seen_by_acting(&mut tx, other_id, id, now, &mut live).await?;
        if let Some(other) = store::users::by_id(&mut *tx, other_id).await? {
            let note = super::notify::Note {
                reader: None,
                user_id: &other.id,
                email: &other.email,
                kind: super::notify::MENTORSHIP_ANSWERED,
                title: match (input.account_gone, to == MentorshipStatus::Ended) {
                    (None, true) => format!("{} ended your mentorship", who.trim()),
                    (None, false) => {
                        format!("{} withdrew their mentorship request", who.trim())
                    }
                    (Some(Why::Closed), true) => {
                        format!("Your mentorship ended: the {role} closed their account")
                    }
                    (Some(Why::Closed), false) => {
                        "A mentorship request to you ended: the mentee closed their account".into()
                    }
                    (Some(Why::Suspended), true) => {
                        format!("Your mentorship with {} ended", who.trim())
                    }
                    (Some(Why::Suspended), false) => {
                        format!("{}'s mentorship request ended", who.trim())
                    }
                },
                body: reason.clone(),
                link: format!("/mentorship?tab={tab}"),
                related_id: Some(id),
                ics: None,
            };
            super::notify::notify(ctx, &mut tx, &note, now, &mut live).await?;
        }
    }
    super::notify::seen_by_acting(&mut tx, &user.id, id, now, &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    if matches!(to, MentorshipStatus::Accepted | MentorshipStatus::Ended) {
        // A mentor's free capacity shows in discovery.
        ctx.discovery.invalidate();
    }
    store::mentorships::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn wrong_state(action: Action, s: MentorshipStatus) -> AppError {
    let verb = match action {
        Action::Accept => "accepted",
        Action::Decline => "declined",
        Action::Cancel => "cancelled",
        Action::End => "ended",
    };
    AppError::conflict(
        "invalid_transition",
        format!(
            "This mentorship is {}; it cannot be {verb} now.",
            s.as_str()
        ),
    )
}

/// The status of the live (pending or accepted) mentorship between a mentor and a
/// mentee, if there is one.
pub async fn live_status(
    ctx: &Ctx,
    mentor_id: &str,
    mentee_id: &str,
) -> AppResult<Option<MentorshipStatus>> {
    Ok(
        store::mentorships::live_between(&ctx.db.pool, mentor_id, mentee_id)
            .await?
            .map(|m| m.status),
    )
}

pub async fn list(ctx: &Ctx, filter: &ListFilter) -> AppResult<Vec<MentorshipListRow>> {
    Ok(store::mentorships::list(&ctx.db.pool, filter).await?)
}

/// A `mentorship.expire` job: expires the request if it is still pending and due.
pub async fn expire_one(ctx: &Ctx, id: &str) -> AppResult<()> {
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let Some(m) = store::mentorships::get(&mut *tx, id).await? else {
        return Ok(());
    };
    if m.m.status == MentorshipStatus::Pending && m.m.expires_at <= now {
        store::mentorships::transition(&mut tx, id, "pending", "expired", None, None, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Expires pending requests older than 14 days. Run by the background worker.
pub async fn expire_due(ctx: &Ctx) -> AppResult<u64> {
    let mut tx = ctx.db.begin_write().await?;
    let n = store::mentorships::expire_due(&mut *tx, ctx.now()).await?;
    tx.commit().await?;
    if n > 0 {
        tracing::info!(count = n, "expired unanswered mentorship requests");
    }
    Ok(n)
}
