//! One booking: its page (both zones, history, notes, review), its calendar file, and the actions on it.

use super::*;
use crate::domain::dispute::Remedy;
use crate::http::web::in_words;

pub struct HistoryLine {
    pub what: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "booking.html")]
pub(super) struct BookingPage {
    layout: Layout,
    /// The series this session belongs to, if any.
    series: Option<SeriesBox>,
    id: String,
    title: String,
    status: String,
    i_am_mentor: bool,
    other_name: String,
    other_id: String,
    timed: bool,
    /// Start and end, the date once.
    span: String,
    /// The end alone (a review's due date).
    ends: String,
    zone: String,
    other_zone_time: String,
    /// The other person closed their account.
    other_gone: bool,
    /// The mentee may book this mentor again from here (it is over, and the mentor
    /// takes sessions).
    can_book_again: bool,
    /// A résumé or LinkedIn review: what is reviewed ("résumé", "LinkedIn profile")
    /// and the mentee's address for it from their settings (empty when not given).
    reviewed: Option<(&'static str, String)>,
    topic: String,
    message: String,
    /// The message as text runs and links (a CV shared as a link opens).
    message_parts: Vec<(String, String)>,
    /// Where the credits are: held while the booking is live, then paid or refunded.
    credits: String,
    /// Pending or accepted: the meeting link and the calendar file are offered.
    live: bool,
    /// The meeting link is offered: while live, and until its scheduled end once done
    /// (its mentor may mark it done from halfway through).
    meeting_on: bool,
    link: String,
    expires: String,
    decline_reason: String,
    cancel_reason: String,
    no_show_party: String,
    delivery_text: String,
    delivery_url: String,
    my_pre: String,
    my_pre_shared: bool,
    my_post: String,
    my_post_shared: bool,
    their_pre: String,
    their_post: String,
    can_accept: bool,
    can_cancel: bool,
    /// What cancelling would do to the credits now ("You get 30 of 30 credits back.").
    cancel_consequence: String,
    /// "If you cancel now, you get …" under the button.
    cancel_if_now: String,
    /// What declining would do.
    decline_consequence: String,
    can_reschedule: bool,
    /// Why this side cannot move the session now (too close to its start).
    move_refused: Option<String>,
    /// To its mentor, a coming session in time they took off: "your day off on Monday
    /// 21 December" (taking it off did not cancel it).
    time_off: Option<String>,
    can_finish: bool,
    /// It may be marked done now (from halfway through), and when it may be if not.
    done_ready: bool,
    done_at: String,
    /// What marking it done does (the confirmation's text).
    complete_confirm: String,
    /// A no-show may be reported now (from 10 minutes after the start).
    no_show_ready: bool,
    /// When it may be, while the session has started but not that long ago.
    no_show_at: String,
    /// What reporting the no-show does (the confirmation's text).
    no_show_confirm: String,
    can_deliver: bool,
    can_review: bool,
    review_rating: i64,
    review_comment: String,
    review_reply: String,
    can_reply: bool,
    slots: Vec<(String, String)>,
    /// How many of the first `slots` start within the notice (see `MoveOptions`).
    soon: usize,
    soon_label: String,
    soon_hint: String,
    /// The "Move to" list shows later times than the first ones: a link back to them.
    moved_on: bool,
    /// The last start listed, when the mentor's horizon holds later ones (a link on).
    later_from: Option<String>,
    /// The booking's dispute, if it has one.
    dispute: Option<DisputeBox>,
    /// The viewer may dispute how it ended: what granting would do (else empty).
    dispute_effect: String,
    /// Until when.
    dispute_until: String,
    /// "The time to dispute how it ended closed on …": for the side that could have.
    dispute_closed: String,
    draft_dispute: String,
    draft_answer: String,
    history: Vec<HistoryLine>,
    /// A refused form's problem, and which form it was ("deliver", "review", "reply",
    /// "notes", "move", "actions"): shown above that form, whose input is kept.
    error: Option<String>,
    error_form: &'static str,
    draft_text: String,
    draft_url: String,
    draft_rating: i64,
    draft_comment: String,
    draft_reply: String,
    draft_start: String,
}

/// A dispute of how the session ended, as its page shows it.
struct DisputeBox {
    mine: bool,
    when: String,
    reason: String,
    /// `open`, `rejected` or `granted`.
    status: &'static str,
    resolution: String,
    /// The other side's answer, and when it came ('' before).
    answer: String,
    answered_when: String,
    /// The viewer is the other side and may still answer.
    may_answer: bool,
}

pub(super) async fn booking_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> PageResult {
    let q: MoveQuery = page_query(&uri);
    let after = q.move_after.parse::<Timestamp>().ok();
    render_booking(&state, &web, &id, None, after).await
}

/// The booking page's query: `move_after` lists the times to move to after that
/// instant (the "Later times" link), for a mentor whose horizon holds more than the
/// first screenful.
#[derive(Debug, Default, Deserialize)]
struct MoveQuery {
    #[serde(default)]
    move_after: String,
}

/// A form of the booking page that was refused: which one, why, and what was typed.
pub(super) struct Refused {
    form: &'static str,
    error: String,
    status: StatusCode,
    f: BookingForm,
}

/// The booking page; after a refused form, with its problem and its input kept.
async fn render_booking(
    state: &AppState,
    web: &WebCtx,
    id: &str,
    refused: Option<Refused>,
    move_after: Option<Timestamp>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = booking_path(id)?;
    let (b, history) = bookings::with_history(&state.ctx, &me, &id).await?;
    if b.b.mentor_id != me.id && b.b.mentee_id != me.id {
        return Err(AppError::NotFound.into()); // admins use the API
    }
    let review = reviews::of_booking(&state.ctx, &id).await?;
    // The share a program's credits paid, said beside the credits held.
    let program = bookings::program_share(&state.ctx, &b).await?;
    let dispute = disputes::of_booking(&state.ctx, &me, &id).await?;
    // A live session ahead may move, unless it is too late for this side to move it
    // (a mentee within the cancellation notice): then the page says why instead.
    let movable = b.b.timed && b.b.status.is_live() && b.b.start_at > state.ctx.clock.now();
    let move_refused = movable
        .then(|| bookings::preview(&state.ctx, &b, &me, BookingAction::Reschedule).err())
        .flatten()
        .map(|e| e.detail());
    let may_move = movable && move_refused.is_none();
    // The mentor's availability, read once: the times the session may move to, and
    // for its mentor whether it falls in time they took off.
    let avail = if movable && (may_move || b.b.mentor_id == me.id) {
        availability::load(&state.ctx, &b.b.mentor_id).await?
    } else {
        None
    };
    let moves = match &avail {
        Some(a) if may_move => {
            reschedule_options(state, web, &b, a, &zone_of(Some(&me)), move_after).await?
        }
        _ => MoveOptions::default(),
    };
    let MoveOptions {
        slots,
        soon,
        soon_label,
        soon_hint,
        later_from,
    } = moves;
    let r = &b.b;
    let tz = zone_of(Some(&me));
    let i_am_mentor = r.mentor_id == me.id;
    let (other_name, other_id, other_tz, other_email) = if i_am_mentor {
        (
            format!("{} {}", b.mentee_first_name, b.mentee_last_name),
            r.mentee_id.to_string(),
            b.mentee_timezone.clone(),
            &b.mentee_email,
        )
    } else {
        (
            format!("{} {}", b.mentor_first_name, b.mentor_last_name),
            r.mentor_id.to_string(),
            b.mentor_timezone.clone(),
            &b.mentor_email,
        )
    };
    // A closed account: no zone of theirs to show, nobody to share notes with.
    let other_gone = crate::domain::user::is_erased(other_email);
    // Booking again, offered to the mentee once it is over: while the mentor takes
    // sessions (their profile opens to this mentee), not to a 404.
    let can_book_again = !i_am_mentor
        && !other_gone
        && !r.status.is_live()
        && crate::service::mentors::mentor_page(&state.ctx, Some(&me), &r.mentor_id)
            .await
            .is_ok();
    let other_zone = TimeZone::get(&other_tz).unwrap_or(TimeZone::UTC);
    let status = r.status;
    let now = state.ctx.clock.now();
    let live = status.is_live();
    let started = now >= r.start_at;
    let no_show_from = crate::domain::booking::no_show_from(r.start_at, r.end_at);
    let done_from = crate::domain::booking::done_from(r.start_at, r.end_at);
    // (`avail` is read for its mentor only while the session is live and ahead.)
    let time_off = avail.as_ref().filter(|_| i_am_mentor).and_then(|a| {
        crate::domain::availability::time_off_during(a, r.start_at, r.end_at)
            .map(|off| crate::http::web::time_off_words(off.date, off.window.is_none()))
    });
    let [mine, theirs] = crate::service::bookings::notes_of(r, i_am_mentor);
    let series = match &r.series_id {
        Some(sid) => Some(series_box(state, web, &me, sid, r.id.as_str(), &tz).await?),
        None => None,
    };
    let cancel_consequence = bookings::preview(&state.ctx, &b, &me, BookingAction::Cancel)
        .map(|p| consequence(&b, &p))
        .unwrap_or_default();
    let (status_code, error, error_form, kept) = match refused {
        Some(x) => (x.status, Some(x.error), x.form, Some(x.f)),
        None => (StatusCode::OK, None, "", None),
    };
    // What was typed into the refused form, else what is stored.
    let typed = |pick: fn(&BookingForm) -> &String, stored: &str| {
        kept.as_ref()
            .map_or_else(|| stored.to_string(), |f| pick(f).clone())
    };
    // The notes as typed only when the notes form was the one refused.
    let notes = kept.as_ref().filter(|_| error_form == "notes");
    // A request waiting for the mentor's answer is declined by them, not cancelled
    // (two buttons doing one thing).
    let mentor_answers = i_am_mentor && status == BookingStatus::Pending;
    let dispute_ends = crate::domain::dispute::open_until(r.finished_at.unwrap_or(r.updated_at));
    // The mentee's address is read (for the mentor) only for a review.
    let reviewed = match (r.kind.is_review(), i_am_mentor) {
        (false, _) => None,
        (true, false) => reviewed(r.kind, Some(&me)),
        (true, true) => {
            let mentee = crate::service::accounts::public_profile(&state.ctx, &r.mentee_id)
                .await
                .ok();
            reviewed(r.kind, mentee.as_ref())
        }
    }
    // Once the review is done or called off, nobody is asked for the link any more.
    .filter(|(_, url)| live || !url.is_empty());
    let page = BookingPage {
        layout: web.layout(),
        series,
        id: r.id.to_string(),
        title: r.title.clone(),
        status: status.as_str().replace('_', "-"),
        i_am_mentor,
        other_name,
        other_id,
        other_gone,
        can_book_again,
        timed: r.timed,
        span: web.span((r.start_at, r.end_at), &tz),
        ends: web.when(r.end_at, &tz),
        zone: tz_name(&tz),
        other_zone_time: format!(
            "{} ({})",
            web.span((r.start_at, r.end_at), &other_zone),
            other_tz
        ),
        reviewed,
        topic: r.topic.clone(),
        message: r.message.clone(),
        message_parts: crate::http::web::chat::linkify(&r.message),
        credits: {
            let line = credits_line(
                r.credits_held,
                r.credits_refunded,
                r.credits_paid,
                (live, r.timed),
                i_am_mentor,
            );
            match program {
                Some((name, n)) if n > 0 && live => format!("{line} ({n} of them from {name})"),
                Some((name, n)) if n > 0 => {
                    format!(
                        "{line} (of the {} held, {n} came from {name})",
                        r.credits_held
                    )
                }
                _ => line,
            }
        },
        live,
        // Until half an hour after its end (a call that runs over, someone dropped
        // rejoining), not on a session long over and not yet marked done.
        meeting_on: (live || (status == BookingStatus::Completed && r.timed))
            && (!r.timed || now < r.end_at + jiff::SignedDuration::from_mins(30)),
        link: r.meeting_link.clone(),
        expires: web.when(r.expires_at, &tz),
        decline_reason: r.decline_reason.clone(),
        cancel_reason: r.cancel_reason.clone(),
        no_show_party: r.no_show_party.clone(),
        delivery_text: r.delivery_text.clone(),
        delivery_url: r.delivery_url.clone(),
        my_pre: notes.map_or_else(|| mine.pre.to_string(), |f| f.pre_meeting.clone()),
        my_pre_shared: notes.map_or(mine.pre_shared, |f| f.pre_meeting_shared.is_some()),
        my_post: notes.map_or_else(|| mine.post.to_string(), |f| f.post_session.clone()),
        my_post_shared: notes.map_or(mine.post_shared, |f| f.post_session_shared.is_some()),
        their_pre: theirs.pre_for_other().unwrap_or_default().to_string(),
        their_post: theirs.post_for_other().unwrap_or_default().to_string(),
        can_accept: i_am_mentor && status == BookingStatus::Pending && now < r.expires_at,
        can_cancel: live && (!r.timed || !started) && !mentor_answers,
        cancel_if_now: if_now("cancel", &cancel_consequence),
        cancel_consequence,
        decline_consequence: bookings::preview(&state.ctx, &b, &me, BookingAction::Decline)
            .map(|p| consequence(&b, &p))
            .unwrap_or_default(),
        can_reschedule: !slots.is_empty()
            || later_from.is_some()
            || (may_move && move_after.is_some()),
        move_refused,
        time_off,
        can_finish: status == BookingStatus::Accepted && r.timed && started,
        complete_confirm: bookings::preview(&state.ctx, &b, &me, BookingAction::Complete)
            .map(|p| match p.settlement.to_mentor {
                0 => "Mark this session as done?".to_string(),
                n => format!("Mark this session as done? {n} credits are paid to you now."),
            })
            .unwrap_or_default(),
        done_ready: now >= done_from,
        done_at: web.when(done_from, &tz),
        no_show_ready: now >= no_show_from,
        no_show_at: web.when(no_show_from, &tz),
        no_show_confirm: no_show_confirm(&state.ctx, &b, &me, i_am_mentor),
        can_deliver: i_am_mentor && status == BookingStatus::Accepted && !r.timed,
        can_review: !i_am_mentor && status == BookingStatus::Completed && review.is_none(),
        review_rating: review.as_ref().map(|x| x.rating).unwrap_or(0),
        review_comment: review
            .as_ref()
            .map(|x| x.comment.clone())
            .unwrap_or_default(),
        review_reply: review.as_ref().map(|x| x.reply.clone()).unwrap_or_default(),
        can_reply: i_am_mentor && review.as_ref().is_some_and(|x| x.replied_at.is_none()),
        moved_on: may_move && move_after.is_some(),
        slots,
        soon,
        soon_label,
        soon_hint,
        later_from,
        dispute_effect: match (&dispute, disputes::may_dispute(&state.ctx, &me, &b)) {
            (None, Ok(Remedy::RefundMentee)) => {
                format!("the {} credits it cost come back to you.", r.credits_held)
            }
            (None, Ok(Remedy::PayMentor)) => {
                "you are paid for it as for a session held.".to_string()
            }
            _ => String::new(),
        },
        dispute_until: web.when(dispute_ends, &tz),
        dispute_closed: match crate::domain::dispute::rule(status, &r.no_show_party) {
            Some((side, _))
                if dispute.is_none()
                    && r.credits_held > 0
                    && (side == Actor::Mentor) == i_am_mentor
                    && now >= dispute_ends =>
            {
                format!(
                    "The time to dispute how it ended closed on {}.",
                    web.when(dispute_ends, &tz)
                )
            }
            _ => String::new(),
        },
        draft_dispute: typed(|f| &f.reason, ""),
        draft_answer: typed(|f| &f.answer, ""),
        dispute: dispute.map(|d| DisputeBox {
            mine: d.opened_by == me.id.as_str(),
            when: web.when(d.created_at, &tz),
            may_answer: d.opened_by != me.id.as_str()
                && d.status == crate::domain::dispute::DisputeStatus::Open
                && d.answered_at.is_none(),
            answered_when: d.answered_at.map(|t| web.when(t, &tz)).unwrap_or_default(),
            answer: d.answer,
            reason: d.reason,
            status: d.status.as_str(),
            resolution: d.resolution,
        }),
        history: history
            .into_iter()
            .map(|e| HistoryLine {
                what: match (e.kind.as_str(), e.to_start) {
                    ("rescheduled", Some(t)) => format!("moved to {}", web.when(t, &tz)),
                    (k, _) => k.replace('_', " "),
                } + &if e.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.detail)
                },
                when: web.when(e.created_at, &tz),
            })
            .collect(),
        error,
        error_form,
        draft_text: typed(|f| &f.text, ""),
        draft_url: typed(|f| &f.url, ""),
        draft_rating: kept
            .as_ref()
            .and_then(|f| f.rating.trim().parse().ok())
            .filter(|n| (1..=5).contains(n))
            .unwrap_or(0),
        draft_comment: typed(|f| &f.comment, ""),
        draft_reply: typed(|f| &f.reply, ""),
        draft_start: typed(|f| &f.start, ""),
    };
    Ok(web.render_status(state, status_code, &page))
}

