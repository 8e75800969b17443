//! Mentors: application status, profile input rules, tags, services.

use serde::{Deserialize, Serialize};

use super::text;
use crate::error::{FieldError, Validator};

/// Where a mentor application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MentorStatus {
    /// Signed up as a mentor; the profile is not filled in yet.
    Draft,
    Pending,
    Approved,
    Rejected,
    Suspended,
}

impl MentorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MentorStatus::Draft => "draft",
            MentorStatus::Pending => "pending",
            MentorStatus::Approved => "approved",
            MentorStatus::Rejected => "rejected",
            MentorStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MentorStatus::Draft,
            MentorStatus::Pending,
            MentorStatus::Approved,
            MentorStatus::Rejected,
            MentorStatus::Suspended,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

pub const MAX_TAGS: usize = 20;
pub const TAG_MAX_CHARS: usize = 40;

/// Normalises one tag: trimmed, lower-case, inner whitespace collapsed.
pub fn normalize_tag(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Normalises a list of tags (deduplicated, order kept) and checks its limits.
pub fn tags(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    entries(field, raw, normalize_tag, MAX_TAGS)
}

/// [`tags`] with a list of at most `max` (an article's ten), one message whatever the
/// count sent.
pub fn tags_up_to(field: &str, raw: &[String], max: usize) -> Result<Vec<String>, FieldError> {
    entries(field, raw, normalize_tag, max.min(MAX_TAGS))
}

/// A list of a person's own phrases (a mentee's goals: "Get a UX job"): spaces
/// tidied, their case kept, the same phrase in another case once, the limits of tags.
pub fn phrases(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out = entries(
        field,
        raw,
        |t| t.split_whitespace().collect::<Vec<_>>().join(" "),
        MAX_TAGS,
    )?;
    let mut seen = Vec::new();
    out.retain(|p| {
        let key = p.to_lowercase();
        let first = !seen.contains(&key);
        seen.push(key);
        first
    });
    Ok(out)
}

fn entries(
    field: &str,
    raw: &[String],
    tidy: impl Fn(&str) -> String,
    max: usize,
) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = tidy(t);
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > TAG_MAX_CHARS || t.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "invalid_tag",
                format!(
                    "“{}” is too long or holds a control character: each entry has at most \
                     {TAG_MAX_CHARS} characters.",
                    super::text::clipped(
                        &t.chars().filter(|c| !c.is_control()).collect::<String>(),
                        48
                    )
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > max {
        return Err(FieldError::new(
            field,
            "too_many",
            format!("At most {max} entries."),
        ));
    }
    Ok(out)
}

/// One past or current position on a mentor's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperienceEntry {
    pub company: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `YYYY-MM-DD`; absent or empty for a current position.
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub description: String,
}

fn date(field: &str, raw: &str) -> Result<jiff::civil::Date, FieldError> {
    raw.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| FieldError::new(field, "invalid_date", "Use a date like 2021-09-01."))
}

/// Checks work history: each entry with a company, a title and a start date; an end
/// date (none for a current position) after the start. Neither date comes after
/// `today` (the latest date it is anywhere): a position is listed once it has
/// started, and one still held has no end yet.
pub fn experience(
    entries: &[ExperienceEntry],
    today: jiff::civil::Date,
    v: &mut Validator,
) -> Vec<ExperienceEntry> {
    if entries.len() > 30 {
        v.push(FieldError::new(
            "experience",
            "too_many",
            "At most 30 entries.",
        ));
        return vec![];
    }
    let mut out = vec![];
    for (i, e) in entries.iter().enumerate() {
        let f = |name: &str| format!("experience[{i}].{name}");
        let company = v.check(text::required_line(&f("company"), &e.company, 120));
        let title = v.check(text::required_line(&f("title"), &e.title, 120));
        let description = v.check(text::optional_text(&f("description"), &e.description, 2000));
        let start = v.check(date(&f("start_date"), &e.start_date));
        let end = match e
            .end_date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(raw) => v.check(date(&f("end_date"), raw)).map(Some),
        };
        if let Some(s) = start
            && s > today
        {
            v.push(FieldError::new(
                &f("start_date"),
                "in_the_future",
                "The start date is in the future: add the position once it has started.",
            ));
            continue;
        }
        if let Some(Some(en)) = end
            && en > today
        {
            v.push(FieldError::new(
                &f("end_date"),
                "in_the_future",
                "The end date is in the future: leave it empty for a position you hold now.",
            ));
            continue;
        }
        if let (Some(s), Some(Some(en))) = (start, end)
            && en < s
        {
            v.push(FieldError::new(
                &f("end_date"),
                "before_start",
                "The end date is before the start date.",
            ));
            continue;
        }
        if let (Some(company), Some(title), Some(description), Some(start), Some(end)) =
            (company, title, description, start, end)
        {
            out.push(ExperienceEntry {
                company,
                title,
                start_date: start.to_string(),
                end_date: end.map(|d| d.to_string()),
                description,
            });
        }
    }
    out
}

/// What a mentor offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Session,
    ResumeReview,
    LinkedinReview,
    Custom,
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Session => "session",
            ServiceKind::ResumeReview => "resume_review",
            ServiceKind::LinkedinReview => "linkedin_review",
            ServiceKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ServiceKind::Session,
            ServiceKind::ResumeReview,
            ServiceKind::LinkedinReview,
            ServiceKind::Custom,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// What the kind is, for people.
    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::Session => "Video call",
            ServiceKind::ResumeReview => "Résumé review",
            ServiceKind::LinkedinReview => "LinkedIn review",
            ServiceKind::Custom => "Custom session",
        }
    }

    /// Reviews are delivered by a deadline instead of met at a time.
    pub fn is_review(self) -> bool {
        matches!(
            self,
            ServiceKind::ResumeReview | ServiceKind::LinkedinReview
        )
    }
}

