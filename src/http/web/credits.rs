//! Credits on the pages: the member's credits page (balance, what a credit is worth,
//! buying when it is on, asking the admins, history) and the admins' queue of requests
//! for credits at `/admin/credit-requests`, answered in one step.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, admin::require_admin, in_words, page_query,
    payments::PackLine, zone_of,
};
use crate::{
    domain::credit::{CreditRequestStatus, MAX_REQUEST},
    error::{AppError, FieldError},
    http::{AppState, extract::path_id},
    service::{
        accounts::UserRow,
        credit_requests::{self, AskInput, CreditRequestRow, DeclineInput, GrantInput},
        credits, payments,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/credits", get(credits_page))
        .route("/credits/ask", post(ask))
        .route("/credits/requests/{id}/withdraw", post(withdraw))
        .route("/admin/credit-requests", get(queue))
        .route("/admin/credit-requests/{id}/grant", post(grant))
        .route("/admin/credit-requests/{id}/decline", post(decline))
}

pub struct EntryLine {
    pub when: String,
    pub amount: i64,
    pub memo: String,
    pub booking_id: String,
    /// The booking it moved credits for, in words: "Career chat with Ada Lovelace,
    /// Tue 3 Mar 2026, 10:00" (empty for other entries).
    pub booking: String,
    /// The group session of a seat's entry, and its start in words (both empty for
    /// other entries).
    pub group_id: String,
    pub group_when: String,
    /// The program whose credits moved, for a line of program credits (empty for the
    /// wallet's).
    pub program: String,
    /// Where a hold's credits are now: "held until the session is over", "paid to the
    /// mentor" (empty for other lines, whose own words say it).
    pub now: &'static str,
}

/// A request for credits as a page shows it.
pub struct RequestLine {
    pub id: String,
    pub when: String,
    pub who: String,
    pub email: String,
    /// The member in the admins' user list.
    pub account_link: String,
    pub balance: i64,
    pub credits: i64,
    pub note: String,
    pub status: String,
    /// "Granted 30 credits: welcome!", "Declined: …", "Withdrawn", "Waiting".
    pub outcome: String,
}

fn line(web: &WebCtx, r: CreditRequestRow, tz: &TimeZone) -> RequestLine {
    let outcome = match (r.status, r.answer.is_empty()) {
        (CreditRequestStatus::Open, _) => "Waiting for an administrator".to_string(),
        (CreditRequestStatus::Granted, true) => format!("Granted {} credits", r.granted),
        (CreditRequestStatus::Granted, false) => {
            format!("Granted {} credits: {}", r.granted, r.answer)
        }
        (CreditRequestStatus::Declined, _) => format!("Declined: {}", r.answer),
        (CreditRequestStatus::Withdrawn, _) => "Withdrawn".to_string(),
    };
    let who = format!("{} {}", r.first_name, r.last_name)
        .trim()
        .to_string();
    RequestLine {
        id: r.id,
        when: web.when(r.created_at, tz),
        who: if who.is_empty() { r.email.clone() } else { who },
        account_link: format!("/admin/users/{}", r.user_id),
        email: r.email,
        balance: r.balance,
        credits: r.credits,
        note: r.note,
        status: r.status.as_str().to_string(),
        outcome,
    }
}

/// What the ask form holds (kept as typed when it comes back with errors).
#[derive(Debug, Default, Deserialize)]
struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credits: String,
    #[serde(default)]
    note: String,
    /// The booking form the person came from (a series they could not pay yet), to go
    /// back to.
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "credits.html")]
struct CreditsPage {
    layout: Layout,
    balance: i64,
    held: i64,
    /// "1 credit = 1.00 USD".
    worth: String,
    /// Programs' sponsored credits: (program id, name, credits).
    sponsored: Vec<(String, String, i64)>,
    entries: Vec<EntryLine>,
    /// The packs on sale; empty when buying is off.
    packs: Vec<PackLine>,
    /// The open request, if any.
    open: Option<RequestLine>,
    /// Answered and withdrawn requests, newest first.
    past: Vec<RequestLine>,
    ask: AskForm,
    errors: FormErrors,
    /// The booking form to go back to (empty: none).
    back: String,
    /// As a mentor: what is held for them until their coming sessions are done.
    coming: Option<ComingLines>,
}

/// The "To be paid to you" box of a mentor's credits page, in words.
struct ComingLines {
    accepted_credits: i64,
    /// "2 accepted sessions" ("reviews" count as sessions here); empty when none.
    accepted: String,
    seats_credits: i64,
    requested_credits: i64,
    /// "3 requests"; empty when none waits.
    requested: String,
    fee_percent: i64,
}

