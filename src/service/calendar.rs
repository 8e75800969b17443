//! Calendar files: one booking as `.ics`, and a secret per-user feed of all bookings
//! and group sessions (a URL holding a random token; only its hash is stored; issuing
//! a new one revokes the old).

use super::{Ctx, auth};
use crate::{
    domain::{
        booking::BookingStatus,
        ics::{self, IcsEvent, IcsStatus},
    },
    error::{AppError, AppResult},
    store::{
        self,
        bookings::{BookingFull, ListFilter},
        users::UserRow,
    },
};

/// The event a booking is, as `viewer` sees it.
pub fn event(ctx: &Ctx, b: &BookingFull, viewer_id: &str) -> IcsEvent {
    let other = if b.b.mentor_id == viewer_id {
        format!("{} {}", b.mentee_first_name, b.mentee_last_name)
    } else {
        format!("{} {}", b.mentor_first_name, b.mentor_last_name)
    };
    let status = match b.b.status {
        BookingStatus::Pending => IcsStatus::Tentative,
        BookingStatus::Accepted | BookingStatus::Completed | BookingStatus::NoShow => {
            IcsStatus::Confirmed
        }
        BookingStatus::Declined | BookingStatus::Expired | BookingStatus::Cancelled => {
            IcsStatus::Cancelled
        }
    };
    let mut description = String::new();
    if !b.b.topic.is_empty() {
        description.push_str(&format!("Topic: {}\n", b.b.topic));
    }
    if !b.b.message.is_empty() {
        description.push_str(&format!("{}\n", b.b.message));
    }
    if !b.b.meeting_link.is_empty() {
        description.push_str(&format!("Join: {}\n", b.b.meeting_link));
    }
    description.push_str(&format!(
        "Booking: {}/bookings/{}",
        ctx.config.base_url, b.b.id
    ));
    // A written review is not met at a time: it shows as its deadline, a moment that
    // keeps nobody busy, rather than days blocked from the request to the deadline.
    let (start, summary) = if b.b.timed {
        (b.b.start_at, format!("{} with {other}", b.b.title))
    } else {
        (b.b.end_at, format!("Due: {} with {other}", b.b.title))
    };
    IcsEvent {
        uid: format!("{}@mentorhub", b.b.id),
        sequence: b.b.sequence,
        stamp: b.b.updated_at,
        start,
        end: b.b.end_at,
        summary,
        transparent: !b.b.timed,
        description,
        url: Some(b.b.meeting_link.clone()).filter(|l| !l.is_empty()),
        status,
        organizer: None,
        attendees: vec![],
    }
}

/// A group session as its mentor (`seat` is `None`) or an attendee sees it: cancelled
/// when the session is, or when their seat ended before it (left, refunded).
pub fn group_event(
    ctx: &Ctx,
    g: &store::groups::GroupRow,
    seat: Option<crate::domain::group::SeatStatus>,
) -> IcsEvent {
    use crate::domain::group::{GroupStatus, SeatStatus};
    let gone = matches!(seat, Some(SeatStatus::Left | SeatStatus::Refunded));
    let status = if g.status == GroupStatus::Cancelled || gone {
        IcsStatus::Cancelled
    } else {
        IcsStatus::Confirmed
    };
    // The room is for the mentor and the seated (a calendar of a seat that ended, or
    // of a cancelled session, says so without a way in).
    let link = (status == IcsStatus::Confirmed
        && matches!(seat, None | Some(SeatStatus::Seated))
        && !g.meeting_link.is_empty())
    .then(|| g.meeting_link.clone());
    let mut description = g.description.clone();
    if let Some(l) = &link {
        description.push_str(&format!("\n\nJoin: {l}"));
    }
    IcsEvent {
        uid: format!("group-{}@mentorhub", g.id),
        // A seat that ended is a change for this calendar even if the session is not.
        sequence: g.sequence + i64::from(gone),
        stamp: g.updated_at,
        start: g.start_at,
        end: g.end_at,
        // The mentor's own calendar says it is theirs to lead, not "with" themselves.
        summary: match seat {
            None => format!("{} (group session you lead)", g.title),
            Some(_) => format!(
                "{} (group session with {} {})",
                g.title, g.mentor_first_name, g.mentor_last_name
            ),
        },
        description: format!(
            "{description}\n\nSession: {}/group-sessions/{}",
            ctx.config.base_url, g.id
        )
        .trim_start()
        .to_string(),
        url: link,
        status,
        organizer: None,
        attendees: vec![],
        transparent: false,
    }
}

