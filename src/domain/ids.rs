//! Identifiers. Every row id is a UUIDv7 stored as text: time-ordered (good for paging
//! and index locality) and not guessable from a neighbour (the random bits come from
//! `rand`'s thread-local cryptographic generator, seeded by the operating system: no
//! system call per id).
//!
//! People and bookings have id types of their own ([`UserId`], [`BookingId`]): they
//! read as `&str` wherever text is wanted, but one cannot be passed where the other
//! is expected:
//!
//! ```compile_fail
//! use mentorhub::domain::ids::{BookingId, UserId};
//! fn cancel(_booking: &BookingId) {}
//! cancel(&UserId::new()); // a person's id where a booking's is wanted
//! ```
//!
//! ```
//! use mentorhub::domain::ids::{BookingId, UserId};
//! fn cancel(_booking: &BookingId) {}
//! cancel(&BookingId::new());
//! let who = UserId::new();
//! let text: &str = &who; // still text where text is wanted
//! assert_eq!(text.len(), 36);
//! ```

use uuid::Uuid;

/// A new, time-ordered id.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// A time-ordered id as if made at `micros` (microseconds since the Unix epoch): for
/// data made now that stands for the past (the demo's back-dated members), so lists in
/// id order are in the order of their dates.
pub fn id_made_at(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000).max(0) as u64;
    let nanos = (micros.rem_euclid(1_000_000) * 1_000) as u32;
    Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos)).to_string()
}

/// Parses an id from a path or body; anything that is not a UUID is "no such thing".
pub fn parse_id(raw: &str) -> Option<String> {
    Uuid::parse_str(raw).ok().map(|u| u.to_string())
}

/// Declares an id type: a UUID string that reads as `&str` where text is wanted
/// (formatting, binding, comparing), but cannot be passed where another kind of id is
/// expected.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(new_id())
            }

            /// Parses an id from a path or body (`None`: not an id at all).
            pub fn parse(raw: &str) -> Option<Self> {
                parse_id(raw).map(Self)
            }

            /// An id from text already known to be one (read from the store, or parsed).
            pub fn trusted(raw: String) -> Self {
                Self(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
    };
}

id_type!(
    /// A person's account.
    UserId
);
id_type!(
    /// A booking.
    BookingId
);
