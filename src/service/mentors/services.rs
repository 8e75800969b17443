//! What a mentor offers: services (sessions and reviews), their validation, and who may see them.

use super::*;

/// `POST /api/v1/me/services`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// `session`, `resume_review`, `linkedin_review` or `custom`.
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// For a session, its length; for a review, the time the mentor needs for it.
    pub duration_minutes: i64,
    pub credit_cost: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

/// `PATCH /api/v1/me/services/{id}`: any subset of the fields.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub credit_cost: Option<i64>,
    pub active: Option<bool>,
}

pub(super) struct ValidService {
    kind: ServiceKind,
    title: String,
    description: String,
    duration_minutes: i64,
    credit_cost: i64,
    active: bool,
}

/// Checks a service's fields without writing anything (a page whose numbers did not
/// parse says every other problem at once, too).
pub fn check_service(input: &ServiceInput) -> AppResult<()> {
    validate_service(input).map(|_| ())
}

pub(super) fn validate_service(input: &ServiceInput) -> AppResult<ValidService> {
    let mut v = Validator::new();
    let kind = v.check(ServiceKind::parse(&input.kind).ok_or_else(|| {
        FieldError::new(
            "kind",
            "invalid_kind",
            "kind is one of session, resume_review, linkedin_review, custom.",
        )
    }));
    let title = v.check(text::required_line("title", &input.title, 120));
    let description = v.check(text::optional_text("description", &input.description, 2000));
    let duration_minutes = v.check(mentor::duration(input.duration_minutes));
    let credit_cost = v.check(mentor::credit_cost(input.credit_cost));
    v.finish()?;
    match (kind, title, description, duration_minutes, credit_cost) {
        (Some(kind), Some(title), Some(description), Some(duration_minutes), Some(credit_cost)) => {
            Ok(ValidService {
                kind,
                title,
                description,
                duration_minutes,
                credit_cost,
                active: input.active,
            })
        }
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "validator passed with a missing field"
        ))),
    }
}

pub(super) async fn require_mentor_profile(
    ctx: &Ctx,
    user: &UserRow,
) -> AppResult<MentorProfileRow> {
    store::mentors::profile(&ctx.db.pool, &user.id)
        .await?
        .filter(|p| p.status != MentorStatus::Draft)
        .ok_or_else(|| {
            AppError::forbidden("Fill in your mentor profile first: services belong to mentors.")
        })
}

pub async fn my_services(ctx: &Ctx, user: &UserRow) -> AppResult<Vec<ServiceRow>> {
    Ok(store::mentors::services_of(&ctx.db.pool, &user.id, true).await?)
}

pub async fn create_service(
    ctx: &Ctx,
    user: &UserRow,
    input: &ServiceInput,
) -> AppResult<ServiceRow> {
    require_mentor_profile(ctx, user).await?;
    let s = validate_service(input)?;
    // Counted under the mentor profile's lock, in the write: requests sent at once
    // cannot pass the limit together.
    let mut tx = ctx.db.begin_write().await?;
    store::mentors::lock_profile(&mut tx, ctx.db.backend, &user.id).await?;
    if store::mentors::services_of(&mut *tx, &user.id, true)
        .await?
        .len()
        >= 30
    {
        return Err(AppError::conflict(
            "too_many_services",
            "A mentor offers at most 30 services.",
        ));
    }
    let id = new_id();
    store::mentors::insert_service(
        &mut *tx,
        &id,
        &user.id,
        &ServiceWrite {
            kind: s.kind.as_str(),
            title: &s.title,
            description: &s.description,
            duration_minutes: s.duration_minutes,
            credit_cost: s.credit_cost,
            active: s.active,
        },
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    // The next free slot is found for the shortest timed service.
    crate::service::availability::refresh_next_free_after(ctx, &user.id).await;
    store::mentors::service(&ctx.db.pool, &id)
        .await?
        .ok_or(AppError::NotFound)
}

pub(super) async fn own_service(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<ServiceRow> {
    store::mentors::service(&ctx.db.pool, id)
        .await?
        .filter(|s| s.mentor_id == user.id && s.deleted_at.is_none())
        .ok_or(AppError::NotFound)
}

pub async fn update_service(
    ctx: &Ctx,
    user: &UserRow,
    id: &str,
    patch: &ServicePatch,
) -> AppResult<ServiceRow> {
    let cur = own_service(ctx, user, id).await?;
    let merged = ServiceInput {
        kind: patch
            .kind
            .clone()
            .unwrap_or_else(|| cur.kind.as_str().to_string()),
        title: patch.title.clone().unwrap_or(cur.title),
        description: patch.description.clone().unwrap_or(cur.description),
        duration_minutes: patch.duration_minutes.unwrap_or(cur.duration_minutes),
        credit_cost: patch.credit_cost.unwrap_or(cur.credit_cost),
        active: patch.active.unwrap_or(cur.active),
    };
    let s = validate_service(&merged)?;
    store::mentors::update_service(
        &ctx.db.pool,
        id,
        &ServiceWrite {
            kind: s.kind.as_str(),
            title: &s.title,
            description: &s.description,
            duration_minutes: s.duration_minutes,
            credit_cost: s.credit_cost,
            active: s.active,
        },
        ctx.now(),
    )
    .await?;
    crate::service::availability::refresh_next_free_after(ctx, &user.id).await;
    own_service(ctx, user, id).await
}

pub async fn delete_service(ctx: &Ctx, user: &UserRow, id: &str) -> AppResult<()> {
    own_service(ctx, user, id).await?;
    store::mentors::delete_service(&ctx.db.pool, id, ctx.now()).await?;
    crate::service::availability::refresh_next_free_after(ctx, &user.id).await;
    Ok(())
}

/// Active services of a mentor `viewer` may see (404 for anyone else).
pub async fn public_services(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    mentor_id: &str,
) -> AppResult<Vec<ServiceRow>> {
    store::discovery::visible_mentor(&ctx.db.pool, mentor_id, viewer.map(|v| v.id.as_str()))
        .await?
        .ok_or(AppError::NotFound)?;
    offered_services(ctx, mentor_id).await
}
