//! The admins' queue of disputed session outcomes at `/admin/disputes` (members open
//! a dispute from the booking's page: `web::bookings`).

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, admin::require_admin, confirm, in_words,
    page_query,
};
use crate::{
    domain::{dispute::DisputeStatus, dispute::Remedy},
    error::AppError,
    http::{AppState, extract::path_id},
    service::disputes::{self, ResolveDisputeInput},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/disputes", get(queue))
        .route("/admin/disputes/{id}/grant", get(confirm_grant))
        .route("/admin/disputes/{id}/resolve", post(resolve))
}

struct Line {
    id: String,
    when: String,
    title: String,
    session: String,
    /// The session's history, oldest first: (when, what and who).
    history: Vec<(String, String)>,
    /// "Granted by Ada Admin on …" once decided.
    decided: String,
    /// "Marked done", "The mentee reported absent", …
    outcome: String,
    /// Who disputes it, and the other side.
    by: String,
    reason: String,
    /// "Ada Mentor (mentor), on …: “…”", or that they have not answered yet.
    answer: String,
    /// What granting does, in words.
    grant: String,
    status: &'static str,
    resolution: String,
}

#[derive(Template)]
#[template(path = "admin_disputes.html")]
struct QueuePage {
    layout: Layout,
    lines: Vec<Line>,
    show: &'static str,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    #[serde(default)]
    status: String,
}

async fn queue(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let q: QueueQuery = page_query(&uri);
    render(&state, &web, &q.status, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    web: &WebCtx,
    status: &str,
    code: StatusCode,
    error: Option<String>,
) -> PageResult {
    let me = require_admin(state, web)?;
    let show = DisputeStatus::parse(status).unwrap_or(DisputeStatus::Open);
    let lines = disputes::list_with_history(&state.ctx, &me, show)
        .await?
        .into_iter()
        .map(|(d, history)| line(web, &me, d, history))
        .collect();
    Ok(web.render_status(
        state,
        code,
        &QueuePage {
            layout: web.layout(),
            lines,
            show: show.as_str(),
            error,
        },
    ))
}

/// A dispute as the admin reads it, times in their zone and on their clock.
fn line(
    web: &WebCtx,
    me: &crate::service::accounts::UserRow,
    d: disputes::DisputeRow,
    history: Vec<crate::service::bookings::EventRow>,
) -> Line {
    let tz = super::zone_of(Some(me));
    let zone = tz.iana_name().unwrap_or("UTC").to_string();
    let at = |t: jiff::Timestamp| format!("{} ({zone})", web.when(t, &tz));
    let remedy = crate::domain::dispute::rule(d.booking_status, &d.no_show_party);
    let by_mentee = d.opened_by == d.mentee_id;
    let who = |actor: &Option<String>| match actor.as_deref() {
        None => "by itself".to_string(),
        Some(a) if a == d.mentor_id => format!("by {} (mentor)", d.mentor_name),
        Some(a) if a == d.mentee_id => format!("by {} (mentee)", d.mentee_name),
        Some(_) => "by an admin".to_string(),
    };
    Line {
        id: d.id.clone(),
        when: at(d.created_at),
        title: d.title.clone(),
        session: match (d.timed, d.delivered_at) {
            (true, _) => at(d.start_at),
            (false, Some(t)) => format!("delivered {}", at(t)),
            (false, None) => format!("requested {}", at(d.start_at)),
        },
        history: history
            .iter()
            .map(|e| {
                let what = match (e.kind.as_str(), e.to_start) {
                    ("rescheduled", Some(t)) => format!("moved to {}", at(t)),
                    (k, _) => k.replace('_', " "),
                };
                let detail = if e.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.detail)
                };
                (
                    at(e.created_at),
                    format!("{what} {}{detail}", who(&e.actor_id)),
                )
            })
            .collect(),
        decided: match (&d.resolver_name, d.resolved_at) {
            (Some(name), Some(t)) => format!(
                "{} by {name} on {}",
                if d.status == DisputeStatus::Granted {
                    "Granted"
                } else {
                    "Rejected"
                },
                at(t)
            ),
            _ => String::new(),
        },
        outcome: match (d.booking_status.as_str(), d.no_show_party.as_str()) {
            ("no_show", "mentee") => format!("{} reported the mentee absent", d.mentor_name),
            ("no_show", _) => format!("{} reported the mentor absent", d.mentee_name),
            _ if !d.timed => format!("Delivered by {}: counted as done", d.mentor_name),
            _ => "Completed: counted as held (marked done, or by itself after its end)".to_string(),
        },
        by: if by_mentee {
            format!(
                "{} (mentee), about {} (mentor)",
                d.mentee_name, d.mentor_name
            )
        } else {
            format!(
                "{} (mentor), about {} (mentee)",
                d.mentor_name, d.mentee_name
            )
        },
        reason: d.reason.clone(),
        answer: {
            let other = if by_mentee {
                format!("{} (mentor)", d.mentor_name)
            } else {
                format!("{} (mentee)", d.mentee_name)
            };
            match d.answered_at {
                Some(t) => format!("{other}, on {}: “{}”", at(t), d.answer),
                None if d.status == DisputeStatus::Open => {
                    format!("{other} has not answered yet (they can, once, until it is decided).")
                }
                None => format!("{other} did not answer."),
            }
        },
        grant: match remedy {
            Some((_, Remedy::RefundMentee)) => format!(
                "Granting gives the {} credits back to {}, taking back what the session paid {}.",
                d.credits_held, d.mentee_name, d.mentor_name
            ),
            Some((_, Remedy::PayMentor)) => format!(
                "Granting makes {} pay the {} credits after all (to {}, less the fee).",
                d.mentee_name, d.credits_held, d.mentor_name
            ),
            None => String::new(),
        },
        status: d.status.as_str(),
        resolution: d.resolution.clone(),
    }
}

