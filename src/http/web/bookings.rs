//! Booking pages: the slot picker's booking form, one booking (actions, notes, review),
//! sessions lists, the credits page, and the mentor's availability editor.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    response::Response,
    routing::{get, post},
};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Deserialize;

use super::{Layout, WebCtx, WebForm, error_page, page_query, timezones, zone_of};
use crate::{
    clock::{from_micros, to_micros},
    domain::{
        booking::{BookingAction, BookingStatus},
        mentor::ServiceKind,
    },
    error::AppError,
    http::{AppState, extract::path_id},
    service::{
        accounts::UserRow,
        bookings::{BookingFull, ListFilter},
    },
    service::{
        availability::{self, AvailabilityIo, OverrideIo, RuleIo, SettingsIo},
        bookings::{self, ActInput, BookingInput, DeliverInput, NotesInput, RescheduleInput},
        credits, mentors, reviews,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mentors/{id}/book", get(book_form).post(book))
        .route("/bookings/{id}", get(booking_page))
        .route("/bookings/{id}/ics", get(booking_ics))
        .route("/bookings/{id}/notes", post(save_notes))
        .route("/bookings/{id}/review", post(review))
        .route("/bookings/{id}/reply", post(reply))
        .route("/bookings/{id}/reschedule", post(reschedule))
        .route("/bookings/{id}/deliver", post(deliver))
        .route("/bookings/{id}/do/{action}", post(act))
        .route("/credits", get(credits_page))
        .route(
            "/settings/availability",
            get(availability_form).post(save_availability),
        )
}

/// "Tue 3 Mar, 10:00" in a zone.
pub fn when(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%a %-d %b %Y, %H:%M")
        .to_string()
}

fn tz_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

// ------------------------------------------------------------------ the slot picker's form

#[derive(Debug, Default, Deserialize)]
struct BookQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    layout: Layout,
    mentor_id: String,
    mentor_name: String,
    service_id: String,
    service_title: String,
    duration: i64,
    cost: i64,
    timed: bool,
    start: String,
    start_local: String,
    zone: String,
    balance: i64,
    topic: String,
    message: String,
    error: Option<String>,
    /// "Buy 30 credits … and book", when credits are short and buying is on.
    buy_offer: Option<String>,
}

/// What the booking form shows besides the slot: a problem and the text kept.
#[derive(Default)]
struct BookEntry {
    error: Option<String>,
    topic: String,
    message: String,
}

async fn render_book(
    state: &AppState,
    web: &WebCtx,
    mentor_id: &str,
    q: &BookQuery,
    status: StatusCode,
    entry: BookEntry,
) -> Response {
    let BookEntry {
        error,
        topic,
        message,
    } = entry;
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let Ok(mentor_id) = path_id(mentor_id) else {
        return error_page(state, Some(web), AppError::NotFound);
    };
    let mentor = match mentors::mentor_page(&state.ctx, Some(&me), &mentor_id).await {
        Ok(m) => m,
        Err(e) => return error_page(state, Some(web), e),
    };
    let service = match path_id(&q.service) {
        Ok(sid) => mentors::offered_service(&state.ctx, &mentor_id, &sid)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let Some(service) = service else {
        return error_page(
            state,
            Some(web),
            AppError::invalid("service", "not_found", "Pick one of the mentor's services."),
        );
    };
    let timed = !ServiceKind::parse(&service.kind).is_some_and(ServiceKind::is_review);
    let tz = zone_of(Some(&me));
    let start_local = if timed {
        match q.start.parse::<Timestamp>() {
            Ok(t) => when(t, &tz),
            Err(_) => {
                return error_page(
                    state,
                    Some(web),
                    AppError::invalid(
                        "start",
                        "invalid_datetime",
                        "Pick a time from the mentor's free slots.",
                    ),
                );
            }
        }
    } else {
        String::new()
    };
    let balance = credits::balance(&state.ctx, &me.id).await.unwrap_or(0);
    web.render_status(
        state,
        status,
        &BookPage {
            layout: web.layout(),
            mentor_id,
            mentor_name: format!("{} {}", mentor.first_name, mentor.last_name),
            service_id: service.id,
            service_title: service.title,
            duration: service.duration_minutes,
            cost: service.credit_cost,
            timed,
            start: q.start.clone(),
            start_local,
            zone: tz_name(&tz),
            buy_offer: (balance < service.credit_cost)
                .then(|| super::payments::offer_for(state, service.credit_cost - balance))
                .flatten(),
            balance,
            topic,
            message,
            error,
        },
    )
}

async fn book_form(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let q: BookQuery = page_query(&uri);
    render_book(&state, &web, &id, &q, StatusCode::OK, BookEntry::default()).await
}

#[derive(Debug, Default, Deserialize)]
struct BookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    message: String,
}

