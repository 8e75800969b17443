//! Pure rules and types: no axum, no sqlx, no tokio, no clock reads. Raw input is
//! parsed into these types at the edge; code past the edge never re-checks it.

pub mod article;
pub mod availability;
pub mod booking;
pub mod clock;
pub mod credit;
pub mod dispute;
pub mod group;
pub mod highlight;
pub mod ical;
pub mod ics;
pub mod ids;
pub mod job;
pub mod matching;
pub mod mentor;
pub mod mentorship;
pub mod payment;
pub mod program;
pub mod recommend;
pub mod report;
pub mod secret;
pub mod stats;
pub mod text;
pub mod user;