/// One group session as an iCalendar file: for its mentor, and for whoever had a seat
/// in it (cancelled for them once they left).
pub async fn group_ics(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<String> {
    let (g, seat) =
        store::groups::calendar_of(&ctx.db.pool, &viewer.id, jiff::Timestamp::MIN, Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
    Ok(ics::calendar(
        "mentorhub group session",
        &[group_event(ctx, &g, seat)],
    ))
}

/// One booking as an iCalendar file (participants only).
pub async fn booking_ics(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<String> {
    let b = store::bookings::get(&ctx.db.pool, id)
        .await?
        .filter(|b| b.b.mentor_id == viewer.id || b.b.mentee_id == viewer.id)
        .ok_or(AppError::NotFound)?;
    Ok(ics::calendar(
        "mentorhub booking",
        &[event(ctx, &b, &viewer.id)],
    ))
}

/// A series' sessions as one calendar file, for either person: every session, a
/// cancelled or declined one marked cancelled (so a calendar that imported the file
/// before drops it). Not for a series of reviews (it has no times).
pub async fn series_ics(ctx: &Ctx, viewer: &UserRow, id: &str) -> AppResult<String> {
    let s = super::bookings::get_series(ctx, viewer, id).await?;
    if s.row.mentor_id != viewer.id.as_str() && s.row.mentee_id != viewer.id.as_str() {
        return Err(AppError::NotFound);
    }
    let events: Vec<_> = s
        .occurrences
        .iter()
        .filter(|b| b.b.timed)
        .map(|b| event(ctx, b, &viewer.id))
        .collect();
    Ok(ics::calendar("mentorhub series", &events))
}

/// Issues (or re-issues, revoking the old one) the user's secret feed URL.
pub async fn issue_feed(ctx: &Ctx, user: &UserRow) -> AppResult<String> {
    let token = auth::new_token();
    store::calendar::put_feed(&ctx.db.pool, &user.id, &auth::hash_token(&token), ctx.now()).await?;
    Ok(format!("{}/calendar/{token}.ics", ctx.config.base_url))
}

/// Turns the user's feed address off: it answers 404 from now on, until they get a
/// new one. Whether there was one.
pub async fn revoke_feed(ctx: &Ctx, user: &UserRow) -> AppResult<bool> {
    Ok(store::calendar::delete_feed(&ctx.db.pool, &user.id).await?)
}

/// When the user's feed address was issued (none: they have not asked for one). The
/// address itself is shown only when issued: only its hash is kept.
pub async fn feed_issued(ctx: &Ctx, user: &UserRow) -> AppResult<Option<jiff::Timestamp>> {
    Ok(store::calendar::feed_issued(&ctx.db.pool, &user.id).await?)
}

/// The feed for a token: the user's bookings from 90 days ago on (meetings only).
pub async fn feed(ctx: &Ctx, token: &str) -> AppResult<String> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::NotFound);
    }
    let user = store::calendar::user_of_feed(&ctx.db.pool, &auth::hash_token(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = store::bookings::list(
        &ctx.db.pool,
        &ListFilter {
            user_id: user.id.to_string(),
            from: Some(crate::clock::to_micros(crate::clock::before(
                ctx.now(),
                90 * 24 * 3_600_000_000,
            ))),
            ascending: true,
            limit: 1000,
            ..ListFilter::default()
        },
    )
    .await?;
    let mut events: Vec<IcsEvent> = rows
        .iter()
        .filter(|b| b.b.timed)
        .map(|b| event(ctx, b, &user.id))
        .collect();
    let since = crate::clock::before(ctx.now(), 90 * 24 * 3_600_000_000);
    for (g, seat) in store::groups::calendar_of(&ctx.db.pool, &user.id, since, None).await? {
        events.push(group_event(ctx, &g, seat));
    }
    Ok(ics::calendar(
        &format!("mentorhub: {} {}", user.first_name, user.last_name),
        &events,
    ))
}
