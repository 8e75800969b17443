//! Operations endpoints: liveness, readiness, Prometheus metrics.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::http::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a dependency is down.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Why the server is not ready (only when it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        database: state.backend_name().into(),
        reason: None,
    })
}

/// Readiness: the database answers and takes a write (503 with a reason otherwise,
/// e.g. while its disk is full).
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let outcome = crate::service::readiness(&state.ctx).await;
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(Health {
            status: if outcome.is_ok() { "ok" } else { "unavailable" }.into(),
            database: state.backend_name().into(),
            reason: outcome.err(),
        }),
    )
}

/// Prometheus text format: request counts and latency histograms by route and status.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let jobs = crate::service::jobs::gauges(&state.ctx).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render()
            + &state.ctx.booking_groups.render()
            + &(state.ctx.db.coalesced.as_ref())
                .map(|c| c.stats.render())
                .unwrap_or_default()
            + &jobs,
    )
}
