//! Mentorship programs: what a program is (its windows, who may join, its budget and
//! intake questions, goals and agendas), its life cycle, the answers an intake takes,
//! and the built-in templates.
//!
//! `draft → open → running → completed`; `draft`, `open` or `running → cancelled`.
//! A draft is invisible to members; an open program takes applications (within its
//! application window) and mentors' opt-ins; a running one has its mentorships; a
//! completed one returns its mentees' unspent sponsored credits to its funding account.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mentor::{normalize_tag, tags};
use crate::error::FieldError;

/// Where a program is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStatus {
    Draft,
    Open,
    Running,
    Completed,
    Cancelled,
}

impl ProgramStatus {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Open,
        Self::Running,
        Self::Completed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Completed or cancelled: nothing changes any more.
    pub fn is_over(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
}

/// A change of a program's state, as a manager or admin asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramAction {
    /// Publish a draft: members see it, mentors opt in, mentees apply.
    Open,
    /// Start the running window.
    Start,
    Complete,
    Cancel,
}

impl ProgramAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Self::Open),
            "start" => Some(Self::Start),
            "complete" => Some(Self::Complete),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Start => "start",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }
}

/// The state machine: the state `action` leads to from `from`, or `None` when it
/// does not apply there.
pub fn transition(from: ProgramStatus, action: ProgramAction) -> Option<ProgramStatus> {
    use ProgramAction as A;
    use ProgramStatus as S;
    match (from, action) {
        (S::Draft, A::Open) => Some(S::Open),
        (S::Open, A::Start) => Some(S::Running),
        (S::Running, A::Complete) => Some(S::Completed),
        (S::Draft | S::Open | S::Running, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

/// Who may join a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinRule {
    /// Anyone signed in.
    Anyone,
    /// Whoever has the invite code.
    Invite(String),
    /// Whoever's email address is at this domain (or a subdomain of it).
    Domain(String),
}

impl JoinRule {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Anyone => "anyone",
            Self::Invite(_) => "invite",
            Self::Domain(_) => "domain",
        }
    }

    /// Rebuilds a stored rule.
    pub fn from_stored(kind: &str, code: &str, domain: &str) -> Self {
        match kind {
            "invite" => Self::Invite(code.to_string()),
            "domain" => Self::Domain(domain.to_string()),
            _ => Self::Anyone,
        }
    }

    /// Whether a member with this email (and the code they gave, if any) may join.
    pub fn admits(&self, email: &str, code: Option<&str>) -> bool {
        match self {
            Self::Anyone => true,
            // A code is read out and typed again: its letters' case does not count.
            Self::Invite(c) => {
                code.is_some_and(|given| given.trim().to_lowercase() == c.trim().to_lowercase())
            }
            Self::Domain(d) => email
                .rsplit_once('@')
                .map(|(_, host)| host.to_ascii_lowercase())
                .is_some_and(|host| host == *d || host.ends_with(&format!(".{d}"))),
        }
    }
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A line or a paragraph of text.
    Text,
    /// One of the options.
    Single,
    /// Any of the options.
    Multiple,
    /// Skills as tags (matched against mentors' expertise).
    Skills,
}

/// An intake question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// A short key (`a-z`, `0-9`, `_`), unique in the form; made from the position
    /// when left out.
    #[serde(default)]
    pub id: String,
    pub prompt: String,
    pub kind: QuestionKind,
    /// The choices of a `single` or `multiple` question.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A goal of a program mentorship, with its milestones in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub title: String,
    #[serde(default)]
    pub milestones: Vec<String>,
}

pub const MAX_QUESTIONS: usize = 20;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_GOALS: usize = 10;
pub const MAX_MILESTONES: usize = 20;
/// Agendas for at most this many sessions, each with at most [`MAX_TOPICS`] topics.
pub const MAX_AGENDAS: usize = 26;
pub const MAX_TOPICS: usize = 10;
pub const MAX_CAPACITY: i64 = 50;
pub const MAX_SESSIONS_EXPECTED: i64 = 100;
pub const MAX_BUDGET: i64 = 100_000;
/// A mentee ranks at most this many mentors.
pub const MAX_CHOICES: usize = 3;

/// A program as an admin asks to create or change it, fields as sent (after any
/// template filled what was left out).
#[derive(Debug, Clone, Default)]
pub struct RawProgram<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub join_rule: Option<&'a str>,
    pub invite_code: Option<&'a str>,
    pub email_domain: Option<&'a str>,
    pub applications_open_at: Option<&'a str>,
    pub applications_close_at: Option<&'a str>,
    pub starts_at: Option<&'a str>,
    pub ends_at: Option<&'a str>,
    pub mentor_capacity: Option<i64>,
    pub sessions_expected: Option<i64>,
    pub budget_per_mentee: Option<i64>,
    pub self_matching: bool,
    pub mentee_questions: &'a [Question],
    pub mentor_questions: &'a [Question],
    pub goals: &'a [Goal],
    pub agendas: &'a [Vec<String>],
}