/// The box for someone who offers services, or who is owed credits anyway (a mentor
/// who stopped offering them, with sessions still to come).
fn coming_lines(c: &credits::ComingView, mentor: bool) -> Option<ComingLines> {
    let owed = c.accepted_credits + c.seats_credits + c.requested_credits;
    if !mentor && owed == 0 {
        return None;
    }
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    Some(ComingLines {
        accepted_credits: c.accepted_credits,
        accepted: if c.accepted == 0 {
            String::new()
        } else {
            plural(c.accepted, "accepted session", "accepted sessions")
        },
        seats_credits: c.seats_credits,
        requested_credits: c.requested_credits,
        requested: if c.requested == 0 {
            String::new()
        } else {
            plural(c.requested, "request", "requests")
        },
        fee_percent: c.fee_percent,
    })
}

async fn render_credits(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    (ask, errors): (AskForm, FormErrors),
) -> PageResult {
    let v = credits::view(&state.ctx, me, None, 100).await?;
    let mentor = crate::service::mentors::offers_services(&state.ctx, me).await;
    let coming = coming_lines(&v.coming, mentor);
    let tz = zone_of(Some(me));
    let (open, past): (Vec<_>, Vec<_>) = credit_requests::mine(&state.ctx, me, None, 20)
        .await?
        .into_iter()
        .map(|r| line(web, r, &tz))
        .partition(|r| r.status == "open");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(web.render_status(
        state,
        status,
        &CreditsPage {
            layout: web.layout(),
            balance: v.balance,
            held: v.held,
            coming,
            worth: v.worth,
            sponsored: v
                .sponsored
                .into_iter()
                .map(|s| (s.program_id, s.program_name, s.credits))
                .collect(),
            entries: v
                .entries
                .into_iter()
                .map(|e| EntryLine {
                    when: e
                        .created_at
                        .parse::<jiff::Timestamp>()
                        .map(|t| web.when(t, &tz))
                        .unwrap_or(e.created_at),
                    amount: e.amount,
                    memo: e.memo,
                    booking_id: e.booking_id.unwrap_or_default(),
                    booking: match (e.booking_title, e.booking_with) {
                        (Some(title), Some(with)) => {
                            let at = e
                                .booking_start
                                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                                .map(|t| format!(", {}", web.when(t, &tz)))
                                .unwrap_or_default();
                            format!("{title} with {with}{at}")
                        }
                        _ => String::new(),
                    },
                    group_when: e
                        .group_start
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| web.when(t, &tz))
                        .unwrap_or_default(),
                    group_id: e.group_session_id.unwrap_or_default(),
                    program: e.program_name.unwrap_or_default(),
                    now: match (e.kind.as_str(), e.booking_status.as_deref()) {
                        ("booking_hold", Some("pending")) => "held: waiting for an answer",
                        ("booking_hold", Some("accepted")) => "held until it is over",
                        ("booking_hold", Some("completed")) => "paid to the mentor",
                        ("booking_hold", Some("no_show")) => "settled as a no-show",
                        // What came back is a line of its own.
                        ("booking_hold", Some("declined")) => "declined",
                        ("booking_hold", Some("cancelled")) => "cancelled",
                        ("booking_hold", Some("expired")) => "not answered in time",
                        _ => "",
                    },
                })
                .collect(),
            packs: if payments::enabled(&state.ctx) {
                super::payments::pack_lines(state)
            } else {
                vec![]
            },
            open: open.into_iter().next(),
            past,
            back: booking_form(&ask.back),
            ask,
            errors,
        },
    ))
}

/// `back` when it is a booking form on this site (where "ask for credits" was left
/// from), else nothing.
fn booking_form(back: &str) -> String {
    let ok = super::is_local_path(back)
        && back.starts_with("/mentors/")
        && back.split('?').next().is_some_and(|p| p.ends_with("/book"));
    if ok { back.to_string() } else { String::new() }
}

/// The ask form's errors, its fields named as labelled.
fn ask_errors(e: &AppError) -> FormErrors {
    FormErrors::from_error(e).labelled(&[("credits", "Credits"), ("note", "What are they for?")])
}

/// `?need=N`: the booking page sends a person short of credits here asking for what
/// they lack, so the form starts with that many.
#[derive(Debug, Default, Deserialize)]
struct NeedQuery {
    #[serde(default)]
    need: String,
    #[serde(default)]
    back: String,
}

async fn credits_page(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = web.require_user()?.user.clone();
    let q = super::page_query::<NeedQuery>(&uri);
    let need = q
        .need
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .unwrap_or(10);
    let ask = AskForm {
        credits: need.to_string(),
        back: q.back,
        ..Default::default()
    };
    render_credits(&state, &web, &me, (ask, FormErrors::default())).await
}

