//! The booking form behind the slot picker: the chosen slot and service, the price, the message.

use super::*;
use crate::http::web::in_words;

#[derive(Debug, Default, Deserialize)]
pub(super) struct BookQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
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
    start: String,
    /// "Tue 3 Mar 2026, 2:00 PM – 3:00 PM" in the viewer's zone.
    start_local: String,
    zone: String,
    /// The same time for the mentor, with their zone (empty when it is the viewer's).
    mentor_time: String,
    /// When cancelling stops being free, and what comes back then.
    policy: String,
    /// "1 credit = 1.00 USD".
    worth: String,
    balance: i64,
    topic: String,
    message: String,
    error: Option<String>,
    /// "Buy 30 credits … and book", when credits are short and buying is on.
    buy_offer: Option<String>,
}

/// What the booking form shows besides the slot: a problem and the text kept.
#[derive(Default)]
pub(super) struct BookEntry {
    error: Option<String>,
    topic: String,
    message: String,
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
    } = entry;
    let me = web.require_user()?.user.clone();
    let mentor_id = path_id(mentor_id)?;
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
    let tz = zone_of(Some(&me));
    let late = state.ctx.config.policy.late_refund_percent.clamp(0, 100);
    let (start_local, mentor_time, policy) = if timed {
        let Ok(start) = q.start.parse::<Timestamp>() else {
            return Err(AppError::invalid(
                "start",
                "invalid_datetime",
                "Pick a time from the mentor's free slots.",
            )
            .into());
        };
        let end = start + SignedDuration::from_mins(service.duration_minutes);
        when_and_policy(
            state,
            web,
            (&mentor.first_name, &mentor.timezone),
            (start, end),
            &tz,
        )
    } else {
        let policy = format!(
            "Free to cancel until {} accepts; after that you get {late} % back.",
            mentor.first_name
        );
        (String::new(), String::new(), policy)
    };
    let balance = credits::balance(&state.ctx, &me.id).await.unwrap_or(0);
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
            start: q.start.clone(),
            start_local,
            zone: tz_name(&tz),
            mentor_time,
            policy,
            worth: credits::worth(&state.ctx),
            buy_offer: (balance < service.credit_cost)
                .then(|| {
                    crate::http::web::payments::offer_for(state, service.credit_cost - balance)
                })
                .flatten(),
            balance,
            topic,
            message,
            error,
        },
    ))
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
    let span = |tz: &TimeZone| {
        let (s, e) = (start.to_zoned(tz.clone()), end.to_zoned(tz.clone()));
        format!(
            "{}, {} – {}",
            s.strftime("%a %-d %b %Y"),
            web.clock_time(&s),
            web.clock_time(&e)
        )
    };
    let free_until = crate::domain::booking::free_cancel_until(start, policy);
    let policy = if late == 100 {
        "Free to cancel until the session starts.".to_string()
    } else if free_until <= state.ctx.clock.now() {
        format!("Free to cancel until {mentor_name} accepts; after that you get {late} % back.")
    } else {
        format!(
            "Free to cancel until {}; after that, once accepted, you get {late} % back.",
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
    render_book(&state, &web, &id, &q, StatusCode::OK, BookEntry::default()).await
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
    #[serde(default)]
    pub(in crate::http::web) topic: String,
    #[serde(default)]
    pub(in crate::http::web) message: String,
}

pub(super) async fn book(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<BookForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
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
        Ok((b, _)) => web.redirect_flash(&format!("/bookings/{}", b.b.id), "booking_requested"),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::PaymentRequired { .. }),
        ) => {
            let msg = in_words(&e);
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
            .await?
        }
        Err(e) => return Err(e.into()),
    })
}
