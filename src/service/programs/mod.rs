//! Mentorship programs: an admin creates a program (from a template or not) and may
//! make members its managers; a manager sees and acts within that program only
//! (enrolments, proposals, publishing); every manager and admin action on a program
//! is in the audit log.
//!
//! Who sees what: a draft is seen by its managers and admins only; otherwise a member
//! sees a program whose join rule admits them (the invite code is asked when they
//! enrol, not to read the page) or that they take part in.
//!
//! Credits: each program has a funding account in the ledger (`program:<id>`), funded
//! by an admin from `world`. Publishing pairings grants each matched mentee the
//! program's budget into their sponsored account for the program; completing or
//! cancelling the program returns what is left of them to the funding account.
//!
//! Submodules: [`enrol`] (mentors opt in, mentees apply), [`proposals`] (matching,
//! the manager's changes, publishing).

pub mod enrol;
pub mod nudges;
pub mod progress;
pub mod proposals;
pub mod report;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Ctx, admin::is_admin, notify};
use crate::{
    domain::{
        ids::new_id,
        program::{
            self, Goal, JoinRule, ProgramAction, ProgramStatus, Question, RawProgram, Template,
        },
    },
    error::{AppError, AppResult, FieldError},
    store::{
        self, Tx,
        ledger::{Outcome, Transfer, WORLD},
        programs::ProgramFields,
        users::UserRow,
    },
};

pub use crate::store::programs::{ApplicationRow, MatchRow, PoolRow, ProgramRow};

/// `POST /api/v1/programs` and `PATCH /api/v1/programs/{id}`: every field optional
/// (on creation the template, then defaults, fill what is left out; on a change what
/// is left out stays).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `builtin:onboarding-buddy`, `builtin:career-switch`, `builtin:interview-prep`,
    /// or a saved template's id (creation only).
    pub template_id: Option<String>,
    /// `anyone` (default), `invite` or `domain`.
    pub join_rule: Option<String>,
    pub invite_code: Option<String>,
    pub email_domain: Option<String>,
    /// RFC 3339. Default: now.
    pub applications_open_at: Option<String>,
    /// Default: two weeks after opening.
    pub applications_close_at: Option<String>,
    /// Default: when applications close.
    pub starts_at: Option<String>,
    /// Default: the template's length (or 12 weeks) after the start.
    pub ends_at: Option<String>,
    pub mentor_capacity: Option<i64>,
    pub sessions_expected: Option<i64>,
    /// Credits granted to each matched mentee.
    pub budget_per_mentee: Option<i64>,
    /// Mentees may ask a program mentor directly.
    pub self_matching: Option<bool>,
    pub mentee_questions: Option<Vec<Question>>,
    pub mentor_questions: Option<Vec<Question>>,
    pub goals: Option<Vec<Goal>>,
    /// Topics per session, session 1 first.
    pub agendas: Option<Vec<Vec<String>>>,
    /// The IANA zone its dates are days in (default: the creator's zone; on a change,
    /// kept). Pages show its dates as days there to every reader.
    pub timezone: Option<String>,
}

/// A program with what the viewer may do with it.
#[derive(Debug, Clone)]
pub struct Access {
    pub program: ProgramRow,
    /// An admin or one of the program's managers.
    pub manages: bool,
}

impl Access {
    pub fn require_manager(&self) -> AppResult<()> {
        if self.manages {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "Only this program's managers and administrators can do this.",
            ))
        }
    }

    pub fn join_rule(&self) -> JoinRule {
        let p = &self.program;
        JoinRule::from_stored(&p.join_rule, &p.invite_code, &p.email_domain)
    }
}

