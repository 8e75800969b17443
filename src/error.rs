//! The one application error. Every layer returns [`AppError`]; the HTTP layer turns it
//! into `application/problem+json` (see `http::problem`), the web layer into a page.
//! Codes are stable snake_case strings that clients may match on.

use std::fmt;

/// One invalid input field: which field, a stable code, and a human message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// What can go wrong, by kind. The HTTP status is chosen by the `http` layer.
#[derive(Debug)]
pub enum AppError {
    /// Input that fails validation: 422 `invalid_input` with per-field errors.
    Invalid(Vec<FieldError>),
    /// A request that is malformed as a whole (bad JSON, bad query): 400.
    BadRequest { code: &'static str, detail: String },
    /// Missing or bad credentials: 401.
    Unauthorized { code: &'static str, detail: String },
    /// Signed in, but not allowed: 403.
    Forbidden { detail: String },
    /// No such resource, or not yours to see: 404.
    NotFound,
    /// The resource is in a state that forbids this: 409.
    Conflict { code: &'static str, detail: String },
    /// Not enough credits: 402.
    PaymentRequired { code: &'static str, detail: String },
    /// Too many attempts: 429 with `Retry-After`.
    RateLimited { retry_after_secs: u64 },
    /// The path exists but not with this method: 405.
    MethodNotAllowed,
    /// The body is larger than the server accepts: 413.
    PayloadTooLarge { limit_bytes: usize },
    /// The body did not arrive within its deadline (the client fell silent): 408, and
    /// the connection is closed.
    BodyTimeout { limit: std::time::Duration },
    /// The body is not in a format this endpoint takes: 415.
    UnsupportedMediaType { detail: String },
    /// The request's target (path and query) is longer than the server reads: 414.
    UriTooLong { limit_bytes: usize },
    /// The request's header fields together are larger than the server reads: 431.
    HeadersTooLarge { limit_bytes: usize },
    /// A feature that is switched off or a dependency that is down: 503.
    Unavailable { code: &'static str, detail: String },
    /// A bug or an outage; logged with its cause, answered with a generic body: 500.
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Every problem `code` the application answers with, and what it means: the one
/// list (a test keeps it and the code in step). Field-level codes (`errors[].code`)
/// belong to their fields and are not listed here.
pub const CODES: &[(&str, &str)] = &[
    // Request shape (400, 408, 413, 415, 405).
    ("bad_request", "The request is malformed as a whole."),
    ("bad_query", "The query string cannot be read."),
    ("bad_form", "The form cannot be read."),
    (
        "too_many_fields",
        "The form holds more fields than any page sends.",
    ),
    ("malformed_json", "The body is not valid JSON."),
    ("unreadable_body", "The body could not be read."),
    (
        "request_timeout",
        "The body did not arrive in time; the connection is closed.",
    ),
    (
        "nul_character",
        "Text holds a NUL character (U+0000), refused everywhere.",
    ),
    ("invalid_input", "Some fields are invalid: see `errors`."),
    (
        "invalid_idempotency_key",
        "The Idempotency-Key header is not usable.",
    ),
    (
        "payload_too_large",
        "The body is larger than the server accepts.",
    ),
    (
        "unsupported_media_type",
        "The body is not in a format this endpoint takes.",
    ),
    (
        "uri_too_long",
        "The path and query are longer than the server reads.",
    ),
    (
        "headers_too_large",
        "The header fields are larger than the server reads.",
    ),
    ("method_not_allowed", "The path does not take this method."),
    // Who you are (401, 403, 404, 429).
    ("unauthenticated", "Sign in first."),
    ("invalid_token", "The token is invalid, expired or revoked."),
    (
        "invalid_credentials",
        "The email or password is not correct.",
    ),
    (
        "refresh_token_reused",
        "A used refresh token came back: its session ended.",
    ),
    ("forbidden", "Signed in, but not allowed to do this."),
    ("not_found", "No such resource, or not yours to see."),
    ("rate_limited", "Too many attempts; see Retry-After."),
    // The state of things (409, 402).
    (
        "invalid_transition",
        "The resource's state does not allow this now.",
    ),
    ("slot_unavailable", "The time is no longer free."),
    (
        "account_unavailable",
        "An account of the booking was closed or suspended meanwhile.",
    ),
    (
        "edit_conflict",
        "Changed since it was read (expected_updated_at): nothing saved.",
    ),
    (
        "recipient_closed",
        "Everyone else in the conversation closed their account.",
    ),
    (
        "form_in_flight",
        "The same form is being sent already; reload in a moment.",
    ),
    (
        "insufficient_credits",
        "The wallet does not hold enough credits.",
    ),
    (
        "enough_credits",
        "The wallet already holds enough: nothing to buy.",
    ),
    (
        "mentorship_exists",
        "A live mentorship between the two already exists.",
    ),
    (
        "mentor_at_capacity",
        "The mentor takes no more mentees now.",
    ),
    (
        "same_person",
        "A program draft pairs someone with themselves.",
    ),
    (
        "already_enrolled",
        "You have applied to this program already.",
    ),
    (
        "applications_closed",
        "The program takes no applications now.",
    ),
    (
        "mentorship_over",
        "The mentorship has ended: its goals are kept to read.",
    ),
    (
        "program_goal",
        "The program set this goal for every pair: it can be renamed, not removed.",
    ),
    (
        "already_over",
        "The program's end date has passed: it cannot open.",
    ),
    (
        "capacity_below_matches",
        "A mentor's capacity in a program cannot go below their pairings.",
    ),
    (
        "intake_answered",
        "Mentees have answered the intake: its questions stay.",
    ),
    ("not_enrolled", "Apply to the program first."),
    (
        "nothing_to_publish",
        "The program has no draft pairings to publish.",
    ),
    (
        "program_underfunded",
        "The program's funding does not cover the grants.",
    ),
    (
        "too_many_pending",
        "Too many requests are waiting for an answer.",
    ),
    (
        "too_many_services",
        "A mentor offers at most this many services.",
    ),
    ("already_reviewed", "The booking has its review."),
    ("already_replied", "The review has its reply."),
    ("already_reported", "You reported this already."),
    (
        "not_disputable",
        "This booking's outcome is not one you can dispute (not finished, a cancellation, it went your way, or it cost nothing).",
    ),
    (
        "dispute_closed",
        "The 7 days to dispute this outcome are over.",
    ),
    (
        "already_disputed",
        "This booking's outcome is already disputed.",
    ),
    (
        "already_resolved",
        "The report or the dispute is already decided.",
    ),
    (
        "request_open",
        "A request for credits is already waiting for an admin.",
    ),
    (
        "already_answered",
        "Answered already: the request for credits (answered or withdrawn), or the dispute (its other side answers once).",
    ),
    (
        "not_yours_to_answer",
        "You opened this dispute: only its other side answers it.",
    ),
    (
        "account_closed",
        "The account is closed: nothing can be granted to it.",
    ),
    (
        "email_unreachable",
        "No email can reach the account's address, so it cannot be confirmed.",
    ),
    (
        "cannot_suspend_self",
        "An admin cannot suspend their own account.",
    ),
    (
        "cannot_demote_self",
        "An admin cannot take their own admin role.",
    ),
    (
        "last_admin",
        "The only admin cannot close their account: make another member an admin first.",
    ),
    (
        "time_taken",
        "The mentor already has a session or booking at that time.",
    ),
    ("session_closed", "The group session is cancelled or over."),
    (
        "changed_meanwhile",
        "What the request refers to changed while it was made: reload.",
    ),
    (
        "session_started",
        "The group session has started: its seats are kept.",
    ),
    (
        "joining_closed",
        "The group session's join deadline passed.",
    ),
    (
        "already_joined",
        "You already have a seat or a place in line.",
    ),
    ("own_session", "A mentor does not join their own session."),
    (
        "not_joined",
        "You have no seat or place in line in this session.",
    ),
    ("message_deleted", "The message is deleted."),
    ("not_editable", "The message can no longer be edited."),
    ("not_published", "The article is not published."),
    ("not_refundable", "The payment cannot be refunded."),
    ("not_dead", "The job is not dead: nothing to retry."),
    ("not_empty", "Demo data goes into an empty database only."),
    // Payments (400, 502, 503).
    (
        "invalid_signature",
        "The webhook signature does not verify.",
    ),
    ("invalid_json", "The webhook body is not the JSON expected."),
    (
        "invalid_event",
        "The webhook event is not one this server understands.",
    ),
    (
        "payments_disabled",
        "Buying credits is not enabled on this site.",
    ),
    (
        "payments_unavailable",
        "The payment provider cannot be reached.",
    ),
    ("refund_failed", "The payment provider refused the refund."),
    // Calendars (409, 503).
    (
        "calendars_off",
        "Connecting calendars is switched off on this server (no key set).",
    ),
    (
        "too_many_calendars",
        "The most calendar accounts one person may connect are connected.",
    ),
    (
        "calendar_connected",
        "This calendar account is connected already.",
    ),
    (
        "calendar_failing",
        "The calendar server cannot be reached or refused (job retry).",
    ),
    // The server (500, 503).
    (
        "database_unavailable",
        "The database cannot store anything now; retry.",
    ),
    ("timeout", "The server took too long to answer."),
    (
        "email_in_flight",
        "The email is being sent by another worker (job retry).",
    ),
    (
        "smtp_failed",
        "The mail server refused or failed (job retry).",
    ),
    (
        "internal_error",
        "A bug or an outage, logged with its cause.",
    ),
];

impl AppError {
    /// 503 `database_unavailable`: the database cannot store anything now (full disk,
    /// I/O failure, lost connection); nothing was changed and the request may be retried.
    pub fn database_unavailable() -> Self {
        AppError::Unavailable {
            code: "database_unavailable",
            detail: "The database cannot store this right now (it may be out of space). \
                     Nothing was changed; try again shortly."
                .into(),
        }
    }

    /// The 503 for a database that cannot serve anything now (its disk, or the
    /// connection to it), `None` for any other failure.
    pub fn outage(e: &sqlx::Error) -> Option<Self> {
        if crate::store::is_disk_failure(e) {
            Some(AppError::database_unavailable())
        } else if crate::store::is_connection_failure(e) {
            Some(AppError::database_unreachable())
        } else {
            None
        }
    }

    /// The connection to the database is gone (it is restarting, or unreachable): a
    /// request caught then may or may not have been stored, so the answer does not
    /// promise that nothing changed.
    pub fn database_unreachable() -> Self {
        AppError::Unavailable {
            code: "database_unavailable",
            detail: "The database cannot be reached right now (it may be restarting). \
                     Try again shortly; a booking retried with the same Idempotency-Key \
                     is made once."
                .into(),
        }
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        AppError::Forbidden {
            detail: detail.into(),
        }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::BadRequest { code, .. }
            | AppError::Unauthorized { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::PaymentRequired { code, .. }
            | AppError::Unavailable { code, .. } => code,
            AppError::Forbidden { .. } => "forbidden",
            AppError::NotFound => "not_found",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::BodyTimeout { .. } => "request_timeout",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::UriTooLong { .. } => "uri_too_long",
            AppError::HeadersTooLarge { .. } => "headers_too_large",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// A human explanation, safe to show to the client.
    pub fn detail(&self) -> String {
        match self {
            AppError::Invalid(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("Some fields are invalid: {}.", fields.join(", "))
            }
            AppError::BadRequest { detail, .. }
            | AppError::Unauthorized { detail, .. }
            | AppError::Forbidden { detail }
            | AppError::UnsupportedMediaType { detail }
            | AppError::Conflict { detail, .. }
            | AppError::PaymentRequired { detail, .. }
            | AppError::Unavailable { detail, .. } => detail.clone(),
            AppError::NotFound => "The requested resource does not exist.".into(),
            AppError::MethodNotAllowed => "This path does not accept this HTTP method.".into(),
            AppError::BodyTimeout { limit } => format!(
                "The request body did not arrive within {} seconds; send it again.",
                limit.as_secs()
            ),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts. Try again in {retry_after_secs} seconds.")
            }
            AppError::PayloadTooLarge { limit_bytes } => {
                format!(
                    "The request body is larger than the {limit_bytes} bytes this server accepts."
                )
            }
            AppError::UriTooLong { limit_bytes } => format!(
                "The path and query are longer than the {limit_bytes} bytes this server reads."
            ),
            AppError::HeadersTooLarge { limit_bytes } => format!(
                "The header fields (cookies included) are larger than the {limit_bytes} bytes \
                 this server reads."
            ),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(e) => write!(f, "internal error: {e:#}"),
            other => write!(f, "{}: {}", other.code(), other.detail()),
        }
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    /// A database that cannot store anything now (full disk, I/O failure, lost
    /// connection) is 503 `database_unavailable`: the request was fine and may be
    /// retried. A query that wanted one row and found none is 404: the one place
    /// "no such row" becomes "not found". A write refused by a foreign key is 409
    /// `changed_meanwhile`: what it refers to was checked, then deleted before the
    /// write (a comment posted as its article is deleted, a calendar synced as it is
    /// disconnected), or a row it deletes gained a reference meanwhile — the client
    /// reloads and decides again. Anything else is an internal error.
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::RowNotFound) {
            return AppError::NotFound;
        }
        if let sqlx::Error::Database(db) = &e
            && db.is_foreign_key_violation()
        {
            tracing::warn!(error = %e, "a write met a reference changed meanwhile");
            return AppError::conflict(
                "changed_meanwhile",
                "What this refers to changed while the request was made (it was deleted, \
                 or something new refers to it). Reload and try again.",
            );
        }
        match AppError::outage(&e) {
            Some(unavailable) => {
                tracing::error!(error = %e, "the database cannot take requests now");
                unavailable
            }
            None => AppError::Internal(e.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

/// Collects field errors while parsing an input, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a failed parse and returns the value of a successful one.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// `Ok(())` when nothing failed, else the whole list.
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }
}
