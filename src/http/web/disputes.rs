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

use super::{Layout, PageResult, WebCtx, WebForm, admin::require_admin, in_words, page_query};
use crate::{
    domain::{dispute::DisputeStatus, dispute::Remedy},
    error::AppError,
    http::{AppState, extract::path_id},
    service::disputes::{self, ResolveDisputeInput},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/disputes", get(queue))
        .route("/admin/disputes/{id}/resolve", post(resolve))
}

struct Line {
    id: String,
    when: String,
    booking_id: String,
    title: String,
    session: String,
    /// "Marked done", "The mentee reported absent", …
    outcome: String,
    /// Who disputes it, and the other side.
    by: String,
    reason: String,
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
    let tz = super::zone_of(Some(&me));
    let rows = disputes::list(&state.ctx, &me, show).await?;
    let lines = rows
        .into_iter()
        .map(|d| {
            let remedy = crate::domain::dispute::rule(d.booking_status, &d.no_show_party);
            let by_mentee = d.opened_by == d.mentee_id;
            Line {
                id: d.id.clone(),
                when: web.when(d.created_at, &tz),
                booking_id: d.booking_id.clone(),
                title: d.title.clone(),
                session: web.when(d.start_at, &tz),
                outcome: match (d.booking_status.as_str(), d.no_show_party.as_str()) {
                    ("no_show", "mentee") => {
                        format!("{} reported the mentee absent", d.mentor_name)
                    }
                    ("no_show", _) => format!("{} reported the mentor absent", d.mentee_name),
                    _ => "Completed (marked done, or by itself after its end)".to_string(),
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
                grant: match remedy {
                    Some((_, Remedy::RefundMentee)) => format!(
                        "Grant: the {} credits go back to {}.",
                        d.credits_held, d.mentee_name
                    ),
                    Some((_, Remedy::PayMentor)) => format!(
                        "Grant: {} pays the {} credits after all (to {}, less the fee).",
                        d.mentee_name, d.credits_held, d.mentor_name
                    ),
                    None => String::new(),
                },
                status: d.status.as_str(),
                resolution: d.resolution.clone(),
            }
        })
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

#[derive(Debug, Default, Deserialize)]
struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
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
    let input = ResolveDisputeInput {
        action: f.action.clone(),
        note: Some(f.note.clone()),
    };
    match disputes::resolve(&state.ctx, &me, &id, &input).await {
        Ok(_) => Ok(web.redirect_flash("/admin/disputes", "dispute_resolved")),
        // Refused (already decided, credits spent, a bad note): the queue again with
        // why, nothing changed.
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let code = crate::http::problem::status_of(&e);
            render(&state, &web, "open", code, Some(in_words(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}
