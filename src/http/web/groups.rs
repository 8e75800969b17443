//! Group sessions on the pages: the "Group sessions" tab of discovery (`/group-sessions`), a
//! session's page (`/group-sessions/{id}`: times in both zones, seats left or your place in
//! line, joining with the cost and the policy said first, leaving through a
//! confirmation that says what comes back; for the mentor the roster, the line,
//! attendance and cancelling), and the mentor's editor (`/group-sessions/new`).
//! The pages lived under `/groups` before API.md's paths were followed: links to
//! them already sent (notifications, emails, calendar files, chat) are answered with a
//! permanent redirect to the same page here, method and query kept.

use crate::http::web::in_words;
use std::collections::HashMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, Uri},
    routing::{get, post},
};
use serde::Deserialize;

use super::{FormErrors, Layout, PageResult, WebCtx, WebForm, confirm, page_query, zone_of};
use crate::{
    domain::{
        booking::free_cancel_until,
        group::{self, GroupStatus, SeatStatus},
    },
    error::AppError,
    http::{AppState, extract::path_id},
    service::{
        accounts::UserRow,
        groups::{self, AttendanceInput, GroupInput, GroupRow, ListFilter, SeatRow},
        mentors,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/group-sessions", get(list_page))
        .route("/group-sessions/new", get(editor).post(publish))
        .route("/group-sessions/{id}", get(session_page))
        .route("/group-sessions/{id}/join", post(join))
        .route("/group-sessions/{id}/leave", post(leave))
        .route("/group-sessions/{id}/edit", get(edit_page).post(save_edit))
        .route("/group-sessions/{id}/cancel", post(cancel))
        .route("/group-sessions/{id}/attendance", post(attendance))
        .route("/group-sessions/{id}/review", post(review))
        .route("/groups", axum::routing::any(moved))
        .route("/groups/", axum::routing::any(moved))
        .route("/groups/{*rest}", axum::routing::any(moved))
}

/// A session as a card or a page shows it.
pub struct GroupCard {
    pub id: String,
    pub title: String,
    pub description: String,
    pub mentor_id: String,
    pub mentor_name: String,
    /// In the viewer's zone.
    pub when: String,
    /// In the mentor's zone, when it differs from the viewer's ("" otherwise).
    pub mentor_when: String,
    pub duration_minutes: i64,
    pub seats: i64,
    pub seats_left: i64,
    pub waiting: i64,
    pub credits: i64,
    pub status: &'static str,
    pub cancel_reason: String,
    /// The viewer's part in it, for lists: "You lead it", "You have a seat", "You are
    /// in line (next)"…; "" when none (or not read).
    pub mine: String,
    /// One date of a weekly run (each date is joined on its own).
    pub weekly: bool,
    /// Its minimum attendance and when it is decided, in the viewer's zone ("" when it
    /// has none, or once it is over).
    pub minimum: String,
    /// When joining closes, when that is before the start ("" otherwise).
    pub joining_closes: String,
}

/// Cards of `rows`, each saying the viewer's part in it (their places read at once).
pub async fn cards(
    state: &AppState,
    web: &WebCtx,
    rows: &[GroupRow],
) -> Result<Vec<GroupCard>, AppError> {
    let me = web.auth.as_ref().map(|a| &a.user);
    let seats = groups::my_seats(&state.ctx, me, rows).await?;
    let now = state.ctx.now();
    Ok(rows
        .iter()
        .map(|g| {
            let mut c = card(web, g, now);
            let place = seats.iter().find(|s| s.session_id == g.id);
            c.mine = match place {
                _ if me.is_some_and(|u| u.id == g.mentor_id) => "You lead it".into(),
                Some(s) if s.status == SeatStatus::Seated => "You have a seat".into(),
                Some(s) if s.ahead == 0 => "You are in line (next)".into(),
                Some(s) => format!("You are in line ({} ahead)", s.ahead),
                None => String::new(),
            };
            c
        })
        .collect())
}

pub fn card(web: &WebCtx, g: &GroupRow, now: jiff::Timestamp) -> GroupCard {
    let tz = web.zone();
    let mentor_tz = jiff::tz::TimeZone::get(&g.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    // The mentor reads it in their own (profile's) zone: the session's zone is only
    // where their hours are kept, not someone else's time to show them.
    let mine = web.auth.as_ref().is_some_and(|a| a.user.id == g.mentor_id);
    // The same clock in both zones then (Toronto and New York): said once.
    let same = mine
        || tz.iana_name() == mentor_tz.iana_name()
        || web.span((g.start_at, g.end_at), &tz) == web.span((g.start_at, g.end_at), &mentor_tz);
    GroupCard {
        id: g.id.clone(),
        title: g.title.clone(),
        description: g.description.clone(),
        mentor_id: g.mentor_id.to_string(),
        mentor_name: format!("{} {}", g.mentor_first_name, g.mentor_last_name)
            .trim()
            .to_string(),
        // From when to when: a session past midnight says the day it ends.
        when: format!(
            "{} ({})",
            web.span((g.start_at, g.end_at), &tz),
            tz.iana_name().unwrap_or("UTC")
        ),
        mentor_when: if same {
            String::new()
        } else {
            format!(
                "{} ({})",
                web.span((g.start_at, g.end_at), &mentor_tz),
                g.timezone
            )
        },
        duration_minutes: g.end_at.duration_since(g.start_at).as_mins(),
        seats: g.seats,
        seats_left: (g.seats - g.seated).max(0),
        waiting: g.waiting,
        credits: g.credits_per_seat,
        status: g.status.as_str(),
        cancel_reason: crate::domain::text::as_sentence(&g.cancel_reason),
        mine: String::new(),
        weekly: g.repeats_id.is_some(),
        minimum: match (g.status, g.min_attendance, g.decide_at) {
            (GroupStatus::Open, Some(min), Some(at)) if min > 1 && now >= at && g.seated >= min => {
                format!("At least {min} people joined in time: it takes place")
            }
            (GroupStatus::Open, Some(min), Some(at)) if min > 1 => format!(
                "Takes place if at least {min} people have joined by {}; otherwise it is \
                 cancelled and everyone refunded",
                web.when(at, &tz)
            ),
            _ => String::new(),
        },
        joining_closes: match g.status == GroupStatus::Open && g.join_until < g.start_at {
            true if now < g.join_until => format!("Closes {}", web.when(g.join_until, &tz)),
            true => format!("Closed {}", web.when(g.join_until, &tz)),
            false => String::new(),
        },
    }
}

/// An old `/groups…` address: the same page under `/group-sessions` (308, so a form
/// posted there is posted again to the new address).
async fn moved(uri: Uri) -> axum::response::Response {
    let rest = match uri.path().strip_prefix("/groups").unwrap_or_default() {
        "/" => "",
        rest => rest,
    };
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    axum::response::IntoResponse::into_response(axum::response::Redirect::permanent(&format!(
        "/group-sessions{rest}{query}"
    )))
}

#[derive(Template)]
#[template(path = "groups.html")]
struct ListPage {
    layout: Layout,
    q: String,
    groups: Vec<GroupCard>,
    can_publish: bool,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// Words of the title or description, or a skill of the mentor.
    #[serde(default)]
    q: String,
    /// The box's name before it was `q` (links kept work).
    #[serde(default)]
    skill: String,
}

async fn list_page(State(state): State<AppState>, web: WebCtx, uri: Uri) -> PageResult {
    let q: ListQuery = page_query(&uri);
    let me = web.auth.as_ref().map(|a| &a.user);
    // The box takes a topic as much as a skill: "interviews" finds "Mock interviews"
    // as well as the mentors who list it.
    let asked = if q.q.trim().is_empty() {
        &q.skill
    } else {
        &q.q
    };
    let words: String = asked.trim().chars().take(200).collect();
    let words = words.as_str();
    let rows = groups::list(
        &state.ctx,
        me,
        &ListFilter {
            mentor_id: None,
            skill: None,
            words: (!words.is_empty()).then_some(words),
            from: state.ctx.now(),
            to: None,
            offset: 0,
            limit: 50,
        },
    )
    .await?;
    let can_publish = match me {
        Some(u) => mentors::is_approved(&state.ctx, &u.id).await?,
        None => false,
    };
    Ok(web.render(
        &state,
        &ListPage {
            layout: web.layout(),
            groups: cards(&state, &web, &rows).await?,
            q: words.to_string(),
            can_publish,
        },
    ))
}

/// A person on the mentor's roster.
pub struct RosterLine {
    pub user_id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "group.html")]
struct SessionPage {
    layout: Layout,
    g: GroupCard,
    open: bool,
    joinable: bool,
    /// The viewer is the mentor (or an admin): the roster, attendance, cancelling.
    is_mentor: bool,
    /// The viewer is its mentor (not an admin): changing it.
    is_own: bool,
    signed_in: bool,
    /// "seated", "waiting" or "".
    my_status: &'static str,
    my_ahead: i64,
    /// In line for a seat the wallet cannot pay now, or not joined and unable to pay
    /// one: what the wallet holds (a freed seat would pass them over; a free seat
    /// cannot be taken).
    short_wallet: Option<i64>,
    /// Not joined, holding a program's credits for this mentor: the program's name
    /// (a seat is paid from the wallet, not with them).
    program_credits: Option<String>,
    /// "Leave before … and all 10 credits come back; later, 50% come back …"
    policy: String,

    started: bool,
    roster: Vec<RosterLine>,
    /// Once attendance is recorded: who was marked absent (the roster then lists who
    /// came).
    absent: Vec<RosterLine>,
    line: Vec<RosterLine>,
    /// The other seated attendees' first names (when the mentor shows them).
    classmates: Vec<String>,
    /// The viewer attended and has not reviewed it yet.
    may_review: bool,
    /// (first name, stars, comment, when), newest first.
    reviews: Vec<(String, String, String, String)>,
    /// Why joining failed.
    error: Option<String>,
    /// The meeting room, for the mentor and the seated while the session is open.
    meeting_link: Option<String>,
    /// The session's chat, for those in it (the mentor and the seated); else "".
    chat_href: String,
    /// For its mentor: the later sessions of the weekly run it was published in that
    /// have not started (cancelling can take them too), and the last one's date.
    later: usize,
    last_date: String,
    /// For its mentor, a coming session in time they took off: "your day off on …".
    time_off: Option<String>,
    /// The other coming dates of its weekly run, as cards (each joined separately).
    other_dates: Vec<GroupCard>,
}

async fn render_session(
    state: &AppState,
    web: &WebCtx,
    id: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let me = web.auth.as_ref().map(|a| &a.user);
    let (g, seat) = match groups::get(&state.ctx, me, id).await {
        Ok(found) => found,
        // A shared link to a session for members: a visitor signs in, then sees it; a
        // member who is not among the mentor's mentees is told so, as articles do.
        Err(AppError::NotFound) => {
            use crate::domain::article::Visibility::MyMentees;
            return Err(match (me, groups::shared_with(&state.ctx, id).await?) {
                (None, Some(MyMentees)) => web.to_sign_in("sign_in_mentees_group").into(),
                (None, Some(_)) => web.to_sign_in("sign_in_members_group").into(),
                (Some(_), Some(MyMentees)) => AppError::forbidden(
                    "This group session is for its mentor's mentees: it opens to them while their mentorship lasts.",
                )
                .into(),
                _ => AppError::NotFound.into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let is_mentor = me.is_some_and(|u| u.id == g.mentor_id) || web.is_admin();
    let (roster, line, absent) = if let (true, Some(u)) = (is_mentor, me) {
        // Open: who holds a seat or waits; over: who came and who did not; cancelled:
        // who had a seat (listed as seated) or a place in line then.
        let seats = if g.status == GroupStatus::Open {
            groups::roster_of(&state.ctx, u, &g, seat.as_ref()).await?
        } else {
            groups::attendance_of(&state.ctx, u, &g).await?
        };
        let had_seat = |s: &&SeatRow| {
            matches!(s.status, SeatStatus::Seated | SeatStatus::Attended)
                || (s.status == SeatStatus::Refunded && s.seated_at.is_some())
        };
        let to_line = |s: &SeatRow| RosterLine {
            user_id: s.user_id.to_string(),
            name: format!("{} {}", s.first_name, s.last_name)
                .trim()
                .to_string(),
        };
        (
            seats.iter().filter(had_seat).map(to_line).collect(),
            seats
                .iter()
                .filter(|s| {
                    s.status == SeatStatus::Waiting
                        || (s.status == SeatStatus::Refunded && s.seated_at.is_none())
                })
                .map(to_line)
                .collect(),
            seats
                .iter()
                .filter(|s| s.status == SeatStatus::Absent)
                .map(to_line)
                .collect(),
        )
    } else {
        (vec![], vec![], vec![])
    };
    // Seated attendees see each other's first names when the mentor shows them.
    let seated = seat
        .as_ref()
        .is_some_and(|s| s.status == SeatStatus::Seated);
    let classmates = match me {
        Some(u) if !is_mentor && seated && g.show_names => {
            groups::roster_of(&state.ctx, u, &g, seat.as_ref())
                .await?
                .into_iter()
                .filter(|s| s.user_id != u.id)
                .map(|s| s.first_name)
                .collect()
        }
        _ => vec![],
    };
    let may_review = match me {
        Some(u) => groups::may_review(&state.ctx, u, id).await?,
        None => false,
    };
    let reviews = groups::reviews(&state.ctx, &g)
        .await?
        .into_iter()
        .map(|(name, rating, comment, at)| {
            (
                name,
                "★".repeat(rating.clamp(0, 5) as usize),
                comment,
                web.when(at, &web.zone()),
            )
        })
        .collect();
    let now = state.ctx.now();
    let p = &state.ctx.config.policy;
    let free_until = free_cancel_until(g.start_at, p);
    let tz = web.zone();
    let later = match me {
        Some(u) if is_mentor && g.status == GroupStatus::Open => {
            groups::later_repeats(&state.ctx, u, &g).await?
        }
        _ => vec![],
    };
    // Publishing or taking time off later does not cancel a session: its mentor is
    // told here when it falls in time they took off.
    let time_off = match me {
        Some(u) if u.id == g.mentor_id && g.status == GroupStatus::Open && now < g.start_at => {
            in_time_off(state, &g.mentor_id, &[&g])
                .await
                .pop()
                .flatten()
        }
        _ => None,
    };
    // What a late leaver gets back, in credits as the ledger counts them (50 % of 15
    // is 7, not "50 %").
    let late_back = g.credits_per_seat * p.late_refund_percent.clamp(0, 100) / 100;
    let policy = if g.credits_per_seat == 0 {
        "Free to join and to leave.".to_string()
    } else if now >= free_until {
        // Within the notice already: no deadline to name.
        format!(
            "Leaving now, {} of the {} credits come back and the rest goes to the mentor.",
            late_back, g.credits_per_seat
        )
    } else {
        format!(
            "Leave before {} and all {} credits come back; later, {} of them come back and the rest goes to the mentor.",
            web.when(free_until, &tz),
            g.credits_per_seat,
            late_back
        )
    };
    // In line, or about to join, with a wallet that cannot pay a seat: what it holds.
    let short_wallet = match (me, seat.as_ref()) {
        (Some(u), seat)
            if g.credits_per_seat > 0
                && u.id != g.mentor_id
                && seat.is_none_or(|s| s.status == SeatStatus::Waiting) =>
        {
            let balance = crate::service::credits::balance(&state.ctx, &u.id).await?;
            (balance < g.credits_per_seat).then_some(balance)
        }
        _ => None,
    };
    // Program credits pay 1:1 sessions with the program mentor, not seats: said to a
    // mentee who holds some for this mentor, before they take a seat.
    let program_credits = match (me, seat.as_ref()) {
        (Some(u), None) if g.credits_per_seat > 0 && u.id != g.mentor_id => {
            crate::service::credits::sponsored_for(&state.ctx, &u.id, &g.mentor_id)
                .await?
                .map(|(program, _)| program)
        }
        _ => None,
    };
    let page = SessionPage {
        layout: web.layout(),
        short_wallet,
        program_credits,
        open: g.status == GroupStatus::Open,
        joinable: g.status == GroupStatus::Open && now < g.join_until,
        is_mentor,
        is_own: me.is_some_and(|u| u.id == g.mentor_id),
        signed_in: me.is_some(),
        my_status: seat.as_ref().map_or("", |s| s.status.as_str()),
        my_ahead: seat.as_ref().map_or(0, |s| s.ahead),
        policy,
        started: now >= g.start_at,
        roster,
        absent,
        line,
        classmates,
        may_review,
        reviews,
        error,
        chat_href: match me {
            Some(u) if seated || u.id == g.mentor_id => format!("/chat/{}", g.thread_id),
            // Over or cancelled: the chat stays for those who had a seat then.
            Some(u)
                if g.status != GroupStatus::Open && groups::in_chat(&state.ctx, u, &g).await? =>
            {
                format!("/chat/{}", g.thread_id)
            }
            _ => String::new(),
        },
        meeting_link: groups::meeting_link_for(&g, me.map(|u| u.id.as_str()), seat.as_ref())
            .map(str::to_string),
        last_date: later
            .last()
            .map(|l| day_of(l.start_at, &tz))
            .unwrap_or_default(),
        later: later.len(),
        time_off,
        other_dates: {
            let rows = groups::other_dates(&state.ctx, me, &g).await?;
            cards(state, web, &rows).await?
        },
        g: card(web, &g, now),
    };
    Ok(web.render_status(state, status, &page))
}

/// For each of a mentor's sessions, the time off it falls in, in their pages' words
/// (none when their availability cannot be read: the page still shows).
async fn in_time_off(
    state: &AppState,
    mentor_id: &str,
    sessions: &[&GroupRow],
) -> Vec<Option<String>> {
    let a = match crate::service::availability::load(&state.ctx, mentor_id).await {
        Ok(Some(a)) => a,
        _ => return sessions.iter().map(|_| None).collect(),
    };
    sessions
        .iter()
        .map(|g| {
            crate::domain::availability::time_off_during(&a, g.start_at, g.end_at)
                .map(|off| super::time_off_words(off.date, off.window.is_none()))
        })
        .collect()
}

async fn session_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&id)?;
    render_session(&state, &web, &id, StatusCode::OK, None).await
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    reason: String,
    /// Cancelling: "1" takes the later sessions of the weekly run too.
    #[serde(default)]
    following: String,
}

/// "Tue 29 Dec 2026" in `tz`.
fn day_of(t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%a %-d %b %Y").to_string()
}

async fn join(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    match groups::join(&state.ctx, &me, &id).await {
        Ok((g, seat)) if seat.status == SeatStatus::Seated => Ok(web.redirect_flash(
            &format!("/group-sessions/{id}"),
            if g.credits_per_seat == 0 {
                "group_seated_free"
            } else {
                "group_seated"
            },
        )),
        Ok(_) => Ok(web.redirect_flash(&format!("/group-sessions/{id}"), "group_waiting")),
        Err(e @ (AppError::Conflict { .. } | AppError::PaymentRequired { .. })) => {
            let status = crate::http::problem::status_of(&e);
            render_session(&state, &web, &id, status, Some(e.detail())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn leave(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let (g, seat) = groups::get(&state.ctx, Some(&me), &id).await?;
    let Some(seat) = seat else {
        return Ok(web.redirect_flash(&format!("/group-sessions/{id}"), "group_left_line"));
    };
    if !confirm::confirmed(&f.confirmed) {
        let (question, consequence) = if seat.status == SeatStatus::Seated {
            let back = group::leave_settlement(
                seat.credits_held,
                g.start_at,
                state.ctx.now(),
                &state.ctx.config.policy,
            )
            .to_mentee;
            let to_line = g.waiting > 0 && state.ctx.now() < g.join_until;
            (
                format!("Leave “{}”?", g.title),
                match (seat.credits_held, to_line) {
                    (0, true) => "Your seat goes to the first person in line.".to_string(),
                    (0, false) => "Your seat is free for someone else.".to_string(),
                    (held, true) => format!(
                        "You get {back} of {held} credits back, and your seat goes to the first person in line who can pay for it."
                    ),
                    (held, false) => format!(
                        "You get {back} of {held} credits back, and your seat is free for someone else."
                    ),
                },
            )
        } else {
            (
                format!("Leave the line for “{}”?", g.title),
                "You lose your place in line.".to_string(),
            )
        };
        return Ok(confirm::page(
            &state,
            &web,
            confirm::Confirm {
                question,
                consequence,
                action: format!("/group-sessions/{id}/leave"),
                fields: vec![],
                yes: "Yes, leave",
                back: format!("/group-sessions/{id}"),
                no: "No, stay",
                reason: None,
                errors: FormErrors::default(),
            },
        ));
    }
    let left = groups::leave(&state.ctx, &me, &id).await?;
    Ok(
        if seat.status == SeatStatus::Seated && seat.credits_held == 0 {
            web.redirect_flash(&format!("/group-sessions/{id}"), "group_left_free")
        } else if seat.status == SeatStatus::Seated {
            web.redirect_flash_numbers(
                &format!("/group-sessions/{id}"),
                "group_left",
                &[left.refunded],
            )
        } else {
            web.redirect_flash(&format!("/group-sessions/{id}"), "group_left_line")
        },
    )
}

async fn cancel(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<CsrfForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    // Who it reaches, as it stands: nobody yet, or the seated (refunded) and the line.
    let (g, _) = groups::get(&state.ctx, Some(&me), &id).await?;
    let following = f.following == "1";
    let repeats = groups::later_repeats(&state.ctx, &me, &g).await?;
    let stay_on = if following { 0 } else { repeats.len() };
    let later = if following { repeats } else { vec![] };
    let tz = web.zone();
    // Seats and places in line on every date it reaches.
    let all = || std::iter::once(&g).chain(later.iter());
    let (seated, waiting) = all().fold((0, 0), |(s, w), x| (s + x.seated, w + x.waiting));
    // An administrator cancelling a mentor's session: the mentor is told why.
    let by_admin = g.mentor_id != me.id;
    let consequence_of =
        |g: &GroupRow| cancel_consequence(g.seated, g.waiting, g.credits_per_seat, by_admin);
    let (question, consequence) = if later.is_empty() {
        (
            format!("Cancel “{}”, {}?", g.title, web.when(g.start_at, &tz)),
            match stay_on {
                0 => consequence_of(&g),
                n => format!(
                    "{} Only this date is cancelled: the {} of this weekly session stay{} on.",
                    consequence_of(&g),
                    if n == 1 {
                        "next date".to_string()
                    } else {
                        format!("{n} later dates")
                    },
                    if n == 1 { "s" } else { "" }
                ),
            },
        )
    } else {
        let credits = g.credits_per_seat;
        let same_price = all().all(|x| x.credits_per_seat == credits);
        let told = run_consequence(seated, waiting, same_price.then_some(credits), by_admin);
        let last = later
            .last()
            .map(|l| day_of(l.start_at, &tz))
            .unwrap_or_default();
        let when = web.when(g.start_at, &tz);
        (
            if later.len() == 1 {
                format!("Cancel “{}” on {when} and its next date, {last}?", g.title)
            } else {
                format!(
                    "Cancel “{}” on {when} and its {} later dates, until {last}?",
                    g.title,
                    later.len()
                )
            },
            format!(
                "{} dates in all. {told} Each date's attendees are told about their own.",
                later.len() + 1
            ),
        )
    };
    let consequence = if by_admin {
        format!(
            "{consequence} {} is told, with your reason.",
            g.mentor_first_name
        )
    } else {
        consequence
    };
    let ask = |errors: FormErrors| confirm::Confirm {
        question: question.clone(),
        consequence: consequence.clone(),
        action: format!("/group-sessions/{id}/cancel"),
        fields: if following {
            vec![("following", "1".to_string())]
        } else {
            vec![]
        },
        yes: if later.is_empty() {
            "Yes, cancel the session"
        } else {
            "Yes, cancel these dates"
        },
        back: format!("/group-sessions/{id}"),
        no: "No, keep it",
        // Nobody to read a reason: none is asked for (an administrator's is read by
        // the mentor).
        reason: (seated + waiting > 0 || by_admin).then(|| confirm::Reason {
            label: match (by_admin, seated + waiting > 0) {
                (true, true) => "Why (the mentor and the attendees read this)",
                (true, false) => "Why (the mentor reads this)",
                _ => "Why (attendees read this)",
            },
            required: true,
            max: 500,
            value: f.reason.clone(),
        }),
        errors,
    };
    if !confirm::confirmed(&f.confirmed) {
        return Ok(confirm::page(&state, &web, ask(FormErrors::default())));
    }
    let reason = if seated + waiting == 0 && !by_admin && f.reason.trim().is_empty() {
        groups::NO_REASON
    } else {
        f.reason.as_str()
    };
    match groups::cancel(&state.ctx, &me, &id, reason, following).await {
        Ok(done) => {
            let free = all().all(|x| x.credits_per_seat == 0);
            let flash = match (done.len(), seated + waiting, free) {
                (1, 0, _) => "group_cancelled_empty",
                (1, _, true) => "group_cancelled_free",
                (1, _, false) => "group_cancelled",
                (_, 0, _) => "group_run_cancelled_empty",
                (_, _, true) => "group_run_cancelled_free",
                _ => "group_run_cancelled",
            };
            Ok(web.redirect_flash_numbers(
                &format!("/group-sessions/{id}"),
                flash,
                &[done.len() as i64],
            ))
        }
        Err(e @ AppError::Invalid(_)) => {
            Ok(confirm::page(&state, &web, ask(FormErrors::from_error(&e))))
        }
        Err(e) => Err(e.into()),
    }
}

/// What cancelling several dates does: counted in seats and places in line (one
/// person may hold a seat on several dates), and what the seats' credits do (`credits`:
/// each seat's price when all dates have the same).
fn run_consequence(seats: i64, places: i64, credits: Option<i64>, mentor_told: bool) -> String {
    if seats + places == 0 {
        return nobody_joined(" on these dates", mentor_told);
    }
    let count = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let held = match (seats, places) {
        (s, 0) => count(s, "seat is taken", "seats are taken"),
        (0, p) => format!(
            "no seat is taken and {}",
            count(p, "place in line is held", "places in line are held")
        ),
        (s, p) => format!(
            "{} and {} held",
            count(s, "seat is taken", "seats are taken"),
            count(p, "place in line", "places in line")
        ),
    };
    let money = match credits {
        _ if seats == 0 => String::new(),
        Some(0) => String::new(),
        Some(c) => format!(" Each seat's {c} credits go back in full."),
        None => " Every seat's credits go back in full.".into(),
    };
    format!("Across these dates {held}: whoever holds them is told, with your reason.{money}")
}

/// Cancelling dates nobody joined (`on` names them, or ""): no credits move, and no
/// one is told but the mentor when an administrator cancels (`mentor_told`; the
/// caller says so).
fn nobody_joined(on: &str, mentor_told: bool) -> String {
    if mentor_told {
        format!("Nobody has a seat or a place in line{on}, so no credits move.")
    } else {
        format!("Nobody has a seat or a place in line{on}, so no one is told and no credits move.")
    }
}

/// What cancelling a session does, for the confirmation: "The 3 people seated and the 2
/// people in line are told, with your reason. Each seat's 25 credits go back in full."
fn cancel_consequence(seated: i64, waiting: i64, credits: i64, mentor_told: bool) -> String {
    let people = |n: i64| {
        if n == 1 {
            "1 person".to_string()
        } else {
            format!("{n} people")
        }
    };
    let told = match (seated, waiting) {
        (0, 0) => return nobody_joined("", mentor_told),
        (0, w) => format!(
            "Nobody has a seat; the {} in line {} told, with your reason.",
            people(w),
            if w == 1 { "is" } else { "are" }
        ),
        (s, 0) => format!(
            "The {} seated {} told, with your reason.",
            people(s),
            if s == 1 { "is" } else { "are" }
        ),
        (s, w) => format!(
            "The {} seated and the {} in line are told, with your reason.",
            people(s),
            people(w)
        ),
    };
    if seated > 0 && credits > 0 {
        format!("{told} Each seat's {credits} credits go back in full.")
    } else {
        told
    }
}

async fn attendance(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<HashMap<String, String>>,
) -> PageResult {
    let me = web.signed_in_form(&state, f.get("csrf").map_or("", String::as_str))?;
    let id = path_id(&id)?;
    // Each seated person on the form (`seated_<id>`) has a "was there" box
    // (`present_<id>`); an unticked one is absent.
    let absent: Vec<String> = f
        .keys()
        .filter_map(|k| k.strip_prefix("seated_"))
        .filter(|id| !f.contains_key(&format!("present_{id}")))
        .map(str::to_string)
        .collect();
    match groups::attendance(&state.ctx, &me, &id, &AttendanceInput { absent }).await {
        Ok(_) => Ok(web.redirect_flash(&format!("/group-sessions/{id}"), "group_attendance")),
        Err(e @ (AppError::Conflict { .. } | AppError::Invalid(_))) => {
            let status = crate::http::problem::status_of(&e);
            render_session(&state, &web, &id, status, Some(in_words(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The editor's fields, kept as typed.
#[derive(Debug, Deserialize)]
struct EditorForm {
    #[serde(default)]
    csrf: String,
    /// The page's key: a session is published once however often the form is sent.
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// A local date and time (`datetime-local`) in the mentor's zone.
    #[serde(default)]
    start: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    credits_per_seat: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    repeat_weeks: String,
    #[serde(default)]
    show_names: Option<String>,
    /// Publishing only (a change keeps what was set): the fewest seated for the session
    /// to go ahead, and how many hours before the start that is decided (blank: 24).
    #[serde(default)]
    min_attendance: String,
    #[serde(default)]
    decide_at: String,
    /// Hours before the start that joining closes (blank: at the start).
    #[serde(default)]
    join_until: String,
}

impl Default for EditorForm {
    fn default() -> Self {
        EditorForm {
            csrf: String::new(),
            form_key: String::new(),
            title: String::new(),
            description: String::new(),
            start: String::new(),
            duration_minutes: "60".into(),
            seats: "10".into(),
            credits_per_seat: "0".into(),
            audience: "public".into(),
            repeat_weeks: "1".into(),
            show_names: None,
            min_attendance: String::new(),
            decide_at: String::new(),
            join_until: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "group_edit.html")]
struct EditorPage {
    layout: Layout,
    f: EditorForm,
    timezone: String,
    errors: FormErrors,
    /// Where the form goes: `/group-sessions/new`, or a session's `/group-sessions/{id}/edit`.
    action: String,
    /// Changing a published session (no weekly repeats; its page to go back to).
    editing: Option<String>,
    /// People have joined: its time, length, price, audience and limits stay; its seats go no
    /// lower than [`Self::seated`].
    locked: bool,
    /// Seated and in line now (0 on publishing).
    seated: i64,
    waiting: i64,
}

impl EditorPage {
    /// Under the seats of a session people joined: how many are seated, and what
    /// added seats do.
    fn seats_hint(&self) -> String {
        let seated = match self.seated {
            1 => "1 person has a seat".to_string(),
            n => format!("{n} people have a seat"),
        };
        match self.waiting {
            0 => format!("{seated}: no fewer."),
            1 => format!("{seated}: no fewer. An added seat goes to the 1 person in line."),
            n => format!("{seated}: no fewer. Added seats go to the {n} people in line, in order."),
        }
    }

    /// The limits set on publishing: (field, label, hint, value as typed).
    fn limits(&self) -> [(&'static str, &'static str, &'static str, &str); 3] {
        [
            (
                "min_attendance",
                "Go ahead with at least",
                "People seated; blank: it goes ahead with anyone. Fewer, and it is \
                 cancelled and everyone refunded.",
                &self.f.min_attendance,
            ),
            (
                "decide_at",
                "Decided, hours before",
                "When that is decided; blank: 24 hours before it starts.",
                &self.f.decide_at,
            ),
            (
                "join_until",
                "Joining closes, hours before",
                "Blank: people can join until it starts.",
                &self.f.join_until,
            ),
        ]
    }
}

/// The editor's labels, for its error summary.
const LABELS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("description", "Description"),
    ("start", "Starts"),
    ("duration_minutes", "Minutes"),
    ("seats", "Seats"),
    ("credits_per_seat", "Credits per seat"),
    ("audience", "Who can join"),
    ("repeat_weeks", "Held weekly, how many times"),
    ("min_attendance", "Go ahead with at least"),
    ("decide_at", "Decided, hours before"),
    ("join_until", "Joining closes, hours before"),
];

async fn approved_mentor(state: &AppState, web: &WebCtx) -> Result<UserRow, PageResult> {
    let me = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return Err(Ok(r)),
    };
    match mentors::is_approved(&state.ctx, &me.id).await {
        Ok(true) => Ok(me),
        Ok(false) => Err(Ok(
            web.redirect_flash("/settings/mentor", "mentor_profile_first")
        )),
        Err(e) => Err(Err(e.into())),
    }
}

async fn editor(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = match approved_mentor(&state, &web).await {
        Ok(me) => me,
        Err(r) => return r,
    };
    Ok(web.render(
        &state,
        &EditorPage {
            layout: web.layout(),
            f: EditorForm::default(),
            timezone: me.timezone.clone(),
            errors: FormErrors::default(),
            action: "/group-sessions/new".into(),
            editing: None,
            locked: false,
            seated: 0,
            waiting: 0,
        },
    ))
}

/// A number field: blank is none; anything else that is not a whole number is an
/// error on that field.
fn number(field: &str, raw: &str, errs: &mut Vec<crate::error::FieldError>) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    raw.parse().ok().or_else(|| {
        errs.push(crate::error::FieldError::new(
            field,
            "invalid_number",
            "Enter a whole number.",
        ));
        None
    })
}

/// The editor's form as the API's input, the start read in the mentor's zone; what
/// cannot be read goes into `errs` beside its field.
fn input_of(f: &EditorForm, me: &UserRow, errs: &mut Vec<crate::error::FieldError>) -> GroupInput {
    let tz = zone_of(Some(me));
    // jiff reads a date alone as its midnight; a start needs its time of day.
    let typed = f.start.trim();
    let has_time = typed
        .get(10..)
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with(['T', 't', ' ']));
    let start = match typed.parse::<jiff::civil::DateTime>() {
        // A time the clocks skip that day (spring forward) is no time at all: said,
        // rather than moved past the gap unasked.
        Ok(dt)
            if has_time
                && matches!(
                    tz.to_ambiguous_timestamp(dt).offset(),
                    jiff::tz::AmbiguousOffset::Gap { .. }
                ) =>
        {
            errs.push(crate::error::FieldError::new(
                "start",
                "no_such_time",
                format!(
                    "{} does not exist on {} in {}: the clocks go forward then. Choose another time.",
                    dt.strftime(crate::domain::clock::time_format(me.hour12().unwrap_or(false))),
                    dt.strftime("%a %-d %b %Y"),
                    tz.iana_name().unwrap_or("your zone")
                ),
            ));
            None
        }
        Ok(dt) if has_time => dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp()),
        _ if typed.is_empty() => None,
        _ => {
            errs.push(crate::error::FieldError::new(
                "start",
                "invalid_datetime",
                "Enter a date and a time.",
            ));
            None
        }
    };
    // Hours before the start, as the instants the API takes.
    let before = |field: &str, raw: &str, errs: &mut Vec<crate::error::FieldError>| {
        let hours = number(field, raw, errs)?;
        let at = start?
            .checked_sub(jiff::SignedDuration::from_hours(hours))
            .ok()?;
        Some(at.to_string())
    };
    let min_attendance = number("min_attendance", &f.min_attendance, errs);
    // Without a minimum there is nothing to decide: its time is not read.
    let decide_at = match (min_attendance, f.decide_at.trim()) {
        (None, _) => None,
        (Some(_), "") => before("decide_at", "24", errs),
        (_, raw) => before("decide_at", raw, errs),
    };
    let join_until = before("join_until", &f.join_until, errs);
    GroupInput {
        title: f.title.clone(),
        description: f.description.clone(),
        start: start.map(|t| t.to_string()),
        min_attendance,
        decide_at,
        join_until,
        duration_minutes: number("duration_minutes", &f.duration_minutes, errs),
        seats: number("seats", &f.seats, errs),
        credits_per_seat: number("credits_per_seat", &f.credits_per_seat, errs),
        audience: Some(f.audience.clone()),
        repeat_weeks: number("repeat_weeks", &f.repeat_weeks, errs),
        show_names: f.show_names.is_some(),
        ..GroupInput::default()
    }
}

/// Every error at once: the form's own (numbers that do not read) beside the
/// session's checks.
fn all_errors(
    input: &GroupInput,
    mut errs: Vec<crate::error::FieldError>,
    now: jiff::Timestamp,
) -> AppError {
    if let Err(more) = group::check(&input.raw(), now) {
        let more: Vec<_> = more
            .into_iter()
            .filter(|e| !errs.iter().any(|x| x.field == e.field))
            .collect();
        errs.extend(more);
    }
    AppError::Invalid(errs)
}

async fn publish(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(f): WebForm<EditorForm>,
) -> PageResult {
    let me = match approved_mentor(&state, &web).await {
        Ok(me) => me,
        Err(r) => return r,
    };
    web.check_csrf(&f.csrf)?;
    let mut errs = vec![];
    let input = input_of(&f, &me, &mut errs);
    let form_key = f.form_key.clone();
    web.once(&state, &me.id, &form_key, async {
        let result = if errs.is_empty() {
            groups::create(&state.ctx, &me, &input).await
        } else {
            Err(all_errors(&input, errs, state.ctx.now()))
        };
        match result {
            Ok(rows) => {
                let first = format!(
                    "/group-sessions/{}",
                    rows.first().map_or("", |g| g.id.as_str())
                );
                let all: Vec<&GroupRow> = rows.iter().collect();
                let off = in_time_off(&state, &me.id, &all).await;
                let off = off.iter().flatten().count() as i64;
                Ok(if rows.len() > 1 && off > 0 {
                    web.redirect_flash_numbers(
                        &first,
                        "group_published_weekly_off",
                        &[rows.len() as i64, off],
                    )
                } else if rows.len() > 1 {
                    web.redirect_flash_numbers(
                        &first,
                        "group_published_weekly",
                        &[rows.len() as i64],
                    )
                } else {
                    web.redirect_flash(&first, "group_published")
                })
            }
            Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => Ok(web.render_status(
                &state,
                crate::http::problem::status_of(&e),
                &EditorPage {
                    layout: web.layout_keeping(&form_key),
                    errors: FormErrors::from_error(&e).ids("").labelled(LABELS),
                    f,
                    timezone: me.timezone.clone(),
                    action: "/group-sessions/new".into(),
                    editing: None,
                    locked: false,
                    seated: 0,
                    waiting: 0,
                },
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// The session as its editor shows it: its fields, the start in the mentor's zone.
fn form_of(g: &GroupRow, tz: &jiff::tz::TimeZone) -> EditorForm {
    EditorForm {
        title: g.title.clone(),
        description: g.description.clone(),
        start: g
            .start_at
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
        duration_minutes: g.end_at.duration_since(g.start_at).as_mins().to_string(),
        seats: g.seats.to_string(),
        credits_per_seat: g.credits_per_seat.to_string(),
        audience: g.audience.as_str().to_string(),
        repeat_weeks: "1".into(),
        show_names: g.show_names.then(|| "on".to_string()),
        min_attendance: g.min_attendance.map(|n| n.to_string()).unwrap_or_default(),
        decide_at: g
            .decide_at
            .map(|t| hours_before(g.start_at, t))
            .unwrap_or_default(),
        join_until: if g.join_until == g.start_at {
            String::new()
        } else {
            hours_before(g.start_at, g.join_until)
        },
        ..EditorForm::default()
    }
}

/// How many hours before `start` the instant `at` is, as the form's fields say it
/// (whole hours; one set through the API to the minute reads rounded down, and
/// stays as it was unless the field is changed: see [`save_edit`]).
fn hours_before(start: jiff::Timestamp, at: jiff::Timestamp) -> String {
    (start.duration_since(at).as_secs() / 3600).to_string()
}

/// The mentor's open session to change, whether people have joined it (seated or in
/// line), or where to go instead.
async fn editable(
    state: &AppState,
    web: &WebCtx,
    id: &str,
) -> Result<(UserRow, GroupRow, bool), PageResult> {
    // Someone else's session is not there to change, whoever asks (a mentee is not
    // sent to write a mentor profile first).
    let signed_in = match web.require_user() {
        Ok(a) => a.user.clone(),
        Err(r) => return Err(Ok(r)),
    };
    let g = match groups::get(&state.ctx, Some(&signed_in), id).await {
        Ok((g, _)) if g.mentor_id == signed_in.id => g,
        Ok(_) => return Err(Err(AppError::NotFound.into())),
        Err(e) => return Err(Err(e.into())),
    };
    let me = approved_mentor(state, web).await?;
    if g.status != GroupStatus::Open {
        // Over or cancelled: nothing to change; its page says why.
        return Err(Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to(&format!("/group-sessions/{id}")),
        )));
    }
    let locked = g.seated + g.waiting > 0;
    Ok((me, g, locked))
}

async fn edit_page(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&id)?;
    let (me, g, locked) = match editable(&state, &web, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    Ok(web.render(
        &state,
        &EditorPage {
            layout: web.layout(),
            f: form_of(&g, &zone_of(Some(&me))),
            timezone: me.timezone.clone(),
            errors: FormErrors::default(),
            action: format!("/group-sessions/{id}/edit"),
            editing: Some(format!("/group-sessions/{id}")),
            locked,
            seated: g.seated,
            waiting: g.waiting,
        },
    ))
}

async fn save_edit(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(mut f): WebForm<EditorForm>,
) -> PageResult {
    let id = path_id(&id)?;
    let (me, g, locked) = match editable(&state, &web, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    web.check_csrf(&f.csrf)?;
    let tz = zone_of(Some(&me));
    // The session as its form shows it.
    let shown = form_of(&g, &tz);
    if locked {
        // The fields people joined for are not on the form: they stay (the seats are).
        f.start = shown.start.clone();
        f.duration_minutes = shown.duration_minutes.clone();
        f.credits_per_seat = shown.credits_per_seat.clone();
        f.audience = shown.audience.clone();
    }
    f.repeat_weeks = "1".into();
    let mut errs = vec![];
    let mut input = input_of(&f, &me, &mut errs);
    // The limits: as they are once people joined (the form does not show them then),
    // and a field left as it read keeps its instant (one set to the minute through
    // the API is shown in whole hours) while the start stays.
    let kept_start = input.start.as_deref() == Some(g.start_at.to_string().as_str());
    if locked || (kept_start && f.min_attendance.trim() == shown.min_attendance) {
        input.min_attendance = g.min_attendance;
    }
    let decide_kept = kept_start && f.decide_at.trim() == shown.decide_at;
    if locked || (decide_kept && input.min_attendance.is_some() && g.decide_at.is_some()) {
        input.decide_at = g.decide_at.map(|t| t.to_string());
    }
    if locked || (kept_start && f.join_until.trim() == shown.join_until) {
        input.join_until = (g.join_until != g.start_at || locked).then(|| g.join_until.to_string());
    }
    let result = if errs.is_empty() {
        groups::update(&state.ctx, &me, &id, &input).await
    } else {
        Err(all_errors(&input, errs, state.ctx.now()))
    };
    match result {
        Ok(after) => {
            // Seats added with people in line: who took them, who was passed over (as
            // read before and after; someone leaving meanwhile blurs it, never below 0).
            let seated = (after.seated - g.seated).max(0);
            let passed = (g.waiting - after.waiting - seated).max(0);
            let to = format!("/group-sessions/{id}");
            Ok(if after.seats > g.seats && (seated > 0 || passed > 0) {
                web.redirect_flash_numbers(&to, "group_seats_given", &[seated, passed])
            } else {
                web.redirect_flash(&to, "group_updated")
            })
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => Ok(web.render_status(
            &state,
            crate::http::problem::status_of(&e),
            &EditorPage {
                layout: web.layout(),
                errors: FormErrors::from_error(&e).ids("").labelled(LABELS),
                f,
                timezone: me.timezone.clone(),
                action: format!("/group-sessions/{id}/edit"),
                editing: Some(format!("/group-sessions/{id}")),
                locked,
                seated: g.seated,
                waiting: g.waiting,
            },
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn review(
    State(state): State<AppState>,
    web: WebCtx,
    Path(id): Path<String>,
    WebForm(f): WebForm<ReviewForm>,
) -> PageResult {
    let me = web.signed_in_form(&state, &f.csrf)?;
    let id = path_id(&id)?;
    let input = crate::service::reviews::ReviewInput {
        rating: f.rating.trim().parse().unwrap_or(0),
        comment: f.comment,
    };
    match groups::review(&state.ctx, &me, &id, &input).await {
        Ok(()) => Ok(web.redirect_flash(&format!("/group-sessions/{id}"), "review_saved")),
        Err(e @ (AppError::Conflict { .. } | AppError::Invalid(_))) => {
            let status = crate::http::problem::status_of(&e);
            render_session(&state, &web, &id, status, Some(in_words(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::cancel_consequence;

    #[test]
    fn cancelling_a_run_counts_seats_not_people() {
        use super::run_consequence;
        assert_eq!(
            run_consequence(0, 0, Some(10), false),
            "Nobody has a seat or a place in line on these dates, so no one is told and no credits move."
        );
        assert_eq!(
            run_consequence(3, 1, Some(10), false),
            "Across these dates 3 seats are taken and 1 place in line held: whoever holds them is told, with your reason. Each seat's 10 credits go back in full."
        );
        assert_eq!(
            run_consequence(0, 2, None, false),
            "Across these dates no seat is taken and 2 places in line are held: whoever holds them is told, with your reason."
        );
        assert_eq!(
            run_consequence(1, 0, None, false),
            "Across these dates 1 seat is taken: whoever holds them is told, with your reason. Every seat's credits go back in full."
        );
    }

    #[test]
    fn cancelling_says_whom_it_reaches() {
        assert_eq!(
            cancel_consequence(0, 0, 25, false),
            "Nobody has a seat or a place in line, so no one is told and no credits move."
        );
        assert_eq!(
            cancel_consequence(0, 0, 25, true),
            "Nobody has a seat or a place in line, so no credits move.",
            "an administrator's: the mentor is told (the caller says so)"
        );
        assert_eq!(
            cancel_consequence(0, 2, 25, false),
            "Nobody has a seat; the 2 people in line are told, with your reason."
        );
        assert_eq!(
            cancel_consequence(1, 0, 0, false),
            "The 1 person seated is told, with your reason."
        );
        assert_eq!(
            cancel_consequence(3, 1, 10, false),
            "The 3 people seated and the 1 person in line are told, with your reason. Each seat's 10 credits go back in full."
        );
    }
}
