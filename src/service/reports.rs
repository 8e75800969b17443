//! Reporting content or people to the admins, and the admins' answer.
//!
//! A member reports what they can see: an article they may read, a comment on one, a
//! chat message in one of their threads, or another user. One open report per
//! reporter and target. An admin either dismisses the reports on a target or acts:
//! an article is unpublished (back to its author as a draft), a comment or a chat
//! message deleted, a user suspended. Both close every open report on that target
//! and are written to the audit log.

use serde::Deserialize;
use utoipa::ToSchema;

use super::Ctx;
use crate::{
    domain::report::ReportStatus,
    domain::{ids::new_id, text},
    error::{AppError, AppResult},
    store::{self, users::UserRow},
};

pub use crate::store::reports::ReportRow;

/// `POST /api/v1/reports`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// `article`, `comment`, `message` or `user`.
    pub target_type: String,
    pub target_id: String,
    /// What is wrong (1-1000 characters).
    pub reason: String,
}

/// `POST /api/v1/admin/reports/{id}/resolve`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `dismiss` (nothing wrong) or `remove` (unpublish the article, delete the
    /// comment or message, suspend the user).
    pub action: String,
    #[serde(default)]
    pub note: Option<String>,
}

const TARGETS: [&str; 4] = ["article", "comment", "message", "user"];

/// Checks the reporter can see the target; answers a short description of it.
async fn target_summary(ctx: &Ctx, who: &UserRow, kind: &str, id: &str) -> AppResult<String> {
    match kind {
        "article" => {
            let a = super::articles::load(ctx, Some(who), id).await?;
            Ok(format!("Article “{}”", a.title))
        }
        "comment" => {
            let c = store::articles::comment(&ctx.db.pool, id)
                .await?
                .ok_or(AppError::NotFound)?;
            super::articles::load(ctx, Some(who), &c.article_id).await?;
            Ok(format!("Comment: {}", excerpt(&c.body, 120)))
        }
        "message" => {
            let m = store::messages::message(&ctx.db.pool, id)
                .await?
                .filter(|m| m.deleted_at.is_none())
                .ok_or(AppError::NotFound)?;
            // A member reports only what their own chats hold; an admin reads a
            // reported message (and who sent it) without being in the chat.
            if !super::admin::is_admin(who) {
                super::messages::my_thread(ctx, who, &m.thread_id).await?;
                return Ok(format!("Message: {}", excerpt(&m.content, 120)));
            }
            let from = match &m.sender_id {
                Some(s) => store::users::by_id(&ctx.db.pool, s)
                    .await?
                    .map(|u| format!(" from {} {} ({})", u.first_name, u.last_name, u.email))
                    .unwrap_or_default(),
                None => String::new(),
            };
            Ok(format!("Message{from}: {}", excerpt(&m.content, 120)))
        }
        _ => {
            let u = store::users::by_id(&ctx.db.pool, id)
                .await?
                .filter(|u| u.deleted_at.is_none())
                .ok_or(AppError::NotFound)?;
            Ok(format!("User {} {}", u.first_name, u.last_name))
        }
    }
}

/// What a report would be about, in words ("Article “…”", "User …"), for the member
/// reporting it: only what they can see (else not found).
pub async fn what(ctx: &Ctx, who: &UserRow, kind: &str, id: &str) -> AppResult<String> {
    target_summary(ctx, who, kind, id).await
}

/// What was reported, as its reporter is told of it: "the message", "the comment on
/// “Title”", "the article “Title”", "the account of Ada Lovelace".
async fn what_it_was(ctx: &Ctx, (kind, id): (&str, &str)) -> AppResult<String> {
    let pool = &ctx.db.pool;
    Ok(match kind {
        "article" => match store::articles::get(pool, None, Some(id), None).await? {
            Some(a) => format!("the article “{}”", a.title),
            None => "the article".into(),
        },
        "comment" => match store::articles::comment(pool, id).await? {
            Some(c) => match store::articles::get(pool, None, Some(&c.article_id), None).await? {
                Some(a) => format!("the comment on “{}”", a.title),
                None => "the comment".into(),
            },
            None => "the comment".into(),
        },
        "message" => "the chat message".into(),
        _ => match store::users::by_id(pool, id).await? {
            Some(u) => format!("the account of {} {}", u.first_name, u.last_name),
            None => "the account".into(),
        },
    })
}

