//! Reporting from the pages (articles and comments carry a small report form) and the
//! admins' moderation queue at `/admin/reports`.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, admin::require_admin, confirm, page_query,
    safe_next,
};
use crate::{
    error::AppError,
    http::{AppState, extract::path_id},
    service::reports::{self, ReportInput, ResolveInput},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", post(report))
        .route("/admin/reports", get(queue))
        .route("/admin/reports/{id}/resolve", post(resolve))
}

#[derive(Debug, Default, Deserialize)]
struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    target_type: String,
    #[serde(default)]
    target_id: String,
    #[serde(default)]
    reason: String,
    /// Where to come back to.
    #[serde(default)]
    back: String,
}

async fn report(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ReportForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = ReportInput {
        target_type: f.target_type.clone(),
        target_id: f.target_id.clone(),
        reason: f.reason.clone(),
    };
    let back = safe_next(&f.back);
    Ok(match reports::report(&state.ctx, &me, &input).await {
        Ok(_) => web.redirect_flash(&back, "report_sent"),
        Err(AppError::Conflict { .. }) => web.redirect_flash(&back, "report_already"),
        // The small form under the reported thing comes back as a page of its own,
        // with the reason and what was typed (the page it came from is not redrawn).
        Err(AppError::Invalid(errors)) => web.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReportPage {
                layout: web.layout(),
                what: reports::what(&state.ctx, &me, &f.target_type, &f.target_id)
                    .await
                    .unwrap_or_default(),
                error: errors
                    .iter()
                    .map(|e| match e.code.as_str() {
                        "required" => "Say what is wrong: the admins read it before acting.",
                        _ => e.message.as_str(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                target_type: f.target_type,
                target_id: f.target_id,
                reason: f.reason,
                back,
            },
        ),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    /// What is reported, in words ("" when it cannot be said).
    what: String,
    error: String,
    target_type: String,
    target_id: String,
    reason: String,
    back: String,
}

struct Line {
    id: String,
    when: String,
    reporter: String,
    reporter_id: String,
    what: String,
    link: String,
    reason: String,
    status: String,
    resolution: String,
    /// What "Remove" does to this target, as its confirmation says.
    remove: String,
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct QueuePage {
    layout: Layout,
    lines: Vec<Line>,
    show: String,
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
    let tz = super::zone_of(Some(&me));
    let status = (show == "open").then_some("open");
    let rows = reports::list(&state.ctx, &me, status, None, 200).await?;
    Ok(web.render(
        &state,
        &QueuePage {
            layout: web.layout(),
            lines: rows
                .into_iter()
                .map(|l| Line {
                    id: l.row.id.clone(),
                    when: web.when(l.row.created_at, &tz),
                    reporter: l.row.reporter_email.clone(),
                    // A closed account has no page.
                    reporter_id: if crate::domain::user::is_erased(&l.row.reporter_email) {
                        String::new()
                    } else {
                        l.row.reporter_id.clone()
                    },
                    remove: removal(&l.row.target_type, &l.summary).1,
                    what: l.summary,
                    link: l.link.unwrap_or_default(),
                    reason: l.row.reason.clone(),
                    status: l.row.status.as_str().to_string(),
                    resolution: l.row.resolution.clone(),
                })
                .collect(),
            show: show.to_string(),
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
    /// `1` once the admin confirmed a removal.
    #[serde(default)]
    confirmed: String,
}

/// What removing a reported target does: (the question, the question with its
/// consequence for the dialog).
fn removal(kind: &str, summary: &str) -> (String, String) {
    let (question, consequence) = match kind {
        "article" => (
            format!("Unpublish {summary}?"),
            "It goes back to its author's drafts.",
        ),
        "comment" | "message" => (
            format!("Delete this {kind}?"),
            "It is deleted for everyone.",
        ),
        _ => (
            format!(
                "Suspend the account of {}?",
                summary.trim_start_matches("User ")
            ),
            "They are signed out everywhere and cannot sign in until an admin restores \
             the account; their coming bookings and the group sessions they lead are \
             cancelled and refunded, and their waiting mentorship requests end.",
        ),
    };
    let full = format!("{question} {consequence} Every open report on it is closed.");
    (question, full)
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
    if f.action == "remove" && !confirm::confirmed(&f.confirmed) {
        let line = reports::line(&state.ctx, &me, &id).await?;
        let (question, full) = removal(&line.row.target_type, &line.summary);
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                consequence: full[question.len()..].trim_start().to_string(),
                question,
                action: format!("/admin/reports/{id}/resolve"),
                fields: vec![("action", "remove".into()), ("note", f.note.clone())],
                yes: "Yes, remove",
                back: "/admin/reports".into(),
                no: "No, go back",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    // A removal says what it did to what was reported (read before it is removed).
    let removed = if f.action == "remove" {
        Some(reports::line(&state.ctx, &me, &id).await?.row.target_type)
    } else {
        None
    };
    let input = ResolveInput {
        action: f.action.clone(),
        note: Some(f.note.clone()),
    };
    reports::resolve(&state.ctx, &me, &id, &input).await?;
    let flash = match removed.as_deref() {
        Some("article") => "report_removed_article",
        Some("comment" | "message") => "report_removed_content",
        Some(_) => "report_removed_user",
        None => "report_dismissed",
    };
    Ok(web.redirect_flash("/admin/reports", flash))
}
