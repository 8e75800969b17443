//! The mentor's availability editor: weekly windows, date exceptions, settings.

use super::*;

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
pub(super) const WINDOWS_PER_DAY: usize = 3;
pub(super) const OVERRIDE_ROWS: usize = 4;

pub struct DayRow {
    pub name: String,
    pub label: String,
    pub windows: Vec<(String, String)>,
}

pub struct OverrideRow {
    pub date: String,
    pub kind: String,
    pub start: String,
    pub end: String,
}

#[derive(Template)]
#[template(path = "settings_availability.html")]
pub(super) struct AvailabilityPage {
    layout: Layout,
    show_services: bool,
    timezone: String,
    timezones: &'static [String],
    days: Vec<DayRow>,
    overrides: Vec<OverrideRow>,
    s: SettingsIo,
    error_list: Vec<String>,
}

pub(super) fn page_from(io: &AvailabilityIo) -> (Vec<DayRow>, Vec<OverrideRow>) {
    let days = WEEKDAYS
        .iter()
        .map(|d| {
            let mut windows: Vec<(String, String)> = io
                .weekly
                .iter()
                .filter(|r| r.weekday == *d)
                .map(|r| (r.start.clone(), r.end.clone()))
                .collect();
            while windows.len() < WINDOWS_PER_DAY {
                windows.push((String::new(), String::new()));
            }
            let mut label = d.to_string();
            label[..1].make_ascii_uppercase();
            DayRow {
                name: d.to_string(),
                label,
                windows,
            }
        })
        .collect();
    let mut overrides: Vec<OverrideRow> = io
        .overrides
        .iter()
        .map(|o| OverrideRow {
            date: o.date.clone(),
            kind: match (o.available, o.start.is_some()) {
                (true, _) => "extra",
                (false, true) => "blocked",
                (false, false) => "off",
            }
            .into(),
            start: o.start.clone().unwrap_or_default(),
            end: o.end.clone().unwrap_or_default(),
        })
        .collect();
    for _ in 0..OVERRIDE_ROWS {
        overrides.push(OverrideRow {
            date: String::new(),
            kind: "off".into(),
            start: String::new(),
            end: String::new(),
        });
    }
    (days, overrides)
}

pub(super) async fn availability_form(State(state): State<AppState>, web: WebCtx) -> PageResult {
    let me = web.require_user()?.user.clone();
    let io = availability::get(&state.ctx, &me).await?;
    let (days, overrides) = page_from(&io);
    Ok(web.render(
        &state,
        &AvailabilityPage {
            layout: web.layout(),
            show_services: true,
            timezone: io.timezone.clone(),
            timezones: timezones(),
            days,
            overrides,
            s: io.settings,
            error_list: vec![],
        },
    ))
}

pub(super) async fn save_availability(
    State(state): State<AppState>,
    web: WebCtx,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let me = web.require_user()?.user.clone();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    web.check_csrf(&get("csrf"))?;
    let mut weekly = vec![];
    for d in WEEKDAYS {
        for i in 0..WINDOWS_PER_DAY {
            let (s, e) = (get(&format!("{d}_start_{i}")), get(&format!("{d}_end_{i}")));
            if !s.is_empty() || !e.is_empty() {
                weekly.push(RuleIo {
                    weekday: d.into(),
                    start: s,
                    end: e,
                });
            }
        }
    }
    let mut overrides = vec![];
    for i in 0..64 {
        let date = get(&format!("ov_date_{i}"));
        if date.is_empty() {
            continue;
        }
        let kind = get(&format!("ov_kind_{i}"));
        let (s, e) = (get(&format!("ov_start_{i}")), get(&format!("ov_end_{i}")));
        overrides.push(OverrideIo {
            date,
            available: kind == "extra",
            start: Some(s).filter(|x| !x.is_empty() && kind != "off"),
            end: Some(e).filter(|x| !x.is_empty() && kind != "off"),
        });
    }
    let num = |k: &str, default: i64| {
        get(k)
            .parse::<i64>()
            .unwrap_or(if get(k).is_empty() { default } else { -1 })
    };
    let io = AvailabilityIo {
        timezone: get("timezone"),
        weekly,
        overrides,
        settings: SettingsIo {
            min_notice_minutes: num("min_notice_minutes", 0),
            buffer_before_minutes: num("buffer_before_minutes", 0),
            buffer_after_minutes: num("buffer_after_minutes", 0),
            horizon_days: num("horizon_days", 60),
            slot_step_minutes: num("slot_step_minutes", 30),
            max_per_day: num("max_per_day", 0),
        },
    };
    Ok(match availability::put(&state.ctx, &me, &io).await {
        Ok(_) => web.redirect_flash("/settings/availability", "availability_saved"),
        Err(e @ AppError::Invalid(_)) => {
            let (days, overrides) = page_from(&io);
            let error_list = match &e {
                AppError::Invalid(errs) => errs
                    .iter()
                    .map(|x| format!("{}: {}", x.field, x.message))
                    .collect(),
                _ => vec![],
            };
            web.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &AvailabilityPage {
                    layout: web.layout(),
                    show_services: true,
                    timezone: io.timezone.clone(),
                    timezones: timezones(),
                    days,
                    overrides,
                    s: io.settings,
                    error_list,
                },
            )
        }
        Err(e) => return Err(e.into()),
    })
}
