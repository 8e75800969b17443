//! Mentorship programs: the programs, their templates and managers, the mentors'
//! pool, mentees' applications, and the pairings (draft proposals, then published).
//!
//! Every change of a program's pairings runs in a write transaction that first locks
//! the program row ([`lock`]; SQLite's write transaction already holds the single
//! write lock), then people, then ledger rows: the order the booking path uses.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Backend, Tx, column::row};
use crate::domain::program::{Goal, ProgramStatus, Question};

row! {
/// A program as stored.
#[derive(Debug, Clone)]
pub struct ProgramRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub join_rule: String,
    pub invite_code: String,
    pub email_domain: String,
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
    /// The zone its dates are days in (IANA name).
    pub timezone: String,
    pub template: String,
    pub status: ProgramStatus,
    pub created_by: String,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

const PROGRAM_COLUMNS: &str = "id, name, description, join_rule, invite_code, email_domain, \
    applications_open_at, applications_close_at, starts_at, ends_at, mentor_capacity, \
    sessions_expected, budget_per_mentee, self_matching, mentee_questions, mentor_questions, \
    goals, agendas, timezone, template, status, created_by, completed_at, created_at, updated_at";

/// A program's fields to write (new or changed).
pub struct ProgramFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub join_rule: &'a str,
    pub invite_code: &'a str,
    pub email_domain: &'a str,
    pub applications_open_at: Timestamp,
    pub applications_close_at: Timestamp,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub mentor_capacity: i64,
    pub sessions_expected: i64,
    pub budget_per_mentee: i64,
    pub self_matching: bool,
    pub mentee_questions: &'a [Question],
    pub mentor_questions: &'a [Question],
    pub goals: &'a [Goal],
    pub agendas: &'a [Vec<String>],
    pub timezone: &'a str,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// Binds a program's fields, in the order both statements list them.
fn bind_fields<'q>(q: Query<'q>, f: &ProgramFields<'_>) -> Query<'q> {
    q.bind(f.name.to_string())
        .bind(f.description.to_string())
        .bind(f.join_rule.to_string())
        .bind(f.invite_code.to_string())
        .bind(f.email_domain.to_string())
        .bind(f.applications_open_at.stored())
        .bind(f.applications_close_at.stored())
        .bind(f.starts_at.stored())
        .bind(f.ends_at.stored())
        .bind(f.mentor_capacity)
        .bind(f.sessions_expected)
        .bind(f.budget_per_mentee)
        .bind(f.self_matching.stored())
        .bind(json(&f.mentee_questions))
        .bind(json(&f.mentor_questions))
        .bind(json(&f.goals))
        .bind(json(&f.agendas))
        .bind(f.timezone.to_string())
}

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    f: &ProgramFields<'_>,
    template: &str,
    created_by: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    let q = sqlx::query(
        "INSERT INTO programs (id, name, description, join_rule, invite_code, email_domain, \
         applications_open_at, applications_close_at, starts_at, ends_at, mentor_capacity, \
         sessions_expected, budget_per_mentee, self_matching, mentee_questions, mentor_questions, \
         goals, agendas, timezone, template, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, 'draft', $21, $22, $22)",
    )
    .bind(id);
    bind_fields(q, f)
        .bind(template)
        .bind(created_by)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn update(
    tx: &mut Tx,
    id: &str,
    f: &ProgramFields<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    let q = sqlx::query(
        "UPDATE programs SET name = $2, description = $3, join_rule = $4, invite_code = $5, \
         email_domain = $6, applications_open_at = $7, applications_close_at = $8, starts_at = $9, \
         ends_at = $10, mentor_capacity = $11, sessions_expected = $12, budget_per_mentee = $13, \
         self_matching = $14, mentee_questions = $15, mentor_questions = $16, goals = $17, \
         agendas = $18, timezone = $19, updated_at = $20 WHERE id = $1",
    )
    .bind(id);
    bind_fields(q, f)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ProgramRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Locks a program's row until the end of the transaction (PostgreSQL; SQLite's
/// write transaction already excludes other writers).
pub async fn lock(tx: &mut Tx, backend: Backend, id: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM programs WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Moves a program from `from` to `to` if it is still in `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: &str,
    from: ProgramStatus,
    to: ProgramStatus,
    now: Timestamp,
) -> sqlx::Result<bool> {
    // Started before its applications close, a program's closing date says what
    // happened: they closed now (within the table's rule that they close after they
    // open). Its running dates stay as planned (a template made from it keeps them).
    let r = sqlx::query(
        "UPDATE programs SET status = $3, updated_at = $4, \
         completed_at = CASE WHEN $3 IN ('completed', 'cancelled') THEN $4 ELSE completed_at END, \
         applications_close_at = CASE WHEN $3 = 'running' \
           AND applications_close_at > $4 AND applications_open_at < $4 \
           THEN $4 ELSE applications_close_at END \
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Programs a member may see listed: not drafts, open to anyone or to their email
/// domain, or ones they take part in or manage; admins see all. Newest first.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    email_domain: &str,
    is_admin: bool,
) -> sqlx::Result<Vec<ProgramRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROGRAM_COLUMNS} FROM programs p WHERE $3 = 1 \
         OR EXISTS (SELECT 1 FROM program_managers x WHERE x.program_id = p.id AND x.user_id = $1) \
         OR (p.status <> 'draft' AND (p.join_rule = 'anyone' \
             OR (p.join_rule = 'domain' AND ($2 = p.email_domain OR $2 LIKE '%.' || p.email_domain)) \
             OR EXISTS (SELECT 1 FROM program_mentors x WHERE x.program_id = p.id AND x.mentor_id = $1) \
             OR EXISTS (SELECT 1 FROM program_applications x WHERE x.program_id = p.id AND x.mentee_id = $1))) \
         ORDER BY p.created_at DESC, p.id DESC LIMIT 200"
    )))
    .bind(user_id)
    .bind(email_domain)
    .bind(i64::from(is_admin))
    .fetch_all(ex)
    .await
}

// ---- templates ----

row! {
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub body: serde_json::Value,
    pub created_by: String,
    pub created_at: Timestamp,
}
}

pub async fn insert_template(
    tx: &mut Tx,
    id: &str,
    name: &str,
    description: &str,
    body: &serde_json::Value,
    created_by: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO program_templates (id, name, description, body, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(body.to_string())
    .bind(created_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn templates<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<Vec<TemplateRow>> {
    sqlx::query_as(
        "SELECT id, name, description, body, created_by, created_at FROM program_templates \
         ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .fetch_all(ex)
    .await
}

pub async fn template<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<TemplateRow>> {
    sqlx::query_as(
        "SELECT id, name, description, body, created_by, created_at FROM program_templates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

// ---- managers ----

/// Makes a user manager of a program; false when they already were.
pub async fn add_manager(
    tx: &mut Tx,
    program_id: &str,
    user_id: &str,
    added_by: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO program_managers (program_id, user_id, added_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(program_id)
    .bind(user_id)
    .bind(added_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_manager(tx: &mut Tx, program_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM program_managers WHERE program_id = $1 AND user_id = $2")
        .bind(program_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn is_manager<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
    user_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM program_managers WHERE program_id = $1 AND user_id = $2",
    )
    .bind(program_id)
    .bind(user_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// A program's managers: (user id, first name, last name, email).
pub async fn managers<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<(String, String, String, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.first_name, u.last_name, u.email FROM program_managers m \
         JOIN users u ON u.id = m.user_id WHERE m.program_id = $1 ORDER BY u.first_name, u.id",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await
}

// ---- the mentors' pool ----

row! {
/// A mentor in a program's pool, with what matching needs.
#[derive(Debug, Clone)]
pub struct PoolRow {
    pub mentor_id: String,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub capacity: i64,
    pub answers: serde_json::Value,
    pub status: String,
    /// Published pairings and draft proposals with them.
    pub matched: i64,
    pub proposed: i64,
}
}

/// Opts a mentor in (or changes their capacity and answers).
pub async fn upsert_mentor(
    tx: &mut Tx,
    program_id: &str,
    mentor_id: &str,
    capacity: i64,
    answers: &serde_json::Value,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO program_mentors (program_id, mentor_id, capacity, answers, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $5) \
         ON CONFLICT (program_id, mentor_id) DO UPDATE SET capacity = $3, answers = $4, \
         status = 'active', updated_at = $5",
    )
    .bind(program_id)
    .bind(mentor_id)
    .bind(capacity)
    .bind(answers.to_string())
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn withdraw_mentor(
    tx: &mut Tx,
    program_id: &str,
    mentor_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_mentors SET status = 'withdrawn', updated_at = $3 \
         WHERE program_id = $1 AND mentor_id = $2 AND status = 'active'",
    )
    .bind(program_id)
    .bind(mentor_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A program's pool (active mentors, or everyone who ever opted in), by name.
pub async fn pool<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
    active_only: bool,
) -> sqlx::Result<Vec<PoolRow>> {
    sqlx::query_as(
        "SELECT pm.mentor_id, u.first_name, u.last_name, u.headline, \
         COALESCE(mp.expertise, '[]') AS expertise, COALESCE(mp.skills, '[]') AS skills, \
         pm.capacity, pm.answers, pm.status, \
         (SELECT COUNT(*) FROM program_matches x WHERE x.program_id = pm.program_id \
          AND x.mentor_id = pm.mentor_id AND x.status = 'published') AS matched, \
         (SELECT COUNT(*) FROM program_matches x WHERE x.program_id = pm.program_id \
          AND x.mentor_id = pm.mentor_id AND x.status = 'draft') AS proposed \
         FROM program_mentors pm JOIN users u ON u.id = pm.mentor_id \
         LEFT JOIN mentor_profiles mp ON mp.user_id = pm.mentor_id \
         WHERE pm.program_id = $1 AND ($2 = 0 OR pm.status = 'active') \
         ORDER BY u.first_name, u.last_name, pm.mentor_id",
    )
    .bind(program_id)
    .bind(i64::from(active_only))
    .fetch_all(ex)
    .await
}

/// A mentor's place in a program: (capacity, status).
pub async fn mentor_place<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
    mentor_id: &str,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT capacity, status FROM program_mentors WHERE program_id = $1 AND mentor_id = $2",
    )
    .bind(program_id)
    .bind(mentor_id)
    .fetch_optional(ex)
    .await
}

// ---- applications ----

row! {
/// A mentee's application, with their name.
#[derive(Debug, Clone)]
pub struct ApplicationRow {
    pub id: String,
    pub program_id: String,
    pub mentee_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub answers: serde_json::Value,
    pub choices: Vec<String>,
    pub topics: Vec<String>,
    pub status: String,
    pub unmatched_reason: String,
    pub matched_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
}

const APPLICATION_SELECT: &str = "SELECT a.id, a.program_id, a.mentee_id, u.first_name, \
    u.last_name, u.email, a.answers, a.choices, a.topics, a.status, a.unmatched_reason, \
    a.matched_at, a.created_at FROM program_applications a JOIN users u ON u.id = a.mentee_id";

pub struct NewApplication<'a> {
    pub id: &'a str,
    pub program_id: &'a str,
    pub mentee_id: &'a str,
    pub answers: &'a serde_json::Value,
    pub choices: &'a [String],
    pub topics: &'a [String],
}

/// Stores an application; false when the mentee already has a live one (the unique
/// index decides, whatever the races).
pub async fn insert_application(
    tx: &mut Tx,
    a: &NewApplication<'_>,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO program_applications (id, program_id, mentee_id, answers, choices, topics, \
         status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $7) \
         ON CONFLICT DO NOTHING",
    )
    .bind(a.id)
    .bind(a.program_id)
    .bind(a.mentee_id)
    .bind(a.answers.to_string())
    .bind(json(&a.choices))
    .bind(json(&a.topics))
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn application<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ApplicationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A mentee's live application to a program.
pub async fn application_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<ApplicationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} WHERE a.program_id = $1 AND a.mentee_id = $2 AND a.status <> 'withdrawn'"
    )))
    .bind(program_id)
    .bind(mentee_id)
    .fetch_optional(ex)
    .await
}

/// A program's live applications, oldest first.
pub async fn applications<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<ApplicationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} WHERE a.program_id = $1 AND a.status <> 'withdrawn' \
         ORDER BY a.created_at, a.id LIMIT 5000"
    )))
    .bind(program_id)
    .fetch_all(ex)
    .await
}

/// Withdraws an application that is not matched yet; false when there was none.
pub async fn withdraw_application(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_applications SET status = 'withdrawn', updated_at = $2 \
         WHERE id = $1 AND status = 'applied'",
    )
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_unmatched_reason(
    tx: &mut Tx,
    id: &str,
    reason: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE program_applications SET unmatched_reason = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_matched(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_applications SET status = 'matched', unmatched_reason = '', \
         matched_at = $2, updated_at = $2 WHERE id = $1 AND status = 'applied'",
    )
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

// ---- pairings ----

row! {
/// A pairing with both people's names.
#[derive(Debug, Clone)]
pub struct MatchRow {
    pub id: String,
    pub program_id: String,
    pub application_id: String,
    pub mentee_id: String,
    pub mentee_first_name: String,
    pub mentee_last_name: String,
    pub mentor_id: String,
    pub mentor_first_name: String,
    pub mentor_last_name: String,
    pub choice_rank: Option<i64>,
    pub score: i64,
    pub explanation: String,
    pub origin: String,
    pub status: String,
    pub mentorship_id: Option<String>,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
}

const MATCH_SELECT: &str = "SELECT x.id, x.program_id, x.application_id, x.mentee_id, \
    a.first_name AS mentee_first_name, a.last_name AS mentee_last_name, x.mentor_id, \
    b.first_name AS mentor_first_name, b.last_name AS mentor_last_name, x.choice_rank, x.score, \
    x.explanation, x.origin, x.status, x.mentorship_id, x.published_at, x.created_at \
    FROM program_matches x JOIN users a ON a.id = x.mentee_id JOIN users b ON b.id = x.mentor_id";

pub struct NewMatch<'a> {
    pub id: &'a str,
    pub program_id: &'a str,
    pub application_id: &'a str,
    pub mentee_id: &'a str,
    pub mentor_id: &'a str,
    pub choice_rank: Option<i64>,
    pub score: i64,
    pub explanation: &'a str,
    pub origin: &'a str,
}

/// Stores a draft pairing; false when the application already has a live one.
pub async fn insert_match(tx: &mut Tx, m: &NewMatch<'_>, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO program_matches (id, program_id, application_id, mentee_id, mentor_id, \
         choice_rank, score, explanation, origin, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $10) ON CONFLICT DO NOTHING",
    )
    .bind(m.id)
    .bind(m.program_id)
    .bind(m.application_id)
    .bind(m.mentee_id)
    .bind(m.mentor_id)
    .bind(m.choice_rank)
    .bind(m.score)
    .bind(m.explanation)
    .bind(m.origin)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A program's pairings that are not removed: drafts first, then by mentor and mentee.
pub async fn matches<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<MatchRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MATCH_SELECT} WHERE x.program_id = $1 AND x.status <> 'removed' \
         ORDER BY x.status, b.first_name, b.last_name, x.mentor_id, a.first_name, a.last_name, x.id"
    )))
    .bind(program_id)
    .fetch_all(ex)
    .await
}

pub async fn get_match<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<MatchRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MATCH_SELECT} WHERE x.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Which draft proposals of a program to remove.
pub enum Drafts<'a> {
    All,
    /// Those the matching computed (a manager's stay).
    Computed,
    /// The application's (it was withdrawn).
    OfApplication(&'a str),
    /// Those with this mentor (they left the pool).
    OfMentor(&'a str),
}

/// Removes draft proposals of a program; returns how many.
pub async fn remove_drafts(
    tx: &mut Tx,
    program_id: &str,
    which: Drafts<'_>,
    now: Timestamp,
) -> sqlx::Result<u64> {
    let (origin, application, mentor) = match which {
        Drafts::All => (None, None, None),
        Drafts::Computed => (Some("computed"), None, None),
        Drafts::OfApplication(a) => (None, Some(a), None),
        Drafts::OfMentor(m) => (None, None, Some(m)),
    };
    let r = sqlx::query(
        "UPDATE program_matches SET status = 'removed', updated_at = $5 \
         WHERE program_id = $1 AND status = 'draft' AND ($2 IS NULL OR origin = $2) \
         AND ($3 IS NULL OR application_id = $3) AND ($4 IS NULL OR mentor_id = $4)",
    )
    .bind(program_id)
    .bind(origin)
    .bind(application)
    .bind(mentor)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Removes one draft; false when it is not a draft (any more).
pub async fn remove_match(tx: &mut Tx, id: &str, now: Timestamp) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_matches SET status = 'removed', updated_at = $2 WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives a draft another mentor (a manager's change).
pub async fn set_match_mentor(
    tx: &mut Tx,
    id: &str,
    mentor_id: &str,
    choice_rank: Option<i64>,
    score: i64,
    explanation: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_matches SET mentor_id = $2, choice_rank = $3, score = $4, explanation = $5, \
         origin = 'manual', updated_at = $6 WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(mentor_id)
    .bind(choice_rank)
    .bind(score)
    .bind(explanation)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn publish_match(
    tx: &mut Tx,
    id: &str,
    mentorship_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE program_matches SET status = 'published', mentorship_id = $2, published_at = $3, \
         updated_at = $3 WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(mentorship_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

// ---- program mentorships ----

/// Starts a program mentorship for a pair: a new accepted one, or the pair's live one
/// (accepted if it was pending) now counted in the program. Returns its id.
pub async fn start_mentorship(
    tx: &mut Tx,
    program_id: &str,
    mentor_id: &str,
    mentee_id: &str,
    new_id: &str,
    now: Timestamp,
) -> sqlx::Result<String> {
    let live: Option<String> = sqlx::query_scalar(
        "UPDATE mentorships SET program_id = COALESCE(program_id, $3), status = 'accepted', \
         responded_at = COALESCE(responded_at, $4), started_at = COALESCE(started_at, $4), \
         updated_at = $4 WHERE mentor_id = $1 AND mentee_id = $2 AND status IN ('pending', 'accepted') \
         RETURNING id",
    )
    .bind(mentor_id)
    .bind(mentee_id)
    .bind(program_id)
    .bind(now.stored())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = live {
        return Ok(id);
    }
    sqlx::query(
        "INSERT INTO mentorships (id, mentor_id, mentee_id, status, message, expires_at, \
         responded_at, started_at, program_id, created_at, updated_at) \
         VALUES ($1, $2, $3, 'accepted', '', $4, $4, $4, $5, $4, $4)",
    )
    .bind(new_id)
    .bind(mentor_id)
    .bind(mentee_id)
    .bind(now.stored())
    .bind(program_id)
    .execute(&mut **tx)
    .await?;
    Ok(new_id.to_string())
}

/// The programs a user manages.
pub async fn managed_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT program_id FROM program_managers WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(ex)
        .await
}

/// A mentee's published pairing in a program.
pub async fn published_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
    mentee_id: &str,
) -> sqlx::Result<Option<MatchRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MATCH_SELECT} WHERE x.program_id = $1 AND x.mentee_id = $2 AND x.status = 'published' \
         ORDER BY x.published_at DESC LIMIT 1"
    )))
    .bind(program_id)
    .bind(mentee_id)
    .fetch_optional(ex)
    .await
}

// ---- nudges ----

/// A program's stored nudge rules: (rule, days, enabled).
pub async fn nudge_rules<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<(String, i64, bool)>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT rule, days, enabled FROM program_nudge_rules WHERE program_id = $1 ORDER BY rule",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(r, d, e)| (r, d, e == 1)).collect())
}

pub async fn set_nudge_rule(
    tx: &mut Tx,
    program_id: &str,
    rule: &str,
    days: i64,
    enabled: bool,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO program_nudge_rules (program_id, rule, days, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (program_id, rule) \
         DO UPDATE SET days = $3, enabled = $4, updated_at = $5",
    )
    .bind(program_id)
    .bind(rule)
    .bind(days)
    .bind(i64::from(enabled))
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Programs with at least one enabled nudge rule that may be due (open or running).
pub async fn programs_with_nudges<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT p.id FROM programs p JOIN program_nudge_rules r ON r.program_id = p.id \
         WHERE r.enabled = 1 AND p.status IN ('open', 'running') ORDER BY p.id",
    )
    .fetch_all(ex)
    .await
}

/// The nudges a program has sent: (rule, user id, subject id, when).
pub async fn nudges_sent<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<(String, String, String, Timestamp)>> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT rule, user_id, subject_id, sent_at FROM program_nudges WHERE program_id = $1 \
         ORDER BY sent_at DESC, id DESC LIMIT 5000",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|(r, u, s, at)| Ok((r, u, s, super::column::instant(at, "sent_at")?)))
        .collect()
}

/// Records a nudge; false when that nudge was sent already (by anyone).
pub async fn record_nudge(
    tx: &mut Tx,
    program_id: &str,
    rule: &str,
    user_id: &str,
    subject_id: &str,
    now: Timestamp,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO program_nudges (id, program_id, rule, user_id, subject_id, sent_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(crate::domain::ids::new_id())
    .bind(program_id)
    .bind(rule)
    .bind(user_id)
    .bind(subject_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A member's applications and pool places in every program, for their data export:
/// (program id, program name, role, status, answers, choices, created at).
pub async fn enrolments_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, String, String, String, String, i64)>> {
    sqlx::query_as(
        "SELECT p.id, p.name, 'mentee', a.status, a.answers, a.choices, a.created_at \
         FROM program_applications a JOIN programs p ON p.id = a.program_id WHERE a.mentee_id = $1 \
         UNION ALL SELECT p.id, p.name, 'mentor', m.status, m.answers, '[]', m.created_at \
         FROM program_mentors m JOIN programs p ON p.id = m.program_id WHERE m.mentor_id = $1 \
         ORDER BY 7",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}
