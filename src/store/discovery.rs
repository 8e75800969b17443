//! Finding mentors: full-text search with filters and sorting, and the candidates for
//! recommendations. Only listed mentors ever come out of here: approved, public, and
//! with an account that is neither suspended nor closed.

use sqlx::{Any, Executor, FromRow};

use super::{Arg, Backend, SqlBuilder, column::row, mentors::PROFILE_COLUMNS};

macro_rules! active_approved {
    () => {
        "p.status = 'approved' AND u.suspended_at IS NULL AND u.deleted_at IS NULL"
    };
}

/// An approved mentor with an active account (profile `p`, user `u`), public or not:
/// their mentees with an accepted mentorship still see and book a hidden one.
pub const ACTIVE_APPROVED: &str = active_approved!();

/// The condition that makes a mentor visible in discovery (profile `p`, user `u`).
pub const LISTED: &str = concat!(active_approved!(), " AND p.is_public = 1");

/// A listed mentor with what a result card shows.
#[derive(Debug, Clone, FromRow)]
pub struct MentorCardRow {
    #[sqlx(flatten)]
    pub profile: super::mentors::MentorProfileRow,
    pub first_name: String,
    pub last_name: String,
    pub headline: String,
    pub avatar_url: String,
    pub timezone: String,
    pub active_mentees: i64,
}

const CARD_EXTRA: &str = ", u.first_name, u.last_name, u.headline, u.avatar_url, u.timezone, \
    (SELECT COUNT(*) FROM mentorships m WHERE m.mentor_id = p.user_id AND m.status = 'accepted') \
    AS active_mentees";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Relevance,
    Rating,
    Price,
    /// Earliest next free slot first.
    Soonest,
}

/// A parsed search.
#[derive(Debug, Clone)]
pub struct Search {
    /// Words to look for (already split and cleaned: letters and digits only).
    pub words: Vec<String>,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub company: Option<String>,
    pub min_rating: Option<f64>,
    pub min_rate: Option<i64>,
    pub max_rate: Option<i64>,
    /// Restrict to these mentors (e.g. those with a free slot); `None`: no restriction.
    pub only_ids: Option<Vec<String>>,
    /// Only mentors whose next free slot is before this instant (a necessary condition
    /// for a free slot in a window ending then; the exact check is the service's).
    pub free_before: Option<i64>,
    pub sort: SortBy,
    pub offset: i64,
    pub limit: i64,
}

/// A tag filter driven from the tag index (`kind, tag, user_id`), so a rare tag reads
/// only its own mentors.
fn tag_filter(b: &mut SqlBuilder, kind: &str, tag: &str) {
    b.push(" AND p.user_id IN (SELECT t.user_id FROM mentor_tags t WHERE t.kind = ")
        .bind(Arg::Text(kind.into()))
        .push(" AND t.tag = ")
        .bind(Arg::Text(tag.into()))
        .push(")");
}

pub async fn search<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    backend: Backend,
    s: &Search,
) -> sqlx::Result<Vec<MentorCardRow>> {
    let ids = search_ids(ex, backend, s).await?;
    cards(ex, &ids).await
}

/// The cards of these listed mentors, in the order given.
pub async fn cards<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    ids: &[String],
) -> sqlx::Result<Vec<MentorCardRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut b = SqlBuilder::new(&format!(
        "SELECT {PROFILE_COLUMNS}{CARD_EXTRA} FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
         WHERE {LISTED} AND p.user_id IN ("
    ));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::Text(id.clone()));
    }
    b.push(")");
    let mut rows: Vec<MentorCardRow> = b.query_as().fetch_all(ex).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.profile.user_id));
    Ok(rows)
}