/// Where a booking's credits are, in words: held while it is live (as the booking form
/// and its confirmation say), then what went to the mentor and what came back ("25
/// paid to the mentor, 25 refunded"; to its mentor, "25 paid to you, 25 refunded to
/// the mentee").
fn credits_line(
    held: i64,
    refunded: i64,
    paid: i64,
    (live, timed): (bool, bool),
    to_mentor: bool,
) -> String {
    if held == 0 {
        return "none".into();
    }
    if live {
        let until = if timed {
            "the session is over"
        } else {
            "the review is delivered"
        };
        return format!("{held} held until {until}");
    }
    let (to_them, back) = if to_mentor {
        ("paid to you", "refunded to the mentee")
    } else {
        ("paid to the mentor", "refunded")
    };
    let parts: Vec<String> = [(paid, to_them), (refunded, back)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if parts.is_empty() {
        format!("{held} held")
    } else {
        parts.join(", ")
    }
}

/// The confirmation before reporting that the other person did not come: what it does
/// with the credits and the record.
fn no_show_confirm(
    ctx: &crate::service::Ctx,
    b: &BookingFull,
    me: &UserRow,
    i_am_mentor: bool,
) -> String {
    let action = if i_am_mentor {
        BookingAction::MenteeNoShow
    } else {
        BookingAction::MentorNoShow
    };
    let Ok(p) = bookings::preview(ctx, b, me, action) else {
        return String::new();
    };
    let s = p.settlement;
    if i_am_mentor {
        let paid = match s.to_mentor {
            0 => String::new(),
            n => format!(" You are paid {n} credits, as for a session held."),
        };
        format!("Report that {} did not come?{paid}", b.mentee_first_name)
    } else {
        let back = match s.to_mentee {
            0 => String::new(),
            n => format!(" Your {n} credits come back to you."),
        };
        format!(
            "Report that {} did not come?{back} It counts as a missed session on their profile.",
            b.mentor_first_name
        )
    }
}

/// What cancelling or declining does to the credits, in the words of the person acting.
pub(super) fn consequence(b: &BookingFull, p: &bookings::Preview) -> String {
    let held = b.b.credits_held;
    let back = p.settlement.to_mentee;
    if held == 0 {
        return "No credits were paid for it.".into();
    }
    match p.actor {
        Actor::Mentee if back == held => format!("You get {back} of {held} credits back."),
        Actor::Mentee => format!(
            "You get {back} of {held} credits back; {} go to {} for the late notice.",
            held - back,
            b.mentor_first_name
        ),
        _ if back == held => format!("{} gets all {held} credits back.", b.mentee_first_name),
        _ => format!(
            "{} gets {back} of {held} credits back.",
            b.mentee_first_name
        ),
    }
}

/// "If you cancel now, you get 90 of 90 credits back." — a consequence said after
/// the action it follows ("No credits were paid for it." stands alone).
fn if_now(action: &str, consequence: &str) -> String {
    if consequence.starts_with("No credits") {
        return consequence.to_string();
    }
    let rest = match consequence.strip_prefix("You ") {
        Some(rest) => format!("you {rest}"),
        None => consequence.to_string(),
    };
    format!("If you {action} now, {rest}")
}

/// The times a live booking could move to, a screenful at a time.
#[derive(Default)]
pub(super) struct MoveOptions {
    /// (value, label) of each free start; a label says the other side's time too
    /// when they read another zone ("… — 11:00 PM for Elena, at night").
    pub slots: Vec<(String, String)>,
    /// How many of the first `slots` start within the cancellation notice, for a
    /// mentee (0 for a mentor, or when every cancellation is refunded in full): the
    /// list sets them apart, since a session moved there cannot be moved again by its
    /// mentee and its late-cancellation terms apply.
    pub soon: usize,
    /// What the list says of those first times (the group's label), and under it.
    pub soon_label: String,
    pub soon_hint: String,
    /// The last start listed, when the mentor's horizon holds later ones.
    pub later_from: Option<String>,
}

/// A start as one side reads it, with the other side's time when their zone differs
/// and a word when it falls in their night (22:00–07:00).
fn move_label(
    web: &WebCtx,
    s: Timestamp,
    tz: &TimeZone,
    (other_first, other_zone): (&str, &str),
) -> String {
    let mine = web.when(s, tz);
    let Ok(theirs) = TimeZone::get(other_zone) else {
        return mine;
    };
    let (z, me) = (s.to_zoned(theirs), s.to_zoned(tz.clone()));
    if z.offset() == me.offset() {
        return mine;
    }
    let day = if z.date() == me.date() {
        String::new()
    } else {
        format!("{} ", z.strftime("%a %-d %b"))
    };
    let night = if crate::domain::clock::at_night(&z) {
        ", at night"
    } else {
        ""
    };
    format!(
        "{mine} — {day}{} for {other_first}{night}",
        web.clock_time(&z)
    )
}

/// Most starts one "Move to" list offers.
const MOVE_OPTIONS: usize = 60;

/// Free starts a live booking could move to: the first [`MOVE_OPTIONS`] within two
/// weeks after `after` (or now), and whether later ones may follow within the mentor's
/// horizon (the list goes on from its last start).
pub(super) async fn reschedule_options(
    state: &AppState,
    web: &WebCtx,
    b: &BookingFull,
    a: &crate::domain::availability::Availability,
    tz: &TimeZone,
    after: Option<Timestamp>,
) -> Result<MoveOptions, AppError> {
    let now = state.ctx.clock.now();
    let horizon = now + SignedDuration::from_hours(24 * a.settings.horizon_days.max(0));
    let from = after
        .map(|t| t + SignedDuration::from_secs(1))
        .filter(|t| *t > now)
        .unwrap_or(now)
        .min(horizon);
    let to = (from + SignedDuration::from_hours(24 * 14)).min(horizon);
    let ask = availability::SlotAsk {
        mentor_id: &b.b.mentor_id,
        duration: b.b.duration_minutes,
        from,
        to,
        except: Some(&b.b.id),
        except_hold: None,
    };
    let starts = availability::free_starts(&state.ctx, &state.ctx.db.generic, a, &ask).await?;
    let starts: Vec<Timestamp> = starts
        .into_iter()
        .filter(|s| *s != b.b.start_at)
        .take(MOVE_OPTIONS)
        .collect();
    let more = starts.len() == MOVE_OPTIONS || to < horizon;
    // A mentee moving to within the notice makes the move final (see `soon`).
    let i_am_mentee = web
        .auth
        .as_ref()
        .is_some_and(|a| a.user.id == b.b.mentee_id);
    let policy = &state.ctx.config.policy;
    let late = policy.late_refund_percent.clamp(0, 100);
    let notice = policy.full_refund_notice_hours;
    let soon = if i_am_mentee && late < 100 && notice > 0 {
        let edge = crate::clock::after(now, notice * 3_600_000_000);
        starts.iter().take_while(|s| **s < edge).count()
    } else {
        0
    };
    let other = if i_am_mentee {
        (b.mentor_first_name.as_str(), b.mentor_timezone.as_str())
    } else {
        (b.mentee_first_name.as_str(), b.mentee_timezone.as_str())
    };
    Ok(MoveOptions {
        later_from: starts
            .last()
            .filter(|_| more)
            .map(|t| t.to_string())
            .or_else(|| (more && starts.is_empty()).then(|| to.to_string())),
        soon,
        soon_label: format!(
            "Within {}: final, cancelling returns {late}%",
            crate::domain::text::notice(notice)
        ),
        soon_hint: format!(
            "A time within the next {} is final: once the session is moved there, you \
             cannot move it again, and cancelling it returns {late}% of its credits.",
            crate::domain::text::notice(notice)
        ),
        slots: starts
            .into_iter()
            .map(|s| (s.to_string(), move_label(web, s, tz, other)))
            .collect(),
    })
}

pub(super) async fn booking_ics(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = booking_path(&id)?;
    let body = crate::service::calendar::booking_ics(&state.ctx, &me, &id).await?;
    Ok(crate::http::api::bookings::calendar_response(
        body,
        &format!("booking-{id}.ics"),
    ))
}

/// Every session of a series in one calendar file (the series box's link).
pub(super) async fn series_ics(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let id = path_id(&id)?;
    let body = crate::service::calendar::series_ics(&state.ctx, &me, &id).await?;
    Ok(crate::http::api::bookings::calendar_response(
        body,
        &format!("series-{id}.ics"),
    ))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct BookingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reply: String,
    #[serde(default)]
    pre_meeting: String,
    #[serde(default)]
    pre_meeting_shared: Option<String>,
    #[serde(default)]
    post_session: String,
    #[serde(default)]
    post_session_shared: Option<String>,
    /// `1` once the person confirmed a destructive action.
    #[serde(default)]
    confirmed: String,
}

/// Runs a booking form action and goes back to the booking with a flash. Refused (a
/// field, a state that changed meanwhile), the booking page comes back with the
/// reason above `form` and what was typed into it.
pub(super) async fn booking_action<F, Fut>(
    state: AppState,
    web: WebCtx,
    id: String,
    f: BookingForm,
    (form, flash): (&'static str, &'static str),
    run: F,
) -> PageResult
where
    F: FnOnce(AppState, UserRow, crate::domain::ids::BookingId, BookingForm) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let me = web.signed_in_form(&state, &f.csrf)?;
    let bid = booking_path(&id)?;
    match run(state.clone(), me, bid.clone(), f.clone()).await {
        Ok(()) => Ok(web.redirect_flash(&format!("/bookings/{bid}"), flash)),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let refused = Refused {
                form,
                error: in_words(&e),
                status: crate::http::problem::status_of(&e),
                f,
            };
            render_booking(&state, &web, &id, Some(refused), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn act(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    let (action, flash) = match action.as_str() {
        "accept" => (BookingAction::Accept, "booking_accepted"),
        "decline" => (BookingAction::Decline, "booking_declined"),
        "cancel" => (BookingAction::Cancel, "booking_cancelled"),
        "complete" => (BookingAction::Complete, "booking_completed"),
        "no-show" => (BookingAction::MenteeNoShow, "booking_no_show"),
        _ => return Err(AppError::NotFound.into()),
    };
    if matches!(action, BookingAction::Cancel | BookingAction::Decline) {
        return give_back(state, web, id, f, action).await;
    }
    // A review has no meeting to join: its flash says what comes next instead.
    let flash = match (action, web.auth.as_ref()) {
        (BookingAction::Accept, Some(me)) => match booking_path(&id) {
            Ok(bid) => match bookings::get(&state.ctx, &me.user, &bid).await {
                Ok(b) if !b.b.timed => "review_accepted",
                _ => flash,
            },
            Err(_) => flash,
        },
        _ => flash,
    };
    booking_action(
        state,
        web,
        id,
        f,
        ("actions", flash),
        move |state, me, id, f| async move {
            let action = if action == BookingAction::MenteeNoShow {
                let b = bookings::get(&state.ctx, &me, &id).await?;
                if b.b.mentor_id == me.id {
                    BookingAction::MenteeNoShow
                } else {
                    BookingAction::MentorNoShow
                }
            } else {
                action
            };
            let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
            bookings::act(&state.ctx, Some(&me), &id, action, &ActInput { reason })
                .await
                .map(|_| ())
        },
    )
    .await
}

/// Cancelling or declining, which give credits back: asked first with what happens to
/// them (a page of its own without JavaScript), and said again once done.
async fn give_back(
    state: AppState,
    web: WebCtx,
    id: String,
    f: BookingForm,
    action: BookingAction,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = booking_path(&id)?;
    let b = bookings::get(&state.ctx, &me, &id).await?;
    let cancel = action == BookingAction::Cancel;
    if !confirm::confirmed(&f.confirmed) {
        let p = bookings::preview(&state.ctx, &b, &me, action)?;
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: if cancel {
                    format!("Cancel “{}”?", b.b.title)
                } else {
                    format!("Decline {}'s request?", b.mentee_first_name)
                },
                consequence: consequence(&b, &p),
                action: format!(
                    "/bookings/{id}/do/{}",
                    if cancel { "cancel" } else { "decline" }
                ),
                fields: vec![],
                yes: if cancel {
                    "Yes, cancel the booking"
                } else {
                    "Yes, decline"
                },
                back: format!("/bookings/{id}"),
                no: if cancel { "No, keep it" } else { "No, go back" },
                reason: Some(confirm::Reason {
                    label: "Reason, for the other person",
                    required: false,
                    max: 1000,
                    value: f.reason,
                }),
                errors: FormErrors::default(),
            },
        ));
    }
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    let after = bookings::act(&state.ctx, Some(&me), &id, action, &ActInput { reason }).await?;
    let (back, held) = (after.b.credits_refunded, after.b.credits_held);
    let to = format!("/bookings/{id}");
    Ok(match (cancel, held > 0, after.b.mentee_id == me.id) {
        (_, false, _) => web.redirect_flash(
            &to,
            if cancel {
                "booking_cancelled"
            } else {
                "booking_declined"
            },
        ),
        (true, true, true) => match bookings::refund_split(&state.ctx, &after).await? {
            (0, _) => web.redirect_flash_numbers(&to, "booking_cancelled_mine", &[back, held]),
            (program, over) => web.redirect_flash_numbers(
                &to,
                if over {
                    "booking_cancelled_mine_ended"
                } else {
                    "booking_cancelled_mine_program"
                },
                &[back, held, back - program, program],
            ),
        },
        (true, true, false) => {
            web.redirect_flash_numbers(&to, "booking_cancelled_theirs", &[back, held])
        }
        (false, true, _) => web.redirect_flash_numbers(&to, "booking_declined_refunded", &[back]),
    })
}