async fn book(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookForm>,
) -> Response {
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let input = BookingInput {
        mentor_id: id.clone(),
        service_id: f.service.clone(),
        start: Some(f.start.clone()).filter(|s| !s.is_empty()),
        topic: f.topic.clone(),
        message: f.message.clone(),
        timezone: None,
    };
    match bookings::request(&state.ctx, &me, &input, None).await {
        Ok((b, _)) => web.redirect_flash(&format!("/bookings/{}", b.b.id), "booking_requested"),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::PaymentRequired { .. }),
        ) => {
            let msg = match &e {
                AppError::Invalid(errs) => errs
                    .iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.detail(),
            };
            let q = BookQuery {
                service: f.service,
                start: f.start,
            };
            render_book(
                &state,
                &web,
                &id,
                &q,
                crate::http::problem::status_of(&e),
                BookEntry {
                    error: Some(msg),
                    topic: f.topic,
                    message: f.message,
                },
            )
            .await
        }
        Err(e) => error_page(&state, Some(&web), e),
    }
}

// ------------------------------------------------------------------ one booking

pub struct HistoryLine {
    pub what: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingPage {
    layout: Layout,
    id: String,
    title: String,
    status: String,
    i_am_mentor: bool,
    other_name: String,
    other_id: String,
    timed: bool,
    starts: String,
    ends: String,
    zone: String,
    other_zone_time: String,
    topic: String,
    message: String,
    cost: i64,
    refunded: i64,
    paid: i64,
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
    can_reschedule: bool,
    can_finish: bool,
    can_deliver: bool,
    can_review: bool,
    review_rating: i64,
    review_comment: String,
    review_reply: String,
    can_reply: bool,
    slots: Vec<(String, String)>,
    history: Vec<HistoryLine>,
}

async fn booking_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let r = async {
        let id = path_id(&id)?;
        let (b, history) = bookings::with_history(&state.ctx, &me, &id).await?;
        if b.b.mentor_id != me.id && b.b.mentee_id != me.id {
            return Err(AppError::NotFound); // admins use the API
        }
        let review = reviews::of_booking(&state.ctx, &id).await?;
        let slots = if b.b.timed == 1
            && BookingStatus::parse(&b.b.status).is_some_and(BookingStatus::is_live)
            && b.b.start_at > state.ctx.now()
        {
            reschedule_options(&state, &b, &zone_of(Some(&me))).await?
        } else {
            vec![]
        };
        Ok::<_, AppError>((b, review, history, slots))
    }
    .await;
    let (b, review, history, slots) = match r {
        Ok(x) => x,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let r = &b.b;
    let tz = zone_of(Some(&me));
    let i_am_mentor = r.mentor_id == me.id;
    let (other_name, other_id, other_tz) = if i_am_mentor {
        (
            format!("{} {}", b.mentee_first_name, b.mentee_last_name),
            r.mentee_id.clone(),
            b.mentee_timezone.clone(),
        )
    } else {
        (
            format!("{} {}", b.mentor_first_name, b.mentor_last_name),
            r.mentor_id.clone(),
            b.mentor_timezone.clone(),
        )
    };
    let other_zone = TimeZone::get(&other_tz).unwrap_or(TimeZone::UTC);
    let status = BookingStatus::parse(&r.status).unwrap_or(BookingStatus::Cancelled);
    let now = state.ctx.now();
    let live = status.is_live();
    let started = now >= r.start_at;
    let (mine, theirs) = if i_am_mentor {
        (
            (
                &r.mentor_pre_notes,
                r.mentor_pre_shared,
                &r.mentor_post_notes,
                r.mentor_post_shared,
            ),
            (
                &r.mentee_pre_notes,
                r.mentee_pre_shared,
                &r.mentee_post_notes,
                r.mentee_post_shared,
            ),
        )
    } else {
        (
            (
                &r.mentee_pre_notes,
                r.mentee_pre_shared,
                &r.mentee_post_notes,
                r.mentee_post_shared,
            ),
            (
                &r.mentor_pre_notes,
                r.mentor_pre_shared,
                &r.mentor_post_notes,
                r.mentor_post_shared,
            ),
        )
    };
    let page = BookingPage {
        layout: web.layout(),
        id: r.id.clone(),
        title: r.title.clone(),
        status: status.as_str().replace('_', "-"),
        i_am_mentor,
        other_name,
        other_id,
        timed: r.timed == 1,
        starts: when(from_micros(r.start_at), &tz),
        ends: when(from_micros(r.end_at), &tz),
        zone: tz_name(&tz),
        other_zone_time: format!(
            "{} ({})",
            when(from_micros(r.start_at), &other_zone),
            other_tz
        ),
        topic: r.topic.clone(),
        message: r.message.clone(),
        cost: r.credits_held,
        refunded: r.credits_refunded,
        paid: r.credits_paid,
        link: r.meeting_link.clone(),
        expires: when(from_micros(r.expires_at), &tz),
        decline_reason: r.decline_reason.clone(),
        cancel_reason: r.cancel_reason.clone(),
        no_show_party: r.no_show_party.clone(),
        delivery_text: r.delivery_text.clone(),
        delivery_url: r.delivery_url.clone(),
        my_pre: mine.0.clone(),
        my_pre_shared: mine.1 == 1,
        my_post: mine.2.clone(),
        my_post_shared: mine.3 == 1,
        their_pre: if theirs.1 == 1 {
            theirs.0.clone()
        } else {
            String::new()
        },
        their_post: if theirs.3 == 1 {
            theirs.2.clone()
        } else {
            String::new()
        },
        can_accept: i_am_mentor && status == BookingStatus::Pending && now < r.expires_at,
        can_cancel: live && (r.timed == 0 || !started),
        can_reschedule: !slots.is_empty(),
        can_finish: status == BookingStatus::Accepted && r.timed == 1 && started,
        can_deliver: i_am_mentor && status == BookingStatus::Accepted && r.timed == 0,
        can_review: !i_am_mentor && status == BookingStatus::Completed && review.is_none(),
        review_rating: review.as_ref().map(|x| x.rating).unwrap_or(0),
        review_comment: review
            .as_ref()
            .map(|x| x.comment.clone())
            .unwrap_or_default(),
        review_reply: review.as_ref().map(|x| x.reply.clone()).unwrap_or_default(),
        can_reply: i_am_mentor && review.as_ref().is_some_and(|x| x.replied_at.is_none()),
        slots,
        history: history
            .into_iter()
            .map(|e| HistoryLine {
                what: match (e.kind.as_str(), e.to_start) {
                    ("rescheduled", Some(t)) => format!("moved to {}", when(from_micros(t), &tz)),
                    (k, _) => k.replace('_', " "),
                } + &if e.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.detail)
                },
                when: when(from_micros(e.created_at), &tz),
            })
            .collect(),
    };
    web.render(&state, &page)
}