/// How a report ended, as its reporters are told (title, body): removed (taken down,
/// the account suspended), or looked at and left as it was.
fn outcome(what: &str, status: &str, kind: &str) -> (String, String) {
    let done = match (status, kind) {
        ("actioned", "user") => "suspended",
        ("actioned", "article") => "taken down",
        ("actioned", _) => "removed",
        _ => "",
    };
    if done.is_empty() {
        (
            "Your report was looked at".to_string(),
            format!(
                "Thank you for reporting {what}. An administrator looked at it and left it as it is: it did not break the site's rules as they read them."
            ),
        )
    } else {
        (
            format!("What you reported was {done}"),
            format!("Thank you for reporting {what}: an administrator agreed, and it was {done}."),
        )
    }
}

/// Tells one reporter how their report ended ([`outcome`]).
async fn tell_reporter(
    ctx: &Ctx,
    tx: &mut store::Tx,
    reporter: &str,
    (title, body): &(String, String),
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<()> {
    let Some(u) = store::users::by_id(&mut **tx, reporter).await? else {
        return Ok(());
    };
    if u.deleted_at.is_some() {
        return Ok(());
    }
    let note = super::notify::Note {
        reader: None,
        user_id: &u.id,
        email: &u.email,
        kind: super::notify::REPORT_DECIDED,
        title: title.clone(),
        body: body.clone(),
        link: String::new(),
        related_id: None,
        ics: None,
    };
    super::notify::notify(ctx, tx, &note, now, live).await
}

/// A reported target no longer there, as the queue names it.
fn gone(kind: &str) -> &'static str {
    match kind {
        "article" => "An article since deleted",
        "comment" => "A comment since deleted",
        "message" => "A message since deleted",
        _ => "An account since closed",
    }
}

/// The first `n` characters of `s`, with an ellipsis when there were more.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

#[tracing::instrument(name = "reports::report", skip_all, fields(user_id = %who.id))]
pub async fn report(ctx: &Ctx, who: &UserRow, input: &ReportInput) -> AppResult<String> {
    let kind = input.target_type.trim();
    if !TARGETS.contains(&kind) {
        return Err(AppError::invalid(
            "target_type",
            "invalid",
            "Report an article, a comment, a message or a user.",
        ));
    }
    let reason = text::required_line("reason", &input.reason.replace(['\r', '\n'], " "), 1000)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let id = crate::domain::ids::parse_id(&input.target_id).ok_or(AppError::NotFound)?;
    if kind == "user" && id == who.id {
        return Err(AppError::invalid(
            "target_id",
            "cannot_report_self",
            "You cannot report yourself.",
        ));
    }
    let summary = target_summary(ctx, who, kind, &id).await?;
    let report_id = new_id();
    let now = ctx.now();
    let mut live = super::events::Live::new();
    let mut tx = ctx.db.begin_write().await?;
    let written =
        store::reports::insert(&mut tx, &report_id, &who.id, (kind, &id), &reason, now).await?;
    if !written {
        return Err(AppError::conflict(
            "already_reported",
            "You already reported this; an admin will look at it.",
        ));
    }
    let note = super::notify::AdminNote {
        kind: super::notify::REPORT_FILED,
        title: format!("Reported: {summary}"),
        body: reason,
        link: "/admin/reports".into(),
        // The target, not the report: resolving closes every report on it at once.
        related_id: &id,
    };
    super::notify::tell_admins(ctx, &mut tx, &note, now, &mut live).await?;
    tx.commit().await?;
    live.publish(ctx).await;
    Ok(report_id)
}

/// A report with what it is about, for the admins.
pub struct ReportLine {
    pub row: ReportRow,
    pub summary: String,
    /// Where an admin can see the target, when it has a page.
    pub link: Option<String>,
}

