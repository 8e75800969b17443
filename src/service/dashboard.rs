//! What each person needs at a glance: the mentee's and the mentor's dashboards
//! (`GET /api/v1/me/dashboard`, `/dashboard`) and the platform's figures for admins
//! (`GET /api/v1/admin/stats`, `/admin`). The JSON and the pages come from the same
//! structs. Weekly series cover the last [`WEEKS`] weeks, Monday to Monday in the
//! viewer's zone, the current week last; weeks without activity are zeros.
//!
//! Definitions: hours count completed timed sessions (their booked duration);
//! earnings are credits paid out to the mentor (completions, late cancellations,
//! no-shows); a mentor's response rate is the share of mentorship and booking
//! requests of the last 90 days that were answered (accepted or declined) rather than
//! left to expire.

use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;
use utoipa::ToSchema;

use super::Ctx;
use crate::{
    clock::to_micros,
    domain::{
        booking::BookingStatus,
        stats::{self, Point},
    },
    error::AppResult,
    store::{
        self,
        dashboard::{MenteeFigures, MentorFigures, PersonLine, Series, SessionLine, weekly},
        users::UserRow,
    },
};

pub use crate::store::dashboard::AuditFilter;

/// Weeks in each series (about six months).
pub const WEEKS: usize = 26;
const DAY: i64 = 24 * 3600 * 1_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonItem {
    /// The user's id (profile: `/mentors/{id}`).
    pub id: String,
    pub name: String,
    pub headline: String,
    /// When the mentorship started (or the request was made).
    pub since: String,
}

