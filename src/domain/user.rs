//! Accounts: email, password, roles, time zone and the profile fields a user edits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The address a closed account's email becomes (`deleted-{id}@deleted.invalid`): the
/// account is erased, and pages speak of it as "Deleted user", with nothing of theirs.
pub fn erased_email(id: &str) -> String {
    format!("deleted-{id}@deleted.invalid")
}

/// Whether an account's email says it was closed (see [`erased_email`]).
pub fn is_erased(email: &str) -> bool {
    email.starts_with("deleted-") && email.ends_with("@deleted.invalid")
}

/// A syntactically valid email address, trimmed and lower-cased (addresses are
/// compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trimmed, lower case, and with full-width forms folded to ASCII (`ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ`
    /// is `ada@example.com`, as an input method may type it): one address cannot be
    /// registered twice in two widths, nor sign in as someone it only looks like.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let v: String = raw
            .chars()
            .map(|c| match c {
                // Full-width ASCII (U+FF01–U+FF5E) sits 0xFEE0 above ASCII.
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect();
        let v = v.trim().to_lowercase();
        let bad = |msg: &str| FieldError::new("email", "invalid_email", msg);
        if v.is_empty() {
            return Err(FieldError::new("email", "required", "Email is required."));
        }
        if v.len() > 254 {
            return Err(bad("An email address has at most 254 characters."));
        }
        let (local, domain) = v
            .rsplit_once('@')
            .ok_or_else(|| bad("An email address looks like name@example.com."))?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c));
        if !domain_ok || !local_ok {
            return Err(bad("An email address looks like name@example.com."));
        }
        Ok(Self(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy: 8 to 128 characters, never truncated.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n < Self::MIN {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("Use at least {} characters.", Self::MIN),
            ));
        }
        if n > Self::MAX {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("Use at most {} characters.", Self::MAX),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// What a user may do. Everyone is a mentee; mentors and admins have more.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Mentee,
    Mentor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Mentee, Role::Mentor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mentee => "mentee",
            Role::Mentor => "mentor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// A set of roles, stored as `,mentee,mentor,` so that `LIKE '%,mentor,%'` finds it on
/// every database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    pub fn has(&self, r: Role) -> bool {
        self.0.contains(&r)
    }

    pub fn list(&self) -> &[Role] {
        &self.0
    }

    pub fn to_db(&self) -> String {
        let mut s = String::from(",");
        for r in &self.0 {
            s.push_str(r.as_str());
            s.push(',');
        }
        s
    }

    pub fn from_db(raw: &str) -> Self {
        Self::new(raw.split(',').filter_map(Role::parse).collect())
    }

    /// The pattern that finds users holding `r` with `LIKE`.
    pub fn like_pattern(r: Role) -> String {
        format!("%,{},%", r.as_str())
    }
}