/// A checked program.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub name: String,
    pub description: String,
    pub join_rule: JoinRule,
    pub applications_open_at: Timestamp,
    pub applications_close_at: Timestamp,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub mentor_capacity: i64,
    pub sessions_expected: i64,
    pub budget_per_mentee: i64,
    pub self_matching: bool,
    pub mentee_questions: Vec<Question>,
    pub mentor_questions: Vec<Question>,
    pub goals: Vec<Goal>,
    pub agendas: Vec<Vec<String>>,
}

fn instant(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Timestamp> {
    let Some(raw) = raw else {
        errors.push(FieldError::new(field, "required", "Give a date and time."));
        return None;
    };
    match crate::clock::parse_instant(raw) {
        Ok(t) => Some(t),
        Err(why) => {
            errors.push(FieldError::new(field, "invalid_datetime", why.message()));
            None
        }
    }
}

fn bounded(
    field: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
    errors: &mut Vec<FieldError>,
) -> i64 {
    if !range.contains(&value) {
        errors.push(FieldError::new(
            field,
            "invalid_number",
            format!(
                "Enter a whole number from {} to {}.",
                super::text::grouped(*range.start()),
                super::text::grouped(*range.end())
            ),
        ));
    }
    value
}

/// A line of 1 to `max` characters, trimmed, without control characters.
fn line(raw: &str, max: usize) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control))
        .then(|| t.to_string())
}

/// Checks a form's questions: ids made or checked, options for choices only.
pub fn check_questions(field: &str, raw: &[Question]) -> Result<Vec<Question>, FieldError> {
    let wrong = |message: String| FieldError::new(field, "invalid_question", message);
    if raw.len() > MAX_QUESTIONS {
        return Err(wrong(format!("At most {MAX_QUESTIONS} questions.")));
    }
    let mut out: Vec<Question> = Vec::with_capacity(raw.len());
    for (n, q) in raw.iter().enumerate() {
        let at = n + 1;
        let id = if q.id.trim().is_empty() {
            format!("q{at}")
        } else {
            q.id.trim().to_string()
        };
        if id.len() > 40
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(wrong(format!(
                "Question {at}: its id is up to 40 of a-z, 0-9 and _."
            )));
        }
        if out.iter().any(|o| o.id == id) {
            return Err(wrong(format!(
                "Question {at}: the id `{id}` is used twice."
            )));
        }
        let Some(prompt) = line(&q.prompt, 300) else {
            return Err(wrong(format!(
                "Question {at}: the question has 1 to 300 characters."
            )));
        };
        let choices = matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple);
        let mut options: Vec<String> = Vec::new();
        for o in &q.options {
            let Some(o) = line(o, 100) else {
                return Err(wrong(format!(
                    "Question {at}: each option has 1 to 100 characters."
                )));
            };
            if !options.contains(&o) {
                options.push(o);
            }
        }
        if choices && !(2..=MAX_OPTIONS).contains(&options.len()) {
            return Err(wrong(format!(
                "Question {at}: a choice offers 2 to {MAX_OPTIONS} different options."
            )));
        }
        if !choices && !options.is_empty() {
            return Err(wrong(format!(
                "Question {at}: only single and multiple choice questions have options."
            )));
        }
        out.push(Question {
            id,
            prompt,
            kind: q.kind,
            options,
            required: q.required,
        });
    }
    Ok(out)
}