/// The filtered part of a search (`SELECT p.user_id FROM … WHERE …`) and its rank
/// expression when it searches text. A mentor matches when their profile holds any of
/// the words; more of them ranks higher.
fn filtered(backend: Backend, s: &Search) -> (SqlBuilder, Option<String>) {
    let text = !s.words.is_empty();
    let mut b = SqlBuilder::new("SELECT p.user_id ");
    let rank = match (text, backend) {
        (false, _) => None,
        (true, Backend::Sqlite) => {
            let q = super::any_prefix_query(backend, &s.words);
            // CROSS JOIN pins the join order: walk the full-text matches first and
            // look each profile up by rowid. Left to itself, the planner may scan every
            // listed profile and probe the FTS index once per row (~30x slower).
            b.push(
                "FROM mentor_fts CROSS JOIN mentor_profiles p ON p.rowid = mentor_fts.rowid \
                    CROSS JOIN users u ON u.id = p.user_id WHERE mentor_fts MATCH ",
            )
            .bind(Arg::Text(q));
            Some("bm25(mentor_fts)".to_string())
        }
        (true, Backend::Postgres) => {
            let q = super::any_prefix_query(backend, &s.words);
            b.push(
                "FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
                    WHERE p.search_tsv @@ to_tsquery('english', ",
            )
            .bind(Arg::Text(q));
            let n = b.args.len();
            b.push(")");
            Some(format!(
                "-ts_rank(p.search_tsv, to_tsquery('english', ${n}))"
            ))
        }
    };
    if !text {
        b.push("FROM mentor_profiles p JOIN users u ON u.id = p.user_id WHERE 1 = 1");
    }
    b.push(" AND ").push(LISTED);
    for t in &s.expertise {
        tag_filter(&mut b, "expertise", t);
    }
    for t in &s.skills {
        tag_filter(&mut b, "skill", t);
    }
    for t in &s.industries {
        tag_filter(&mut b, "industry", t);
    }
    if let Some(c) = &s.company {
        b.push(" AND LOWER(p.company) = ")
            .bind(Arg::Text(c.clone()));
    }
    if let Some(r) = s.min_rating {
        b.push(" AND p.rating_avg >= ").bind(Arg::Float(r));
    }
    if let Some(r) = s.min_rate {
        b.push(" AND p.hourly_rate >= ").bind(Arg::Int(r));
    }
    if let Some(r) = s.max_rate {
        b.push(" AND p.hourly_rate <= ").bind(Arg::Int(r));
    }
    if let Some(before) = s.free_before {
        b.push(" AND p.next_free_at IS NOT NULL AND p.next_free_at < ")
            .bind(Arg::Int(before));
    }
    if let Some(ids) = &s.only_ids {
        // None of them: a filter nothing passes.
        b.push(" AND p.user_id IN (''");
        for id in ids {
            b.push(", ");
            b.bind(Arg::Text(id.clone()));
        }
        b.push(")");
    }
    (b, rank)
}

/// Phase one of a search: the ids of one page, in order. Only narrow rows are
/// filtered and sorted; the cards (wide rows, the capacity count) are loaded for the
/// page alone by [`cards`].
async fn search_ids<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    backend: Backend,
    s: &Search,
) -> sqlx::Result<Vec<String>> {
    if s.only_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(vec![]);
    }
    let (mut b, rank) = filtered(backend, s);
    let order = match (s.sort, rank) {
        (SortBy::Relevance, Some(rank)) => format!("{rank}, p.rating_avg DESC, p.user_id"),
        (SortBy::Price, _) => "p.hourly_rate, p.rating_avg DESC, p.user_id".into(),
        (SortBy::Soonest, _) => {
            "CASE WHEN p.next_free_at IS NULL THEN 1 ELSE 0 END, p.next_free_at, p.user_id".into()
        }
        _ => "p.rating_avg DESC, p.rating_count DESC, p.user_id".into(),
    };
    b.push(&format!(" ORDER BY {order} LIMIT "))
        .bind(Arg::Int(s.limit))
        .push(" OFFSET ")
        .bind(Arg::Int(s.offset));
    let rows: Vec<(String,)> = b.query_as().fetch_all(ex).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// How many mentors a search finds, counted up to `cap`.
pub async fn count<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    backend: Backend,
    s: &Search,
    cap: i64,
) -> sqlx::Result<i64> {
    if s.only_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0);
    }
    let (inner, _) = filtered(backend, s);
    let mut b = SqlBuilder {
        sql: format!("SELECT COUNT(*) FROM ({}", inner.sql),
        args: inner.args,
    };
    b.push(" LIMIT ").bind(Arg::Int(cap)).push(") found");
    let (n,): (i64,) = b.query_as().fetch_one(ex).await?;
    Ok(n)
}

/// A tag of discovery's vocabulary and how many listed mentors carry it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TagCount {
    pub kind: String,
    pub tag: String,
    pub mentors: i64,
}

