//! Identifiers. Every row id is a UUIDv7 stored as text: time-ordered (good for paging
//! and index locality) and not guessable from a neighbour.

use uuid::Uuid;

/// A new, time-ordered id.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// Parses an id from a path or body; anything that is not a UUID is "no such thing".
pub fn parse_id(raw: &str) -> Option<String> {
    Uuid::parse_str(raw).ok().map(|u| u.to_string())
}