fn email_domain(email: &str) -> String {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads a program as `user` may see it: 404 for a draft they do not manage, and for
/// a program whose rule does not admit them unless they take part in it.
pub async fn access(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<Access> {
    let program = store::programs::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let manages = is_admin(user) || store::programs::is_manager(&ctx.db.pool, id, &user.id).await?;
    if manages {
        return Ok(Access { program, manages });
    }
    if program.status == ProgramStatus::Draft {
        return Err(AppError::NotFound);
    }
    let access = Access { program, manages };
    let admitted = match access.join_rule() {
        JoinRule::Domain(_) => access.join_rule().admits(&user.email, None),
        JoinRule::Anyone | JoinRule::Invite(_) => true,
    };
    if !admitted && !takes_part(ctx, id, &user.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(access)
}

async fn takes_part(ctx: &Ctx, program_id: &str, user_id: &str) -> AppResult<bool> {
    Ok(
        store::programs::application_of(&ctx.db.pool, program_id, user_id)
            .await?
            .is_some()
            || store::programs::mentor_place(&ctx.db.pool, program_id, user_id)
                .await?
                .is_some(),
    )
}

/// A mentee's published pairing in a program.
pub async fn pairing_of(
    ctx: &Ctx,
    program_id: &str,
    mentee_id: &str,
) -> AppResult<Option<MatchRow>> {
    Ok(store::programs::published_for(&ctx.db.pool, program_id, mentee_id).await?)
}

/// The programs `user` may see, newest first.
/// Where the person stands in each program they applied to or joined as a mentor:
/// program id → what they are there: "You applied", "You are matched", "You are in
/// the mentor pool" (both, when someone is on both sides; withdrawn places left out).
pub async fn my_places(
    ctx: &Ctx,
    user: &UserRow,
) -> AppResult<std::collections::HashMap<String, Vec<&'static str>>> {
    let rows = store::programs::enrolments_of(&ctx.db.pool, &user.id).await?;
    let mut places: std::collections::HashMap<String, Vec<&'static str>> = Default::default();
    for (program, _, role, status, ..) in rows {
        let said = match (role.as_str(), status.as_str()) {
            ("mentee", "applied") => "You applied",
            ("mentee", "matched") => "You are matched",
            ("mentor", "active") => "You are in the mentor pool",
            _ => continue,
        };
        places.entry(program).or_default().push(said);
    }
    Ok(places)
}

pub async fn list(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<ProgramRow>> {
    Ok(store::programs::list(
        &ctx.db.pool,
        &user.id,
        &email_domain(&user.email),
        is_admin(user),
    )
    .await?)
}

/// The built-in templates, then the saved ones (admins and program managers).
pub async fn templates(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<Template>> {
    if !is_admin(user) && !manages_any(ctx, user).await? {
        return Err(AppError::forbidden(
            "Templates are for administrators and program managers.",
        ));
    }
    let mut all = program::builtin_templates();
    for row in store::programs::templates(&ctx.db.pool).await? {
        if let Ok(mut t) = serde_json::from_value::<Template>(row.body) {
            t.id = row.id;
            all.push(t);
        }
    }
    Ok(all)
}

async fn manages_any(ctx: &Ctx, user: &UserRow) -> AppResult<bool> {
    Ok(!store::programs::managed_by(&ctx.db.pool, &user.id)
        .await?
        .is_empty())
}

async fn template(ctx: &Ctx, id: &str) -> AppResult<Template> {
    if let Some(t) = program::builtin_templates()
        .into_iter()
        .find(|t| t.id == id)
    {
        return Ok(t);
    }
    let unknown = || {
        AppError::invalid(
            "template_id",
            "unknown_template",
            "There is no such template; GET /api/v1/program-templates lists them.",
        )
    };
    let row = store::programs::template(&ctx.db.pool, id)
        .await?
        .ok_or_else(unknown)?;
    let mut t: Template = serde_json::from_value(row.body).map_err(|_| unknown())?;
    t.id = row.id;
    Ok(t)
}

/// The fields of a program as they will be: `base` (the stored program, or a
/// template with defaults) overridden by what the input gives.
struct Merged {
    name: String,
    description: String,
    join_rule: String,
    invite_code: String,
    email_domain: String,
    open: String,
    close: String,
    starts: String,
    ends: String,
    capacity: i64,
    sessions: i64,
    budget: i64,
    self_matching: bool,
    mentee_questions: Vec<Question>,
    mentor_questions: Vec<Question>,
    goals: Vec<Goal>,
    agendas: Vec<Vec<String>>,
    /// The zone its dates are days in.
    zone: String,
}

fn rfc(t: jiff::Timestamp) -> String {
    t.to_string()
}

impl Merged {
    fn from_program(p: &ProgramRow) -> Self {
        Self {
            name: p.name.clone(),
            description: p.description.clone(),
            join_rule: p.join_rule.clone(),
            invite_code: p.invite_code.clone(),
            email_domain: p.email_domain.clone(),
            open: rfc(p.applications_open_at),
            close: rfc(p.applications_close_at),
            starts: rfc(p.starts_at),
            ends: rfc(p.ends_at),
            capacity: p.mentor_capacity,
            sessions: p.sessions_expected,
            budget: p.budget_per_mentee,
            self_matching: p.self_matching,
            mentee_questions: p.mentee_questions.clone(),
            mentor_questions: p.mentor_questions.clone(),
            goals: p.goals.clone(),
            agendas: p.agendas.clone(),
            zone: p.timezone.clone(),
        }
    }

    /// A new program's starting point: the template's texts and numbers, dates from
    /// the input or from now. Dates left out are whole days in the creator's zone, as
    /// the pages' date fields make them: applications close at 23:59 on the day two
    /// weeks after they open (not at the minute the program was made, which every page
    /// would then show as its odd closing time), the program starts at 00:00 the day
    /// after they close and ends at 23:59 on the last day of its weeks.
    fn from_template(
        t: Option<&Template>,
        input: &ProgramInput,
        now: jiff::Timestamp,
        zone: &jiff::tz::TimeZone,
    ) -> Self {
        // A time out of range is left to the validation of the whole input, which
        // refuses it with its reason; here it only must not be added to.
        let parse = |raw: &Option<String>| {
            raw.as_deref()
                .and_then(|s| crate::clock::parse_instant(s).ok())
        };
        // `t`'s day, `days` later, at `(hour, minute)` in the creator's zone.
        let at = |t: jiff::Timestamp, days: i64, (hour, minute): (i8, i8)| {
            t.to_zoned(zone.clone())
                .date()
                .checked_add(jiff::Span::new().days(days))
                .and_then(|d| d.at(hour, minute, 0, 0).to_zoned(zone.clone()))
                .map_or(t, |z| z.timestamp())
        };
        let open: jiff::Timestamp = parse(&input.applications_open_at).unwrap_or(now);
        let close = parse(&input.applications_close_at).unwrap_or_else(|| at(open, 14, (23, 59)));
        let starts = parse(&input.starts_at).unwrap_or_else(|| at(close, 1, (0, 0)).max(open));
        let weeks = t.map_or(12, |t| t.weeks.clamp(1, 104));
        let ends = at(starts, weeks * 7 - 1, (23, 59));
        Self {
            name: t.map(|t| t.name.clone()).unwrap_or_default(),
            description: t.map(|t| t.description.clone()).unwrap_or_default(),
            join_rule: "anyone".into(),
            invite_code: String::new(),
            email_domain: String::new(),
            open: rfc(open),
            close: rfc(close),
            starts: rfc(starts),
            ends: rfc(ends),
            capacity: t.map_or(3, |t| t.mentor_capacity),
            sessions: t.map_or(4, |t| t.sessions_expected),
            budget: 0,
            self_matching: false,
            mentee_questions: t.map(|t| t.mentee_questions.clone()).unwrap_or_default(),
            mentor_questions: t.map(|t| t.mentor_questions.clone()).unwrap_or_default(),
            goals: t.map(|t| t.goals.clone()).unwrap_or_default(),
            agendas: t.map(|t| t.agendas.clone()).unwrap_or_default(),
            zone: zone.iana_name().unwrap_or("UTC").to_string(),
        }
    }

    fn apply(mut self, i: &ProgramInput) -> Self {
        fn set<T: Clone>(field: &mut T, v: &Option<T>) {
            if let Some(v) = v {
                *field = v.clone();
            }
        }
        set(&mut self.name, &i.name);
        set(&mut self.description, &i.description);
        set(&mut self.join_rule, &i.join_rule);
        set(&mut self.invite_code, &i.invite_code);
        set(&mut self.email_domain, &i.email_domain);
        set(&mut self.open, &i.applications_open_at);
        set(&mut self.close, &i.applications_close_at);
        set(&mut self.starts, &i.starts_at);
        set(&mut self.ends, &i.ends_at);
        set(&mut self.capacity, &i.mentor_capacity);
        set(&mut self.sessions, &i.sessions_expected);
        set(&mut self.budget, &i.budget_per_mentee);
        set(&mut self.self_matching, &i.self_matching);
        set(&mut self.mentee_questions, &i.mentee_questions);
        set(&mut self.mentor_questions, &i.mentor_questions);
        set(&mut self.goals, &i.goals);
        set(&mut self.agendas, &i.agendas);
        self
    }

    /// Dates that would leave the program over, or its applications closed, before
    /// it could take anyone: on creation, and when a change moves them (a running
    /// program's applications closed long ago, which is fine).
    fn past_errors(&self, before: Option<&ProgramRow>, now: jiff::Timestamp) -> Vec<FieldError> {
        let at = |raw: &str| crate::clock::parse_instant(raw).ok();
        let mut errors = vec![];
        let moved_close = before.is_none_or(|b| {
            matches!(b.status, ProgramStatus::Draft | ProgramStatus::Open)
                && at(&self.close) != Some(b.applications_close_at)
        });
        if moved_close && at(&self.close).is_some_and(|c| c <= now) {
            errors.push(FieldError::new(
                "applications_close_at",
                "in_the_past",
                "Applications would already be closed: choose a closing date after today.",
            ));
        }
        let moved_end = before.is_none_or(|b| at(&self.ends) != Some(b.ends_at));
        if moved_end && at(&self.ends).is_some_and(|e| e <= now) {
            errors.push(FieldError::new(
                "ends_at",
                "in_the_past",
                "The program would already be over: choose an end after today.",
            ));
        }
        errors
    }

    /// The program's checks, with `more` problems found beside them (all said at once,
    /// one a field).
    fn check_with(&self, more: Vec<FieldError>) -> AppResult<program::Draft> {
        match self.check() {
            Ok(d) if more.is_empty() => Ok(d),
            Ok(_) => Err(AppError::Invalid(more)),
            Err(AppError::Invalid(mut errors)) => {
                // One reason a field: its own check's comes first.
                for e in more {
                    if !errors.iter().any(|x| x.field == e.field) {
                        errors.push(e);
                    }
                }
                Err(AppError::Invalid(errors))
            }
            Err(e) => Err(e),
        }
    }

    fn check(&self) -> AppResult<program::Draft> {
        program::check(&RawProgram {
            name: &self.name,
            description: &self.description,
            join_rule: Some(&self.join_rule),
            invite_code: Some(&self.invite_code),
            email_domain: Some(&self.email_domain),
            applications_open_at: Some(&self.open),
            applications_close_at: Some(&self.close),
            starts_at: Some(&self.starts),
            ends_at: Some(&self.ends),
            mentor_capacity: Some(self.capacity),
            sessions_expected: Some(self.sessions),
            budget_per_mentee: Some(self.budget),
            self_matching: self.self_matching,
            mentee_questions: &self.mentee_questions,
            mentor_questions: &self.mentor_questions,
            goals: &self.goals,
            agendas: &self.agendas,
        })
        .map_err(AppError::Invalid)
    }
}

/// The zone an input gives a program, checked (`None` when it gives none).
fn zone_given(input: &ProgramInput) -> AppResult<Option<String>> {
    crate::domain::user::TimeZoneName::optional("timezone", input.timezone.as_deref())
        .map_err(|e| AppError::Invalid(vec![e]))
}

fn fields<'a>(d: &'a program::Draft, zone: &'a str) -> ProgramFields<'a> {
    let (code, domain) = match &d.join_rule {
        JoinRule::Anyone => ("", ""),
        JoinRule::Invite(c) => (c.as_str(), ""),
        JoinRule::Domain(dm) => ("", dm.as_str()),
    };
    ProgramFields {
        name: &d.name,
        description: &d.description,
        join_rule: d.join_rule.kind(),
        invite_code: code,
        email_domain: domain,
        applications_open_at: d.applications_open_at,
        applications_close_at: d.applications_close_at,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        mentor_capacity: d.mentor_capacity,
        sessions_expected: d.sessions_expected,
        budget_per_mentee: d.budget_per_mentee,
        self_matching: d.self_matching,
        mentee_questions: &d.mentee_questions,
        mentor_questions: &d.mentor_questions,
        goals: &d.goals,
        agendas: &d.agendas,
        timezone: zone,
    }
}

/// Records a program action in the audit log, in the caller's transaction.
pub(super) async fn audit(
    tx: &mut Tx,
    actor: &UserRow,
    action: &str,
    program_id: &str,
    after: serde_json::Value,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::audit::insert(
        &mut **tx,
        &store::audit::NewAudit {
            actor_id: Some(&actor.id),
            action,
            target_type: "program",
            target_id: program_id,
            before: serde_json::Value::Null,
            after,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Creates a program as a draft (admins), with its funding account.
pub async fn create(ctx: &Ctx, admin: &UserRow, input: &ProgramInput) -> AppResult<ProgramRow> {
    super::admin::require_admin(admin)?;
    let now = ctx.now();
    let t = match &input.template_id {
        Some(id) => Some(template(ctx, id.trim()).await?),
        None => None,
    };
    // Dates left out are days in the program's zone: the one given, or the creator's.
    let zone = zone_given(input)?
        .and_then(|z| jiff::tz::TimeZone::get(&z).ok())
        .or_else(|| jiff::tz::TimeZone::get(&admin.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let merged = Merged::from_template(t.as_ref(), input, now, &zone).apply(input);
    let draft = merged.check_with(merged.past_errors(None, now))?;
    let id = new_id();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::insert(
        &mut tx,
        &id,
        &fields(&draft, &merged.zone),
        t.as_ref().map_or("", |t| t.id.as_str()),
        &admin.id,
        now,
    )
    .await?;
    store::ledger::program_account(&mut tx, &id, now).await?;
    audit(
        &mut tx,
        admin,
        "program.created",
        &id,
        serde_json::json!({"name": draft.name, "template": t.as_ref().map(|t| &t.id)}),
        now,
    )
    .await?;
    tx.commit().await?;
    get_row(ctx, &id).await
}

async fn get_row(ctx: &Ctx, id: &str) -> AppResult<ProgramRow> {
    store::programs::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes a program (its managers and admins) while it is a draft or open; the
/// questions cannot change once someone has answered them.
pub async fn update(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    input: &ProgramInput,
) -> AppResult<ProgramRow> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    if input.template_id.is_some() {
        return Err(AppError::invalid(
            "template_id",
            "not_changeable",
            "A template is chosen when the program is created.",
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let current = store::programs::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current.status.is_over() {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This program is {}; it cannot be changed.",
                current.status.as_str()
            ),
        ));
    }
    let mut merged = Merged::from_program(&current).apply(input);
    if let Some(zone) = zone_given(input)? {
        merged.zone = zone;
    }
    let draft = merged.check_with(merged.past_errors(Some(&current), now))?;
    let applications = store::programs::applications(&mut *tx, id).await?;
    let answered = !applications.is_empty();
    // What matched mentees were granted is history: their pages and the report say it
    // from the program's figure.
    if draft.budget_per_mentee != current.budget_per_mentee
        && applications.iter().any(|a| a.status == "matched")
    {
        return Err(AppError::invalid(
            "budget_per_mentee",
            "budget_granted",
            format!(
                "Matched mentees were granted {} credits each already: the credits per mentee \
                 stay as they are (to give someone more, grant them credits).",
                current.budget_per_mentee
            ),
        ));
    }
    if answered && draft.mentee_questions != current.mentee_questions {
        return Err(AppError::conflict(
            "intake_answered",
            "Mentees have answered the intake already: its questions stay as they are.",
        ));
    }
    store::programs::update(&mut tx, id, &fields(&draft, &merged.zone), now).await?;
    audit(
        &mut tx,
        user,
        "program.updated",
        id,
        serde_json::json!({"name": draft.name}),
        now,
    )
    .await?;
    tx.commit().await?;
    get_row(ctx, id).await
}

/// Moves a program through its life (see [`program::transition`]). Completing or
/// cancelling returns the mentees' unspent sponsored credits to the program and drops
/// the proposals not published.
pub async fn act(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    action: ProgramAction,
) -> AppResult<ProgramRow> {
    let a = access(ctx, user, id).await?;
    a.require_manager()?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::lock(&mut tx, ctx.db.backend, id).await?;
    let current = store::programs::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(to) = program::transition(current.status, action) else {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "This program is {}; it cannot {} now.",
                current.status.as_str(),
                match action {
                    ProgramAction::Open => "open",
                    ProgramAction::Start => "start",
                    ProgramAction::Complete => "complete",
                    ProgramAction::Cancel => "be cancelled",
                }
            ),
        ));
    };
    if action == ProgramAction::Open {
        if current.ends_at <= now {
            return Err(AppError::conflict(
                "already_over",
                "This program's end date has passed: change its dates before opening it.",
            ));
        }
        if current.applications_close_at <= now {
            return Err(AppError::conflict(
                "applications_closed",
                "Its applications would already be closed: move the closing date after today before opening it.",
            ));
        }
    }
    if !store::programs::set_status(&mut tx, id, current.status, to, now).await? {
        return Err(AppError::conflict(
            "invalid_transition",
            "The program changed meanwhile; reload it.",
        ));
    }
    let mut returned = 0;
    let mut live = super::events::Live::new();
    if to.is_over() {
        store::programs::remove_drafts(&mut tx, id, store::programs::Drafts::All, now).await?;
        returned = return_sponsored(&mut tx, user, id, now).await?;
        tell_over(ctx, &mut tx, &current, action, now, &mut live).await?;
    }
    audit(
        &mut tx,
        user,
        &format!("program.{}", action.as_str()),
        id,
        serde_json::json!({"from": current.status.as_str(), "to": to.as_str(), "credits_returned": returned}),
        now,
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    get_row(ctx, id).await
}

/// Tells a program's mentees that it is over (completed or cancelled), in `tx`: those
/// still waiting that their application ends unmatched, those matched that their
/// mentorship goes on without the program's credits (what was left of them went back
/// to it).
async fn tell_over(
    ctx: &Ctx,
    tx: &mut Tx,
    p: &ProgramRow,
    action: ProgramAction,
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<()> {
    let how = if action == ProgramAction::Cancel {
        "was cancelled"
    } else {
        "has ended"
    };
    for a in store::programs::applications(&mut **tx, &p.id).await? {
        let (title, body) = match a.status.as_str() {
            "applied" => (
                format!("The program {} {how}", p.name),
                "It ended before you were matched with a mentor: your application closes \
                 with it. You can still find a mentor and ask them yourself."
                    .to_string(),
            ),
            "matched" => (
                format!("The program {} {how}", p.name),
                "Your mentorship goes on outside it, as long as you and your mentor keep it; \
                 program credits you had not spent went back to the program."
                    .to_string(),
            ),
            _ => continue,
        };
        notify::notify(
            ctx,
            tx,
            &notify::Note {
                reader: None,
                user_id: &a.mentee_id,
                email: &a.email,
                kind: notify::PROGRAM_UPDATE,
                title,
                body,
                link: format!("/programs/{}", p.id),
                related_id: Some(&p.id),
                ics: None,
            },
            now,
            live,
        )
        .await?;
    }
    Ok(())
}

/// Moves what is left in the program's sponsored accounts back to its funding
/// account; returns how much.
async fn return_sponsored(
    tx: &mut Tx,
    actor: &UserRow,
    program_id: &str,
    now: jiff::Timestamp,
) -> AppResult<i64> {
    let fund = store::ledger::program_account(tx, program_id, now).await?;
    let mut total = 0;
    for (user_id, account, balance) in store::ledger::sponsored_in(&mut **tx, program_id).await? {
        if balance <= 0 {
            continue;
        }
        store::ledger::transfer(
            tx,
            &Transfer {
                key: &format!(
                    "program_return:{program_id}:{user_id}:{}",
                    now.as_microsecond()
                ),
                kind: "program_return",
                booking_id: None,
                actor_id: Some(&actor.id),
                memo: "Unspent program credits returned to the program",
                legs: vec![(account, -balance), (fund.clone(), balance)],
                now,
            },
        )
        .await
        .map_err(|e| super::credits::transfer_error(e, balance))?;
        total += balance;
    }
    Ok(total)
}

/// `POST /api/v1/programs/{id}/funding`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingInput {
    /// Credits to add to the program's funding account (1 to 10,000,000).
    pub credits: i64,
    #[serde(default)]
    pub memo: String,
}

/// A program's credits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funding {
    /// In the funding account, not granted yet.
    pub available: i64,
    /// Granted to matched mentees and not spent.
    pub sponsored: i64,
}

pub async fn funding(ctx: &Ctx, program_id: &str) -> AppResult<Funding> {
    let available =
        store::ledger::balance_of(&ctx.db.pool, &format!("program:{program_id}")).await?;
    let sponsored = store::ledger::sponsored_in(&ctx.db.pool, program_id)
        .await?
        .iter()
        .map(|(_, _, b)| b)
        .sum();
    Ok(Funding {
        available,
        sponsored,
    })
}

/// Adds credits to a program's funding account (admins: this is money).
pub async fn fund(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
    input: &FundingInput,
) -> AppResult<Funding> {
    super::admin::require_admin(admin)?;
    let a = access(ctx, admin, id).await?;
    if !(1..=10_000_000).contains(&input.credits) {
        return Err(AppError::invalid(
            "credits",
            "invalid_number",
            "Fund a program with 1 to 10,000,000 credits at a time.",
        ));
    }
    if a.program.status.is_over() {
        return Err(AppError::conflict(
            "invalid_transition",
            "This program is over; it takes no more funding.",
        ));
    }
    let memo = crate::domain::text::optional_line("memo", &input.memo, 200)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let account = store::ledger::program_account(&mut tx, id, now).await?;
    let key = format!("program_fund:{}", new_id());
    let outcome = store::ledger::transfer(
        &mut tx,
        &Transfer {
            key: &key,
            kind: "program_fund",
            booking_id: None,
            actor_id: Some(&admin.id),
            memo: if memo.is_empty() {
                "Program funding"
            } else {
                &memo
            },
            legs: vec![
                (WORLD.to_string(), -input.credits),
                (account, input.credits),
            ],
            now,
        },
    )
    .await
    .map_err(|e| super::credits::transfer_error(e, input.credits))?;
    debug_assert!(matches!(outcome, Outcome::Applied(_)));
    audit(
        &mut tx,
        admin,
        "program.funded",
        id,
        serde_json::json!({"credits": input.credits, "memo": memo}),
        now,
    )
    .await?;
    tx.commit().await?;
    funding(ctx, id).await
}

/// `POST /api/v1/program-templates`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveTemplateInput {
    pub program_id: String,
    /// Default: the program's name.
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Saves a program's questions, goals, agendas and numbers as a template (admins).
pub async fn save_template(
    ctx: &Ctx,
    admin: &UserRow,
    input: &SaveTemplateInput,
) -> AppResult<Template> {
    super::admin::require_admin(admin)?;
    let p = access(ctx, admin, &input.program_id).await?.program;
    let name =
        crate::domain::text::required_line("name", input.name.as_deref().unwrap_or(&p.name), 120)
            .map_err(|e| AppError::Invalid(vec![e]))?;
    let description = input
        .description
        .clone()
        .unwrap_or_else(|| p.description.clone());
    // To the nearest week: a program of whole days ends a minute before its last
    // week is full.
    let week = 7 * 24 * 60;
    let weeks = ((p.ends_at.duration_since(p.starts_at).as_mins() + week / 2) / week).max(1);
    let id = new_id();
    let t = Template {
        id: id.clone(),
        name,
        description,
        weeks,
        mentor_capacity: p.mentor_capacity,
        sessions_expected: p.sessions_expected,
        mentee_questions: p.mentee_questions,
        mentor_questions: p.mentor_questions,
        goals: p.goals,
        agendas: p.agendas,
    };
    let body = serde_json::to_value(&t).map_err(|e| AppError::Internal(e.into()))?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    store::programs::insert_template(&mut tx, &id, &t.name, &t.description, &body, &admin.id, now)
        .await?;
    audit(
        &mut tx,
        admin,
        "program.saved_as_template",
        &input.program_id,
        serde_json::json!({"template_id": id, "name": t.name}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

/// A program's managers: (user id, name, email).
pub async fn managers(ctx: &Ctx, a: &Access) -> AppResult<Vec<(String, String, String)>> {
    a.require_manager()?;
    Ok(store::programs::managers(&ctx.db.pool, &a.program.id)
        .await?
        .into_iter()
        .map(|(id, first, last, email)| (id, format!("{first} {last}").trim().to_string(), email))
        .collect())
}

/// Makes a member manager of a program, or no longer (admins only); whether that
/// changed anything (adding a manager twice, or removing one who is not, does not).
pub async fn set_manager(
    ctx: &Ctx,
    admin: &UserRow,
    program_id: &str,
    user_id: &str,
    manager: bool,
) -> AppResult<bool> {
    super::admin::require_admin(admin)?;
    access(ctx, admin, program_id).await?;
    let Some(user) = store::users::by_id(&ctx.db.pool, user_id).await? else {
        return Err(AppError::invalid(
            "user_id",
            "unknown_user",
            "There is no such member.",
        ));
    };
    if manager && (user.deleted_at.is_some() || user.suspended_at.is_some()) {
        return Err(AppError::invalid(
            "user_id",
            "inactive_user",
            "This account is suspended or deleted.",
        ));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let changed = if manager {
        store::programs::add_manager(&mut tx, program_id, user_id, &admin.id, now).await?
    } else {
        store::programs::remove_manager(&mut tx, program_id, user_id).await?
    };
    if changed {
        audit(
            &mut tx,
            admin,
            if manager {
                "program.manager_added"
            } else {
                "program.manager_removed"
            },
            program_id,
            serde_json::json!({"user_id": user_id}),
            now,
        )
        .await?;
        if manager {
            let program = store::programs::get(&mut *tx, program_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut live = super::events::Live::new();
            notify::notify(
                ctx,
                &mut tx,
                &notify::Note {
                    reader: None,
                    user_id: &user.id,
                    email: &user.email,
                    kind: notify::PROGRAM_UPDATE,
                    title: format!("You are now a manager of the program {}", program.name),
                    body: String::new(),
                    link: format!("/programs/{program_id}/manage"),
                    related_id: Some(program_id),
                    ics: None,
                },
                now,
                &mut live,
            )
            .await?;
            tx.commit().await?;
            live.publish(ctx).await;
            return Ok(true);
        }
    }
    tx.commit().await?;
    Ok(changed)
}
