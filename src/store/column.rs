//! Columns decoded once, at the store's edge.
//!
//! One pool serves both engines, so the database speaks a small common vocabulary:
//! TEXT, BIGINT and DOUBLE (see the module docs of [`crate::store`]). Rows declared with
//! [`row!`](crate::store::row) turn that vocabulary into the types the rest of the code
//! reasons with — `bool` for a 0/1 flag, [`Timestamp`] for microseconds, status enums
//! for status words, parsed JSON for JSON text — so nothing above the store sees the
//! storage encoding. A value that does not decode (a flag of 2, an unknown status, JSON
//! that does not parse) is an error naming the column, never a guess.

use jiff::Timestamp;
use sqlx::{Any, Row, any::AnyRow};

/// A value as the code sees it, and the column type it is stored as.
pub trait Column: Sized {
    type Stored: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql;
    fn decode(stored: Self::Stored) -> Result<Self, String>;
    /// The value as it is written (for binding a typed value back).
    fn stored(&self) -> Self::Stored;
}

/// Reads the column `name` of `row` as a `T`.
pub fn get<T: Column>(row: &AnyRow, name: &str) -> sqlx::Result<T> {
    let stored: T::Stored = row.try_get(name)?;
    T::decode(stored).map_err(|reason| sqlx::Error::ColumnDecode {
        index: name.to_string(),
        source: reason.into(),
    })
}

/// Reads the column `name` of a row of a native SQLite connection
/// ([`crate::store::native`]) as a `T`, with the same decoding as [`get`].
pub fn get_native<T: Column>(row: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<T> {
    let stored: T::Stored = row.get(name)?;
    T::decode(stored).map_err(|reason| {
        let index = row.as_ref().column_index(name).unwrap_or_default();
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Null,
            format!("column {name}: {reason}").into(),
        )
    })
}

/// An instant read outside a declared row (a tuple of a union query).
pub fn instant(us: i64, column: &str) -> sqlx::Result<Timestamp> {
    Timestamp::decode(us).map_err(|reason| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: reason.into(),
    })
}

/// Declares a row struct and how it is read: every field is decoded with [`Column`]
/// from the column of the same name.
#[macro_export]
#[doc(hidden)]
macro_rules! __store_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl<'r> ::sqlx::FromRow<'r, ::sqlx::any::AnyRow> for $name {
            fn from_row(row: &'r ::sqlx::any::AnyRow) -> ::sqlx::Result<Self> {
                Ok(Self {
                    $($field: $crate::store::column::get(row, stringify!($field))?,)*
                })
            }
        }

        impl $crate::store::native::FromNative for $name {
            fn from_native(row: &::rusqlite::Row<'_>) -> ::rusqlite::Result<Self> {
                Ok(Self {
                    $($field: $crate::store::column::get_native(row, stringify!($field))?,)*
                })
            }
        }
    };
}
pub use crate::__store_row as row;

/// Types stored as themselves.
macro_rules! as_is {
    ($($t:ty),*) => {$(
        impl Column for $t {
            type Stored = $t;
            fn decode(stored: $t) -> Result<Self, String> {
                Ok(stored)
            }
            fn stored(&self) -> $t {
                self.clone()
            }
        }
    )*};
}
as_is!(String, Option<String>, i64, Option<i64>, f64, Option<f64>);

/// Ids are TEXT.
macro_rules! ids {
    ($($t:ty),* $(,)?) => {$(
        impl Column for $t {
            type Stored = String;
            fn decode(stored: String) -> Result<Self, String> {
                Ok(<$t>::trusted(stored))
            }
            fn stored(&self) -> String {
                self.as_str().to_string()
            }
        }

        impl Column for Option<$t> {
            type Stored = Option<String>;
            fn decode(stored: Option<String>) -> Result<Self, String> {
                Ok(stored.map(<$t>::trusted))
            }
            fn stored(&self) -> Option<String> {
                self.as_ref().map(|id| id.as_str().to_string())
            }
        }
    )*};
}
ids!(crate::domain::ids::UserId, crate::domain::ids::BookingId);

/// A flag is BIGINT 0 or 1.
impl Column for bool {
    type Stored = i64;
    fn decode(stored: i64) -> Result<Self, String> {
        match stored {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("a flag must be 0 or 1, not {other}")),
        }
    }
    fn stored(&self) -> i64 {
        i64::from(*self)
    }
}

impl Column for Option<bool> {
    type Stored = Option<i64>;
    fn decode(stored: Option<i64>) -> Result<Self, String> {
        stored.map(bool::decode).transpose()
    }
    fn stored(&self) -> Option<i64> {
        self.map(i64::from)
    }
}