/// Limits on numbers a mentor sets.
pub const MAX_HOURLY_RATE: i64 = 100_000;
pub const MAX_MENTEES_LIMIT: i64 = 500;
pub const MIN_DURATION: i64 = 15;
pub const MAX_DURATION: i64 = 8 * 60;

pub fn hourly_rate(v: i64) -> Result<i64, FieldError> {
    if (0..=MAX_HOURLY_RATE).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            "hourly_rate",
            "out_of_range",
            format!("The hourly rate is between 0 and {MAX_HOURLY_RATE} credits."),
        ))
    }
}

pub fn max_mentees(v: i64) -> Result<i64, FieldError> {
    if (1..=MAX_MENTEES_LIMIT).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            "max_mentees",
            "out_of_range",
            format!("The number of mentees at once is between 1 and {MAX_MENTEES_LIMIT}."),
        ))
    }
}

pub fn duration(v: i64) -> Result<i64, FieldError> {
    if (MIN_DURATION..=MAX_DURATION).contains(&v) && v % 5 == 0 {
        Ok(v)
    } else {
        Err(FieldError::new(
            "duration_minutes",
            "out_of_range",
            format!("A duration is {MIN_DURATION} to {MAX_DURATION} minutes, in steps of 5."),
        ))
    }
}

pub fn credit_cost(v: i64) -> Result<i64, FieldError> {
    if (0..=MAX_HOURLY_RATE).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            "credit_cost",
            "out_of_range",
            format!("A cost is between 0 and {MAX_HOURLY_RATE} credits."),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn phrases_keep_their_case_and_come_once() {
        let raw = [
            "Get a  UX job".to_string(),
            "get a ux job".into(),
            " ".into(),
            "Learn Rust".into(),
        ];
        assert_eq!(
            super::phrases("goals", &raw).unwrap(),
            ["Get a UX job", "Learn Rust"]
        );
        assert_eq!(
            super::tags("skills", &raw).unwrap(),
            ["get a ux job", "learn rust"]
        );
    }

    use super::*;

    #[test]
    fn tags_normalise_and_dedupe() {
        let got = tags(
            "skills",
            &[
                "  Rust ".into(),
                "rust".into(),
                "Distributed   Systems".into(),
                "".into(),
            ],
        )
        .unwrap();
        assert_eq!(got, ["rust", "distributed systems"]);
        // A shorter list says its own limit, however far past it the list goes.
        for n in [11, 15, 30] {
            let many: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
            let e = tags_up_to("tags", &many, 10).unwrap_err();
            assert_eq!(e.message, "At most 10 entries.", "{n}");
        }
        assert_eq!(tags_up_to("tags", &["a".into()], 10).unwrap(), ["a"]);
        assert!(
            tags(
                "skills",
                &vec!["x".to_string(); 1]
                    .iter()
                    .cycle()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
            )
            .is_ok()
        );
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(tags("skills", &many).unwrap_err().code, "too_many");
        assert_eq!(
            tags("skills", &["a".repeat(41)]).unwrap_err().code,
            "invalid_tag"
        );
    }

    #[test]
    fn experience_dates_are_checked() {
        let mut v = Validator::new();
        let got = experience(
            &[ExperienceEntry {
                company: "Acme".into(),
                title: "Engineer".into(),
                start_date: "2020-01-01".into(),
                end_date: Some("2019-01-01".into()),
                description: String::new(),
            }],
            jiff::civil::date(2026, 3, 2),
            &mut v,
        );
        assert!(got.is_empty());
        assert!(v.finish().is_err());
        let mut v = Validator::new();
        let got = experience(
            &[ExperienceEntry {
                company: "Acme".into(),
                title: "Engineer".into(),
                start_date: "2020-01-01".into(),
                end_date: Some("".into()),
                description: String::new(),
            }],
            jiff::civil::date(2026, 3, 2),
            &mut v,
        );
        assert!(v.finish().is_ok());
        assert_eq!(got[0].end_date, None);
        // Dates after today are refused, each on its field.
        for (start, end, field) in [
            ("2030-01-01", "", "experience[0].start_date"),
            ("2020-01-01", "2026-03-03", "experience[0].end_date"),
        ] {
            let mut v = Validator::new();
            let got = experience(
                &[ExperienceEntry {
                    company: "Acme".into(),
                    title: "Engineer".into(),
                    start_date: start.into(),
                    end_date: Some(end.into()),
                    description: String::new(),
                }],
                jiff::civil::date(2026, 3, 2),
                &mut v,
            );
            assert!(got.is_empty());
            match v.finish() {
                Err(crate::error::AppError::Invalid(e)) => {
                    assert_eq!(
                        (e[0].field.as_str(), e[0].code.as_str()),
                        (field, "in_the_future")
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn numbers_have_ranges() {
        assert!(hourly_rate(-1).is_err() && hourly_rate(0).is_ok());
        assert!(max_mentees(0).is_err() && max_mentees(3).is_ok());
        assert!(duration(60).is_ok() && duration(61).is_err() && duration(10).is_err());
    }
}
