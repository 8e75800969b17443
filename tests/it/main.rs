//! The one integration-test binary. Every test runs against the real application on a
//! fresh database (SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used)]

mod support;

mod accounts;
mod admin;
mod article_reading;
mod articles;
mod bookings;
mod browser_a11y;
mod browser_articles;
mod browser_calendars;
mod browser_dashboards;
mod browser_flows;
mod browser_groups;
mod browser_journeys;
mod browser_programs;
mod calendars;
mod contract;
mod credit_requests;
mod dashboards;
mod disputes;
mod errors;
mod fuzz;
mod groups;
mod hardening;
mod layers;
mod ledger;
mod mentees;
mod mentors;
mod mentorships;
mod messaging;
mod notifications;
mod ops;
mod paging;
mod password_reset;
mod payments;
mod programs;
mod reports;
mod web;
mod web_articles;
mod web_availability;
mod web_confirm;
mod web_mentors;
mod web_payments;
mod web_picker;
mod write_path;