/// Old names of zones that browsers still report (their time zone data follows CLDR,
/// which kept some names the IANA database has since replaced), and other old names
/// people meet, with the zone's current name: the same clocks, the name the pickers
/// list. Each old name is a link to the new one in the IANA database.
const ZONE_RENAMES: &[(&str, &str)] = &[
    ("Africa/Asmera", "Africa/Asmara"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("America/Catamarca", "America/Argentina/Catamarca"),
    ("America/Coral_Harbour", "America/Atikokan"),
    ("America/Cordoba", "America/Argentina/Cordoba"),
    ("America/Godthab", "America/Nuuk"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("America/Jujuy", "America/Argentina/Jujuy"),
    ("America/Louisville", "America/Kentucky/Louisville"),
    ("America/Mendoza", "America/Argentina/Mendoza"),
    ("America/Montreal", "America/Toronto"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Chongqing", "Asia/Shanghai"),
    ("Asia/Chungking", "Asia/Shanghai"),
    ("Asia/Dacca", "Asia/Dhaka"),
    ("Asia/Harbin", "Asia/Shanghai"),
    ("Asia/Istanbul", "Europe/Istanbul"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Macao", "Asia/Macau"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Asia/Tel_Aviv", "Asia/Jerusalem"),
    ("Asia/Thimbu", "Asia/Thimphu"),
    ("Asia/Ujung_Pandang", "Asia/Makassar"),
    ("Asia/Ulan_Bator", "Asia/Ulaanbaatar"),
    ("Atlantic/Faeroe", "Atlantic/Faroe"),
    ("Australia/Canberra", "Australia/Sydney"),
    ("Europe/Belfast", "Europe/London"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Europe/Uzhgorod", "Europe/Kyiv"),
    ("Europe/Zaporozhye", "Europe/Kyiv"),
    ("Pacific/Enderbury", "Pacific/Kanton"),
    ("Pacific/Ponape", "Pacific/Pohnpei"),
    ("Pacific/Truk", "Pacific/Chuuk"),
];

/// The current name of the zone `name` (itself when it is not an old one).
pub fn current_zone_name(name: &str) -> &str {
    ZONE_RENAMES
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |(_, new)| new)
}

/// A valid IANA time zone name such as `Europe/Paris` (or `UTC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim();
        let bad = || {
            FieldError::new(
                field,
                "invalid_timezone",
                "Must be an IANA time zone name such as Europe/Paris or America/New_York.",
            )
        };
        if v.is_empty() || v.len() > 64 {
            return Err(bad());
        }
        let tz = jiff::tz::TimeZone::get(v).map_err(|_| bad())?;
        // Canonical spelling as the database knows it (e.g. "utc" → "UTC"), and a
        // zone's current name for an old one a browser still reports.
        let name = tz.iana_name().unwrap_or(v);
        Ok(Self(current_zone_name(name).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A zone an input may give (`None` when it gives none), checked and spelt as the
    /// database knows it.
    pub fn optional(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
        raw.map(|r| Self::parse(field, r).map(|z| z.0)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_zone_names_become_the_current_ones_with_the_same_clocks() {
        let now = jiff::Timestamp::from_second(1_780_000_000).unwrap();
        for (old, new) in ZONE_RENAMES {
            let (a, b) = (
                jiff::tz::TimeZone::get(old).unwrap_or_else(|_| panic!("{old}")),
                jiff::tz::TimeZone::get(new).unwrap_or_else(|_| panic!("{new}")),
            );
            assert_eq!(a.to_offset(now), b.to_offset(now), "{old} → {new}");
            assert_eq!(current_zone_name(new), *new, "{new} is current");
        }
        assert_eq!(
            TimeZoneName::parse("timezone", "Asia/Calcutta")
                .unwrap()
                .as_str(),
            "Asia/Kolkata"
        );
        assert_eq!(
            TimeZoneName::parse("timezone", "Europe/Paris")
                .unwrap()
                .as_str(),
            "Europe/Paris"
        );
    }

    #[test]
    fn emails_normalise_and_reject() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for wide in [
            "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "ＡＤＡ@example.com",
            "\u{3000}ada@example.com",
        ] {
            assert_eq!(
                Email::parse(wide).unwrap().as_str(),
                "ada@example.com",
                "{wide}"
            );
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@exa..mple.com",
            "<script>@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy_counts_characters() {
        assert!(Password::parse("p", "1234567").is_err());
        assert!(Password::parse("p", "12345678").is_ok());
        assert!(Password::parse("p", &"é".repeat(128)).is_ok());
        assert!(Password::parse("p", &"a".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("p", "secretpassword").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn roles_round_trip() {
        let r = Roles::new(vec![Role::Mentor, Role::Mentee, Role::Mentor]);
        assert_eq!(r.to_db(), ",mentee,mentor,");
        assert_eq!(Roles::from_db(",mentee,mentor,"), r);
        assert!(r.has(Role::Mentor) && !r.has(Role::Admin));
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            TimeZoneName::parse("tz", "Europe/Paris").unwrap().as_str(),
            "Europe/Paris"
        );
        assert!(TimeZoneName::parse("tz", "Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("tz", "").is_err());
        assert!(TimeZoneName::parse("tz", "Asia/Kolkata").is_ok());
    }
}