/// Free starts in the next two weeks a live booking could move to (value, label).
async fn reschedule_options(
    state: &AppState,
    b: &BookingFull,
    tz: &TimeZone,
) -> Result<Vec<(String, String)>, AppError> {
    let Some(a) = availability::load(&state.ctx, &b.b.mentor_id).await? else {
        return Ok(vec![]);
    };
    let now = state.ctx.clock.now();
    let ask = availability::SlotAsk {
        mentor_id: &b.b.mentor_id,
        duration: b.b.duration_minutes,
        from: now,
        to: now + SignedDuration::from_hours(24 * 14),
        except: Some(&b.b.id),
        except_hold: None,
    };
    let starts = availability::free_starts(&state.ctx, &state.ctx.db.pool, &a, &ask).await?;
    Ok(starts
        .into_iter()
        .filter(|s| to_micros(*s) != b.b.start_at)
        .take(60)
        .map(|s| (s.to_string(), when(s, tz)))
        .collect())
}

async fn booking_ics(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let r = async {
        let id = path_id(&id)?;
        crate::service::calendar::booking_ics(&state.ctx, &me, &id)
            .await
            .map(|body| (id, body))
    }
    .await;
    match r {
        Ok((id, body)) => {
            crate::http::api::bookings::calendar_response(body, &format!("booking-{id}.ics"))
        }
        Err(e) => error_page(&state, Some(&web), e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct BookingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
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
}

/// Runs a booking form action and goes back to the booking with a flash.
async fn booking_action<F, Fut>(
    state: AppState,
    web: WebCtx,
    id: String,
    f: BookingForm,
    flash: &'static str,
    run: F,
) -> Response
where
    F: FnOnce(AppState, UserRow, String, BookingForm) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let me = match web.signed_in_form(&state, &f.csrf) {
        Ok(me) => me,
        Err(r) => return r,
    };
    let Ok(id) = path_id(&id) else {
        return error_page(&state, Some(&web), AppError::NotFound);
    };
    match run(state.clone(), me, id.clone(), f).await {
        Ok(()) => web.redirect_flash(&format!("/bookings/{id}"), flash),
        Err(e) => error_page(&state, Some(&web), e),
    }
}

async fn act(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    let (action, flash) = match action.as_str() {
        "accept" => (BookingAction::Accept, "booking_accepted"),
        "decline" => (BookingAction::Decline, "booking_declined"),
        "cancel" => (BookingAction::Cancel, "booking_cancelled"),
        "complete" => (BookingAction::Complete, "booking_completed"),
        "no-show" => (BookingAction::MenteeNoShow, "booking_no_show"),
        _ => return error_page(&state, Some(&web), AppError::NotFound),
    };
    booking_action(
        state,
        web,
        id,
        f,
        flash,
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

async fn reschedule(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    booking_action(
        state,
        web,
        id,
        f,
        "booking_moved",
        |state, me, id, f| async move {
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

async fn deliver(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    booking_action(
        state,
        web,
        id,
        f,
        "booking_delivered",
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

async fn save_notes(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    booking_action(
        state,
        web,
        id,
        f,
        "notes_saved",
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

async fn review(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    booking_action(
        state,
        web,
        id,
        f,
        "review_saved",
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

async fn reply(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookingForm>,
) -> Response {
    booking_action(
        state,
        web,
        id,
        f,
        "reply_saved",
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

// ------------------------------------------------------------------ credits

pub struct EntryLine {
    pub when: String,
    pub amount: i64,
    pub memo: String,
    pub booking_id: String,
}

#[derive(Template)]
#[template(path = "credits.html")]
struct CreditsPage {
    layout: Layout,
    balance: i64,
    held: i64,
    entries: Vec<EntryLine>,
    /// The packs on sale; empty when buying is off.
    packs: Vec<super::payments::PackLine>,
}

async fn credits_page(State(state): State<AppState>, web: WebCtx) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let v = match credits::view(&state.ctx, &me, None, 100).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let tz = zone_of(Some(&me));
    web.render(
        &state,
        &CreditsPage {
            layout: web.layout(),
            balance: v.balance,
            held: v.held,
            entries: v
                .entries
                .into_iter()
                .map(|e| EntryLine {
                    when: e
                        .created_at
                        .parse::<Timestamp>()
                        .map(|t| when(t, &tz))
                        .unwrap_or(e.created_at),
                    amount: e.amount,
                    memo: e.memo,
                    booking_id: e.booking_id.unwrap_or_default(),
                })
                .collect(),
            packs: if crate::service::payments::enabled(&state.ctx) {
                super::payments::pack_lines(&state)
            } else {
                vec![]
            },
        },
    )
}

// ------------------------------------------------------------------ availability editor

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const WINDOWS_PER_DAY: usize = 3;
const OVERRIDE_ROWS: usize = 4;

pub struct DayRow {
    pub name: String,
    pub label: String,
    pub windows: Vec<(String, String)>,
}

pub struct OverrideRow {
    pub date: String,
    pub kind: String,
    pub start: String,
    pub end: String,
}

#[derive(Template)]
#[template(path = "settings_availability.html")]
struct AvailabilityPage {
    layout: Layout,
    show_services: bool,
    timezone: String,
    timezones: &'static [String],
    days: Vec<DayRow>,
    overrides: Vec<OverrideRow>,
    s: SettingsIo,
    error_list: Vec<String>,
}

fn page_from(io: &AvailabilityIo) -> (Vec<DayRow>, Vec<OverrideRow>) {
    let days = WEEKDAYS
        .iter()
        .map(|d| {
            let mut windows: Vec<(String, String)> = io
                .weekly
                .iter()
                .filter(|r| r.weekday == *d)
                .map(|r| (r.start.clone(), r.end.clone()))
                .collect();
            while windows.len() < WINDOWS_PER_DAY {
                windows.push((String::new(), String::new()));
            }
            let mut label = d.to_string();
            label[..1].make_ascii_uppercase();
            DayRow {
                name: d.to_string(),
                label,
                windows,
            }
        })
        .collect();
    let mut overrides: Vec<OverrideRow> = io
        .overrides
        .iter()
        .map(|o| OverrideRow {
            date: o.date.clone(),
            kind: match (o.available, o.start.is_some()) {
                (true, _) => "extra",
                (false, true) => "blocked",
                (false, false) => "off",
            }
            .into(),
            start: o.start.clone().unwrap_or_default(),
            end: o.end.clone().unwrap_or_default(),
        })
        .collect();
    for _ in 0..OVERRIDE_ROWS {
        overrides.push(OverrideRow {
            date: String::new(),
            kind: "off".into(),
            start: String::new(),
            end: String::new(),
        });
    }
    (days, overrides)
}

async fn availability_form(State(state): State<AppState>, web: WebCtx) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let io = match availability::get(&state.ctx, &me).await {
        Ok(io) => io,
        Err(e) => return error_page(&state, Some(&web), e),
    };
    let (days, overrides) = page_from(&io);
    web.render(
        &state,
        &AvailabilityPage {
            layout: web.layout(),
            show_services: true,
            timezone: io.timezone.clone(),
            timezones: timezones(),
            days,
            overrides,
            s: io.settings,
            error_list: vec![],
        },
    )
}

async fn save_availability(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return r,
    };
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    if let Err(e) = web.check_csrf(&get("csrf")) {
        return error_page(&state, Some(&web), e);
    }
    let mut weekly = vec![];
    for d in WEEKDAYS {
        for i in 0..WINDOWS_PER_DAY {
            let (s, e) = (get(&format!("{d}_start_{i}")), get(&format!("{d}_end_{i}")));
            if !s.is_empty() || !e.is_empty() {
                weekly.push(RuleIo {
                    weekday: d.into(),
                    start: s,
                    end: e,
                });
            }
        }
    }
    let mut overrides = vec![];
    for i in 0..64 {
        let date = get(&format!("ov_date_{i}"));
        if date.is_empty() {
            continue;
        }
        let kind = get(&format!("ov_kind_{i}"));
        let (s, e) = (get(&format!("ov_start_{i}")), get(&format!("ov_end_{i}")));
        overrides.push(OverrideIo {
            date,
            available: kind == "extra",
            start: Some(s).filter(|x| !x.is_empty() && kind != "off"),
            end: Some(e).filter(|x| !x.is_empty() && kind != "off"),
        });
    }
    let num = |k: &str, default: i64| {
        get(k)
            .parse::<i64>()
            .unwrap_or(if get(k).is_empty() { default } else { -1 })
    };
    let io = AvailabilityIo {
        timezone: get("timezone"),
        weekly,
        overrides,
        settings: SettingsIo {
            min_notice_minutes: num("min_notice_minutes", 0),
            buffer_before_minutes: num("buffer_before_minutes", 0),
            buffer_after_minutes: num("buffer_after_minutes", 0),
            horizon_days: num("horizon_days", 60),
            slot_step_minutes: num("slot_step_minutes", 30),
            max_per_day: num("max_per_day", 0),
        },
    };
    match availability::put(&state.ctx, &me, &io).await {
        Ok(_) => web.redirect_flash("/settings/availability", "availability_saved"),
        Err(e @ AppError::Invalid(_)) => {
            let (days, overrides) = page_from(&io);
            let error_list = match &e {
                AppError::Invalid(errs) => errs
                    .iter()
                    .map(|x| format!("{}: {}", x.field, x.message))
                    .collect(),
                _ => vec![],
            };
            web.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &AvailabilityPage {
                    layout: web.layout(),
                    show_services: true,
                    timezone: io.timezone.clone(),
                    timezones: timezones(),
                    days,
                    overrides,
                    s: io.settings,
                    error_list,
                },
            )
        }
        Err(e) => error_page(&state, Some(&web), e),
    }
}

/// The sessions of a user for the mentorship hub, upcoming first then recent.
pub async fn sessions(
    state: &AppState,
    me: &UserRow,
) -> Result<(Vec<SessionLine>, Vec<SessionLine>), AppError> {
    let now = state.ctx.now();
    let tz = zone_of(Some(me));
    let upcoming = bookings::list(
        &state.ctx,
        &ListFilter {
            user_id: me.id.clone(),
            statuses: vec!["pending".into(), "accepted".into()],
            from: Some(now - 2 * 3_600_000_000),
            ascending: true,
            limit: 50,
            ..ListFilter::default()
        },
    )
    .await?;
    let past = bookings::list(
        &state.ctx,
        &ListFilter {
            user_id: me.id.clone(),
            statuses: vec![
                "completed".into(),
                "cancelled".into(),
                "declined".into(),
                "expired".into(),
                "no_show".into(),
            ],
            limit: 30,
            ..ListFilter::default()
        },
    )
    .await?;
    let line = |b: &BookingFull| {
        let mentor = b.b.mentor_id == me.id;
        SessionLine {
            id: b.b.id.clone(),
            title: b.b.title.clone(),
            with: if mentor {
                format!("{} {}", b.mentee_first_name, b.mentee_last_name)
            } else {
                format!("{} {}", b.mentor_first_name, b.mentor_last_name)
            },
            role: if mentor {
                "mentee".into()
            } else {
                "mentor".into()
            },
            when: if b.b.timed == 1 {
                when(from_micros(b.b.start_at), &tz)
            } else {
                format!("due {}", when(from_micros(b.b.end_at), &tz))
            },
            status: b.b.status.replace('_', "-"),
            needs_answer: mentor && b.b.status == "pending",
            link: if b.b.status == "accepted" {
                b.b.meeting_link.clone()
            } else {
                String::new()
            },
        }
    };
    Ok((
        upcoming.iter().map(line).collect(),
        past.iter().map(line).collect(),
    ))
}

pub struct SessionLine {
    pub id: String,
    pub title: String,
    pub with: String,
    /// The other person's role.
    pub role: String,
    pub when: String,
    pub status: String,
    pub needs_answer: bool,
    pub link: String,
}