pub(super) async fn reschedule(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("move", "booking_moved"),
        |state, me, id, f| async move {
            if f.start.trim().is_empty() {
                return Err(AppError::invalid(
                    "start",
                    "required",
                    "Pick the new time first.",
                ));
            }
            let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
            bookings::reschedule(
                &state.ctx,
                &me,
                &id,
                &RescheduleInput {
                    start: f.start,
                    reason,
                },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(super) async fn deliver(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("deliver", "booking_delivered"),
        |state, me, id, f| async move {
            bookings::deliver(
                &state.ctx,
                &me,
                &id,
                &DeliverInput {
                    text: f.text,
                    url: f.url,
                },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(super) async fn save_notes(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("notes", "notes_saved"),
        |state, me, id, f| async move {
            let input = NotesInput {
                pre_meeting: f.pre_meeting,
                pre_meeting_shared: f.pre_meeting_shared.is_some(),
                post_session: f.post_session,
                post_session_shared: f.post_session_shared.is_some(),
            };
            bookings::save_notes(&state.ctx, &me, &id, &input)
                .await
                .map(|_| ())
        },
    )
    .await
}

pub(super) async fn review(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("review", "review_saved"),
        |state, me, id, f| async move {
            let rating = f
                .rating
                .trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid("rating", "required", "Choose 1 to 5 stars."))?;
            reviews::create(
                &state.ctx,
                &me,
                &id,
                &reviews::ReviewInput {
                    rating,
                    comment: f.comment,
                },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(super) async fn dispute(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("dispute", "dispute_opened"),
        |state, me, id, f| async move {
            disputes::open(
                &state.ctx,
                &me,
                &id,
                &disputes::DisputeInput { reason: f.reason },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(super) async fn answer_dispute(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("answer", "dispute_answered"),
        |state, me, id, f| async move {
            disputes::answer(
                &state.ctx,
                &me,
                &id,
                &disputes::DisputeAnswerInput { answer: f.answer },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(super) async fn reply(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> PageResult {
    booking_action(
        state,
        web,
        id,
        f,
        ("reply", "reply_saved"),
        |state, me, id, f| async move {
            let r = reviews::of_booking(&state.ctx, &id)
                .await?
                .ok_or(AppError::NotFound)?;
            reviews::reply(
                &state.ctx,
                &me,
                &r.id,
                &reviews::ReplyInput { reply: f.reply },
            )
            .await
            .map(|_| ())
        },
    )
    .await
}

/// A series on one of its sessions' pages: every session, and what can be done to the
/// series from here.
pub(super) struct SeriesBox {
    id: String,
    every: &'static str,
    /// (booking id, when, status, is this page's session).
    sessions: Vec<(String, String, String, bool)>,
    /// The mentor, with sessions waiting for an answer.
    can_answer: bool,
    /// Live sessions from this one on that have not started.
    can_cancel_from_here: usize,
    /// Sessions still on (pending or accepted), for the calendar file's link.
    live: usize,
}

async fn series_box(
    state: &AppState,
    web: &WebCtx,
    me: &crate::service::accounts::UserRow,
    series_id: &str,
    this: &str,
    tz: &TimeZone,
) -> Result<SeriesBox, AppError> {
    let s = bookings::get_series(&state.ctx, me, series_id).await?;
    let now = state.ctx.clock.now();
    let this_start = s
        .occurrences
        .iter()
        .find(|o| o.b.id.as_str() == this)
        .map_or(now, |o| o.b.start_at);
    Ok(SeriesBox {
        id: s.row.id.clone(),
        every: crate::domain::text::every_weeks(s.row.every_weeks),
        can_answer: s.row.mentor_id == me.id.as_str()
            && s.occurrences
                .iter()
                .any(|o| o.b.status == BookingStatus::Pending),
        can_cancel_from_here: s
            .occurrences
            .iter()
            .filter(|o| o.b.status.is_live() && o.b.start_at >= this_start && o.b.start_at > now)
            .count(),
        live: s
            .occurrences
            .iter()
            .filter(|o| o.b.status.is_live())
            .count(),
        sessions: s
            .occurrences
            .iter()
            .map(|o| {
                let z = o.b.start_at.to_zoned(tz.clone());
                (
                    o.b.id.to_string(),
                    format!("{}, {}", z.strftime("%a %-d %b %Y"), web.clock_time(&z)),
                    o.b.status.as_str().replace('_', "-"),
                    o.b.id.as_str() == this,
                )
            })
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SeriesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    reason: String,
    /// The session the page was about (cancel from it on; back to it after).
    #[serde(default)]
    from: String,
}

/// What cancelling series `id` from session `from` on would do, in numbers: how many
/// sessions, and how their held credits would go (each by the cancellation policy).
async fn series_cancel_consequence(
    state: &AppState,
    me: &UserRow,
    id: &str,
    from: &crate::domain::ids::BookingId,
) -> Result<String, AppError> {
    let s = bookings::get_series(&state.ctx, me, id).await?;
    let start = s
        .occurrences
        .iter()
        .find(|o| &o.b.id == from)
        .map(|o| o.b.start_at)
        .ok_or(AppError::NotFound)?;
    let now = state.ctx.now();
    let (mut n, mut held, mut back) = (0, 0, 0);
    for o in &s.occurrences {
        if o.b.status.is_live() && o.b.start_at >= start && o.b.end_at > now {
            let p = bookings::preview(&state.ctx, o, me, BookingAction::Cancel)?;
            n += 1;
            held += o.b.credits_held;
            back += p.settlement.to_mentee;
        }
    }
    let sessions = crate::domain::text::sessions(n);
    let mine = s.row.mentee_id == me.id.as_str();
    let money = match (held, mine) {
        (0, _) => String::new(),
        (h, true) if back == h => format!(" All {h} of their credits come back to you."),
        (h, true) => format!(
            " {back} of their {h} credits come back to you; {} go to the mentor \
             (late cancellations, by the policy).",
            h - back
        ),
        (h, false) if back == h => format!(" The mentee gets all {h} of their credits back."),
        (h, false) => format!(" The mentee gets {back} of their {h} credits back."),
    };
    Ok(format!(
        "{sessions} will be cancelled, this one and those after it; earlier sessions stay \
         booked.{money}"
    ))
}

/// Accept or decline every waiting session, or cancel from one session on (asked
/// first, with what happens to the credits).
pub(super) async fn series_act(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<SeriesForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let from = booking_path(&f.from)?;
    let back = format!("/bookings/{from}");
    let reason = Some(f.reason.clone()).filter(|r| !r.trim().is_empty());
    let (question, consequence, yes, flash) = match action.as_str() {
        "accept" => {
            bookings::answer_series(
                &state.ctx,
                &me,
                &id,
                BookingAction::Accept,
                &ActInput::default(),
            )
            .await?;
            return Ok(web.redirect_flash(&back, "series_accepted"));
        }
        "decline" => (
            "Decline every waiting session of this series?",
            "Each one's credits go back to the mentee in full.",
            "Yes, decline them",
            "series_declined",
        ),
        "cancel" => (
            "Cancel this session and all that follow?",
            "Each is refunded by the cancellation policy, as if cancelled on its own; earlier sessions stay booked.",
            "Yes, cancel them",
            "series_cancelled_mine",
        ),
        _ => return Err(AppError::NotFound.into()),
    };
    if !confirm::confirmed(&f.confirmed) {
        // Cancelling says in numbers what it would do.
        let consequence = if action == "cancel" {
            series_cancel_consequence(&state, &me, &id, &from).await?
        } else {
            consequence.to_string()
        };
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: question.into(),
                consequence,
                action: format!("/bookings/series/{id}/do/{action}"),
                fields: vec![("from", from.to_string())],
                yes,
                back,
                no: "No, go back",
                reason: Some(confirm::Reason {
                    label: "Reason, for the other person",
                    required: false,
                    max: 1000,
                    value: f.reason,
                }),
                errors: FormErrors::default(),
            },
        ));
    }
    if action == "decline" {
        bookings::answer_series(
            &state.ctx,
            &me,
            &id,
            BookingAction::Decline,
            &ActInput { reason },
        )
        .await?;
    } else {
        // Said after as a single cancel says it: how many, and the credits back.
        let live_before: Vec<String> = bookings::get_series(&state.ctx, &me, &id)
            .await?
            .occurrences
            .iter()
            .filter(|o| o.b.status.is_live())
            .map(|o| o.b.id.to_string())
            .collect();
        let after = bookings::cancel_series(
            &state.ctx,
            &me,
            &id,
            &bookings::SeriesCancelInput {
                from_booking_id: Some(from.to_string()),
                reason,
            },
        )
        .await?;
        let cancelled: Vec<_> = after
            .occurrences
            .iter()
            .filter(|o| !o.b.status.is_live() && live_before.contains(&o.b.id.to_string()))
            .collect();
        let back_credits: i64 = cancelled.iter().map(|o| o.b.credits_refunded).sum();
        let held: i64 = cancelled.iter().map(|o| o.b.credits_held).sum();
        let count = cancelled.len() as i64;
        let mentee = after.row.mentee_id == me.id.as_str();
        if !mentee {
            return Ok(web.redirect_flash_numbers(
                &back,
                "series_cancelled_theirs",
                &[count, back_credits, held],
            ));
        }
        // What of it went to a program rather than the wallet (one program pays a
        // series: its sessions share a mentor).
        let (mut program, mut over) = (0, false);
        for o in &cancelled {
            let (p, ended) = bookings::refund_split(&state.ctx, o).await?;
            program += p;
            over |= ended && p > 0;
        }
        let (code, numbers) = match (program, over) {
            (0, _) => ("series_cancelled_mine", vec![count, back_credits, held]),
            (p, over) => (
                if over {
                    "series_cancelled_mine_ended"
                } else {
                    "series_cancelled_mine_program"
                },
                vec![count, back_credits, held, back_credits - p, p],
            ),
        };
        return Ok(web.redirect_flash_numbers(&back, code, &numbers));
    }
    Ok(web.redirect_flash(&back, flash))
}
