//! The booking form behind the slot picker: the chosen slot and service, the price, the
//! message, and "repeat every week / every two weeks × N" — whose dates are listed for
//! a confirmation before the series is booked.

use super::*;
use crate::http::web::{in_words, urlencode};

#[derive(Debug, Default, Deserialize)]
pub(super) struct BookQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
    /// The zone the slot was picked in (the picker's links carry it): a visitor who
    /// picked in their browser's zone and then signed in keeps seeing that zone.
    #[serde(default)]
    tz: String,
    /// A repeat chosen before leaving the form (to ask for credits): it opens with it.
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    occurrences: String,
}

impl BookQuery {
    /// The zone times are shown in: the one the slot was picked in, else the viewer's.
    fn zone(&self, me: &crate::service::accounts::UserRow) -> TimeZone {
        Some(self.tz.as_str())
            .filter(|z| !z.is_empty())
            .and_then(|z| TimeZone::get(z).ok())
            .unwrap_or_else(|| zone_of(Some(me)))
    }
}

#[derive(Template)]
#[template(path = "book.html")]
pub(super) struct BookPage {
    layout: Layout,
    mentor_id: String,
    mentor_name: String,
    service_id: String,
    service_title: String,
    duration: i64,
    cost: i64,
    timed: bool,
    /// A résumé or LinkedIn review: what the mentor will read ("résumé", "LinkedIn
    /// profile") and the address from the mentee's settings (empty when not given).
    reviewed: Option<(&'static str, String)>,
    start: String,
    /// "Tue 3 Mar 2026, 2:00 PM – 3:00 PM" in the viewer's zone.
    start_local: String,
    zone: String,
    /// The picked zone's name, for the form to keep it (and in a link).
    tz: String,
    tz_query: String,
    /// The account's own zone, when the times are shown in another one.
    account_zone: Option<String>,
    /// The same time for the mentor, with their zone (empty when it is the viewer's).
    mentor_time: String,
    /// When cancelling stops being free, and what comes back then.
    policy: String,
    /// The same for each session of a series, whose dates differ: the rule, not a date.
    series_policy: String,
    /// "1 credit = 1.00 USD".
    worth: String,
    /// The wallet's credits.
    balance: i64,
    /// A program's credits that go first for sessions with this mentor: its name and
    /// how many are left there.
    program: Option<(String, i64)>,
    /// This form again with the series chosen, for the way back from asking for
    /// credits (encoded for a query).
    series_back: String,
    /// This form again for the one session, the same way back.
    single_back: String,
    /// What the wallet pays of one session (its cost less the program's credits), and
    /// of the series shown.
    pay: i64,
    series_pay: i64,
    topic: String,
    message: String,
    error: Option<String>,
    /// The time cannot be booked now (said in `error`): no submit is offered.
    unbookable: bool,
    /// The mentee's own booking of this very time (instead of `error`).
    own_booking: Option<String>,
    /// "Buy 30 credits … and book", when credits are short and buying is on.
    buy_offer: Option<String>,
    /// Credits short and a request for credits already waiting: how many it asks.
    waiting_request: Option<i64>,
    /// "" (once), "1" (weekly) or "2" (every two weeks), and how many sessions.
    repeat: String,
    occurrences: String,
    /// The dates a repeat would take, for the confirmation.
    series: Option<SeriesPlan>,
}

/// A series shown before it is booked.
pub(super) struct SeriesPlan {
    /// Each session: when (the viewer's zone) and, when it is not free, why.
    dates: Vec<(String, &'static str)>,
    /// "Tuesdays at 4:00 PM in Europe/Berlin": the time every session keeps.
    keeps: String,
    total: i64,
    all_free: bool,
}

/// What the booking form shows besides the slot: a problem and the text kept.
#[derive(Default)]
pub(super) struct BookEntry {
    error: Option<String>,
    topic: String,
    message: String,
    repeat: String,
    occurrences: String,
    series: Option<SeriesPlan>,
}

pub(super) async fn render_book(
    state: &AppState,
    web: &WebCtx,
    mentor_id: &str,
    q: &BookQuery,
    status: StatusCode,
    entry: BookEntry,
) -> PageResult {
    let BookEntry {
        error,
        topic,
        message,
        repeat,
        occurrences,
        series,
    } = entry;
    let me = web.require_user()?.user.clone();
    let mentor_id = path_id(mentor_id)?;
    if mentor_id == me.id.as_str() {
        // A time picked on their own page while signed out: back to it, saying why.
        return Ok(web.redirect_flash(&format!("/mentors/{mentor_id}"), "own_profile"));
    }
    let mentor = mentors::mentor_page(&state.ctx, Some(&me), &mentor_id).await?;
    let service = match path_id(&q.service) {
        Ok(sid) => mentors::offered_service(&state.ctx, &mentor_id, &sid)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let Some(service) = service else {
        return Err(AppError::invalid(
            "service",
            "not_found",
            "Pick one of the mentor's services.",
        )
        .into());
    };
    let timed = !service.kind.is_review();
    let reviewed = reviewed(service.kind, Some(&me));
    let tz = q.zone(&me);
    let account_zone = Some(zone_of(Some(&me)))
        .filter(|own| own.iana_name() != tz.iana_name())
        .map(|own| tz_name(&own));
    let late = state.ctx.config.policy.late_refund_percent.clamp(0, 100);
    // `first`: a session's start (none for a review).
    let (start_local, mentor_time, policy, first) = if timed {
        let start = crate::clock::parse_instant(&q.start).map_err(|why| {
            AppError::invalid(
                "start",
                "invalid_datetime",
                why.say("Pick a time from the mentor's free slots."),
            )
        })?;
        let end = start + SignedDuration::from_mins(service.duration_minutes);
        let (when, theirs, policy) = when_and_policy(
            state,
            web,
            (&mentor.first_name, &mentor.timezone),
            (start, end),
            &tz,
        );
        (when, theirs, policy, Some(start))
    } else {
        let policy = format!(
            "Free to cancel until {} accepts; after that you get {late}% back.",
            mentor.first_name
        );
        // A review is due a fixed time after its request (config `review_due_hours`).
        let hours = state.ctx.config.review_due_hours;
        let due = state
            .ctx
            .clock
            .now()
            .saturating_add(SignedDuration::from_hours(hours))
            .unwrap_or(Timestamp::MAX);
        let span = if hours % 24 == 0 {
            format!("{} days", hours / 24)
        } else {
            format!("{hours} hours")
        };
        let due = format!(
            "by {} ({}), {span} after your request",
            web.when(due, &tz),
            tz_name(&tz)
        );
        (due, String::new(), policy, None)
    };
    // A time that cannot be booked is said at once, not after the form is filled in
    // (a link to a past time, a time taken meanwhile or never offered).
    // A request refused on sending (the time taken meanwhile) is checked the same
    // way: its reason is said, and the button is not offered again for that time.
    let mut error = error;
    let mut unbookable = false;
    let mut own_booking = None;
    if timed && series.is_none() {
        let ask = BookingInput {
            mentor_id: mentor_id.clone(),
            service_id: service.id.clone(),
            start: Some(q.start.clone()),
            topic: String::new(),
            message: String::new(),
            timezone: None,
        };
        match bookings::looks_bookable(&state.ctx, &me, &ask).await {
            Ok(()) => {}
            Err(e @ (AppError::Conflict { .. } | AppError::Invalid(_))) => {
                // Their own booking of this very time (the form opened again with the
                // browser's Back): said so, with the way to it.
                own_booking = match q.start.parse::<Timestamp>() {
                    Ok(at) => bookings::own_booking_at(&state.ctx, &me, &mentor_id, at).await?,
                    Err(_) => None,
                };
                if own_booking.is_none() && error.is_none() {
                    error = Some(in_words(&e));
                }
                if own_booking.is_some() {
                    error = None;
                }
                unbookable = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let balance = credits::balance(&state.ctx, &me.id).await.unwrap_or(0);
    let program = credits::sponsored_for(&state.ctx, &me.id, &mentor_id).await?;
    let left = program.as_ref().map_or(0, |(_, n)| *n);
    let pay = service.credit_cost - left.min(service.credit_cost);
    let series_pay = series.as_ref().map_or(0, |p| p.total - left.min(p.total));
    // Short of credits with a request already sent: the page says it is waiting
    // rather than sending the mentee to ask again (one request is open at a time).
    let waiting_request = if balance < pay {
        crate::service::credit_requests::mine(&state.ctx, &me, None, 1)
            .await?
            .into_iter()
            .find(|r| r.status == crate::domain::credit::CreditRequestStatus::Open)
            .map(|r| r.credits)
    } else {
        None
    };
    let single_back = urlencode(&format!(
        "/mentors/{mentor_id}/book?service={}&start={}&tz={}",
        urlencode(&q.service),
        urlencode(&q.start),
        urlencode(tz.iana_name().unwrap_or_default()),
    ));
    let series_back = urlencode(&format!(
        "/mentors/{mentor_id}/book?service={}&start={}&tz={}&repeat={}&occurrences={}",
        urlencode(&q.service),
        urlencode(&q.start),
        urlencode(tz.iana_name().unwrap_or_default()),
        urlencode(&repeat),
        urlencode(&occurrences),
    ));
    Ok(web.render_status(
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
            reviewed,
            start: q.start.clone(),
            start_local,
            zone: tz_name(&tz),
            tz: tz.iana_name().unwrap_or_default().to_string(),
            tz_query: urlencode(tz.iana_name().unwrap_or_default()),
            account_zone,
            mentor_time,
            policy,
            series_policy: series_policy(
                &state.ctx.config.policy,
                &mentor.first_name,
                first,
                state.ctx.clock.now(),
            ),
            worth: credits::worth(&state.ctx),
            buy_offer: (balance < pay)
                .then(|| crate::http::web::payments::offer_for(state, pay - balance))
                .flatten(),
            waiting_request,
            balance,
            series_back,
            single_back,
            program,
            pay,
            series_pay,
            topic,
            message,
            error,
            unbookable,
            own_booking,
            repeat,
            occurrences: if occurrences.is_empty() {
                "4".into()
            } else {
                occurrences
            },
            series,
        },
    ))
}

/// The cancellation rule of each session in a series: "Each session: free to cancel
/// until Ada accepts it or until 24 hours before it starts, whichever is later; after
/// that you get 50% back." — and when the first (at `first`) is already within the
/// notice, that for it only the acceptance counts.
fn series_policy(
    p: &crate::domain::booking::Policy,
    mentor: &str,
    first: Option<Timestamp>,
    now: Timestamp,
) -> String {
    let late = p.late_refund_percent.clamp(0, 100);
    if late == 100 || p.full_refund_notice_hours <= 0 {
        return "Each session: free to cancel until it starts.".into();
    }
    let notice = crate::domain::text::notice(p.full_refund_notice_hours);
    let soon = match first {
        Some(t) if crate::domain::booking::free_cancel_until(t, p) <= now => format!(
            " The first starts within {notice}: once {mentor} accepts it, you get {late}% back."
        ),
        _ => String::new(),
    };
    format!(
        "Each session: free to cancel until {mentor} accepts it or until {notice} before it starts, whichever is later; after that you get {late}% back.{soon}"
    )
}

/// A timed booking's summary lines: when (the viewer's zone), when for the mentor
/// (empty in the same zone), and the cancellation policy as it applies to it.
fn when_and_policy(
    state: &AppState,
    web: &WebCtx,
    (mentor_name, mentor_zone): (&str, &str),
    (start, end): (Timestamp, Timestamp),
    tz: &TimeZone,
) -> (String, String, String) {
    let policy = &state.ctx.config.policy;
    let late = policy.late_refund_percent.clamp(0, 100);
    let mentor_tz = TimeZone::get(mentor_zone).unwrap_or(TimeZone::UTC);
    let span = |tz: &TimeZone| web.span((start, end), tz);
    let free_until = crate::domain::booking::free_cancel_until(start, policy);
    let policy = if late == 100 {
        "Free to cancel until the session starts.".to_string()
    } else if free_until <= state.ctx.clock.now() {
        format!("Free to cancel until {mentor_name} accepts; after that you get {late}% back.")
    } else {
        format!(
            "Free to cancel until {}; after that, once accepted, you get {late}% back.",
            web.when(free_until, tz)
        )
    };
    let mentor_time = if mentor_tz.iana_name() == tz.iana_name() {
        String::new()
    } else {
        format!("{} ({mentor_zone})", span(&mentor_tz))
    };
    (span(tz), mentor_time, policy)
}

pub(super) async fn book_form(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> PageResult {
    let q: BookQuery = page_query(&uri);
    // Reached without a slot (an address typed or cut short): the mentor's page, where
    // times are picked.
    if q.service.trim().is_empty() && q.start.trim().is_empty() {
        let mentor_id = path_id(&id)?;
        let to = format!("/mentors/{mentor_id}#book");
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to(&to),
        ));
    }
    // Back from asking for credits with a repeat chosen: the form opens with it (the
    // dates are listed again once it is sent).
    let entry = BookEntry {
        repeat: Some(q.repeat.trim())
            .filter(|r| matches!(*r, "1" | "2"))
            .unwrap_or_default()
            .to_string(),
        occurrences: Some(q.occurrences.trim())
            .filter(|n| {
                n.parse::<i64>()
                    .is_ok_and(|n| (2..=bookings::MAX_OCCURRENCES).contains(&n))
            })
            .unwrap_or_default()
            .to_string(),
        ..BookEntry::default()
    };
    render_book(&state, &web, &id, &q, StatusCode::OK, entry).await
}

/// The booking form (also posted by "buy what is missing and book").
#[derive(Debug, Default, Deserialize)]
pub(in crate::http::web) struct BookForm {
    #[serde(default)]
    pub(in crate::http::web) csrf: String,
    #[serde(default)]
    pub(in crate::http::web) service: String,
    #[serde(default)]
    pub(in crate::http::web) start: String,
    /// The zone the slot was picked in (see [`BookQuery`]).
    #[serde(default)]
    pub(in crate::http::web) tz: String,
    #[serde(default)]
    pub(in crate::http::web) topic: String,
    #[serde(default)]
    pub(in crate::http::web) message: String,
    /// "1" or "2" to repeat every one or two weeks.
    #[serde(default)]
    pub(in crate::http::web) repeat: String,
    #[serde(default)]
    pub(in crate::http::web) occurrences: String,
    /// "{repeat}:{occurrences}" of the series whose dates were shown (a changed choice
    /// shows its dates again).
    #[serde(default)]
    pub(in crate::http::web) confirm_series: String,
    /// Set by "Look again" under a series that cannot be booked as shown: the form
    /// comes back for the new choice (its dates, or the single session's form) and
    /// nothing is booked.
    #[serde(default)]
    pub(in crate::http::web) look: String,
}

pub(super) async fn book(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    if matches!(f.repeat.as_str(), "1" | "2") {
        return book_series(state, web, id, f, me).await;
    }
    // Only the form's three choices: anything else books nothing rather than one
    // session the person did not ask for.
    if !f.repeat.is_empty() {
        return Err(AppError::invalid(
            "repeat",
            "invalid",
            "How often: choose just this session, every week or every two weeks.",
        )
        .into());
    }
    if !f.look.is_empty() {
        let q = BookQuery {
            service: f.service,
            start: f.start,
            tz: f.tz,
            ..BookQuery::default()
        };
        let entry = BookEntry {
            topic: f.topic,
            message: f.message,
            ..BookEntry::default()
        };
        return render_book(&state, &web, &id, &q, StatusCode::OK, entry).await;
    }
    let input = BookingInput {
        mentor_id: id.clone(),
        service_id: f.service.clone(),
        start: Some(f.start.clone()).filter(|s| !s.is_empty()),
        topic: f.topic.clone(),
        message: f.message.clone(),
        timezone: None,
    };
    let result = bookings::request(&state.ctx, &me, &input, None).await;
    Ok(match result {
        Ok((b, _)) => web.redirect_flash(
            &format!("/bookings/{}", b.b.id),
            if b.b.credits_held > 0 {
                "booking_requested"
            } else {
                "booking_requested_free"
            },
        ),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::PaymentRequired { .. }),
        ) => {
            let msg = in_words(&e);
            let q = BookQuery {
                service: f.service,
                start: f.start,
                tz: f.tz,
                ..BookQuery::default()
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
                    ..BookEntry::default()
                },
            )
            .await?
        }
        Err(e) => return Err(e.into()),
    })
}

/// A repeating booking: first its dates for a confirmation (each marked when taken),
/// then, confirmed, the series booked whole.
async fn book_series(
    state: AppState,
    web: WebCtx,
    id: String,
    f: BookForm,
    me: crate::service::accounts::UserRow,
) -> PageResult {
    let input = bookings::SeriesInput {
        mentor_id: id.clone(),
        service_id: f.service.clone(),
        start: f.start.clone(),
        every_weeks: if f.repeat == "2" { 2 } else { 1 },
        occurrences: f.occurrences.trim().parse().unwrap_or(0),
        topic: f.topic.clone(),
        message: f.message.clone(),
        timezone: None,
    };
    let q = BookQuery {
        service: f.service.clone(),
        start: f.start.clone(),
        tz: f.tz.clone(),
        ..BookQuery::default()
    };
    let entry = |error: Option<String>, series: Option<SeriesPlan>| BookEntry {
        error,
        topic: f.topic.clone(),
        message: f.message.clone(),
        repeat: f.repeat.clone(),
        occurrences: f.occurrences.clone(),
        series,
    };
    let refused = |e: &AppError| {
        matches!(
            e,
            AppError::Invalid(_) | AppError::Conflict { .. } | AppError::PaymentRequired { .. }
        )
    };
    if !f.look.is_empty() || f.confirm_series != format!("{}:{}", f.repeat, f.occurrences) {
        return match bookings::preview_series(&state.ctx, &me, &input).await {
            Ok(bookings::SeriesPreview {
                dates,
                tz: kept,
                cost_each,
                horizon_end,
            }) => {
                let tz = q.zone(&me);
                let keeps = dates.first().map(|(t, _)| {
                    let z = t.to_zoned(kept.clone());
                    format!(
                        "{}s at {} in {}",
                        z.strftime("%A"),
                        web.clock_time(&z),
                        kept.iana_name().unwrap_or("the mentor's zone")
                    )
                });
                let plan = SeriesPlan {
                    keeps: keeps.unwrap_or_default(),
                    total: cost_each * dates.len() as i64,
                    all_free: dates.iter().all(|(_, free)| *free),
                    dates: dates
                        .into_iter()
                        .map(|(t, free)| {
                            let z = t.to_zoned(tz.clone());
                            let why = match (free, t >= horizon_end) {
                                (true, _) => "",
                                (false, true) => {
                                    "too far ahead: the mentor takes bookings only so far; book fewer sessions"
                                }
                                (false, false) => {
                                    "not free (the mentor is booked or away then): pick another start or fewer sessions"
                                }
                            };
                            (
                                format!("{}, {}", z.strftime("%a %-d %b %Y"), web.clock_time(&z)),
                                why,
                            )
                        })
                        .collect(),
                };
                render_book(
                    &state,
                    &web,
                    &id,
                    &q,
                    StatusCode::OK,
                    entry(None, Some(plan)),
                )
                .await
            }
            Err(e) if refused(&e) => {
                let status = crate::http::problem::status_of(&e);
                render_book(
                    &state,
                    &web,
                    &id,
                    &q,
                    status,
                    entry(Some(in_words(&e)), None),
                )
                .await
            }
            Err(e) => Err(e.into()),
        };
    }
    match bookings::request_series(&state.ctx, &me, &input, None).await {
        Ok((s, _)) => {
            let first = s
                .occurrences
                .first()
                .map(|b| b.b.id.to_string())
                .unwrap_or_default();
            let paid = s.occurrences.iter().any(|b| b.b.credits_held > 0);
            Ok(web.redirect_flash(
                &format!("/bookings/{first}"),
                if paid {
                    "series_requested"
                } else {
                    "series_requested_free"
                },
            ))
        }
        Err(e) if refused(&e) => {
            let status = crate::http::problem::status_of(&e);
            render_book(
                &state,
                &web,
                &id,
                &q,
                status,
                entry(Some(in_words(&e)), None),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
