//! Discovery: search parameters, full-text search with filters and the availability window (cached), the public mentor page, recommendations.

use super::*;

/// Raw search parameters, as a client sends them (parsed here so a malformed value is
/// a clear 422 naming the parameter).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Free text over name, headline, bio, expertise, skills and company.
    pub q: Option<String>,
    /// Comma-separated; every one must match.
    pub expertise: Option<String>,
    /// Comma-separated; every one must match.
    pub skills: Option<String>,
    pub industry: Option<String>,
    pub company: Option<String>,
    /// 0 to 5.
    pub min_rating: Option<String>,
    /// Lowest hourly rate in credits.
    pub min_rate: Option<String>,
    /// Highest hourly rate in credits.
    pub max_rate: Option<String>,
    /// Only mentors with a free slot from this instant (RFC 3339)…
    pub available_from: Option<String>,
    /// …to this one.
    pub available_to: Option<String>,
    /// `relevance` (default), `rating`, `price` or `soonest`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub(super) fn list_param(raw: &Option<String>) -> Vec<String> {
    raw.as_deref()
        .unwrap_or("")
        .split(',')
        .map(mentor::normalize_tag)
        .filter(|t| !t.is_empty())
        .take(10)
        .collect()
}

/// Splits free text into searchable words (letters and digits only, at most 8).
pub fn search_words(q: &str) -> Vec<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(40).collect::<String>())
        .collect();
    // The little words of a sentence ("mentors for rust and go") would match every
    // name and skill they begin ("and" in "android"): left out, unless nothing else
    // was asked.
    let meaningful: Vec<String> = words
        .iter()
        .filter(|w| !SEARCH_STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    let kept = if meaningful.is_empty() {
        words
    } else {
        meaningful
    };
    kept.into_iter().take(8).collect()
}

/// Whether `q` asks something but holds nothing to search for (an emoji, punctuation):
/// the lists then say so rather than show everything as if it matched.
pub fn nothing_to_search(q: &str) -> bool {
    !q.trim().is_empty() && search_words(q).is_empty()
}

/// Words a search leaves out when it has others (see [`search_words`]).
const SEARCH_STOPWORDS: &[&str] = &[
    "a", "an", "and", "or", "not", "the", "of", "to", "in", "for", "with", "on", "at", "my", "i",
    "me", "is", "are", "who", "how", "what", "mentor", "mentors",
];

/// A time window a mentor must have a free slot in.
pub type Window = Option<(jiff::Timestamp, jiff::Timestamp)>;

/// Parses search parameters; `offset` comes from the cursor.
pub fn parse_search(p: &SearchParams, offset: i64, limit: i64) -> AppResult<(Search, Window)> {
    let mut v = Validator::new();
    let min_rating = optional(&mut v, "min_rating", &p.min_rating, |raw| {
        raw.parse::<f64>()
            .ok()
            .filter(|r| (0.0..=5.0).contains(r))
            .ok_or(("invalid_number", "A rating from 0 to 5, such as 4.5."))
    });
    let rate = |raw: &str| {
        raw.parse::<i64>()
            .ok()
            .filter(|r| *r >= 0)
            .ok_or(("invalid_number", "A whole number of credits, 0 or more."))
    };
    let min_rate = optional(&mut v, "min_rate", &p.min_rate, rate);
    let max_rate = optional(&mut v, "max_rate", &p.max_rate, rate);
    if let (Some(lo), Some(hi)) = (min_rate, max_rate)
        && lo > hi
    {
        v.push(FieldError::new(
            "min_rate",
            "invalid_range",
            "The lowest price is above the highest.",
        ));
    }
    let words = search_words(p.q.as_deref().unwrap_or(""));
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "" | "relevance" => Some(SortBy::Relevance),
        "rating" => Some(SortBy::Rating),
        "price" => Some(SortBy::Price),
        "soonest" => Some(SortBy::Soonest),
        _ => {
            v.push(FieldError::new(
                "sort",
                "invalid_sort",
                "Sort by relevance, rating, price or soonest.",
            ));
            None
        }
    };
    let instant = |raw: &str| {
        crate::clock::parse_instant(raw).map_err(|why| ("invalid_datetime", why.message()))
    };
    let available_from = optional(&mut v, "available_from", &p.available_from, instant);
    let available_to = optional(&mut v, "available_to", &p.available_to, instant);
    v.finish()?;
    let window = availability_window(available_from, available_to)?;
    Ok(Search {
        words,
        expertise: list_param(&p.expertise),
        skills: list_param(&p.skills),
        industries: list_param(&p.industry),
        company: p
            .company
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty()),
        min_rating,
        min_rate,
        max_rate,
        only_ids: None,
        free_before: window.map(|(_, to)| crate::clock::to_micros(to)),
        sort: sort.unwrap_or(SortBy::Relevance),
        offset,
        limit,
    })
    .map(|s| (s, window))
}

