//! The JSON API under `/api/v1`, and the OpenAPI document generated from it. Each
//! resource file has a `router()` collecting its handlers; every handler carries a
//! `#[utoipa::path]`, so a route cannot exist without being documented.

pub mod admin;
pub mod articles;
pub mod auth;
pub mod bookings;
pub mod calendars;
pub mod credit_requests;
pub mod dashboard;
pub mod disputes;
pub mod groups;
pub mod me;
pub mod mentors;
pub mod mentorships;
pub mod messages;
pub mod notifications;
pub mod ops;
pub mod payments;
pub mod programs;
pub mod progress;
pub mod reports;
pub mod scheduling;
pub mod series;
pub mod users;
pub mod ws;

use base64::Engine;
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use super::AppState;
use crate::{
    domain::user::{Role, Roles},
    error::AppError,
    service::accounts::UserRow,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mentorhub API",
        description = "Mentorship marketplace: accounts, mentors, bookings paid in credits, chat, articles.\n\n\
            Errors are `application/problem+json` with a stable `code`. Lists take `limit` (default 20, max 100) \
            and `cursor`, and answer `{items, next_cursor}`. Times are RFC 3339 in UTC.",
        license(name = "MIT")
    ),
    modifiers(&BearerAuth),
    components(schemas(super::problem::Problem, crate::error::FieldError)),
    tags(
        (name = "auth", description = "Sign up, sign in, tokens"),
        (name = "me", description = "The signed-in user's own account"),
        (name = "users", description = "Public profiles"),
        (name = "mentors", description = "Mentor and mentee profiles, services, discovery"),
        (name = "mentorships", description = "Mentorship requests and relationships"),
        (name = "bookings", description = "Availability, slots, bookings, reviews, calendar files"),
        (name = "credits", description = "The credits wallet"),
        (name = "calendars", description = "A mentor's own CalDAV calendars: busy times in, bookings out"),
        (name = "group sessions", description = "Group sessions: seats, the waitlist, cancelling"),
        (name = "programs", description = "Mentorship programs: templates, managers, enrolments, match proposals, publishing"),
        (name = "messages", description = "Threads, messages and the live event socket"),
        (name = "notifications", description = "Notifications and preferences"),
        (name = "articles", description = "Mentor articles, bookmarks and comments"),
        (name = "admin", description = "Administration (admins only)"),
        (name = "ops", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The published document: what the handlers' annotations say, plus what holds for
/// every operation and is better said once: the list of problem codes
/// ([`crate::error::CODES`]) in the description; errors are `application/problem+json`
/// (the media type the server really sends), and every operation documents a
/// `default` answer, a problem, for the errors any request can meet (malformed or
/// hostile input, an expired token, a body too large, the database unavailable).
pub fn finish_document(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{Content, RefOr, Response, schema::Ref};
    const PROBLEM_JSON: &str = "application/problem+json";
    let problem = Ref::from_schema_name("Problem");
    let is_problem = |c: &RefOr<Content>| matches!(c, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == problem.ref_location));
    let mut codes = String::from("\n\n| problem `code` | meaning |\n| --- | --- |\n");
    for (code, meaning) in crate::error::CODES {
        codes.push_str(&format!("| `{code}` | {meaning} |\n"));
    }
    doc.info.description = Some(doc.info.description.unwrap_or_default() + &codes);
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if response
                    .content
                    .get("application/json")
                    .is_some_and(is_problem)
                    && let Some(c) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.into(), c);
                }
            }
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| {
                    let mut r = Response::new(
                        "Any other error: a problem with a stable `code` (for example \
                         `bad_request`, `nul_character`, `malformed_json`, `invalid_token`, \
                         `payload_too_large`, `rate_limited`, `database_unavailable`).",
                    );
                    r.content.insert(
                        PROBLEM_JSON.into(),
                        RefOr::T(Content::new(Some(problem.clone()))),
                    );
                    RefOr::T(r)
                });
        }
    }
    doc
}

