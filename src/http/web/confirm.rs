//! Asking before a destructive action, and saying what it will do.
//!
//! Each destructive form (cancel or decline a booking, end or decline a mentorship,
//! remove a service, suspend a user) carries its consequence in `data-confirm`: with
//! JavaScript the browser asks in a dialog and adds `confirmed=1`. Without it, or
//! when the action needs a reason, the post arrives unconfirmed and the handler answers
//! with this confirmation page instead of acting: the question, the consequence, the
//! same form again with `confirmed=1`, and a way back.

use askama::Template;
use axum::response::Response;

use super::{FormErrors, Layout, WebCtx};
use crate::http::AppState;

/// A reason the confirmation asks for.
pub struct Reason {
    pub label: &'static str,
    pub required: bool,
    /// The most characters the action takes (as its own form says).
    pub max: usize,
    /// What was typed already.
    pub value: String,
}

/// What to ask.
pub struct Confirm {
    /// "Cancel this booking?"
    pub question: String,
    /// "You get 15 of 30 credits back."
    pub consequence: String,
    /// Where the confirmed form posts.
    pub action: String,
    /// The form's other fields, carried over.
    pub fields: Vec<(&'static str, String)>,
    /// "Yes, cancel the booking".
    pub yes: &'static str,
    /// Where "No" leads, and what it says.
    pub back: String,
    pub no: &'static str,
    pub reason: Option<Reason>,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    c: Confirm,
}

/// Whether a posted form was confirmed.
pub fn confirmed(field: &str) -> bool {
    field == "1"
}

/// The confirmation page (200, or 422 when it comes back with errors).
pub fn page(state: &AppState, web: &WebCtx, c: Confirm) -> Response {
    let status = if c.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    web.render_status(
        state,
        status,
        &ConfirmPage {
            layout: web.layout(),
            c,
        },
    )
}
