//! Discovery and mentorship pages: find a mentor, a mentor's profile (with the request
//! form), and the mentorship hub (my mentors, my mentees, discover).

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    FormErrors, Layout, PageResult, WebCtx, WebForm, confirm, page_query,
    picker::{self, Picker, PickerQuery},
};
use crate::{
    domain::{
        mentor::MentorStatus,
        mentorship::{Action, MentorshipStatus},
    },
    error::AppError,
    http::{AppState, api::mentors::search_offset, extract::path_id},
    service::{
        mentors::MentorCardRow,
        mentorships::{ListFilter, MentorshipListRow},
    },
    service::{
        mentors::{self, SearchParams},
        mentorships::{self, AnswerInput, RequestInput},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mentorship/find", get(find))
        .route("/mentors/{id}", get(mentor_page))
        .route("/mentors/{id}/request", post(request))
        .route("/mentorship", get(hub))
        .route("/mentorship/{id}/{action}", post(act))
}

/// What a mentor card shows.
pub struct CardView {
    pub id: String,
    pub name: String,
    pub initials: String,
    pub headline: String,
    pub avatar_url: String,
    pub role_line: String,
    pub expertise: Vec<String>,
    pub rating: String,
    pub rate: i64,
    pub accepting: bool,
    pub reasons: Vec<String>,
    /// The mentor's expertise and skills that match the search ("rust").
    pub matched: Vec<String>,
    /// When the mentor is next free, in the viewer's zone ("" when not shown or none).
    pub next_free: String,
}

impl CardView {
    pub fn from_row(r: &MentorCardRow) -> Self {
        let p = &r.profile;
        let role_line = match (p.title.is_empty(), p.company.is_empty()) {
            (false, false) => format!("{} at {}", p.title, p.company),
            (false, true) => p.title.clone(),
            (true, false) => p.company.clone(),
            (true, true) => String::new(),
        };
        CardView {
            id: p.user_id.clone(),
            name: format!("{} {}", r.first_name, r.last_name),
            initials: format!(
                "{}{}",
                r.first_name.chars().next().unwrap_or('?'),
                r.last_name.chars().next().unwrap_or(' ')
            )
            .trim()
            .to_uppercase(),
            headline: r.headline.clone(),
            avatar_url: r.avatar_url.clone(),
            role_line,
            expertise: p.expertise.clone().into_iter().take(5).collect(),
            rating: if p.rating_count > 0 {
                format!(
                    "★ {} ({})",
                    crate::domain::text::rating(p.rating_avg),
                    p.rating_count
                )
            } else {
                "New mentor".into()
            },
            rate: p.hourly_rate,
            accepting: r.active_mentees < p.max_mentees,
            reasons: vec![],
            matched: vec![],
            next_free: String::new(),
        }
    }

    /// Says when the mentor is next free (the search's "Soonest free" orders by it).
    pub fn next_free(mut self, r: &MentorCardRow, web: &WebCtx) -> Self {
        if let Some(t) = r.profile.next_free_at {
            self.next_free = web.when(t, &web.zone());
        }
        self
    }

    /// Marks the card's expertise and skills that a search word starts (any word of
    /// a tag: "prog" matches "rust programming").
    pub fn matching(mut self, r: &MentorCardRow, words: &[String]) -> Self {
        if words.is_empty() {
            return self;
        }
        let p = &r.profile;
        self.matched = p
            .expertise
            .iter()
            .chain(p.skills.iter())
            .filter(|tag| {
                let tag = tag.to_lowercase();
                tag.split(|c: char| !c.is_alphanumeric()).any(|part| {
                    words
                        .iter()
                        .any(|w| !part.is_empty() && part.starts_with(w.as_str()))
                })
            })
            .take(5)
            .cloned()
            .collect();
        self
    }
}

/// How many skills the search filters show before "more skills".
const SKILLS_SHOWN: usize = 16;

/// One tag offered as a search filter.
struct TagChoice {
    tag: String,
    /// How many listed mentors carry it.
    mentors: i64,
    selected: bool,
}

/// The choices of one kind of tag: the vocabulary's, and any chosen tag it lacks (an
/// old link, a tag now carried by nobody) so a filter in force is always visible.
fn tag_choices(vocabulary: &[mentors::TagCount], kind: &str, chosen: &[String]) -> Vec<TagChoice> {
    let mut out: Vec<TagChoice> = vocabulary
        .iter()
        .filter(|t| t.kind == kind)
        .map(|t| TagChoice {
            tag: t.tag.clone(),
            mentors: t.mentors,
            selected: chosen.contains(&t.tag),
        })
        .collect();
    for c in chosen {
        if !out.iter().any(|t| &t.tag == c) {
            out.push(TagChoice {
                tag: c.clone(),
                mentors: 0,
                selected: true,
            });
        }
    }
    out
}

/// The skills a search asks for: ticked boxes (`skill=…`, repeated) and the
/// comma-separated `skills=` of the API's form, normalised as tags, without repeats.
fn chosen_skills(uri: &Uri, f: &FindForm) -> Vec<String> {
    let ticked = uri.query().unwrap_or("").split('&').filter_map(|kv| {
        let v = kv.strip_prefix("skill=")?.replace('+', " ");
        Some(
            percent_encoding::percent_decode_str(&v)
                .decode_utf8_lossy()
                .into_owned(),
        )
    });
    let mut out: Vec<String> = vec![];
    for t in ticked.chain(f.skills.split(',').map(str::to_string)) {
        let t = crate::domain::mentor::normalize_tag(&t);
        if !t.is_empty() && !out.contains(&t) && out.len() < 10 {
            out.push(t);
        }
    }
    out
}

#[derive(Template)]
#[template(path = "find.html")]
struct FindPage {
    layout: Layout,
    f: FindForm,
    expertise: Vec<TagChoice>,
    skills: Vec<TagChoice>,
    industries: Vec<TagChoice>,
    /// A filter is in force beyond the words: the filters start open.
    filtered: bool,
    /// A ticked skill is among those behind "more skills": that list starts open.
    more_skills_chosen: bool,
    sorts: Vec<(&'static str, &'static str)>,
    mentors: Vec<CardView>,
    /// How many mentors the search found (up to 1,000).
    total: Option<i64>,
    /// The words typed hold no letter or digit to search for (`😀`, `*`): the page
    /// says so rather than "found for “😀”" over every mentor.
    q_unsearchable: bool,
    error: Option<String>,
    next_href: Option<String>,
    /// On a later page: (the first page, "25–48 of 60").
    earlier: Option<(String, String)>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct FindForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    expertise: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    min_rating: String,
    #[serde(default)]
    min_rate: String,
    #[serde(default)]
    max_rate: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
    /// "Free this week": only mentors with a free time in the coming seven days.
    #[serde(default)]
    week: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn find(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let f: FindForm = page_query(&uri);
    let skills = chosen_skills(&uri, &f);
    let params = SearchParams {
        q: opt(&f.q),
        expertise: opt(&f.expertise),
        skills: Some(skills.join(",")),
        industry: opt(&f.industry),
        company: opt(&f.company),
        min_rating: opt(&f.min_rating),
        min_rate: opt(&f.min_rate),
        max_rate: opt(&f.max_rate),
        sort: opt(&f.sort),
        available_from: opt(&f.week).map(|_| state.ctx.clock.now().to_string()),
        available_to: opt(&f.week).map(|_| {
            (state.ctx.clock.now() + jiff::SignedDuration::from_hours(24 * 7)).to_string()
        }),
        ..SearchParams::default()
    };
    let limit = 24;
    let result = async {
        let offset = search_offset(opt(&f.cursor).as_deref())?;
        let (search, window) = mentors::parse_search(&params, offset, limit + 1)?;
        let rows = mentors::search(&state.ctx, &search, window).await?;
        let found = mentors::count(&state.ctx, &search, window).await?;
        Ok::<_, AppError>((offset, rows, found, search.words))
    }
    .await;
    let mut total = None;
    // A later page: where its first one is, and which mentors this page shows.
    let mut earlier = None;
    let (mentors, error, next_href, status) = match result {
        Ok((offset, rows, found, words)) => {
            total = Some(found);
            let kept: Vec<&str> = uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.starts_with("cursor=") && !kv.is_empty())
                .collect();
            let shown = (rows.len() as i64).min(limit);
            if offset > 0 {
                earlier = Some((
                    format!("/mentorship/find?{}", kept.join("&")),
                    format!("{}–{} of {found}", offset + 1, offset + shown),
                ));
            }
            let next = (rows.len() as i64 > limit).then(|| {
                format!(
                    "/mentorship/find?{}{}cursor={}",
                    kept.join("&"),
                    if kept.is_empty() { "" } else { "&" },
                    crate::http::api::offset_cursor(offset + limit)
                )
            });
            (
                rows.iter()
                    .take(limit as usize)
                    .map(|r| CardView::from_row(r).matching(r, &words).next_free(r, &web))
                    .collect(),
                None,
                next,
                StatusCode::OK,
            )
        }
        Err(e @ AppError::Invalid(_)) => {
            // Each problem named by the filter's label, as the form shows it.
            let errors = super::FormErrors::from_error(&e).labelled(&[
                ("min_rating", "Minimum rating"),
                ("min_rate", "Price from"),
                ("max_rate", "Price to"),
                ("sort", "Sort"),
            ]);
            let msg = errors
                .all()
                .iter()
                .map(|fe| errors.line(fe))
                .collect::<Vec<_>>()
                .join(" ");
            (vec![], Some(msg), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let vocabulary = mentors::vocabulary(&state.ctx).await?;
    let skill_choices = tag_choices(&vocabulary, "skill", &skills);
    let one = |raw: &str| {
        raw.split(',')
            .map(crate::domain::mentor::normalize_tag)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
    };
    let q_unsearchable = mentors::nothing_to_search(&f.q);
    let filtered = !(f.expertise.trim().is_empty()
        && skills.is_empty()
        && f.industry.trim().is_empty()
        && f.company.trim().is_empty()
        && f.min_rating.trim().is_empty()
        && f.min_rate.trim().is_empty()
        && f.max_rate.trim().is_empty());
    Ok(web.render_status(
        &state,
        status,
        &FindPage {
            layout: web.layout(),
            expertise: tag_choices(&vocabulary, "expertise", &one(&f.expertise)),
            more_skills_chosen: skill_choices.iter().skip(SKILLS_SHOWN).any(|t| t.selected),
            skills: skill_choices,
            industries: tag_choices(&vocabulary, "industry", &one(&f.industry)),
            filtered,
            f,
            sorts: vec![
                ("relevance", "Best match"),
                ("rating", "Highest rated"),
                ("price", "Lowest price"),
                ("soonest", "Soonest free"),
            ],
            mentors,
            total,
            q_unsearchable,
            error,
            next_href,
            earlier,
        },
    ))
}

pub struct ServiceLine {
    pub title: String,
    pub kind: String,
    pub description: String,
    pub duration_minutes: i64,
    pub credit_cost: i64,
    /// Met at a time (false: a written review, delivered by a deadline).
    pub timed: bool,
}

pub struct ExperienceLine {
    pub title: String,
    pub company: String,
    pub period: String,
    pub description: String,
}

pub struct ReviewLine {
    pub stars: String,
    pub comment: String,
    pub by: String,
    pub reply: String,
    pub rating: i64,
    /// The month it was written ("Nov 2026") and the service it was for.
    pub when: String,
    pub service: String,
}

#[derive(Template)]
#[template(path = "mentor.html")]
struct MentorPage {
    layout: Layout,
    /// This page, to come back to after reporting the mentor.
    self_path: String,
    missed: i64,
    picker: Picker,
    next_free: String,
    reviews: Vec<ReviewLine>,
    /// How many reviews the rating counts (the page lists the latest few).
    review_total: i64,
    articles: Vec<super::articles::ArticleCard>,
    /// Their upcoming group sessions the viewer may see.
    groups: Vec<super::groups::GroupCard>,
    m: CardView,
    bio: String,
    timezone: String,
    /// The mentor's zone as its city ("Nairobi").
    city: String,
    skills: Vec<String>,
    industries: Vec<String>,
    capacity: String,
    unlisted_status: Option<String>,
    experience: Vec<ExperienceLine>,
    services: Vec<ServiceLine>,
    signed_in: bool,
    is_self: bool,
    relationship: Option<String>,
    /// The mentorship request's errors.
    errors: FormErrors,
    message: String,
}

async fn render_mentor(
    state: &AppState,
    web: &WebCtx,
    id: &str,
    status: StatusCode,
    errors: FormErrors,
    message: String,
    q: PickerQuery,
) -> PageResult {
    let viewer = web.auth.as_ref().map(|a| &a.user);
    let mentors::MentorDetail {
        card: row,
        services,
    } = mentors::detail(&state.ctx, viewer, id).await?;
    let relationship = match viewer {
        Some(v) if v.id != id => crate::service::mentorships::live_status(&state.ctx, id, &v.id)
            .await?
            .map(|s| s.as_str().to_string()),
        _ => None,
    };
    let p = &row.profile;
    let experience: Vec<crate::domain::mentor::ExperienceEntry> = p.experience.clone();
    let picker = picker::build(
        state,
        web,
        &picker::Mentor {
            id,
            zone: &row.timezone,
            next_free: p.next_free_at,
            is_self: viewer.is_some_and(|v| v.id == id),
        },
        &services,
        &q,
    )
    .await?;
    let tz = q
        .chosen_zone()
        .map(|(_, z)| z)
        .unwrap_or_else(|| web.zone());
    let reviews = crate::service::reviews::on_profile(&state.ctx, viewer, id, 5)
        .await
        .unwrap_or_default();
    let articles = super::articles::latest_by(state, viewer, id, 3, &tz)
        .await
        .unwrap_or_default();
    let groups = crate::service::groups::list(
        &state.ctx,
        viewer,
        &crate::service::groups::ListFilter {
            mentor_id: Some(id),
            skill: None,
            words: None,
            from: state.ctx.now(),
            to: None,
            offset: 0,
            limit: 4,
        },
    )
    .await
    .unwrap_or_default();
    let groups = super::groups::cards(state, web, &groups).await?;
    let page = MentorPage {
        articles,
        groups,
        layout: web.layout(),
        self_path: format!("/mentors/{id}"),
        missed: p.no_show_count,
        picker,
        next_free: p.next_free_at.map(|t| web.when(t, &tz)).unwrap_or_default(),
        review_total: p.rating_count,
        reviews: reviews
            .iter()
            .map(|r| ReviewLine {
                stars: "★".repeat(r.rating.clamp(0, 5) as usize)
                    + &"☆".repeat(5 - r.rating.clamp(0, 5) as usize),
                comment: r.comment.clone(),
                by: format!(
                    "{} {}.",
                    r.first_name,
                    r.last_name.chars().next().unwrap_or(' ')
                ),
                reply: r.reply.clone(),
                when: r
                    .created_at
                    .to_zoned(tz.clone())
                    .strftime("%b %Y")
                    .to_string(),
                service: r.title.clone(),
                rating: r.rating.clamp(0, 5),
            })
            .collect(),
        m: CardView::from_row(&row),
        bio: p.bio.clone(),
        timezone: row.timezone.clone(),
        city: picker::city(&row.timezone),
        skills: p.skills.clone(),
        industries: p.industries.clone(),
        capacity: spots(row.active_mentees, p.max_mentees),
        // Who sees an unlisted profile, and why: the mentor and admins; a hidden
        // approved mentor's own mentees too, told so in their words.
        unlisted_status: (p.status != MentorStatus::Approved || !p.is_public).then(|| {
            let own_or_admin = viewer.is_some_and(|v| v.id == id) || web.is_admin();
            if !own_or_admin {
                format!(
                    "{} hides this profile from search: you see it as their mentee.",
                    row.first_name
                )
            } else if !p.is_public && p.status == MentorStatus::Approved {
                "Only you, your mentees and admins see this page: the profile is hidden from discovery.".to_string()
            } else {
                format!(
                    "Only you and admins see this page: the profile is {}.",
                    p.status.as_str()
                )
            }
        }),
        experience: experience
            .into_iter()
            .map(|e| ExperienceLine {
                period: format!(
                    "{} – {}",
                    month_year(&e.start_date),
                    e.end_date
                        .as_deref()
                        .map_or_else(|| "now".into(), month_year)
                ),
                title: e.title,
                company: e.company,
                description: e.description,
            })
            .collect(),
        services: services
            .iter()
            .cloned()
            .map(|s| ServiceLine {
                title: s.title,
                kind: s.kind.label().to_string(),
                timed: !s.kind.is_review(),
                description: s.description,
                duration_minutes: s.duration_minutes,
                credit_cost: s.credit_cost,
            })
            .collect(),
        signed_in: viewer.is_some(),
        is_self: viewer.is_some_and(|v| v.id == id),
        relationship,
        errors,
        message,
    };
    let mut res = web.render_status(state, status, &page);
    // A visitor's chosen zone holds for the next pages.
    if let Some((name, _)) = q.chosen_zone()
        && web.auth.is_none()
    {
        web.remember_zone(&mut res, &name);
    }
    Ok(res)
}

async fn mentor_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    uri: Uri,
) -> PageResult {
    let id = path_id(&id)?;
    render_mentor(
        &state,
        &web,
        &id,
        StatusCode::OK,
        FormErrors::default(),
        String::new(),
        page_query(&uri),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    message: String,
}

async fn request(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<RequestForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let result = mentorships::request(
        &state.ctx,
        &me,
        &RequestInput {
            mentor_id: id.clone(),
            message: f.message.clone(),
        },
    )
    .await;
    Ok(match result {
        Ok(_) => web.redirect_flash("/mentorship?tab=mentors", "request_sent"),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_mentor(
                &state,
                &web,
                &id,
                super::super::problem::status_of(&e),
                FormErrors::from_error(&e)
                    .ids("")
                    .labelled(&[("message", "Introduce yourself")]),
                f.message,
                PickerQuery::default(),
            )
            .await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub struct RelationLine {
    pub id: String,
    pub other_id: String,
    pub other_name: String,
    pub other_headline: String,
    pub status: String,
    pub message: String,
    pub since: String,
    pub waiting: String,
    /// The other takes part now: a mentor who takes sessions, a mentee whose account
    /// is open. Not: no profile link, no booking, no message; ending stays.
    pub other_open: bool,
}

#[derive(Template)]
#[template(path = "mentorship.html")]
struct HubPage {
    layout: Layout,
    tab: String,
    is_mentor: bool,
    /// Their own id (a mentor's page, where their mentees book).
    me_id: String,
    lines: Vec<RelationLine>,
    recommendations: Vec<CardView>,
    upcoming: Vec<super::bookings::SessionLine>,
    past: Vec<super::bookings::SessionLine>,
    /// The Sessions tab's "Schedule a new session": the person's mentors (id, name).
    book_with: Vec<(String, String)>,
    /// Mentorships that have ended and requests that were answered no, withdrawn or
    /// left unanswered, newest first.
    ended: Vec<PastLine>,
}

#[derive(Debug, Default, Deserialize)]
struct HubQuery {
    #[serde(default)]
    tab: String,
}

/// A past mentorship or request on the hub.
pub struct PastLine {
    pub id: String,
    pub other_id: String,
    pub name: String,
    /// "ended 3 Dec 2026", "declined 3 Dec 2026: “My spots are full”", "withdrawn 3
    /// Dec 2026", "not answered in time (3 Dec 2026)".
    pub what: String,
    /// It was a mentorship: its goals and progress can be read.
    pub progress: bool,
    /// The other takes part now (see [`RelationLine::other_open`]).
    pub open: bool,
}

fn past_line(
    r: &MentorshipListRow,
    as_mentor: bool,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> PastLine {
    let line = relation_line(r, as_mentor, now, tz);
    let day = |t: jiff::Timestamp| t.to_zoned(tz.clone()).strftime("%-d %b %Y").to_string();
    let what = match r.m.status {
        MentorshipStatus::Declined => {
            let when = day(r.m.responded_at.unwrap_or(r.m.updated_at));
            match r.m.answer.trim() {
                "" => format!("request declined {when}"),
                why => format!("request declined {when}: “{why}”"),
            }
        }
        MentorshipStatus::Cancelled => {
            format!("request withdrawn {}", day(r.m.updated_at))
        }
        MentorshipStatus::Expired => {
            format!("request not answered in time ({})", day(r.m.expires_at))
        }
        _ => format!("ended {}", day(r.m.ended_at.unwrap_or(r.m.updated_at))),
    };
    PastLine {
        id: line.id,
        other_id: line.other_id,
        name: line.other_name,
        what,
        progress: r.m.started_at.is_some(),
        open: line.other_open,
    }
}

fn relation_line(
    r: &MentorshipListRow,
    i_am_mentor: bool,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> RelationLine {
    let m = &r.m;
    let (other_id, name, headline, open) = if i_am_mentor {
        (
            m.mentee_id.clone(),
            format!("{} {}", r.mentee_first_name, r.mentee_last_name),
            r.mentee_headline.clone(),
            r.mentee_open == 1,
        )
    } else {
        (
            m.mentor_id.clone(),
            format!("{} {}", r.mentor_first_name, r.mentor_last_name),
            r.mentor_headline.clone(),
            r.mentor_open == 1,
        )
    };
    let day = |t: jiff::Timestamp| t.to_zoned(tz.clone()).strftime("%-d %b %Y").to_string();
    let waited_days = now.duration_since(m.created_at).as_hours() / 24;
    RelationLine {
        id: m.id.clone(),
        other_id,
        other_name: name,
        other_headline: headline,
        status: m.status.as_str().to_string(),
        message: m.message.clone(),
        since: day(m.started_at.unwrap_or(m.created_at)),
        waiting: match waited_days {
            0 => "today".into(),
            1 => "1 day ago".into(),
            n => format!("{n} days ago"),
        },
        other_open: open,
    }
}

async fn hub(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let me = web.require_user()?.user.clone();
    let is_mentor = mentors::is_approved(&state.ctx, &me.id)
        .await
        .unwrap_or(false);
    let q: HubQuery = page_query(&uri);
    let tab = match q.tab.as_str() {
        "mentees" if is_mentor => "mentees",
        "discover" => "discover",
        "sessions" => "sessions",
        "mentors" => "mentors",
        _ if is_mentor => "mentees",
        _ => "mentors",
    }
    .to_string();
    let tz = super::zone_of(Some(&me));
    let mut lines = vec![];
    let mut recommendations = vec![];
    let (mut upcoming, mut past) = (vec![], vec![]);
    let mut ended = vec![];
    let mut book_with = vec![];
    if tab == "sessions" {
        (upcoming, past) = super::bookings::sessions(&state, &web, &me).await?;
        let mine = ListFilter {
            user_id: me.id.to_string(),
            role: Some("mentee"),
            statuses: vec!["accepted".into()],
            before_id: None,
            limit: 100,
        };
        book_with = mentorships::list(&state.ctx, &mine)
            .await?
            .iter()
            .filter(|r| r.mentor_open == 1)
            .map(|r| {
                let l = relation_line(r, false, state.ctx.clock.now(), &tz);
                (l.other_id, l.other_name)
            })
            .collect();
    } else if tab == "discover" {
        let recs = mentors::recommended(&state.ctx, &me, 12).await?;
        recommendations = recs
            .iter()
            .map(|(row, rec)| CardView {
                reasons: rec.reasons.clone(),
                ..CardView::from_row(row).next_free(row, &web)
            })
            .collect()
    } else {
        let as_mentor = tab == "mentees";
        let filter = ListFilter {
            user_id: me.id.to_string(),
            role: Some(if as_mentor { "mentor" } else { "mentee" }),
            statuses: vec!["pending".into(), "accepted".into()],
            before_id: None,
            limit: 100,
        };
        let rows = mentorships::list(&state.ctx, &filter).await?;
        let now = state.ctx.clock.now();
        lines = rows
            .iter()
            .map(|r| relation_line(r, as_mentor, now, &tz))
            .collect();
        // Requests waiting for an answer first.
        lines.sort_by_key(|l| l.status != MentorshipStatus::Pending.as_str());
        // Ended ones stay to be found again (their goals and history are kept), and
        // so do requests that came to nothing, with the answer given.
        let over = mentorships::list(
            &state.ctx,
            &ListFilter {
                statuses: ["ended", "declined", "cancelled", "expired"]
                    .map(String::from)
                    .to_vec(),
                limit: 50,
                ..filter
            },
        )
        .await?;
        ended = over
            .iter()
            .map(|r| past_line(r, as_mentor, now, &tz))
            .collect();
    }
    Ok(web.render(
        &state,
        &HubPage {
            layout: web.layout(),
            tab,
            is_mentor,
            me_id: me.id.to_string(),
            lines,
            book_with,
            recommendations,
            upcoming,
            past,
            ended,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
    /// `1` once the person confirmed ending or declining.
    #[serde(default)]
    confirmed: String,
}

async fn act(
    State(state): State<AppState>,
    web: WebCtx,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<ActForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let (action, flash) = match action.as_str() {
        "accept" => (Action::Accept, "mentorship_accepted"),
        "decline" => (Action::Decline, "mentorship_declined"),
        "cancel" => (Action::Cancel, "mentorship_cancelled"),
        "end" => (Action::End, "mentorship_ended"),
        _ => return Err(AppError::NotFound.into()),
    };
    let id = path_id(&id)?;
    let back = if f.back == "mentees" {
        "/mentorship?tab=mentees"
    } else {
        "/mentorship?tab=mentors"
    };
    if matches!(action, Action::End | Action::Decline) && !confirm::confirmed(&f.confirmed) {
        let m = mentorships::get(&state.ctx, &me, &id).await?;
        let i_mentor = m.m.mentor_id == me.id;
        let other = if i_mentor {
            format!("{} {}", m.mentee_first_name, m.mentee_last_name)
        } else {
            format!("{} {}", m.mentor_first_name, m.mentor_last_name)
        };
        let end = action == Action::End;
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question: if end {
                    format!("End your mentorship with {other}?")
                } else {
                    format!("Decline {other}'s request?")
                },
                consequence: if end {
                    end_consequence(&other, i_mentor)
                } else {
                    format!(
                        "{other} is told{}; they can ask again later.",
                        if f.reason.trim().is_empty() {
                            ""
                        } else {
                            ", with your reason"
                        }
                    )
                },
                action: format!("/mentorship/{id}/{}", if end { "end" } else { "decline" }),
                fields: vec![("back", f.back.clone())],
                yes: if end {
                    "Yes, end the mentorship"
                } else {
                    "Yes, decline"
                },
                back: back.to_string(),
                no: "No, go back",
                reason: Some(confirm::Reason {
                    label: "Reason, for them",
                    required: false,
                    max: 1000,
                    value: f.reason,
                }),
                errors: FormErrors::default(),
            },
        ));
    }
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    match mentorships::act(
        &state.ctx,
        &me,
        &id,
        action,
        &AnswerInput {
            reason,
            ..Default::default()
        },
    )
    .await
    {
        Ok(_) => Ok(web.redirect_flash(back, flash)),
        // Full: back where they were, saying so, rather than an error page.
        Err(AppError::Conflict {
            code: "mentor_at_capacity",
            ..
        }) => Ok(web.redirect_flash(back, "mentor_at_capacity")),
        Err(e) => Err(e.into()),
    }
}

/// What ending a mentorship does, as its confirmation says.
fn end_consequence(other: &str, i_mentor: bool) -> String {
    format!(
        "{other} stops being your {}. Sessions already booked are not cancelled and your \
         conversation stays; a new mentorship needs a new request.",
        if i_mentor { "mentee" } else { "mentor" }
    )
}

/// A stored date of a mentor's experience ("2011-08-01") as people write it on a CV
/// ("Aug 2011"); kept as it is when it is not a date.
fn month_year(date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%b %Y").to_string())
        .unwrap_or_else(|_| date.to_string())
}

/// How many of a mentor's mentee spots are taken, in words. A mentor may have more
/// mentees than spots (matched by a program to the capacity they gave its pool, or
/// spots lowered since): then all are taken, and how many mentees they have is said
/// apart ("3 of 2 taken" reads as a mistake).
fn spots(mentees: i64, max: i64) -> String {
    let all = match max {
        1 => "The one mentee spot is taken".to_string(),
        _ => format!("All {max} mentee spots taken"),
    };
    match mentees {
        n if n < max && max == 1 => "The one mentee spot is free".to_string(),
        n if n < max => format!("{n} of {max} mentee spots taken"),
        n if n == max => all,
        n => format!("{all} ({n} mentees now)"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spots_never_read_more_taken_than_there_are() {
        assert_eq!(super::spots(1, 3), "1 of 3 mentee spots taken");
        assert_eq!(super::spots(3, 3), "All 3 mentee spots taken");
        assert_eq!(
            super::spots(3, 2),
            "All 2 mentee spots taken (3 mentees now)"
        );
        // One spot is not "all 1 spots".
        assert_eq!(super::spots(1, 1), "The one mentee spot is taken");
        assert_eq!(super::spots(0, 1), "The one mentee spot is free");
        assert_eq!(
            super::spots(2, 1),
            "The one mentee spot is taken (2 mentees now)"
        );
    }
}