pub async fn list(
    ctx: &Ctx,
    admin: &UserRow,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ReportLine>> {
    super::admin::require_admin(admin)?;
    let rows = store::reports::list(&ctx.db.pool, status, before, limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(describe(ctx, admin, row).await?);
    }
    Ok(out)
}

/// One report as the queue shows it (admins).
pub async fn line(ctx: &Ctx, admin: &UserRow, id: &str) -> AppResult<ReportLine> {
    super::admin::require_admin(admin)?;
    let row = store::reports::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    describe(ctx, admin, row).await
}

/// A report with what it is about, in words, and where an admin sees it.
async fn describe(ctx: &Ctx, admin: &UserRow, row: ReportRow) -> AppResult<ReportLine> {
    let summary = target_summary(ctx, admin, &row.target_type, &row.target_id)
        .await
        .unwrap_or_else(|_| gone(&row.target_type).to_string());
    let link = match row.target_type.as_str() {
        "article" => store::articles::get(&ctx.db.pool, None, Some(&row.target_id), None)
            .await?
            .map(|a| format!("/articles/{}", a.slug)),
        "comment" => match store::articles::comment(&ctx.db.pool, &row.target_id).await? {
            Some(c) => store::articles::get(&ctx.db.pool, None, Some(&c.article_id), None)
                .await?
                .map(|a| format!("/articles/{}#comment-{}", a.slug, c.id)),
            None => None,
        },
        // The account's page in the admin console (a message's: its sender's).
        "user" => Some(format!("/admin/users/{}", row.target_id)),
        "message" => store::messages::message(&ctx.db.pool, &row.target_id)
            .await?
            .and_then(|m| m.sender_id)
            .map(|s| format!("/admin/users/{s}")),
        _ => None,
    };
    Ok(ReportLine { row, summary, link })
}

/// The admin's action on a reported target, inside the transaction that closes its
/// reports (one commit: never reports closed as acted on with the target left as it
/// was, nor the reverse). A target already gone or already acted on (an article back
/// in drafts, a deleted comment or message, a suspended user) needs nothing more.
/// Answers the user suspended, for what follows the commit
/// ([`super::admin::after_suspension`]).
async fn act(
    ctx: &Ctx,
    tx: &mut store::Tx,
    admin: &UserRow,
    (kind, id): (&str, &str),
    reason: &str,
    now: jiff::Timestamp,
    live: &mut super::events::Live,
) -> AppResult<Option<UserRow>> {
    // Its author is told what was removed, not who reported it nor their words.
    let mut removed: Option<(String, String, String, String)> = None;
    match kind {
        "article" => {
            let row = store::articles::get(&mut **tx, Some(&admin.id), Some(id), None).await?;
            if let Some(row) = row.filter(|a| a.is_published()) {
                super::articles::unpublish_in(tx, admin, &row, now).await?;
                removed = Some((
                    row.author_id.clone(),
                    format!("Your article “{}” was taken down", row.title),
                    "An administrator took it back to your drafts after a report that it breaks the site's rules. Change it, and publish it again once it keeps to them.".into(),
                    format!("/articles/{}/edit", row.slug),
                ));
            }
        }
        "comment" => {
            if let Some(c) = store::articles::comment(&mut **tx, id).await?
                && let Some(article) =
                    store::articles::get(&mut **tx, Some(&admin.id), Some(&c.article_id), None)
                        .await?
            {
                super::articles::delete_comment_in(tx, admin, &c, &article, now).await?;
                removed = Some((
                    c.author_id.clone(),
                    format!("Your comment on “{}” was removed", article.title),
                    "An administrator removed it after a report that it breaks the site's rules."
                        .into(),
                    format!("/articles/{}#comments", article.slug),
                ));
            }
        }
        "message" => {
            let m = store::messages::message(&mut **tx, id).await?;
            store::messages::delete_message(&mut **tx, id, now).await?;
            if let Some(m) = m.filter(|m| m.deleted_at.is_none())
                && let Some(sender) = m.sender_id
            {
                removed = Some((
                    sender,
                    "A chat message of yours was removed".into(),
                    "An administrator removed it after a report that it breaks the site's rules."
                        .into(),
                    format!("/chat/{}", m.thread_id),
                ));
            }
        }
        _ => {
            let user = store::users::by_id(&mut **tx, id)
                .await?
                .filter(|u| u.deleted_at.is_none() && u.suspended_at.is_none());
            if let Some(user) = user {
                if user.id == admin.id {
                    return Err(AppError::conflict(
                        "cannot_suspend_self",
                        "You cannot suspend your own account.",
                    ));
                }
                // The suspension's reason holds 500 characters; a report's, 1000.
                let why = excerpt(&format!("Reported: {reason}"), 499);
                super::admin::suspend_in(ctx, tx, admin, &user, &why, now, live).await?;
                return Ok(Some(user));
            }
        }
    }
    if let Some((author, title, body, link)) = removed
        && let Some(u) = store::users::by_id(&mut **tx, &author)
            .await?
            .filter(|u| u.deleted_at.is_none())
    {
        let note = super::notify::Note {
            reader: None,
            user_id: &u.id,
            email: &u.email,
            kind: super::notify::CONTENT_REMOVED,
            title,
            body,
            link,
            related_id: None,
            ics: None,
        };
        super::notify::notify(ctx, tx, &note, now, live).await?;
    }
    Ok(None)
}

#[tracing::instrument(name = "reports::resolve", skip_all, fields(user_id = %admin.id, id = %id))]
pub async fn resolve(
    ctx: &Ctx,
    admin: &UserRow,
    id: &str,
    input: &ResolveInput,
) -> AppResult<ReportRow> {
    super::admin::require_admin(admin)?;
    let note = text::optional_line("note", input.note.as_deref().unwrap_or(""), 500)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let r = store::reports::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.status != ReportStatus::Open {
        return Err(AppError::conflict(
            "already_resolved",
            "This report is already resolved.",
        ));
    }
    let target = (r.target_type.as_str(), r.target_id.as_str());
    let (status, action) = match input.action.as_str() {
        "dismiss" => ("dismissed", "report.dismiss"),
        "remove" => ("actioned", "report.action"),
        _ => {
            return Err(AppError::invalid(
                "action",
                "invalid",
                "Choose dismiss or remove.",
            ));
        }
    };
    // Claimed first: of admins resolving at once, one closes the target's open
    // reports and acts, in the same transaction; the others are told it is resolved.
    // A refused action rolls the claim back with it.
    // What it is, named for the reporters before the action may take it away (and
    // before the write lock).
    let what = what_it_was(ctx, target).await?;
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await?;
    let reporters = store::reports::resolve(&mut tx, target, status, &note, &admin.id, now).await?;
    let closed = reporters.len();
    if closed == 0 {
        return Err(AppError::conflict(
            "already_resolved",
            "This report is already resolved.",
        ));
    }
    let mut live = super::events::Live::new();
    let suspended = if status == "actioned" {
        act(ctx, &mut tx, admin, target, &r.reason, now, &mut live).await?
    } else {
        None
    };
    // Whoever reported it hears the outcome (not the admin's note, which is for the
    // admins): once each, as a member has one open report on a target at most (the
    // unique index `reports_open_once`).
    let said = outcome(&what, status, target.0);
    for reporter in &reporters {
        tell_reporter(ctx, &mut tx, reporter, &said, now, &mut live).await?;
    }
    super::notify::handled_by_admins(
        &mut tx,
        super::notify::REPORT_FILED,
        target.1,
        now,
        &mut live,
    )
    .await?;
    store::audit::insert(
        &mut *tx,
        &store::audit::NewAudit {
            actor_id: Some(&admin.id),
            action,
            target_type: target.0,
            target_id: target.1,
            before: serde_json::json!({"status": "open", "reason": r.reason}),
            after: serde_json::json!({"status": status, "note": note, "reports_closed": closed}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    live.publish(ctx).await;
    if let Some(user) = suspended {
        super::admin::after_suspension(ctx, admin, &user).await;
    }
    store::reports::get(&ctx.db.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}