/// Reads an optional query parameter: absent or blank is `None`; a value `parse` refuses
/// is recorded against `field` with the (code, message) it gives.
fn optional<T>(
    v: &mut Validator,
    field: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Result<T, (&'static str, &'static str)>,
) -> Option<T> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    v.check(parse(raw).map_err(|(code, message)| FieldError::new(field, code, message)))
}

/// The "free between" window of a search: one open end is a week from the other; at
/// most `MAX_RANGE_DAYS` long.
fn availability_window(
    from: Option<jiff::Timestamp>,
    to: Option<jiff::Timestamp>,
) -> AppResult<Window> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let week = jiff::SignedDuration::from_hours(24 * 7);
    let from = from.unwrap_or_else(|| to.map(|t| t - week).unwrap_or(jiff::Timestamp::UNIX_EPOCH));
    let to = to.unwrap_or(from + week);
    if to <= from {
        return Err(AppError::invalid(
            "available_to",
            "before_from",
            "available_to must come after available_from.",
        ));
    }
    let longest =
        jiff::SignedDuration::from_hours(24 * crate::service::availability::MAX_RANGE_DAYS);
    if to.duration_since(from) > longest {
        return Err(AppError::invalid(
            "available_to",
            "range_too_long",
            "Ask for a window of at most 62 days.",
        ));
    }
    Ok(Some((from, to)))
}

/// Runs a search, from the discovery cache when a fresh page is there.
/// How many mentors a search finds (counted up to 1,000; with a free-time window, up
/// to the candidates the window is checked on).
pub async fn count(ctx: &Ctx, s: &Search, window: Window) -> AppResult<i64> {
    // The page's place does not change the count.
    let whole = Search {
        offset: 0,
        limit: 0,
        ..s.clone()
    };
    let key = format!("count:{whole:?}{window:?}");
    if let Some(cache::Discovered::Count(n)) = ctx.discovery.get(&key, cache::monotonic_micros()) {
        return Ok(n);
    }
    let generation = ctx.discovery.generation();
    let n = match window {
        None => store::discovery::count(&ctx.db.pool, ctx.db.backend, s, 1000).await?,
        Some(_) => {
            let all = Search {
                offset: 0,
                limit: AVAILABILITY_CANDIDATES,
                ..s.clone()
            };
            search(ctx, &all, window).await?.len() as i64
        }
    };
    ctx.discovery.put(
        key,
        generation,
        cache::monotonic_micros(),
        cache::Discovered::Count(n),
    );
    Ok(n)
}

/// How many tags of each kind the search filters offer.
pub const VOCABULARY_PER_KIND: i64 = 40;

/// The vocabulary of discovery: the expertise, skills and industries listed mentors
/// carry, most carried first (cached with the search pages).
pub async fn vocabulary(ctx: &Ctx) -> AppResult<std::sync::Arc<Vec<TagCount>>> {
    let key = "vocabulary";
    if let Some(cache::Discovered::Vocabulary(hit)) =
        ctx.discovery.get(key, cache::monotonic_micros())
    {
        return Ok(hit);
    }
    let generation = ctx.discovery.generation();
    let tags =
        std::sync::Arc::new(store::discovery::vocabulary(&ctx.db.pool, VOCABULARY_PER_KIND).await?);
    ctx.discovery.put(
        key.to_string(),
        generation,
        cache::monotonic_micros(),
        cache::Discovered::Vocabulary(tags.clone()),
    );
    Ok(tags)
}

pub async fn search(
    ctx: &Ctx,
    s: &Search,
    window: Window,
) -> AppResult<std::sync::Arc<Vec<MentorCardRow>>> {
    let key = format!("{s:?}{window:?}");
    if let Some(cache::Discovered::Page(hit)) = ctx.discovery.get(&key, cache::monotonic_micros()) {
        return Ok(hit);
    }
    let generation = ctx.discovery.generation();
    let rows = match window {
        None => store::discovery::search(&ctx.db.pool, ctx.db.backend, s).await?,
        Some((from, to)) => {
            let wide = Search {
                offset: 0,
                limit: AVAILABILITY_CANDIDATES,
                ..s.clone()
            };
            let candidates = store::discovery::search(&ctx.db.pool, ctx.db.backend, &wide).await?;
            let mut kept = vec![];
            for c in candidates {
                if has_free_slot(ctx, &c.profile.user_id, from, to).await? {
                    kept.push(c);
                }
            }
            kept.into_iter()
                .skip(s.offset.max(0) as usize)
                .take(s.limit.max(0) as usize)
                .collect()
        }
    };
    let rows = std::sync::Arc::new(rows);
    ctx.discovery.put(
        key,
        generation,
        cache::monotonic_micros(),
        cache::Discovered::Page(rows.clone()),
    );
    Ok(rows)
}

