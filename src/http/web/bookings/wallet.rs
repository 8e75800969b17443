//! The credits page: balance, held credits, ledger entries.

use super::*;

pub struct EntryLine {
    pub when: String,
    pub amount: i64,
    pub memo: String,
    pub booking_id: String,
}

#[derive(Template)]
#[template(path = "credits.html")]
pub(super) struct CreditsPage {
    layout: Layout,
    balance: i64,
    held: i64,
    entries: Vec<EntryLine>,
    /// The packs on sale; empty when buying is off.
    packs: Vec<crate::http::web::payments::PackLine>,
}

pub(super) async fn credits_page(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let v = credits::view(&state.ctx, &me, None, 100).await?;
    let tz = zone_of(Some(&me));
    Ok(web.render(
        &state,
        &CreditsPage {
            layout: web.layout(),
            balance: v.balance,
            held: v.held,
            entries: v
                .entries
                .into_iter()
                .map(|e| EntryLine {
                    when: e
                        .created_at
                        .parse::<Timestamp>()
                        .map(|t| when(t, &tz))
                        .unwrap_or(e.created_at),
                    amount: e.amount,
                    memo: e.memo,
                    booking_id: e.booking_id.unwrap_or_default(),
                })
                .collect(),
            packs: if crate::service::payments::enabled(&state.ctx) {
                crate::http::web::payments::pack_lines(&state)
            } else {
                vec![]
            },
        },
    ))
}