/// An instant is BIGINT microseconds since the Unix epoch.
impl Column for Timestamp {
    type Stored = i64;
    fn decode(stored: i64) -> Result<Self, String> {
        Timestamp::from_microsecond(stored)
            .map_err(|_| format!("{stored} µs is outside the representable instants"))
    }
    fn stored(&self) -> i64 {
        self.as_microsecond()
    }
}

impl Column for Option<Timestamp> {
    type Stored = Option<i64>;
    fn decode(stored: Option<i64>) -> Result<Self, String> {
        stored.map(Timestamp::decode).transpose()
    }
    fn stored(&self) -> Option<i64> {
        self.map(|t| t.as_microsecond())
    }
}

/// Closed vocabularies stored as their word (`as_str` / `parse` in `domain`).
macro_rules! words {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl Column for $t {
            type Stored = String;
            fn decode(stored: String) -> Result<Self, String> {
                <$t>::parse(&stored).ok_or_else(|| format!("unknown {} {stored:?}", $what))
            }
            fn stored(&self) -> String {
                self.as_str().to_string()
            }
        }
    )*};
}
words!(
    crate::domain::booking::BookingStatus => "booking status",
    crate::domain::mentor::ServiceKind => "service kind",
    crate::domain::article::ArticleStatus => "article status",
    crate::domain::mentorship::MentorshipStatus => "mentorship status",
    crate::domain::payment::PaymentStatus => "payment status",
    crate::domain::mentor::MentorStatus => "mentor status",
    crate::domain::report::ReportStatus => "report status",
    crate::domain::credit::CreditRequestStatus => "credit request status",
    crate::domain::group::GroupStatus => "group session status",
    crate::domain::group::SeatStatus => "seat status",
    crate::domain::program::ProgramStatus => "program status",
    crate::domain::dispute::DisputeStatus => "dispute status",
);

impl Column for crate::domain::article::Visibility {
    type Stored = String;
    fn decode(stored: String) -> Result<Self, String> {
        Self::parse(&stored).map_err(|_| format!("unknown visibility {stored:?}"))
    }
    fn stored(&self) -> String {
        self.as_str().to_string()
    }
}

/// JSON documents stored as TEXT.
macro_rules! json {
    ($($t:ty),* $(,)?) => {$(
        impl Column for $t {
            type Stored = String;
            fn decode(stored: String) -> Result<Self, String> {
                serde_json::from_str(&stored).map_err(|e| format!("unreadable JSON: {e}"))
            }
            fn stored(&self) -> String {
                serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
            }
        }
    )*};
}
json!(
    serde_json::Value,
    Vec<String>,
    Vec<crate::domain::mentor::ExperienceEntry>,
    Vec<crate::domain::availability::RuleIo>,
    Vec<crate::domain::availability::OverrideIo>,
    Vec<crate::domain::program::Question>,
    Vec<crate::domain::program::Goal>,
    Vec<Vec<String>>,
);

/// Optional JSON documents (the columns of an outer join).
macro_rules! optional_json {
    ($($t:ty),* $(,)?) => {$(
        impl Column for Option<$t> {
            type Stored = Option<String>;
            fn decode(stored: Option<String>) -> Result<Self, String> {
                stored.map(<$t>::decode).transpose()
            }
            fn stored(&self) -> Option<String> {
                self.as_ref().map(<$t>::stored)
            }
        }
    )*};
}
optional_json!(
    Vec<crate::domain::availability::RuleIo>,
    Vec<crate::domain::availability::OverrideIo>,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::BookingStatus;

    #[test]
    fn flags_are_zero_or_one_and_nothing_else() {
        assert_eq!(bool::decode(0), Ok(false));
        assert_eq!(bool::decode(1), Ok(true));
        assert!(bool::decode(2).is_err());
        assert!(bool::decode(-1).is_err());
    }

    #[test]
    fn instants_round_trip_and_refuse_the_unrepresentable() {
        let t = Timestamp::from_microsecond(1_700_000_000_123_456).unwrap();
        assert_eq!(Timestamp::decode(t.as_microsecond()), Ok(t));
        assert!(Timestamp::decode(i64::MAX).is_err());
        assert_eq!(Option::<Timestamp>::decode(None), Ok(None));
    }

    #[test]
    fn an_unknown_word_is_an_error_not_a_guess() {
        assert_eq!(
            BookingStatus::decode("no_show".into()),
            Ok(BookingStatus::NoShow)
        );
        let err = BookingStatus::decode("canceled".into()).unwrap_err();
        assert!(err.contains("canceled"), "{err}");
    }

    #[test]
    fn json_that_does_not_parse_is_an_error() {
        assert_eq!(
            Vec::<String>::decode(r#"["a","b"]"#.into()),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
        assert!(Vec::<String>::decode("[1,".into()).is_err());
    }
}
