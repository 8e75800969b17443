//! Mentor and mentee profiles, tags, full-text search documents, services.

use crate::store::column::Column;
use sqlx::{Any, Executor, FromRow};

use jiff::Timestamp;

use super::{Backend, Tx, column::row};
use crate::domain::mentor::{ExperienceEntry, MentorStatus, ServiceKind};

/// Columns of `mentor_profiles` that can be selected (the Postgres `search_tsv` column
/// cannot be decoded by the Any driver, so `SELECT *` is never used here).
pub const PROFILE_COLUMNS: &str = "p.user_id, p.status, p.bio, p.expertise, p.skills, \
    p.industries, p.company, p.title, p.experience, p.hourly_rate, p.max_mentees, p.is_public, \
    p.rating_avg, p.rating_count, p.decision_reason, p.decided_by, p.decided_at, p.applied_at, \
    p.created_at, p.updated_at, p.next_free_at, p.no_show_count";

row! {
#[derive(Debug, Clone)]
pub struct MentorProfileRow {
    pub user_id: String,
    pub status: MentorStatus,
    pub bio: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub company: String,
    pub title: String,
    pub experience: Vec<ExperienceEntry>,
    pub hourly_rate: i64,
    pub max_mentees: i64,
    pub is_public: bool,
    pub rating_avg: f64,
    pub rating_count: i64,
    pub decision_reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub applied_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The next free slot, kept fresh by the server (None: none, or no availability).
    pub next_free_at: Option<Timestamp>,
    /// Sessions mentees reported the mentor missed.
    pub no_show_count: i64,
}
}

