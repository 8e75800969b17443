//! Availability, slots, the booking life cycle, credits, reviews, calendar files:
//! `slots`, `requests`, `series`, `lifecycle`, `calendar` and `races`, over the helpers
//! here.

use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Session, TestApp, assert_problem, mentor_profile, weekdays_nine_to_five};

const TUE_10: &str = "2026-03-03T10:00:00Z";
const TUE_11: &str = "2026-03-03T11:00:00Z";
const WED_10: &str = "2026-03-04T10:00:00Z";

fn book(mentor: &str, service: &str, start: &str) -> serde_json::Value {
    json!({"mentor_id": mentor, "service_id": service, "start": start, "topic": "Career", "message": "Hello"})
}

/// The mentee books `start` and the mentor accepts; returns the booking id.
async fn accepted_booking(
    app: &TestApp,
    mentor: &Session,
    mentee: &Session,
    service: &str,
    start: &str,
) -> String {
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            mentee.token(),
            book(&mentor.user_id, service, start),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (status, a) = app
        .post(
            &format!("/api/v1/bookings/{id}/accept"),
            mentor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    id
}

mod calendar;
mod lifecycle;
mod races;
mod requests;
mod series;
mod slots;
