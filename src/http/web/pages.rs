//! The landing page.

use askama::Template;
use axum::{Router, extract::State, routing::get};

use super::{Layout, PageResult, WebCtx, mentors::CardView};
use crate::{
    http::AppState,
    service::mentors,
    service::mentors::{Search, SortBy},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index))
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    layout: Layout,
    signed_in: bool,
    featured: Vec<CardView>,
    articles: Vec<super::articles::ArticleCard>,
}

async fn index(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let search = Search {
        words: vec![],
        expertise: vec![],
        skills: vec![],
        industries: vec![],
        company: None,
        min_rating: None,
        min_rate: None,
        max_rate: None,
        only_ids: None,
        free_before: None,
        sort: SortBy::Rating,
        offset: 0,
        limit: 6,
    };
    let featured = mentors::search(&state.ctx, &search, None)
        .await?
        .iter()
        .map(CardView::from_row)
        .collect();
    let articles = super::articles::latest_public(&state, &web.zone(), 3).await?;
    Ok(web.render(
        &state,
        &IndexPage {
            layout: web.layout(),
            signed_in: web.auth.is_some(),
            featured,
            articles,
        },
    ))
}