#[derive(Template)]
#[template(path = "admin_dispute_grant.html")]
struct GrantPage {
    layout: Layout,
    d: Line,
    /// The note typed on the queue before "Grant…", carried over.
    note: String,
}

/// Granting moves credits: the admin reads what it does and confirms.
async fn confirm_grant(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    ask(&state, &web, &path_id(&id)?, "grant", String::new()).await
}

/// Asks before deciding (a decision is final and moves credits or not): granting on a
/// page saying what it does, rejecting with the same question (which, with script,
/// the queue's button asked already). A note typed on the queue is carried over.
async fn ask(state: &AppState, web: &WebCtx, id: &str, action: &str, note: String) -> PageResult {
    let me = require_admin(state, web)?;
    let (d, history) = disputes::one_with_history(&state.ctx, &me, id).await?;
    if d.status != DisputeStatus::Open {
        let said = Some("This dispute is already decided.".to_string());
        return render(state, web, "open", StatusCode::CONFLICT, said).await;
    }
    let d = line(web, &me, d, history);
    if action == "grant" {
        return Ok(web.render(
            state,
            &GrantPage {
                layout: web.layout(),
                d,
                note,
            },
        ));
    }
    Ok(confirm::page(
        state,
        web,
        confirm::Confirm {
            question: "Reject this dispute?".into(),
            consequence: format!(
                "The outcome stands and both are told{}. A decision is final.",
                if note.trim().is_empty() {
                    ""
                } else {
                    ", with your note"
                }
            ),
            action: format!("/admin/disputes/{}/resolve", d.id),
            fields: vec![("action", "reject".into()), ("note", note)],
            yes: "Yes, reject",
            back: "/admin/disputes".into(),
            no: "No, go back",
            reason: None,
            errors: FormErrors::default(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    /// `1` once the admin confirmed the decision.
    #[serde(default)]
    confirmed: String,
}

async fn resolve(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ResolveForm>,
) -> PageResult {
    let me = require_admin(&state, &web)?;
    web.check_csrf(&f.csrf)?;
    let id = path_id(&id)?;
    if !confirm::confirmed(&f.confirmed) && matches!(f.action.as_str(), "grant" | "reject") {
        return ask(&state, &web, &id, &f.action, f.note).await;
    }
    let input = ResolveDisputeInput {
        action: f.action.clone(),
        note: Some(f.note.clone()),
    };
    match disputes::resolve(&state.ctx, &me, &id, &input).await {
        Ok(d) => Ok(web.redirect_flash(
            "/admin/disputes",
            match d.status {
                crate::domain::dispute::DisputeStatus::Granted => "dispute_granted",
                _ => "dispute_rejected",
            },
        )),
        // Refused (already decided, credits spent, a bad note): the queue again with
        // why, nothing changed.
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let code = crate::http::problem::status_of(&e);
            render(&state, &web, "open", code, Some(in_words(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}
