//! Availability (mine) and free slots (a mentor's).

use crate::http::extract::MaybeUser;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::AppError,
    http::{
        AppState,
        extract::{ApiJson, ApiQuery, CurrentUser, IdPath},
        problem::Problem,
    },
    service::{
        availability::{self, AvailabilityIo},
        bookings::parse_instant,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_availability, put_availability))
        .routes(routes!(slots))
}

/// My weekly rules, date overrides and booking settings.
#[utoipa::path(get, path = "/api/v1/me/availability", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, body = AvailabilityIo)))]
async fn get_availability(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<axum::Json<AvailabilityIo>, AppError> {
    Ok(axum::Json(availability::get(&state.ctx, &me.user).await?))
}

/// Replace my availability (mentors). Times are `HH:MM` in `timezone`; weekdays
/// `monday`…`sunday`; override dates `YYYY-MM-DD`.
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "bookings", security(("bearer" = [])),
    request_body = AvailabilityIo,
    responses((status = 200, body = AvailabilityIo), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_availability(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    ApiJson(input): ApiJson<AvailabilityIo>,
) -> Result<axum::Json<AvailabilityIo>, AppError> {
    Ok(axum::Json(
        availability::put(&state.ctx, &me.user, &input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlotParams {
    pub service_id: String,
    /// RFC 3339; default now.
    pub from: Option<String>,
    /// RFC 3339; default `from` + 7 days; at most 62 days after `from`.
    pub to: Option<String>,
    /// IANA zone for the `local` renderings (default: the signed-in caller's zone, else
    /// UTC).
    pub tz: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Slot {
    /// UTC start.
    pub start: String,
    /// UTC end.
    pub end: String,
    /// The start in the asked zone (`tz`), with its offset.
    pub start_local: String,
    pub end_local: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotList {
    pub mentor_id: String,
    pub service_id: String,
    pub duration_minutes: i64,
    pub timezone: String,
    pub items: Vec<Slot>,
}

/// Parses an optional `tz` query parameter.
pub fn viewer_zone(raw: Option<&str>) -> Result<(String, TimeZone), AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(("UTC".into(), TimeZone::UTC)),
        Some(name) => {
            let tz = TimeZone::get(name).map_err(|_| {
                AppError::invalid(
                    "tz",
                    "invalid_timezone",
                    "tz is an IANA time zone name such as Europe/Paris.",
                )
            })?;
            Ok((name.to_string(), tz))
        }
    }
}

/// Free start times of one of a mentor's services, in UTC and in `tz`.
#[utoipa::path(get, path = "/api/v1/mentors/{id}/slots", tag = "bookings", params(("id" = String, Path), SlotParams),
    responses((status = 200, body = SlotList), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn slots(
    State(state): State<AppState>,
    MaybeUser(me): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(p): ApiQuery<SlotParams>,
) -> Result<axum::Json<SlotList>, AppError> {
    let me = me.as_ref().map(|a| &a.user);
    let (tz_name, tz) = viewer_zone(p.tz.as_deref().or(me.map(|u| u.timezone.as_str())))?;
    let from = match p.from.as_deref() {
        Some(raw) => parse_instant("from", raw)?,
        None => state.ctx.clock.now(),
    };
    let to = match p.to.as_deref() {
        Some(raw) => parse_instant("to", raw)?,
        None => from + SignedDuration::from_hours(24 * 7),
    };
    let service_id = crate::domain::ids::parse_id(&p.service_id).ok_or_else(|| {
        AppError::invalid(
            "service_id",
            "not_found",
            "This mentor offers no such service.",
        )
    })?;
    let (duration, starts) =
        availability::slots(&state.ctx, me, &id, &service_id, from, to).await?;
    let d = SignedDuration::from_mins(duration);
    let local = |t: Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    Ok(axum::Json(SlotList {
        mentor_id: id,
        service_id,
        duration_minutes: duration,
        timezone: tz_name,
        items: starts
            .into_iter()
            .map(|s| Slot {
                start: s.to_string(),
                end: (s + d).to_string(),
                start_local: local(s),
                end_local: local(s + d),
            })
            .collect(),
    }))
}
