//! "Calendars" in the settings: for everyone, the private address a calendar program
//! subscribes to (their sessions and group seats); for mentors, connect a CalDAV
//! account, see each connection's state and last read, choose which calendars make
//! them busy and which one receives their bookings, read now, disconnect. Forms only;
//! no script needed.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    routing::{get, post},
};
use serde::Deserialize;

use super::{FormErrors, Layout, PageResult, WebCtx, WebForm, confirm, zone_of};
use crate::{
    error::AppError,
    http::{AppState, extract::path_id},
    service::{
        calendar,
        calendars::{self, CalendarPatch, ConnectInput, ConnectionPatch, ConnectionView},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/calendars", get(page).post(connect))
        .route("/settings/calendars/feed", post(issue_feed))
        .route("/settings/calendars/feed/off", post(revoke_feed))
        .route("/settings/calendars/{id}", post(save))
        .route("/settings/calendars/{id}/sync", post(sync))
        .route("/settings/calendars/{id}/disconnect", post(disconnect))
}

/// One connection as the page shows it.
struct Row {
    c: ConnectionView,
    host: String,
    last_read: String,
    failing_since: String,
    /// One of its calendars receives bookings.
    has_target: bool,
}

#[derive(Template)]
#[template(path = "settings_calendars.html")]
struct CalendarsPage {
    layout: Layout,
    show_services: bool,
    enabled: bool,
    /// The viewer runs the site (told which setting turns calendars on).
    is_admin: bool,
    rows: Vec<Row>,
    server_url: String,
    username: String,
    errors: FormErrors,
    /// The feed address just issued: shown this once (only its hash is kept).
    new_feed: Option<String>,
    /// When the current feed address was issued, if there is one.
    feed_issued: Option<String>,
}

async fn render(
    state: &AppState,
    web: &WebCtx,
    entry: (String, String),
    errors: FormErrors,
    new_feed: Option<String>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let tz = zone_of(Some(&me));
    let feed_issued = calendar::feed_issued(&state.ctx, &me)
        .await?
        .map(|t| web.when(t, &tz));
    let rows = calendars::list(&state.ctx, &me)
        .await?
        .into_iter()
        .map(|c| Row {
            host: reqwest::Url::parse(&c.server_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| c.server_url.clone()),
            last_read: c
                .last_success_at
                .map(|t| web.when(t, &tz))
                .unwrap_or_else(|| "not yet".into()),
            failing_since: c
                .failing_since
                .map(|t| web.when(t, &tz))
                .unwrap_or_default(),
            has_target: c.calendars.iter().any(|k| k.target),
            c,
        })
        .collect();
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(web.render_status(
        state,
        status,
        &CalendarsPage {
            layout: web.layout(),
            show_services: crate::service::mentors::offers_services(&state.ctx, &me).await,
            enabled: calendars::enabled(&state.ctx),
            is_admin: web.is_admin(),
            rows,
            server_url: entry.0,
            username: entry.1,
            errors: errors.labelled(&[
                ("server_url", "Server address"),
                ("username", "User name"),
                ("password", "App password"),
            ]),
            new_feed,
            feed_issued,
        },
    ))
}

async fn page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    render(
        &state,
        &web,
        Default::default(),
        FormErrors::default(),
        None,
    )
    .await
}

/// Turns the person's calendar feed address off (asked first: calendars subscribed to
/// it stop showing their sessions).
async fn revoke_feed(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    if !confirm::confirmed(&f.confirmed) {
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: "Turn your calendar address off?".into(),
                consequence: "It stops working at once: calendars subscribed to it stop showing your sessions. You can get a new address later.".into(),
                action: "/settings/calendars/feed/off".into(),
                fields: vec![],
                yes: "Yes, turn it off",
                back: "/settings/calendars#feed".into(),
                no: "No, keep it",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    calendar::revoke_feed(&state.ctx, &me).await?;
    Ok(web.redirect_flash("/settings/calendars#feed", "calendar_feed_off"))
}

/// Issues the person's calendar feed address and shows it once; a new one replaces
/// the old (asked first, as calendars subscribed to the old one stop updating).
async fn issue_feed(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    if calendar::feed_issued(&state.ctx, &me).await?.is_some() && !confirm::confirmed(&f.confirmed)
    {
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: "Get a new calendar address?".into(),
                consequence: "The old address stops working at once: calendars subscribed to it stop showing your sessions until you subscribe them to the new one.".into(),
                action: "/settings/calendars/feed".into(),
                fields: vec![],
                yes: "Yes, get a new address",
                back: "/settings/calendars#feed".into(),
                no: "No, keep the old one",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    let url = calendar::issue_feed(&state.ctx, &me).await?;
    render(
        &state,
        &web,
        Default::default(),
        FormErrors::default(),
        Some(url),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ConnectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    server_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn connect(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<ConnectForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let input = ConnectInput {
        server_url: f.server_url.clone(),
        username: f.username.clone(),
        password: f.password,
    };
    match calendars::connect(&state.ctx, &me, &input).await {
        Ok(_) => Ok(web.redirect_flash("/settings/calendars", "calendar_connected")),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::Unavailable { .. }
            | AppError::Forbidden { .. }),
        ) => {
            render(
                &state,
                &web,
                (f.server_url, f.username),
                FormErrors::from_error(&e),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn save(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let value = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    web.check_csrf(value("csrf").unwrap_or(""))?;
    let id = path_id(&id)?;
    let current = calendars::list(&state.ctx, &me)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    let target = value("target").unwrap_or("none");
    for k in &current.calendars {
        let busy = value(&format!("busy_{}", k.id)).is_some();
        let is_target = target == k.id;
        let patch = CalendarPatch {
            busy: (busy != k.busy).then_some(busy),
            target: (is_target != k.target).then_some(is_target),
        };
        if patch.busy.is_some() || patch.target.is_some() {
            calendars::update_calendar(&state.ctx, &me, &id, &k.id, &patch).await?;
        }
    }
    let tentative = value("write_tentative").is_some();
    if tentative != current.write_tentative {
        calendars::update_connection(
            &state.ctx,
            &me,
            &id,
            &ConnectionPatch {
                write_tentative: Some(tentative),
            },
        )
        .await?;
    }
    Ok(web.redirect_flash("/settings/calendars", "calendar_saved"))
}

#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
}

async fn sync(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let c = calendars::resync(&state.ctx, &me, &id).await?;
    Ok(web.redirect_flash(
        "/settings/calendars",
        if c.status == "ok" {
            "calendar_synced"
        } else {
            "calendar_sync_failed"
        },
    ))
}

async fn disconnect(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ActionForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    if !confirm::confirmed(&f.confirmed) {
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: "Disconnect this calendar account?".into(),
                consequence: "Its busy times stop blocking your slots at once, and new bookings are no longer written to it. Events already written stay in your calendar.".into(),
                action: format!("/settings/calendars/{id}/disconnect"),
                fields: vec![],
                yes: "Yes, disconnect",
                back: "/settings/calendars".into(),
                no: "No, keep it",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    calendars::disconnect(&state.ctx, &me, &id).await?;
    Ok(web.redirect_flash("/settings/calendars", "calendar_disconnected"))
}