fn check_goals(raw: &[Goal]) -> Result<Vec<Goal>, FieldError> {
    let wrong = |message: String| FieldError::new("goals", "invalid_goal", message);
    if raw.len() > MAX_GOALS {
        return Err(wrong(format!("At most {MAX_GOALS} goals.")));
    }
    raw.iter()
        .enumerate()
        .map(|(n, g)| {
            let at = n + 1;
            let title = line(&g.title, 200)
                .ok_or_else(|| wrong(format!("Goal {at}: a title of 1 to 200 characters.")))?;
            if g.milestones.len() > MAX_MILESTONES {
                return Err(wrong(format!(
                    "Goal {at}: at most {MAX_MILESTONES} milestones."
                )));
            }
            let milestones = g
                .milestones
                .iter()
                .map(|m| {
                    line(m, 200).ok_or_else(|| {
                        wrong(format!(
                            "Goal {at}: each milestone has 1 to 200 characters."
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(Goal { title, milestones })
        })
        .collect()
}

fn check_agendas(raw: &[Vec<String>]) -> Result<Vec<Vec<String>>, FieldError> {
    let wrong = |message: String| FieldError::new("agendas", "invalid_agenda", message);
    if raw.len() > MAX_AGENDAS {
        return Err(wrong(format!(
            "Agendas for at most {MAX_AGENDAS} sessions."
        )));
    }
    raw.iter()
        .enumerate()
        .map(|(n, topics)| {
            if topics.is_empty() || topics.len() > MAX_TOPICS {
                return Err(wrong(format!(
                    "Session {}: 1 to {MAX_TOPICS} topics.",
                    n + 1
                )));
            }
            topics
                .iter()
                .map(|t| {
                    line(t, 200).ok_or_else(|| {
                        wrong(format!(
                            "Session {}: each topic has 1 to 200 characters.",
                            n + 1
                        ))
                    })
                })
                .collect()
        })
        .collect()
}

fn join_rule(raw: &RawProgram<'_>, errors: &mut Vec<FieldError>) -> Option<JoinRule> {
    match raw.join_rule.unwrap_or("anyone") {
        "anyone" => Some(JoinRule::Anyone),
        "invite" => {
            let code = raw.invite_code.unwrap_or("").trim();
            if (4..=40).contains(&code.len())
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Some(JoinRule::Invite(code.to_string()))
            } else {
                errors.push(FieldError::new(
                    "invite_code",
                    "invalid_code",
                    "An invite code is 4 to 40 letters, digits, - or _.",
                ));
                None
            }
        }
        "domain" => {
            let d = raw
                .email_domain
                .unwrap_or("")
                .trim()
                .trim_start_matches('@')
                .to_ascii_lowercase();
            let labels_ok = d.split('.').count() >= 2
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if labels_ok && d.len() <= 253 {
                Some(JoinRule::Domain(d))
            } else {
                errors.push(FieldError::new(
                    "email_domain",
                    "invalid_domain",
                    "Give the email domain members have, e.g. example.org.",
                ));
                None
            }
        }
        _ => {
            errors.push(FieldError::new(
                "join_rule",
                "invalid",
                "Choose anyone, invite or domain.",
            ));
            None
        }
    }
}

/// Checks a program; every problem at once.
pub fn check(raw: &RawProgram<'_>) -> Result<Draft, Vec<FieldError>> {
    let mut errors = vec![];
    let name = line(raw.name, 120);
    if name.is_none() {
        errors.push(FieldError::new(
            "name",
            "invalid_length",
            "Give the program a name of 1 to 120 characters.",
        ));
    }
    if raw.description.chars().count() > 10_000 {
        errors.push(FieldError::new(
            "description",
            "too_long",
            "The description has at most 10,000 characters.",
        ));
    }
    let rule = join_rule(raw, &mut errors);
    let open = instant(
        "applications_open_at",
        raw.applications_open_at,
        &mut errors,
    );
    let close = instant(
        "applications_close_at",
        raw.applications_close_at,
        &mut errors,
    );
    let starts = instant("starts_at", raw.starts_at, &mut errors);
    let ends = instant("ends_at", raw.ends_at, &mut errors);
    if let (Some(o), Some(c)) = (open, close)
        && c <= o
    {
        errors.push(FieldError::new(
            "applications_close_at",
            "invalid_range",
            "Close applications after they open: pick a later closing date.",
        ));
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.push(FieldError::new(
            "ends_at",
            "invalid_range",
            "The program ends after it starts.",
        ));
    }
    if let (Some(c), Some(e)) = (close, ends)
        && c > e
    {
        errors.push(FieldError::new(
            "applications_close_at",
            "invalid_range",
            "Close applications before the program ends: pick an earlier closing date or a later end.",
        ));
    }
    if let (Some(o), Some(s)) = (open, starts)
        && s < o
    {
        errors.push(FieldError::new(
            "starts_at",
            "invalid_range",
            "The program starts once applications have opened.",
        ));
    }
    let capacity = bounded(
        "mentor_capacity",
        raw.mentor_capacity.unwrap_or(3),
        1..=MAX_CAPACITY,
        &mut errors,
    );
    let sessions = bounded(
        "sessions_expected",
        raw.sessions_expected.unwrap_or(4),
        0..=MAX_SESSIONS_EXPECTED,
        &mut errors,
    );
    let budget = bounded(
        "budget_per_mentee",
        raw.budget_per_mentee.unwrap_or(0),
        0..=MAX_BUDGET,
        &mut errors,
    );
    let mentee_questions = check_questions("mentee_questions", raw.mentee_questions)
        .map_err(|e| errors.push(e))
        .ok();
    let mentor_questions = check_questions("mentor_questions", raw.mentor_questions)
        .map_err(|e| errors.push(e))
        .ok();
    let goals = check_goals(raw.goals).map_err(|e| errors.push(e)).ok();
    let agendas = check_agendas(raw.agendas).map_err(|e| errors.push(e)).ok();
    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(name),
        Some(join_rule),
        Some(open),
        Some(close),
        Some(starts),
        Some(ends),
        Some(mentee_questions),
        Some(mentor_questions),
        Some(goals),
        Some(agendas),
    ) = (
        name,
        rule,
        open,
        close,
        starts,
        ends,
        mentee_questions,
        mentor_questions,
        goals,
        agendas,
    )
    else {
        unreachable!("every missing part pushed an error");
    };
    Ok(Draft {
        name,
        description: raw.description.trim().to_string(),
        join_rule,
        applications_open_at: open,
        applications_close_at: close,
        starts_at: starts,
        ends_at: ends,
        mentor_capacity: capacity,
        sessions_expected: sessions,
        budget_per_mentee: budget,
        self_matching: raw.self_matching,
        mentee_questions,
        mentor_questions,
        goals,
        agendas,
    })
}

/// An answer as sent: text, one option, several options, or skills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Answer {
    One(String),
    Many(Vec<String>),
}

/// Answers kept by question id, and the skills they name.
pub type Answers = (BTreeMap<String, Answer>, Vec<String>);

/// Checks answers against a form: every required question answered, each answer of
/// its question's kind, nothing for questions the form does not have. Returns the
/// answers kept (trimmed, skills normalised) and the skills given.
pub fn check_answers(
    field: &str,
    questions: &[Question],
    raw: &BTreeMap<String, Answer>,
) -> Result<Answers, Vec<FieldError>> {
    let mut errors = vec![];
    let mut kept = BTreeMap::new();
    let mut skills: Vec<String> = vec![];
    for id in raw.keys() {
        if !questions.iter().any(|q| &q.id == id) {
            errors.push(FieldError::new(
                &format!("{field}.{id}"),
                "unknown_question",
                "There is no such question in this form.",
            ));
        }
    }
    for q in questions {
        let at = format!("{field}.{}", q.id);
        let wrong = |message: &str| FieldError::new(&at, "invalid_answer", message);
        let answer = match raw.get(&q.id) {
            None => None,
            Some(Answer::One(s)) if s.trim().is_empty() => None,
            Some(Answer::Many(v)) if v.iter().all(|s| s.trim().is_empty()) => None,
            Some(a) => Some(a),
        };
        let Some(answer) = answer else {
            if q.required {
                errors.push(FieldError::new(
                    &at,
                    "required",
                    "Please answer this question.",
                ));
            }
            continue;
        };
        let checked = match (q.kind, answer) {
            (QuestionKind::Text, Answer::One(s)) => {
                if s.chars().count() > 2000 {
                    Err(wrong("An answer has at most 2,000 characters."))
                } else {
                    Ok(Answer::One(s.trim().to_string()))
                }
            }
            (QuestionKind::Single, Answer::One(s)) => {
                if q.options.iter().any(|o| o == s.trim()) {
                    Ok(Answer::One(s.trim().to_string()))
                } else {
                    Err(wrong("Choose one of the options."))
                }
            }
            (QuestionKind::Multiple, Answer::Many(v)) => {
                let picked: Vec<String> = q
                    .options
                    .iter()
                    .filter(|o| v.iter().any(|s| s.trim() == o.as_str()))
                    .cloned()
                    .collect();
                if v.iter()
                    .filter(|s| !s.trim().is_empty())
                    .any(|s| !q.options.iter().any(|o| o == s.trim()))
                {
                    Err(wrong("Choose among the options."))
                } else {
                    Ok(Answer::Many(picked))
                }
            }
            (QuestionKind::Skills, Answer::Many(v)) => match tags(&at, v) {
                Ok(t) => {
                    for s in &t {
                        if !skills.contains(s) {
                            skills.push(s.clone());
                        }
                    }
                    Ok(Answer::Many(t))
                }
                Err(e) => Err(e),
            },
            (QuestionKind::Skills, Answer::One(s)) => {
                let list: Vec<String> = s.split(',').map(str::to_string).collect();
                match tags(&at, &list) {
                    Ok(t) => {
                        for s in &t {
                            if !skills.contains(s) {
                                skills.push(s.clone());
                            }
                        }
                        Ok(Answer::Many(t))
                    }
                    Err(e) => Err(e),
                }
            }
            (QuestionKind::Multiple, Answer::One(s)) => {
                if q.options.iter().any(|o| o == s.trim()) {
                    Ok(Answer::Many(vec![s.trim().to_string()]))
                } else {
                    Err(wrong("Choose among the options."))
                }
            }
            (QuestionKind::Text | QuestionKind::Single, Answer::Many(_)) => {
                Err(wrong("Give one answer."))
            }
        };
        match checked {
            Ok(a) => {
                kept.insert(q.id.clone(), a);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok((kept, skills))
    } else {
        Err(errors)
    }
}

/// The topics a mentee brings to matching: their goals and skills (from their
/// learning profile) and the skills their intake answers name, normalised, once each.
pub fn topics<'a>(lists: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for t in lists {
        let t = normalize_tag(t);
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// How a program mentorship is doing, for its managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PairHealth)]
pub enum Health {
    OnTrack,
    /// Quiet for a while, no first session yet, or milestones behind.
    NeedsCheckIn,
    /// Nothing for weeks: no session and no message.
    Inactive,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTrack => "on_track",
            Self::NeedsCheckIn => "needs_check_in",
            Self::Inactive => "inactive",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::OnTrack, Self::NeedsCheckIn, Self::Inactive]
            .into_iter()
            .find(|h| h.as_str() == raw)
    }

    /// In words, for a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::OnTrack => "On track",
            Self::NeedsCheckIn => "Needs a check-in",
            Self::Inactive => "Inactive",
        }
    }
}

/// What health is judged from.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    /// When the pair was matched.
    pub started_at: Timestamp,
    /// The last session held or booked to come (at or before now), and the last
    /// message either sent.
    pub last_session: Option<Timestamp>,
    pub last_message: Option<Timestamp>,
    pub milestones_done: i64,
    pub milestones: i64,
    /// The program's running window.
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// Days without any contact after which a pair is inactive.
pub const INACTIVE_DAYS: i64 = 21;
/// Days without contact after which a pair needs a check-in; also the days after the
/// match within which a first session is expected.
pub const CHECK_IN_DAYS: i64 = 10;

/// A pair's health at `now`: inactive after [`INACTIVE_DAYS`] without a session or a
/// message (counted from the match when there was none); needs a check-in after
/// [`CHECK_IN_DAYS`] without contact, without a first session [`CHECK_IN_DAYS`] after
/// the match, or with milestones more than a third behind the program's elapsed time;
/// on track otherwise.
pub fn health(a: &Activity, now: Timestamp) -> Health {
    let days = |since: Timestamp| now.duration_since(since).as_hours() / 24;
    let last = [a.last_session, a.last_message]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(a.started_at)
        .max(a.started_at);
    if days(last) >= INACTIVE_DAYS {
        return Health::Inactive;
    }
    if days(last) >= CHECK_IN_DAYS {
        return Health::NeedsCheckIn;
    }
    if a.last_session.is_none() && days(a.started_at) >= CHECK_IN_DAYS {
        return Health::NeedsCheckIn;
    }
    let span = a.ends_at.duration_since(a.starts_at).as_secs().max(1) as f64;
    let elapsed = (now.duration_since(a.starts_at).as_secs() as f64 / span).clamp(0.0, 1.0);
    if a.milestones > 0 {
        let done = a.milestones_done as f64 / a.milestones as f64;
        if elapsed - done > 1.0 / 3.0 {
            return Health::NeedsCheckIn;
        }
    }
    Health::OnTrack
}

/// A program template: what a program started from it brings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Template {
    /// `builtin:<slug>` for the shipped ones, the saved template's id otherwise.
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub description: String,
    /// How long a program of this kind usually runs.
    pub weeks: i64,
    pub mentor_capacity: i64,
    pub sessions_expected: i64,
    pub mentee_questions: Vec<Question>,
    pub mentor_questions: Vec<Question>,
    pub goals: Vec<Goal>,
    pub agendas: Vec<Vec<String>>,
}

