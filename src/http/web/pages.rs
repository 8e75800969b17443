//! The landing page and the dashboard.

use askama::Template;
use axum::{Router, extract::State, response::Response, routing::get};

use super::{Layout, WebCtx, mentors::CardView};
use crate::{
    domain::user::{Role, Roles},
    http::AppState,
    service::mentors,
    store::{
        self,
        discovery::{Search, SortBy},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/dashboard", get(dashboard))
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    layout: Layout,
    signed_in: bool,
    featured: Vec<CardView>,
    articles: Vec<super::articles::ArticleCard>,
}

async fn index(State(state): State<AppState>, web: WebCtx) -> Response {
    let search = Search {
        words: vec![],
        expertise: vec![],
        skills: vec![],
        industries: vec![],
        company: None,
        min_rating: None,
        max_rate: None,
        only_ids: None,
        free_before: None,
        sort: SortBy::Rating,
        offset: 0,
        limit: 6,
    };
    let featured = match mentors::search(&state.ctx, &search, None).await {
        Ok(rows) => rows.iter().map(CardView::from_row).collect(),
        Err(e) => return super::error_page(&state, Some(&web), e),
    };
    let articles = match super::articles::latest_public(&state, 3).await {
        Ok(a) => a,
        Err(e) => return super::error_page(&state, Some(&web), e),
    };
    web.render(
        &state,
        &IndexPage {
            layout: web.layout(),
            signed_in: web.auth.is_some(),
            featured,
            articles,
        },
    )
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    first_name: String,
    roles: String,
    timezone: String,
    member_since: String,
    profile_complete: bool,
    is_admin: bool,
    user_count: i64,
    /// For mentors: (published articles, drafts, views).
    article_stats: Option<(i64, i64, i64)>,
    my_id: String,
}

async fn dashboard(State(state): State<AppState>, web: WebCtx) -> Response {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(redirect) => return redirect,
    };
    let roles = Roles::from_db(&me.roles);
    let is_admin = roles.has(Role::Admin);
    let user_count = if is_admin {
        match store::users::count_active(&state.ctx.db.pool).await {
            Ok(n) => n,
            Err(e) => return super::error_page(&state, Some(&web), e.into()),
        }
    } else {
        0
    };
    let article_stats = if roles.has(Role::Mentor) {
        match store::articles::author_stats(&state.ctx.db.pool, &me.id).await {
            Ok(s) => Some(s),
            Err(e) => return super::error_page(&state, Some(&web), e.into()),
        }
    } else {
        None
    };
    let tz = jiff::tz::TimeZone::get(&me.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let member_since = crate::clock::from_micros(me.created_at)
        .to_zoned(tz)
        .strftime("%B %Y")
        .to_string();
    web.render(
        &state,
        &DashboardPage {
            layout: web.layout(),
            first_name: me.first_name.clone(),
            roles: roles
                .list()
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            timezone: me.timezone.clone(),
            member_since,
            profile_complete: !me.headline.is_empty() && !me.bio.is_empty(),
            is_admin,
            user_count,
            article_stats,
            my_id: me.id.clone(),
        },
    )
}