fn person(p: &PersonLine) -> PersonItem {
    PersonItem {
        id: p.user_id.clone(),
        name: format!("{} {}", p.first_name, p.last_name),
        headline: p.headline.clone(),
        since: p.since.to_string(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionItem {
    /// `booking` (a 1:1 session: `/bookings/{id}`) or `group` (a group session the
    /// user leads or has a seat in: `/group-sessions/{id}`).
    pub kind: String,
    pub id: String,
    pub title: String,
    /// A booking: `pending` or `accepted`. A group session: `seated` (the user has a
    /// seat), `waiting` (in line for one) or `leading` (the user is its mentor).
    pub status: String,
    pub start: String,
    pub end: String,
    /// The start in the viewer's zone (RFC 3339 with offset).
    pub start_local: String,
    /// Whole minutes until it starts (0 once started).
    pub starts_in_minutes: i64,
    /// The other person (a group session's mentor, for a seat); empty for a group
    /// session the user leads.
    pub with_id: String,
    pub with_name: String,
    /// What the other person is in this session: `mentor` or `mentee` (`attendees`
    /// for a group session the user leads).
    pub with_role: String,
    /// A group session the user leads: how many are seated.
    pub seated: Option<i64>,
    /// A group session the user is in line for: how many are ahead (0: next).
    pub ahead: Option<i64>,
    /// A booking once accepted; a group session the user leads or is seated in.
    pub meeting_link: Option<String>,
}

/// The start in the viewer's zone, and the whole minutes until it (0 once started).
fn local_start(start: Timestamp, now: Timestamp, tz: &TimeZone) -> (String, i64) {
    (
        start
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        (start.duration_since(now).as_mins()).max(0),
    )
}

fn group_session(g: &store::dashboard::GroupLine, now: Timestamp, tz: &TimeZone) -> SessionItem {
    let (start_local, starts_in_minutes) = local_start(g.start_at, now, tz);
    SessionItem {
        kind: "group".into(),
        id: g.id.clone(),
        title: g.title.clone(),
        status: if g.leads { "leading" } else { g.place.as_str() }.into(),
        start: g.start_at.to_string(),
        end: g.end_at.to_string(),
        start_local,
        starts_in_minutes,
        with_id: if g.leads {
            String::new()
        } else {
            g.mentor_id.clone()
        },
        with_name: if g.leads {
            String::new()
        } else {
            format!("{} {}", g.mentor_first_name, g.mentor_last_name)
        },
        with_role: if g.leads { "attendees" } else { "mentor" }.into(),
        seated: g.leads.then_some(g.seated),
        ahead: (!g.leads && g.place == "waiting").then_some(g.ahead),
        // Led or seated in, and open: the room is theirs (not the line's).
        meeting_link: Some(g.meeting_link.clone())
            .filter(|l| !l.is_empty() && (g.leads || g.place == "seated")),
    }
}

fn session(s: &SessionLine, now: Timestamp, tz: &TimeZone) -> SessionItem {
    let start = s.start_at;
    let (start_local, starts_in_minutes) = local_start(start, now, tz);
    SessionItem {
        kind: "booking".into(),
        id: s.id.clone(),
        title: s.title.clone(),
        status: s.status.as_str().to_string(),
        start: start.to_string(),
        end: s.end_at.to_string(),
        start_local,
        starts_in_minutes,
        with_id: s.other_id.clone(),
        with_name: format!("{} {}", s.other_first_name, s.other_last_name),
        with_role: if s.other_is_mentor {
            "mentor"
        } else {
            "mentee"
        }
        .to_string(),
        seated: None,
        ahead: None,
        meeting_link: (s.status == BookingStatus::Accepted && !s.meeting_link.is_empty())
            .then(|| s.meeting_link.clone()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleItem {
    pub slug: String,
    pub title: String,
    pub author: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedItem {
    pub id: String,
    pub name: String,
    pub headline: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenteeDashboard {
    pub mentors: Vec<PersonItem>,
    /// Completed session time received, in minutes: timed 1:1 sessions and group
    /// sessions attended.
    pub minutes_received: i64,
    /// My mentorship requests waiting for an answer.
    pub pending_mentorship_requests: i64,
    /// My booking requests waiting for an answer.
    pub pending_booking_requests: i64,
    pub recommended: Vec<RecommendedItem>,
    /// Recent articles by my mentors.
    pub articles: Vec<ArticleItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingItem {
    /// `mentorship` or `booking`.
    pub kind: String,
    pub id: String,
    pub from_id: String,
    pub from_name: String,
    pub title: String,
    pub requested_at: String,
    /// Whole hours it has waited.
    pub waiting_hours: i64,
    /// When the session asked for starts (a timed booking; none for a mentorship or a
    /// review); of a series, its first session waiting.
    pub starts_at: Option<String>,
    /// Sessions waiting in this request: more than one for a recurring series, whose
    /// waiting sessions are one item (`id` is the first; its page answers them all).
    pub sessions: i64,
    /// Of a series: the weeks between its sessions (1 or 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every_weeks: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rating {
    pub average: f64,
    pub count: i64,
    /// Reviews with 1, 2, 3, 4 and 5 stars.
    pub distribution: [i64; 5],
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MentorDashboard {
    /// `approved`, `pending`, …
    pub status: String,
    pub mentees: Vec<PersonItem>,
    pub active_mentees: i64,
    pub capacity: i64,
    /// Requests waiting for my answer, oldest first.
    pub waiting: Vec<WaitingItem>,
    /// Completed session time given, in minutes: timed 1:1 sessions and group
    /// sessions held.
    pub minutes_given: i64,
    /// My group sessions still to take place, and held.
    pub group_sessions_upcoming: i64,
    pub group_sessions_held: i64,
    /// Seats recorded as attended in my group sessions.
    pub group_attendees: i64,
    /// Credits earned in all.
    pub earnings: i64,
    pub rating: Rating,
    /// Percent of the last 90 days' requests answered; `None` when there were none.
    pub response_rate: Option<i64>,
    pub sessions_per_week: Vec<Point>,
    pub earnings_per_week: Vec<Point>,
    pub article_views_per_week: Vec<Point>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    /// The zone the weeks and local times are in.
    pub timezone: String,
    pub credits_balance: i64,
    pub credits_held: i64,
    /// Programs' sponsored credits, spent on sessions with the program mentor (apart
    /// from the balance).
    pub credits_sponsored: i64,
    /// My coming sessions, as mentee or mentor, soonest first.
    pub upcoming: Vec<SessionItem>,
    pub mentee: MenteeDashboard,
    /// Present for mentors (any application status).
    pub mentor: Option<MentorDashboard>,
}

/// The user's coming group sessions (led or seated in), soonest first, each with its
/// start.
pub async fn coming_group_sessions(
    ctx: &Ctx,
    user: &UserRow,
) -> AppResult<Vec<(Timestamp, SessionItem)>> {
    let now = ctx.clock.now();
    let tz = zone(user);
    Ok(
        store::dashboard::upcoming_groups(&ctx.db.pool, &user.id, now, 50)
            .await?
            .iter()
            .map(|g| (g.start_at, group_session(g, now, &tz)))
            .collect(),
    )
}

/// The user's group sessions that are over or were cancelled (led, or with a seat
/// then), latest first, each with its start and how it reads in a list of sessions.
pub async fn past_group_sessions(
    ctx: &Ctx,
    user: &UserRow,
    limit: i64,
) -> AppResult<Vec<(Timestamp, store::dashboard::GroupLine, String)>> {
    Ok(
        store::dashboard::past_groups(&ctx.db.pool, &user.id, ctx.clock.now(), limit)
            .await?
            .into_iter()
            .map(|g| {
                let label = past_label(&g);
                (g.start_at, g, label)
            })
            .collect(),
    )
}

/// "your group session, held", "group session, attended", "group session,
/// cancelled"…
fn past_label(g: &store::dashboard::GroupLine) -> String {
    use crate::domain::group::SeatStatus;
    let place = SeatStatus::parse(&g.place);
    let how = match (g.leads, g.status.as_str(), place) {
        (_, "cancelled", _) => "cancelled".to_string(),
        (true, "completed", _) => "held".to_string(),
        (true, _, _) => seated(g.seated),
        // Still seated in one not yet closed: over, attendance not recorded yet.
        (false, _, None | Some(SeatStatus::Seated)) => "over".to_string(),
        (false, _, Some(p)) => p.in_words().to_string(),
    };
    let whose = if g.leads {
        "your group session"
    } else {
        "group session"
    };
    format!("{whose}, {how}")
}

fn seated(n: i64) -> String {
    format!("{n} seated")
}

impl SessionItem {
    /// How a group session reads in a list of sessions ("your group session, 3
    /// seated" when the user leads it, "group session, in line (next)"); `None` for a
    /// booking.
    pub fn group_label(&self) -> Option<String> {
        if self.kind != "group" {
            return None;
        }
        Some(match (self.seated, self.ahead) {
            (Some(n), _) => format!("your group session, {}", seated(n)),
            (None, Some(0)) => "group session, in line (next)".into(),
            (None, Some(n)) => format!("group session, in line ({n} ahead)"),
            (None, None) => "group session".into(),
        })
    }
}

/// How many coming sessions the dashboard lists.
const UPCOMING: i64 = 10;

fn zone(user: &UserRow) -> TimeZone {
    TimeZone::get(&user.timezone).unwrap_or(TimeZone::UTC)
}

/// The week boundaries (µs) of the last WEEKS weeks in `tz`, plus the end of the
/// current week, and the week starts for labels.
fn weeks(now: Timestamp, tz: &TimeZone) -> (Vec<jiff::Zoned>, Vec<i64>) {
    let starts = stats::week_starts(now, tz, WEEKS);
    let mut bounds: Vec<i64> = starts.iter().map(|z| to_micros(z.timestamp())).collect();
    if let Some(end) = starts
        .last()
        .and_then(|z| z.checked_add(jiff::ToSpan::week(1)).ok())
    {
        bounds.push(to_micros(end.timestamp()));
    }
    (starts, bounds)
}

pub async fn for_user(ctx: &Ctx, user: &UserRow) -> AppResult<Dashboard> {
    let pool = &ctx.db.pool;
    let tz = zone(user);
    let now = ctx.clock.now();
    let upcoming = store::dashboard::upcoming(pool, &user.id, now, UPCOMING).await?;
    let groups = store::dashboard::upcoming_groups(pool, &user.id, now, UPCOMING).await?;

    let mentors = store::dashboard::relations(pool, &user.id, true).await?;
    let MenteeFigures {
        minutes_received,
        pending_mentorship_requests,
        pending_booking_requests,
    } = store::dashboard::mentee_figures(pool, &user.id, now).await?;
    let recommended = super::mentors::recommended(ctx, user, 3)
        .await?
        .into_iter()
        .map(|(row, rec)| RecommendedItem {
            id: row.profile.user_id.clone(),
            name: format!("{} {}", row.first_name, row.last_name),
            headline: row.headline.clone(),
            reasons: rec.reasons,
        })
        .collect();
    let articles = if mentors.is_empty() {
        vec![]
    } else {
        let q = store::articles::ListQuery {
            reader: super::articles::reader_q(Some(user)),
            mentors_of: Some(user.id.to_string()),
            status: Some("published"),
            limit: 5,
            ..Default::default()
        };
        store::articles::list(pool, ctx.db.backend, &q)
            .await?
            .into_iter()
            .map(|(a, _)| ArticleItem {
                slug: a.slug.clone(),
                title: a.title.clone(),
                author: format!("{} {}", a.author_first_name, a.author_last_name),
                published_at: a.published_at.map(|t| t.to_string()),
            })
            .collect()
    };
    let mentee = MenteeDashboard {
        mentors: mentors.iter().map(person).collect(),
        minutes_received,
        pending_mentorship_requests,
        pending_booking_requests,
        recommended,
        articles,
    };

    let mentor = match store::mentors::profile(pool, &user.id).await? {
        None => None,
        Some(p) => Some(mentor_dashboard(ctx, user, &p, now, &tz).await?),
    };
    let credits = super::credits::view(ctx, user, None, 1).await?;
    Ok(Dashboard {
        timezone: tz.iana_name().unwrap_or("UTC").to_string(),
        credits_balance: credits.balance,
        credits_held: credits.held,
        credits_sponsored: credits.sponsored.iter().map(|s| s.credits).sum(),
        upcoming: {
            let mut all: Vec<(Timestamp, SessionItem)> = (upcoming.iter())
                .map(|s| (s.start_at, session(s, now, &tz)))
                .chain(
                    groups
                        .iter()
                        .map(|g| (g.start_at, group_session(g, now, &tz))),
                )
                .collect();
            all.sort_by_key(|(start, _)| *start);
            all.into_iter()
                .take(UPCOMING as usize)
                .map(|(_, item)| item)
                .collect()
        },
        mentee,
        mentor,
    })
}

async fn mentor_dashboard(
    ctx: &Ctx,
    user: &UserRow,
    p: &store::mentors::MentorProfileRow,
    now: Timestamp,
    tz: &TimeZone,
) -> AppResult<MentorDashboard> {
    let pool = &ctx.db.pool;
    let mentees = store::dashboard::relations(pool, &user.id, false).await?;
    let mut waiting: Vec<WaitingItem> = store::dashboard::waiting_requests(pool, &user.id, now)
        .await?
        .iter()
        .map(|r| WaitingItem {
            kind: "mentorship".into(),
            id: r.id.clone(),
            from_id: r.user_id.clone(),
            from_name: format!("{} {}", r.first_name, r.last_name),
            title: "Mentorship request".into(),
            requested_at: r.since.to_string(),
            waiting_hours: now.duration_since(r.since).as_hours().max(0),
            starts_at: None,
            sessions: 1,
            every_weeks: None,
        })
        .collect();
    let bookings = store::dashboard::waiting_bookings(pool, &user.id).await?;
    waiting.extend(waiting_bookings(&bookings, now));
    waiting.sort_by_key(|w| std::cmp::Reverse(w.waiting_hours));
    let MentorFigures {
        minutes_given,
        earnings,
        answered,
        expired,
        group_sessions_upcoming,
        group_sessions_held,
        group_attendees,
    } = store::dashboard::mentor_figures(pool, &user.id, crate::clock::before(now, 90 * DAY))
        .await?;
    let response_rate = (answered + expired > 0).then(|| answered * 100 / (answered + expired));

    let (starts, bounds) = weeks(now, tz);
    let sessions = weekly(pool, Series::MentorSessions(&user.id), &bounds).await?;
    let earned = weekly(pool, Series::MentorEarnings(&user.id), &bounds).await?;
    let views = weekly(pool, Series::ArticleViews(&user.id), &bounds).await?;
    Ok(MentorDashboard {
        status: p.status.as_str().to_string(),
        active_mentees: mentees.len() as i64,
        mentees: mentees.iter().map(person).collect(),
        capacity: p.max_mentees,
        waiting,
        minutes_given,
        group_sessions_upcoming,
        group_sessions_held,
        group_attendees,
        earnings,
        rating: Rating {
            average: (p.rating_avg * 10.0).round() / 10.0,
            count: p.rating_count,
            distribution: store::dashboard::rating_distribution(pool, &user.id).await?,
        },
        response_rate,
        sessions_per_week: stats::series(&starts, &sessions),
        earnings_per_week: stats::series(&starts, &earned),
        article_views_per_week: stats::series(&starts, &views),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminTotals {
    /// Accounts that are not closed.
    pub users: i64,
    pub mentors_approved: i64,
    pub applications_pending: i64,
    pub mentorships_active: i64,
    pub bookings_by_status: Vec<StatusCount>,
    /// Credits that entered wallets from outside (admin grants and purchases), net of
    /// refunded purchases.
    pub credits_granted: i64,
    /// Credits paid out to mentors.
    pub credits_spent: i64,
    pub messages: i64,
    pub articles_published: i64,
    pub payments_flagged: i64,
    /// Reports of content or people waiting for an admin.
    pub reports_open: i64,
    /// Disputed session outcomes waiting for an admin.
    pub disputes_open: i64,
    /// Members' requests for credits waiting for an admin.
    pub credit_requests_open: i64,
    pub jobs_dead: i64,
    /// Group sessions still to take place.
    pub group_sessions_upcoming: i64,
    /// Group sessions that took place.
    pub group_sessions_held: i64,
    /// Seats recorded as attended, over all group sessions.
    pub group_attendees: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminSeries {
    pub signups: Vec<Point>,
    pub mentors_approved: Vec<Point>,
    /// Bookings requested each week, whatever became of them.
    pub bookings: Vec<Point>,
    /// The same bookings by their status now: one series per status (all seven, in
    /// lifecycle order), each week's values adding up to `bookings`.
    pub bookings_by_status: Vec<StatusSeries>,
    pub credits_granted: Vec<Point>,
    pub credits_spent: Vec<Point>,
    pub messages: Vec<Point>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusSeries {
    pub status: String,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminStats {
    pub timezone: String,
    pub totals: AdminTotals,
    /// Per week, the last 26 weeks.
    pub series: AdminSeries,
}

/// How long the platform figures may be served from memory.
pub const ADMIN_STATS_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The platform figures, computed at most every 30 seconds per time zone (they scan
/// whole tables; an admin does not need them fresher) — except what waits for an
/// admin (applications, reports, disputes, requests for credits, flagged payments,
/// dead jobs), counted on every call: an admin who just decided the last dispute
/// must not be sent back to it by the overview.
pub async fn admin_stats(ctx: &Ctx, admin: &UserRow) -> AppResult<AdminStats> {
    super::admin::require_admin(admin)?;
    let tz = admin.timezone.clone();
    let now = ctx.now();
    let mut stats = match ctx.admin_stats.get(&tz, to_micros(now)) {
        Some(stats) => stats,
        None => {
            let generation = ctx.admin_stats.generation();
            let stats = compute_admin_stats(ctx, admin).await?;
            ctx.admin_stats
                .put(tz, generation, to_micros(now), stats.clone());
            stats
        }
    };
    let w = store::dashboard::waiting(&ctx.db.pool).await?;
    let t = &mut stats.totals;
    t.applications_pending = w.applications_pending;
    t.payments_flagged = w.payments_flagged;
    t.reports_open = w.reports_open;
    t.disputes_open = w.disputes_open;
    t.credit_requests_open = w.credit_requests_open;
    t.jobs_dead = w.jobs_dead;
    Ok(stats)
}

async fn compute_admin_stats(ctx: &Ctx, admin: &UserRow) -> AppResult<AdminStats> {
    let pool = &ctx.db.pool;
    let tz = zone(admin);
    let now = ctx.clock.now();
    let (starts, bounds) = weeks(now, &tz);
    let series_of = [
        Series::Signups,
        Series::MentorsApproved,
        Series::CreditsGranted,
        Series::CreditsSpent,
        Series::Messages,
    ];
    // The totals and the six series are independent reads: run them side by side on
    // the pool.
    let series = futures_util::future::try_join_all(series_of.map(|s| weekly(pool, s, &bounds)));
    let (t, by_status, bookings_by, all) = tokio::try_join!(
        store::dashboard::platform_totals(pool),
        store::dashboard::bookings_by_status(pool),
        store::dashboard::bookings_weekly_by_status(pool, &bounds),
        series,
    )?;
    let totals = AdminTotals {
        users: t.users,
        mentors_approved: t.mentors_approved,
        // What waits for an admin is counted on every call ([`admin_stats`]).
        applications_pending: 0,
        mentorships_active: t.mentorships_active,
        bookings_by_status: by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        // The outside world's balance: everything granted or bought, less refunds.
        credits_granted: -t.world_balance,
        credits_spent: t.credits_spent,
        messages: t.messages,
        articles_published: t.articles_published,
        payments_flagged: 0,
        reports_open: 0,
        disputes_open: 0,
        credit_requests_open: 0,
        jobs_dead: 0,
        group_sessions_upcoming: t.group_sessions_upcoming,
        group_sessions_held: t.group_sessions_held,
        group_attendees: t.group_attendees,
    };
    let [signups, approved, granted, spent, messages]: [Vec<i64>; 5] =
        all.try_into().unwrap_or_default();
    let mut bookings = vec![0i64; bounds.len().saturating_sub(1)];
    for (_, per_week) in &bookings_by {
        for (sum, v) in bookings.iter_mut().zip(per_week) {
            *sum += v;
        }
    }
    let bookings_by_status = BookingStatus::ALL
        .iter()
        .map(|st| {
            let per_week = bookings_by
                .iter()
                .find(|(k, _)| k == st.as_str())
                .map(|(_, v)| v.as_slice())
                .unwrap_or(&[]);
            let mut values = per_week.to_vec();
            values.resize(bookings.len(), 0);
            StatusSeries {
                status: st.as_str().to_string(),
                points: stats::series(&starts, &values),
            }
        })
        .collect();
    let s = |v: &[i64]| stats::series(&starts, v);
    Ok(AdminStats {
        timezone: tz.iana_name().unwrap_or("UTC").to_string(),
        totals,
        series: AdminSeries {
            signups: s(&signups),
            mentors_approved: s(&approved),
            bookings: s(&bookings),
            bookings_by_status,
            credits_granted: s(&granted),
            credits_spent: s(&spent),
            messages: s(&messages),
        },
    })
}

/// The account with this email, for the audit page's "person" filter (admins).
pub async fn person_by_email(ctx: &Ctx, admin: &UserRow, email: &str) -> AppResult<Option<String>> {
    super::admin::require_admin(admin)?;
    Ok(
        store::users::by_email(&ctx.db.pool, &email.trim().to_lowercase())
            .await?
            .map(|u| u.id.to_string()),
    )
}

/// The audit log (admins).
pub async fn audit(
    ctx: &Ctx,
    admin: &UserRow,
    f: &AuditFilter,
) -> AppResult<Vec<store::dashboard::AuditLine>> {
    super::admin::require_admin(admin)?;
    Ok(store::dashboard::audit(&ctx.db.pool, f).await?)
}

/// Booking requests waiting for their mentor, one item a request: the waiting sessions
/// of a series (read in order of request, then start) are one item, its first session
/// standing for it.
fn waiting_bookings(rows: &[store::dashboard::WaitingBooking], now: Timestamp) -> Vec<WaitingItem> {
    let mut out: Vec<(Option<&str>, WaitingItem)> = vec![];
    for w in rows {
        let b = &w.line;
        if let Some(series) = w.series_id.as_deref()
            && let Some((_, item)) = out.iter_mut().find(|(s, _)| *s == Some(series))
        {
            item.sessions += 1;
            continue;
        }
        out.push((
            w.series_id.as_deref(),
            WaitingItem {
                kind: "booking".into(),
                id: b.id.clone(),
                from_id: b.other_id.clone(),
                from_name: format!("{} {}", b.other_first_name, b.other_last_name),
                title: b.title.clone(),
                requested_at: b.created_at.to_string(),
                waiting_hours: now.duration_since(b.created_at).as_hours().max(0),
                starts_at: b.timed.then(|| b.start_at.to_string()),
                sessions: 1,
                every_weeks: w.series_id.as_ref().and(w.every_weeks),
            },
        ));
    }
    out.into_iter().map(|(_, item)| item).collect()
}
