//! mentorhub: a self-hostable mentorship marketplace in one binary.
//!
//! Layout (see `shared/STYLE.md` and the README): `domain` holds pure rules and types,
//! `store` is the only place with SQL, `service` holds the use cases every write goes
//! through, and `http` adapts them to JSON and HTML. `app::App` builds the whole thing
//! and is used both by `main` and by the integration tests.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod ratelimit;
pub mod realtime;
pub mod service;
pub mod store;