pub async fn profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Option<MentorProfileRow>> {
    let sql = format!("SELECT {PROFILE_COLUMNS} FROM mentor_profiles p WHERE p.user_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

/// The fields a mentor writes.
pub struct ProfileWrite<'a> {
    pub user_id: &'a str,
    pub status: &'a str,
    pub bio: &'a str,
    pub expertise: &'a str,
    pub skills: &'a str,
    pub industries: &'a str,
    pub company: &'a str,
    pub title: &'a str,
    pub experience: &'a str,
    pub hourly_rate: i64,
    pub max_mentees: i64,
    pub is_public: bool,
    pub search_doc: &'a str,
    /// Set `applied_at` to now (a new or re-filed application).
    pub reapply: bool,
    pub now: Timestamp,
}

/// Creates or replaces a mentor profile (keeping rating and decision history).
pub async fn upsert_profile(tx: &mut Tx, p: &ProfileWrite<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentor_profiles (user_id, status, bio, expertise, skills, industries, company, \
         title, experience, hourly_rate, max_mentees, is_public, search_doc, applied_at, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14) \
         ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, bio = excluded.bio, \
         expertise = excluded.expertise, skills = excluded.skills, industries = excluded.industries, \
         company = excluded.company, title = excluded.title, experience = excluded.experience, \
         hourly_rate = excluded.hourly_rate, max_mentees = excluded.max_mentees, \
         is_public = excluded.is_public, search_doc = excluded.search_doc, \
         applied_at = CASE WHEN $15 = 1 THEN excluded.applied_at ELSE mentor_profiles.applied_at END, \
         updated_at = excluded.updated_at",
    )
    .bind(p.user_id)
    .bind(p.status)
    .bind(p.bio)
    .bind(p.expertise)
    .bind(p.skills)
    .bind(p.industries)
    .bind(p.company)
    .bind(p.title)
    .bind(p.experience)
    .bind(p.hourly_rate)
    .bind(p.max_mentees)
    .bind(i64::from(p.is_public))
    .bind(p.search_doc)
    .bind(p.now.stored())
    .bind(i64::from(p.reapply))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates an empty draft profile (someone who signed up as a mentor).
pub async fn insert_draft(tx: &mut Tx, user_id: &str, now: Timestamp) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentor_profiles (user_id, status, hourly_rate, max_mentees, applied_at, \
         created_at, updated_at) VALUES ($1, 'draft', 0, 3, $2, $2, $2) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_status(
    tx: &mut Tx,
    user_id: &str,
    status: &str,
    reason: &str,
    decided_by: Option<&str>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE mentor_profiles SET status = $2, decision_reason = $3, decided_by = $4, \
         decided_at = $5, updated_at = $5 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(status)
    .bind(reason)
    .bind(decided_by)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refreshes the text the search index covers (after a name or headline change).
pub async fn set_search_doc(
    tx: &mut Tx,
    user_id: &str,
    doc: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE mentor_profiles SET search_doc = $2, updated_at = $3 WHERE user_id = $1")
        .bind(user_id)
        .bind(doc)
        .bind(now.stored())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces a mentor's tags of every kind.
pub async fn replace_tags(
    tx: &mut Tx,
    user_id: &str,
    tags: &[(&str, &[String])],
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM mentor_tags WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for (kind, list) in tags {
        for tag in *list {
            sqlx::query(
                "INSERT INTO mentor_tags (user_id, kind, tag, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(*kind)
            .bind(tag)
            .bind(now.stored())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Takes the mentor's row lock for the rest of the transaction (capacity checks). On
/// SQLite the write transaction already holds the database's single write lock.
pub async fn lock_profile(tx: &mut Tx, backend: Backend, user_id: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT user_id FROM mentor_profiles WHERE user_id = $1 FOR NO KEY UPDATE")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A row of the admin's application queue.
#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    #[sqlx(flatten)]
    pub profile: MentorProfileRow,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub headline: String,
}

pub async fn applications<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    status: Option<&str>,
    after: Option<(i64, String)>,
    limit: i64,
) -> sqlx::Result<Vec<ApplicationRow>> {
    let sql = format!(
        "SELECT {PROFILE_COLUMNS}, u.first_name, u.last_name, u.email, u.headline \
         FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
         WHERE p.status <> 'draft' AND ($1 IS NULL OR p.status = $1) AND u.deleted_at IS NULL \
         AND ($2 IS NULL OR p.applied_at > $2 OR (p.applied_at = $2 AND p.user_id > $3)) \
         ORDER BY p.applied_at, p.user_id LIMIT $4"
    );
    let (after_at, after_id) = match after {
        Some((a, id)) => (Some(a), Some(id)),
        None => (None, None),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// Live mentees (accepted mentorships) of a mentor.
pub async fn active_mentees<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM mentorships WHERE mentor_id = $1 AND status = 'accepted'",
    )
    .bind(mentor_id)
    .fetch_one(ex)
    .await
}

// ---------------------------------------------------------------- mentee profiles

row! {
#[derive(Debug, Clone)]
pub struct MenteeProfileRow {
    pub user_id: String,
    pub bio: String,
    pub goals: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

/// Whether `mentor_id` mentors, mentored or is asked to mentor `mentee_id`: a
/// mentorship between them that is pending, accepted or ended, a booking of any
/// status, or a seat or place in line in one of the mentor's group sessions.
pub async fn knows_mentee<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    mentee_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM mentorships WHERE mentor_id = $1 AND mentee_id = $2 \
         AND status IN ('pending', 'accepted', 'ended')) \
         + (SELECT COUNT(*) FROM bookings WHERE mentor_id = $1 AND mentee_id = $2) \
         + (SELECT COUNT(*) FROM group_seats s JOIN group_sessions g ON g.id = s.session_id \
         WHERE g.mentor_id = $1 AND s.user_id = $2)",
    )
    .bind(mentor_id)
    .bind(mentee_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

pub async fn mentee_profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Option<MenteeProfileRow>> {
    sqlx::query_as("SELECT * FROM mentee_profiles WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

pub async fn upsert_mentee_profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    bio: &str,
    goals: &str,
    skills: &str,
    interests: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentee_profiles (user_id, bio, goals, skills, interests, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (user_id) DO UPDATE SET bio = excluded.bio, \
         goals = excluded.goals, skills = excluded.skills, interests = excluded.interests, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(bio)
    .bind(goals)
    .bind(skills)
    .bind(interests)
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- services

row! {
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: String,
    pub mentor_id: String,
    pub kind: ServiceKind,
    pub title: String,
    pub description: String,
    pub duration_minutes: i64,
    pub credit_cost: i64,
    pub active: bool,
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
}

pub struct ServiceWrite<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub duration_minutes: i64,
    pub credit_cost: i64,
    pub active: bool,
}

pub async fn insert_service<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    mentor_id: &str,
    s: &ServiceWrite<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO services (id, mentor_id, kind, title, description, duration_minutes, \
         credit_cost, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(mentor_id)
    .bind(s.kind)
    .bind(s.title)
    .bind(s.description)
    .bind(s.duration_minutes)
    .bind(s.credit_cost)
    .bind(i64::from(s.active))
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn update_service<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    s: &ServiceWrite<'_>,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE services SET kind = $2, title = $3, description = $4, duration_minutes = $5, \
         credit_cost = $6, active = $7, updated_at = $8 WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(s.kind)
    .bind(s.title)
    .bind(s.description)
    .bind(s.duration_minutes)
    .bind(s.credit_cost)
    .bind(i64::from(s.active))
    .bind(now.stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes a service from offer; the row stays for the bookings that used it.
pub async fn delete_service<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: Timestamp,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE services SET deleted_at = $2, active = 0, updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now.stored())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn service<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<ServiceRow>> {
    sqlx::query_as("SELECT * FROM services WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// A mentor's services, oldest first; deleted ones never, inactive ones when asked.
pub async fn services_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
    include_inactive: bool,
) -> sqlx::Result<Vec<ServiceRow>> {
    sqlx::query_as(
        "SELECT * FROM services WHERE mentor_id = $1 AND deleted_at IS NULL \
         AND (active = 1 OR $2 = 1) ORDER BY created_at, id",
    )
    .bind(mentor_id)
    .bind(i64::from(include_inactive))
    .fetch_all(ex)
    .await
}