/// The tags listed mentors carry (expertise, skills, industries), most carried first,
/// at most `per_kind` of each kind.
pub async fn vocabulary<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    per_kind: i64,
) -> sqlx::Result<Vec<TagCount>> {
    let sql = format!(
        "SELECT kind, tag, mentors FROM (\
           SELECT t.kind, t.tag, COUNT(*) AS mentors, \
             ROW_NUMBER() OVER (PARTITION BY t.kind ORDER BY COUNT(*) DESC, t.tag) AS n \
           FROM mentor_tags t JOIN mentor_profiles p ON p.user_id = t.user_id \
             JOIN users u ON u.id = p.user_id \
           WHERE {LISTED} GROUP BY t.kind, t.tag) ranked \
         WHERE n <= $1 ORDER BY kind, mentors DESC, tag"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(per_kind)
        .fetch_all(ex)
        .await
}

/// One listed mentor, by id.
pub async fn listed_mentor<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<MentorCardRow>> {
    visible_mentor(ex, id, None).await
}

/// One mentor `viewer` may see and book, by id: a listed one, or an approved one who
/// hides their profile from search (`is_public` off) from everyone but their mentees
/// with an accepted mentorship.
///
/// The listing is checked on the row found by its key (a column), not in `WHERE`:
/// there PostgreSQL estimated the status tests at 0.5 % of the rows and walked every
/// approved mentor's profile through the status index to find this one (the profile
/// page and the slot listing read it). The mentorship is looked up only for a hidden
/// profile (`CASE` stops at the first true branch).
pub async fn visible_mentor<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    viewer: Option<&str>,
) -> sqlx::Result<Option<MentorCardRow>> {
    #[derive(FromRow)]
    struct Found {
        #[sqlx(flatten)]
        card: MentorCardRow,
        listed: i64,
    }
    let sql = format!(
        "SELECT {PROFILE_COLUMNS}{CARD_EXTRA}, \
         CAST(CASE WHEN {LISTED} THEN 1 WHEN {ACTIVE_APPROVED} AND EXISTS (SELECT 1 \
         FROM mentorships m WHERE m.mentor_id = p.user_id AND m.mentee_id = $2 \
         AND m.status = 'accepted') THEN 1 ELSE 0 END AS BIGINT) AS listed \
         FROM mentor_profiles p JOIN users u ON u.id = p.user_id WHERE p.user_id = $1"
    );
    let found: Option<Found> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(viewer.unwrap_or(""))
        .fetch_optional(ex)
        .await?;
    Ok(found.filter(|f| f.listed == 1).map(|f| f.card))
}

/// A mentor by id whatever their status (for their own and admins' eyes).
pub async fn any_mentor<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<MentorCardRow>> {
    let sql = format!(
        "SELECT {PROFILE_COLUMNS}{CARD_EXTRA} FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
         WHERE p.user_id = $1 AND u.deleted_at IS NULL"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

row! {
/// What ranking a mentor for a mentee looks at; the card is read afterwards for the
/// few that are shown (reading 400 whole cards cost more than the ranking itself).
#[derive(Debug, Clone)]
pub struct CandidateRow {
    pub user_id: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub rating_avg: f64,
    pub rating_count: i64,
    pub max_mentees: i64,
    pub active_mentees: i64,
}
}

/// Leaves out the mentors of a mentorship of the mentee bound next, pending or
/// accepted (closed with `)`).
const NOT_ASKED: &str = " AND p.user_id NOT IN (SELECT m.mentor_id FROM mentorships m \
    WHERE m.status IN ('pending', 'accepted') AND m.mentee_id = ";

const CANDIDATE_COLUMNS: &str = "p.user_id, p.expertise, p.skills, p.industries, p.rating_avg, \
    p.rating_count, p.max_mentees, \
    (SELECT COUNT(*) FROM mentorships m WHERE m.mentor_id = p.user_id AND m.status = 'accepted') \
    AS active_mentees";

/// Listed mentors worth ranking for someone interested in `terms`: the best rated
/// `limit` sharing a tag with them, then the best rated `limit` overall (so a mentee
/// without interests still gets suggestions), without repeats — and without the
/// mentors they already have or have asked (a mentorship pending or accepted).
pub async fn recommendation_candidates<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
    terms: &[String],
    exclude_user: &str,
    limit: i64,
) -> sqlx::Result<Vec<CandidateRow>> {
    let mut rows: Vec<CandidateRow> = vec![];
    if !terms.is_empty() {
        let mut b = SqlBuilder::new(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
             WHERE {LISTED} AND p.user_id <> "
        ));
        b.bind(Arg::Text(exclude_user.into()));
        b.push(NOT_ASKED)
            .bind(Arg::Text(exclude_user.into()))
            .push(")");
        b.push(" AND p.user_id IN (SELECT t.user_id FROM mentor_tags t WHERE t.tag IN (");
        for (i, t) in terms.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind(Arg::Text(t.clone()));
        }
        b.push(")) ORDER BY p.rating_avg DESC, p.user_id LIMIT ")
            .bind(Arg::Int(limit));
        rows = b.query_as().fetch_all(ex).await?;
    }
    let sql = format!(
        "SELECT {CANDIDATE_COLUMNS} FROM mentor_profiles p JOIN users u ON u.id = p.user_id \
         WHERE {LISTED} AND p.user_id <> $1{NOT_ASKED}$1) \
         ORDER BY p.rating_avg DESC, p.rating_count DESC, p.user_id LIMIT $2"
    );
    let top: Vec<CandidateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(exclude_user)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    for r in top {
        if !rows.iter().any(|x| x.user_id == r.user_id) {
            rows.push(r);
        }
    }
    Ok(rows)
}