/// How many candidates an availability search checks exactly (ordered as asked; with
/// `sort=soonest`, the likeliest come first).
pub(super) const AVAILABILITY_CANDIDATES: i64 = 500;

pub(super) async fn has_free_slot(
    ctx: &Ctx,
    mentor_id: &str,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> AppResult<bool> {
    let Some(a) = crate::service::availability::load(ctx, mentor_id).await? else {
        return Ok(false);
    };
    let services = store::mentors::services_of(&ctx.db.pool, mentor_id, false).await?;
    let Some(duration) = services
        .iter()
        .filter(|s| !s.kind.is_review())
        .map(|s| s.duration_minutes)
        .min()
    else {
        return Ok(false);
    };
    let ask = crate::service::availability::SlotAsk {
        mentor_id,
        duration,
        from,
        to,
        except: None,
        except_hold: None,
    };
    Ok(
        !crate::service::availability::free_starts(ctx, &ctx.db.generic, &a, &ask)
            .await?
            .is_empty(),
    )
}

/// A mentor's public page: listed mentors for everyone; the mentor themself and admins
/// also see an unlisted profile.
/// A mentor as their public page shows them, one read model for the API and the
/// page: the card (profile and person) and the services they offer.
#[derive(Debug, Clone)]
pub struct MentorDetail {
    pub card: MentorCardRow,
    pub services: Vec<ServiceRow>,
}

/// A mentor's detail, for anyone who may see them (see [`mentor_page`]).
pub async fn detail(ctx: &Ctx, viewer: Option<&UserRow>, id: &str) -> AppResult<MentorDetail> {
    let card = mentor_page(ctx, viewer, id).await?;
    let services = super::offered_services(ctx, id).await?;
    Ok(MentorDetail { card, services })
}

pub async fn mentor_page(
    ctx: &Ctx,
    viewer: Option<&UserRow>,
    id: &str,
) -> AppResult<MentorCardRow> {
    if let Some(m) =
        store::discovery::visible_mentor(&ctx.db.pool, id, viewer.map(|v| v.id.as_str())).await?
    {
        return Ok(m);
    }
    let privileged =
        viewer.is_some_and(|v| v.id == id || Roles::from_db(&v.roles).has(Role::Admin));
    if privileged && let Some(m) = store::discovery::any_mentor(&ctx.db.pool, id).await? {
        return Ok(m);
    }
    Err(AppError::NotFound)
}

/// Recommendations for a user, best first, with reasons.
pub async fn recommended(
    ctx: &Ctx,
    user: &UserRow,
    limit: usize,
) -> AppResult<Vec<(MentorCardRow, recommend::Recommendation)>> {
    let profile = store::mentors::mentee_profile(&ctx.db.pool, &user.id).await?;
    let interests = profile
        .map(|p| MenteeInterests {
            goals: p.goals.clone(),
            skills: p.skills.clone(),
            interests: p.interests.clone(),
        })
        .unwrap_or_default();
    let terms: Vec<String> = recommend::mentee_terms(&interests)
        .into_iter()
        .take(60)
        .collect();
    let rows =
        store::discovery::recommendation_candidates(&ctx.db.pool, &terms, &user.id, 200).await?;
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|r| Candidate {
            id: r.user_id.clone(),
            expertise: r.expertise.clone(),
            skills: r.skills.clone(),
            industries: r.industries.clone(),
            rating_avg: r.rating_avg,
            rating_count: r.rating_count,
            active_mentees: r.active_mentees,
            max_mentees: r.max_mentees,
        })
        .collect();
    let mut ranked = recommend::recommend(&interests, &candidates);
    ranked.truncate(limit);
    let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
    let cards = store::discovery::cards(&ctx.db.pool, &ids).await?;
    Ok(ranked
        .into_iter()
        .filter_map(|rec| {
            cards
                .iter()
                .find(|c| c.profile.user_id == rec.id)
                .map(|c| (c.clone(), rec))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::search_words;

    #[test]
    fn the_little_words_of_a_sentence_are_not_searched_unless_alone() {
        assert_eq!(search_words("Mentors for Rust and Go"), ["rust", "go"]);
        assert_eq!(search_words("AND OR NOT *"), ["and", "or", "not"]);
        assert_eq!(search_words("C++ or C#"), ["c", "c"]);
        assert!(search_words("  !!  ").is_empty());
    }
}