/// Every API and ops route, with the OpenAPI document describing them.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(me::router())
        .merge(calendars::router())
        .merge(users::router())
        .merge(admin::router())
        .merge(mentors::router())
        .merge(mentorships::router())
        .merge(scheduling::router())
        .merge(series::router())
        .merge(bookings::router())
        .merge(messages::router())
        .merge(notifications::router())
        .merge(articles::router())
        .merge(payments::router())
        .merge(dashboard::router())
        .merge(reports::router())
        .merge(disputes::router())
        .merge(credit_requests::router())
        .merge(groups::router())
        .merge(programs::router())
        .merge(progress::router())
        .merge(ws::router())
        .merge(ops::router())
}

/// A user as they see themself (and as admins see them).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub bio: String,
    pub avatar_url: String,
    pub resume_url: String,
    pub linkedin_url: String,
    /// IANA time zone name.
    pub timezone: String,
    /// How emails and pages write times: `24h`, `12h`, or empty while unknown (pages
    /// then follow the browser; emails use 24 hours).
    pub clock: String,
    /// `active`, `suspended` or `deleted`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An instant as RFC 3339 text (UTC).
pub fn ts(t: jiff::Timestamp) -> String {
    t.to_string()
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        UserView {
            id: u.id.to_string(),
            email: u.email.clone(),
            roles: Roles::from_db(&u.roles).list().to_vec(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            headline: u.headline.clone(),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone(),
            resume_url: u.resume_url.clone(),
            linkedin_url: u.linkedin_url.clone(),
            timezone: u.timezone.clone(),
            clock: u.clock.clone(),
            status: user_status(u).to_string(),
            created_at: ts(u.created_at),
            updated_at: ts(u.updated_at),
        }
    }
}

pub fn user_status(u: &UserRow) -> &'static str {
    if u.deleted_at.is_some() {
        "deleted"
    } else if u.suspended_at.is_some() {
        "suspended"
    } else {
        "active"
    }
}

/// Parses `limit` (default 20, 1..=100).
pub fn parse_limit(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid(
            "limit",
            "out_of_range",
            "limit must be between 1 and 100.",
        )),
    }
}

/// Trims a page fetched with one extra row to `limit` and returns the cursor of the
/// next page (the last kept row's key), if there is one.
pub fn next_page<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Option<String> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(limit.max(0) as usize);
    rows.last().map(|r| encode_cursor(&key(r)))
}

/// [`next_page`] for a list ordered by `(key, id)`.
pub fn next_keyset_page<T, K: SortKey>(
    rows: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (K, &str),
) -> Option<String> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(limit.max(0) as usize);
    rows.last().map(|r| {
        let (k, id) = key(r);
        keyset_cursor(&k, id)
    })
}

/// The cursor of a ranked list (search), paged by offset: what
/// `mentors::search_offset` reads back.
pub fn offset_cursor(offset: i64) -> String {
    encode_cursor(&format!("o:{offset}"))
}

/// What a keyset list is ordered by, before the id: an instant or a number.
pub trait SortKey {
    fn sort_key(&self) -> i64;
}

impl SortKey for i64 {
    fn sort_key(&self) -> i64 {
        *self
    }
}

impl SortKey for jiff::Timestamp {
    fn sort_key(&self) -> i64 {
        self.as_microsecond()
    }
}

/// The cursor of a list ordered by `(key, id)`: what [`decode_keyset`] reads back.
pub fn keyset_cursor(key: &impl SortKey, id: &str) -> String {
    encode_cursor(&format!("{}|{id}", key.sort_key()))
}

/// Reads a cursor made by [`keyset_cursor`] (or, for article lists, `key:id`).
pub fn decode_keyset(raw: Option<&str>) -> Result<Option<(i64, String)>, AppError> {
    let Some(c) = decode_cursor(raw)? else {
        return Ok(None);
    };
    c.split_once(['|', ':'])
        .and_then(|(k, id)| Some((k.parse().ok()?, id.to_string())))
        .map(Some)
        .ok_or_else(invalid_cursor)
}

fn invalid_cursor() -> AppError {
    AppError::invalid(
        "cursor",
        "invalid_cursor",
        "The cursor is not one this server issued.",
    )
}

/// Cursors are opaque to clients: base64url of the last item's sort key.
pub fn encode_cursor(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_cursor(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(invalid_cursor)
}