fn q(id: &str, prompt: &str, kind: QuestionKind, options: &[&str], required: bool) -> Question {
    Question {
        id: id.into(),
        prompt: prompt.into(),
        kind,
        options: options.iter().map(|o| o.to_string()).collect(),
        required,
    }
}

fn goal(title: &str, milestones: &[&str]) -> Goal {
    Goal {
        title: title.into(),
        milestones: milestones.iter().map(|m| m.to_string()).collect(),
    }
}

fn agendas(sessions: &[&[&str]]) -> Vec<Vec<String>> {
    sessions
        .iter()
        .map(|topics| topics.iter().map(|t| t.to_string()).collect())
        .collect()
}

/// The templates shipped with mentorhub.
pub fn builtin_templates() -> Vec<Template> {
    use QuestionKind::*;
    vec![
        Template {
            id: "builtin:onboarding-buddy".into(),
            name: "8-week onboarding buddy".into(),
            description: "Pairs each new joiner with an experienced colleague for their first \
                two months: how the team works, who to ask, the first real contribution."
                .into(),
            weeks: 8,
            mentor_capacity: 2,
            sessions_expected: 4,
            mentee_questions: vec![
                q("team", "Which team are you joining?", Text, &[], true),
                q(
                    "skills",
                    "What would you like to get better at first?",
                    Skills,
                    &[],
                    false,
                ),
                q(
                    "pace",
                    "How often would you like to meet?",
                    Single,
                    &["Weekly", "Every two weeks"],
                    true,
                ),
            ],
            mentor_questions: vec![q(
                "areas",
                "Which parts of the organisation can you explain well?",
                Skills,
                &[],
                false,
            )],
            goals: vec![
                goal(
                    "Find your way around",
                    &["Meet your buddy", "Set up your tools", "Know who owns what"],
                ),
                goal(
                    "Ship a first contribution",
                    &["Pick a first task", "Get it reviewed", "See it released"],
                ),
            ],
            agendas: agendas(&[
                &["Introductions and expectations", "Tools and access"],
                &["How work is planned", "Who to ask for what"],
                &["Review of the first task"],
                &["Looking back and next steps"],
            ]),
        },
        Template {
            id: "builtin:career-switch".into(),
            name: "Career switch into tech".into(),
            description: "Three months with a practitioner for people moving into a tech role: \
                a learning plan, a portfolio project, and a first application."
                .into(),
            weeks: 12,
            mentor_capacity: 3,
            sessions_expected: 6,
            mentee_questions: vec![
                q(
                    "background",
                    "What do you do today, and what role do you aim for?",
                    Text,
                    &[],
                    true,
                ),
                q(
                    "track",
                    "Which track fits you best?",
                    Single,
                    &[
                        "Software engineering",
                        "Data",
                        "Design",
                        "Product",
                        "DevOps",
                    ],
                    true,
                ),
                q(
                    "skills",
                    "Which skills do you want to build?",
                    Skills,
                    &[],
                    true,
                ),
                q(
                    "hours",
                    "How many hours a week can you give?",
                    Single,
                    &["Under 5", "5 to 10", "More than 10"],
                    false,
                ),
            ],
            mentor_questions: vec![
                q(
                    "switched",
                    "Did you switch careers yourself?",
                    Single,
                    &["Yes", "No"],
                    false,
                ),
                q(
                    "tracks",
                    "Which tracks can you mentor?",
                    Multiple,
                    &[
                        "Software engineering",
                        "Data",
                        "Design",
                        "Product",
                        "DevOps",
                    ],
                    true,
                ),
            ],
            goals: vec![
                goal(
                    "A learning plan",
                    &[
                        "Agree on the target role",
                        "List the skills to build",
                        "Pick courses or books",
                    ],
                ),
                goal(
                    "A portfolio project",
                    &[
                        "Choose the project",
                        "Build a first version",
                        "Present it to your mentor",
                    ],
                ),
                goal(
                    "A first application",
                    &[
                        "Rewrite the CV",
                        "Practise an interview",
                        "Send an application",
                    ],
                ),
            ],
            agendas: agendas(&[
                &["Where you are, where you aim", "The learning plan"],
                &["Choosing the portfolio project"],
                &["Project review"],
                &["CV and profile review"],
                &["Mock interview"],
                &["Retrospective and what comes next"],
            ]),
        },
        Template {
            id: "builtin:interview-prep".into(),
            name: "Interview preparation".into(),
            description: "Six weeks of focused practice before interviews: the target companies, \
                technical and behavioural rounds, and mock interviews with feedback."
                .into(),
            weeks: 6,
            mentor_capacity: 4,
            sessions_expected: 4,
            mentee_questions: vec![
                q(
                    "target",
                    "Which role and companies are you interviewing for?",
                    Text,
                    &[],
                    true,
                ),
                q(
                    "rounds",
                    "Which rounds worry you most?",
                    Multiple,
                    &["Coding", "System design", "Behavioural", "Take-home"],
                    true,
                ),
                q(
                    "skills",
                    "Which topics should your mentor know?",
                    Skills,
                    &[],
                    false,
                ),
            ],
            mentor_questions: vec![q(
                "interviewer",
                "Have you interviewed candidates yourself?",
                Single,
                &["Yes", "No"],
                false,
            )],
            goals: vec![
                goal(
                    "Ready for the technical rounds",
                    &[
                        "Mock coding interview",
                        "Mock system design",
                        "Review of weak spots",
                    ],
                ),
                goal(
                    "Ready for the behavioural round",
                    &["Five stories written", "Mock behavioural interview"],
                ),
            ],
            agendas: agendas(&[
                &["Targets and timeline", "Self-assessment"],
                &["Mock coding interview"],
                &["Mock system design or take-home review"],
                &["Behavioural mock", "Negotiation basics"],
            ]),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>() -> RawProgram<'a> {
        RawProgram {
            name: "Spring cohort",
            applications_open_at: Some("2027-01-01T00:00:00Z"),
            applications_close_at: Some("2027-01-15T00:00:00Z"),
            starts_at: Some("2027-01-20T00:00:00Z"),
            ends_at: Some("2027-03-20T00:00:00Z"),
            ..Default::default()
        }
    }

    #[test]
    fn the_state_machine_allows_only_its_arrows() {
        use ProgramAction as A;
        use ProgramStatus as S;
        assert_eq!(transition(S::Draft, A::Open), Some(S::Open));
        assert_eq!(transition(S::Open, A::Start), Some(S::Running));
        assert_eq!(transition(S::Running, A::Complete), Some(S::Completed));
        for s in [S::Draft, S::Open, S::Running] {
            assert_eq!(transition(s, A::Cancel), Some(S::Cancelled));
        }
        assert_eq!(transition(S::Draft, A::Start), None);
        assert_eq!(transition(S::Open, A::Complete), None);
        assert_eq!(transition(S::Draft, A::Complete), None);
        for s in [S::Completed, S::Cancelled] {
            for a in [A::Open, A::Start, A::Complete, A::Cancel] {
                assert_eq!(transition(s, a), None, "{s:?} {a:?}");
            }
        }
    }

    #[test]
    fn a_program_is_checked_all_at_once() {
        let d = check(&raw()).unwrap();
        assert_eq!(d.mentor_capacity, 3);
        assert_eq!(d.join_rule, JoinRule::Anyone);
        let bad = RawProgram {
            name: " ",
            join_rule: Some("invite"),
            invite_code: Some("a b"),
            applications_close_at: Some("2026-12-01T00:00:00Z"),
            ends_at: Some("2027-01-19T00:00:00Z"),
            mentor_capacity: Some(0),
            ..raw()
        };
        let errors = check(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "invite_code",
                "applications_close_at",
                "ends_at",
                "mentor_capacity"
            ]
        );
        // Applications that would close after the program is over.
        let late = RawProgram {
            applications_close_at: Some("2027-03-21T00:00:00Z"),
            ..raw()
        };
        let errors = check(&late).unwrap_err();
        assert_eq!(
            (
                errors.len(),
                errors[0].field.as_str(),
                errors[0].code.as_str()
            ),
            (1, "applications_close_at", "invalid_range"),
            "{errors:?}"
        );
        let on_the_last_day = RawProgram {
            applications_close_at: Some("2027-03-20T00:00:00Z"),
            ..raw()
        };
        assert!(check(&on_the_last_day).is_ok());
    }

    #[test]
    fn join_rules_admit_the_right_people() {
        let domain = check(&RawProgram {
            join_rule: Some("domain"),
            email_domain: Some("@Example.org"),
            ..raw()
        })
        .unwrap()
        .join_rule;
        assert!(domain.admits("ada@example.org", None));
        assert!(domain.admits("ada@Lab.Example.org", None));
        assert!(!domain.admits("ada@notexample.org", None));
        assert!(!domain.admits("ada@example.org.evil.com", None));
        let invite = JoinRule::Invite("SPRING-27".into());
        assert!(invite.admits("x@y.z", Some(" SPRING-27 ")));
        assert!(
            invite.admits("x@y.z", Some("spring-27")),
            "a code is not case-sensitive"
        );
        assert!(!invite.admits("x@y.z", Some("spring-28")));
        assert!(!invite.admits("x@y.z", None));
    }

    #[test]
    fn questions_get_ids_and_choices_need_options() {
        let qs = check_questions(
            "mentee_questions",
            &[
                q("", "Why?", QuestionKind::Text, &[], true),
                q("", "Which?", QuestionKind::Single, &["a", "b", "a"], false),
            ],
        )
        .unwrap();
        assert_eq!(qs[0].id, "q1");
        assert_eq!(qs[1].options, ["a", "b"]);
        assert!(
            check_questions("f", &[q("", "Which?", QuestionKind::Single, &["a"], false)]).is_err()
        );
        assert!(check_questions("f", &[q("", "Why?", QuestionKind::Text, &["a"], false)]).is_err());
        assert!(
            check_questions(
                "f",
                &[
                    q("x", "A", QuestionKind::Text, &[], false),
                    q("x", "B", QuestionKind::Text, &[], false)
                ]
            )
            .is_err()
        );
    }

    #[test]
    fn answers_follow_their_questions() {
        let qs = vec![
            q("why", "Why?", QuestionKind::Text, &[], true),
            q(
                "track",
                "Track?",
                QuestionKind::Single,
                &["Data", "Web"],
                true,
            ),
            q(
                "rounds",
                "Rounds?",
                QuestionKind::Multiple,
                &["A", "B", "C"],
                false,
            ),
            q("skills", "Skills?", QuestionKind::Skills, &[], false),
        ];
        let mut given = BTreeMap::new();
        given.insert("why".to_string(), Answer::One(" growth ".into()));
        given.insert("track".to_string(), Answer::One("Data".into()));
        given.insert(
            "rounds".to_string(),
            Answer::Many(vec!["C".into(), "A".into()]),
        );
        given.insert(
            "skills".to_string(),
            Answer::One("Python, SQL ,python".into()),
        );
        let (kept, skills) = check_answers("answers", &qs, &given).unwrap();
        assert_eq!(kept["why"], Answer::One("growth".into()));
        assert_eq!(kept["rounds"], Answer::Many(vec!["A".into(), "C".into()]));
        assert_eq!(skills, ["python", "sql"]);
        let mut bad = BTreeMap::new();
        bad.insert("track".to_string(), Answer::One("Design".into()));
        bad.insert("nope".to_string(), Answer::One("x".into()));
        let errors = check_answers("answers", &qs, &bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["answers.nope", "answers.why", "answers.track"]);
    }

    #[test]
    fn health_follows_contact_sessions_and_milestones() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let a = Activity {
            started_at: t("2027-01-01T00:00:00Z"),
            last_session: Some(t("2027-01-05T00:00:00Z")),
            last_message: Some(t("2027-01-08T00:00:00Z")),
            milestones_done: 1,
            milestones: 4,
            starts_at: t("2027-01-01T00:00:00Z"),
            ends_at: t("2027-03-01T00:00:00Z"),
        };
        assert_eq!(health(&a, t("2027-01-10T00:00:00Z")), Health::OnTrack);
        // Ten quiet days: a check-in; three weeks: inactive.
        assert_eq!(health(&a, t("2027-01-18T00:00:00Z")), Health::NeedsCheckIn);
        assert_eq!(health(&a, t("2027-01-29T00:00:00Z")), Health::Inactive);
        // Talking but never meeting: a check-in after ten days.
        let chat_only = Activity {
            last_session: None,
            last_message: Some(t("2027-01-12T00:00:00Z")),
            ..a
        };
        assert_eq!(
            health(&chat_only, t("2027-01-09T00:00:00Z")),
            Health::OnTrack
        );
        assert_eq!(
            health(&chat_only, t("2027-01-13T00:00:00Z")),
            Health::NeedsCheckIn
        );
        // Meeting, but milestones far behind the calendar.
        let behind = Activity {
            last_session: Some(t("2027-02-10T00:00:00Z")),
            last_message: None,
            milestones_done: 0,
            ..a
        };
        assert_eq!(
            health(&behind, t("2027-02-12T00:00:00Z")),
            Health::NeedsCheckIn
        );
        let on_pace = Activity {
            milestones_done: 3,
            ..behind
        };
        assert_eq!(health(&on_pace, t("2027-02-12T00:00:00Z")), Health::OnTrack);
    }

    #[test]
    fn builtin_templates_pass_their_own_checks() {
        let ts = builtin_templates();
        assert_eq!(ts.len(), 3);
        for t in ts {
            let d = check(&RawProgram {
                mentee_questions: &t.mentee_questions,
                mentor_questions: &t.mentor_questions,
                goals: &t.goals,
                agendas: &t.agendas,
                mentor_capacity: Some(t.mentor_capacity),
                sessions_expected: Some(t.sessions_expected),
                ..raw()
            })
            .unwrap_or_else(|e| panic!("{}: {e:?}", t.name));
            assert_eq!(d.mentee_questions, t.mentee_questions, "{}", t.name);
            assert!(d.agendas.len() as i64 <= t.sessions_expected.max(1) + 2);
        }
    }
}