async fn ask(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<AskForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let Ok(credits) = f.credits.trim().parse::<i64>() else {
        // Not a number: said beside the field, with whatever else is wrong.
        let mut errors = vec![FieldError::new(
            "credits",
            "invalid_number",
            format!(
                "Enter a whole number of credits, from 1 to {}.",
                crate::domain::text::grouped(MAX_REQUEST)
            ),
        )];
        let rest = AskInput {
            credits: 1,
            note: f.note.clone(),
        };
        if let Err(AppError::Invalid(more)) = credit_requests::check_ask(&rest) {
            errors.extend(more);
        }
        let e = AppError::Invalid(errors);
        return render_credits(&state, &web, &me, (f, ask_errors(&e))).await;
    };
    let input = AskInput {
        credits,
        note: f.note.clone(),
    };
    match credit_requests::ask(&state.ctx, &me, &input).await {
        Ok(_) => {
            let to = match booking_form(&f.back) {
                b if b.is_empty() => "/credits".to_string(),
                b => format!("/credits?back={}", super::urlencode(&b)),
            };
            Ok(web.redirect_flash(&to, "credits_asked"))
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_credits(&state, &web, &me, (f, ask_errors(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn withdraw(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    Ok(
        match credit_requests::withdraw(&state.ctx, &me, &id).await {
            Ok(_) => web.redirect_flash("/credits", "credits_request_withdrawn"),
            Err(AppError::Conflict { .. }) => {
                web.redirect_flash("/credits", "credit_request_answered")
            }
            Err(e) => return Err(e.into()),
        },
    )
}

#[derive(Template)]
#[template(path = "admin_credit_requests.html")]
struct QueuePage {
    layout: Layout,
    lines: Vec<RequestLine>,
    /// `open` or `all`.
    show: String,
    worth: String,
    /// An answer that was refused: for which request, why, and what was typed.
    refused: Option<RefusedAnswer>,
}

impl QueuePage {
    /// The refused answer, when it was to request `id`.
    fn refused_for(&self, id: &str) -> Option<&RefusedAnswer> {
        self.refused.as_ref().filter(|x| x.id == id)
    }
}

struct RefusedAnswer {
    id: String,
    /// `grant` or `decline`: the form the reason is said above.
    form: &'static str,
    error: String,
    /// The amount typed into the refused grant (a refused decline keeps the amount
    /// asked for in the grant form).
    credits: Option<String>,
    note: String,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    #[serde(default)]
    status: String,
}

async fn queue(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = require_admin(&state, &web)?;
    let q: QueueQuery = page_query(&uri);
    let show = if q.status == "all" { "all" } else { "open" };
    render_queue(&state, &web, &me, show, None).await
}

async fn render_queue(
    state: &AppState,
    web: &WebCtx,
    me: &UserRow,
    show: &str,
    refused: Option<RefusedAnswer>,
) -> PageResult {
    let status = (show == "open").then_some(CreditRequestStatus::Open);
    let tz = zone_of(Some(me));
    let rows = credit_requests::queue(&state.ctx, me, status, None, 200).await?;
    let code = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(web.render_status(
        state,
        code,
        &QueuePage {
            layout: web.layout(),
            lines: rows.into_iter().map(|r| line(web, r, &tz)).collect(),
            show: show.to_string(),
            worth: credits::worth(&state.ctx),
            refused,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credits: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

/// The queue's answer: back to the queue with what happened, or the queue again with
/// the reason beside the request and what was typed (a bad amount, an empty reason).
async fn answered(
    (state, web, me): (&AppState, &WebCtx, &UserRow),
    id: &str,
    f: AnswerForm,
    r: Result<CreditRequestRow, AppError>,
    (form, done): (&'static str, &'static str),
) -> PageResult {
    match r {
        // A grant says how much went (it may differ from what was asked).
        Ok(row) if form == "grant" => Ok(web.redirect_flash_numbers(
            "/admin/credit-requests",
            done,
            &[row.granted, row.credits],
        )),
        Ok(_) => Ok(web.redirect_flash("/admin/credit-requests", done)),
        Err(AppError::Conflict {
            code: "already_answered",
            ..
        }) => Ok(web.redirect_flash("/admin/credit-requests", "credit_request_answered")),
        Err(e @ AppError::Invalid(_)) => {
            let refused = RefusedAnswer {
                id: id.to_string(),
                form,
                error: in_words(&e),
                credits: (form == "grant").then_some(f.credits),
                note: f.note,
                reason: f.reason,
            };
            render_queue(state, web, me, "open", Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn grant(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<AnswerForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let id = path_id(&id)?;
    let r = match f.credits.trim() {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some).map_err(|_| {
            AppError::invalid(
                "credits",
                "invalid_number",
                "Enter a whole number of credits.",
            )
        }),
    };
    let r = match r {
        Ok(credits) => {
            let input = GrantInput {
                credits,
                note: Some(f.note.clone()),
            };
            credit_requests::grant(&state.ctx, &me, &id, &input).await
        }
        Err(e) => Err(e),
    };
    answered(
        (&state, &web, &me),
        &id,
        f,
        r,
        ("grant", "credit_request_granted"),
    )
    .await
}

async fn decline(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<AnswerForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let id = path_id(&id)?;
    let input = DeclineInput {
        reason: f.reason.clone(),
    };
    let r = credit_requests::decline(&state.ctx, &me, &id, &input).await;
    answered(
        (&state, &web, &me),
        &id,
        f,
        r,
        ("decline", "credit_request_declined"),
    )
    .await
}
