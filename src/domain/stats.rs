//! Figures over time for dashboards: weekly buckets in the viewer's time zone (weeks
//! start on Monday at midnight there, so a week crossing a DST change is 167 or 169
//! hours long), and server-rendered SVG bar charts that need no script and carry a
//! text alternative.

use jiff::{Timestamp, ToSpan, Zoned, civil::Weekday, tz::TimeZone};

/// The starts of the last `weeks` weeks, oldest first; the last one is the week that
/// contains `now`. Each is a Monday 00:00 in `tz` (or the first instant of that day,
/// where midnight does not exist).
pub fn week_starts(now: Timestamp, tz: &TimeZone, weeks: usize) -> Vec<Zoned> {
    let monday = monday_of(now, tz);
    let mut out = Vec::with_capacity(weeks);
    for i in (0..weeks as i64).rev() {
        let day = monday.checked_sub((7 * i).days()).unwrap_or(monday);
        if let Ok(z) = day.to_zoned(tz.clone()) {
            out.push(z);
        }
    }
    out
}

/// How many weeks (Monday to Sunday in `tz`) hold the instants from `from` to `to`:
/// 1 when both fall in the same week, whatever the days between.
pub fn weeks_spanned(from: Timestamp, to: Timestamp, tz: &TimeZone) -> usize {
    let days = (monday_of(to, tz) - monday_of(from, tz)).get_days();
    usize::try_from(days / 7).unwrap_or(0) + 1
}

/// The Monday (in `tz`) of the week holding `t`.
fn monday_of(t: Timestamp, tz: &TimeZone) -> jiff::civil::Date {
    let day = t.to_zoned(tz.clone()).date();
    let back = i64::from(day.weekday().to_monday_zero_offset());
    day.checked_sub(back.days()).unwrap_or(day)
}

/// Sums `(instant, amount)` into the weeks starting at `starts` (each week runs to the
/// next start; the last to `starts.last() + 1 week`). Instants outside are ignored.
pub fn weekly_sums(starts: &[Zoned], events: &[(Timestamp, i64)]) -> Vec<i64> {
    let mut sums = vec![0i64; starts.len()];
    let Some(last) = starts.last() else {
        return sums;
    };
    let end = last
        .checked_add(1.week())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX);
    let bounds: Vec<Timestamp> = starts.iter().map(Zoned::timestamp).collect();
    for (at, amount) in events {
        if *at < bounds[0] || *at >= end {
            continue;
        }
        // The last start at or before `at`.
        let i = bounds.partition_point(|b| b <= at) - 1;
        sums[i] += amount;
    }
    sums
}

/// Is `weekday` the start of a week here (used by the tests and the labels).
pub fn is_week_start(z: &Zoned) -> bool {
    z.weekday() == Weekday::Monday
}

/// A CSV document (RFC 4180: comma-separated, CRLF line ends, fields quoted when they
/// hold a comma, a quote or a line break). A field that a spreadsheet would read as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed
/// with `'`, unless it is a number.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    fn field(raw: &str) -> String {
        let risky =
            raw.starts_with(['=', '+', '-', '@', '\t', '\r']) && raw.parse::<f64>().is_err();
        let v = if risky {
            format!("'{raw}")
        } else {
            raw.to_string()
        };
        if v.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<String>| {
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, header.iter().map(|h| field(h)).collect());
    for r in rows {
        line(&mut out, r.iter().map(|c| field(c)).collect());
    }
    out
}

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Point {
    /// The week's first day, `YYYY-MM-DD` in the viewer's zone.
    pub week: String,
    pub value: i64,
}

pub fn series(starts: &[Zoned], sums: &[i64]) -> Vec<Point> {
    starts
        .iter()
        .zip(sums)
        .map(|(z, v)| Point {
            week: z.date().to_string(),
            value: *v,
        })
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "1 session", "2 sessions": a count and its unit (given in the plural, every one
/// ending in "s"), escaped for the SVG.
fn counted(n: i64, unit: &str) -> String {
    let unit = if n == 1 {
        unit.strip_suffix('s').unwrap_or(unit)
    } else {
        unit
    };
    format!("{} {}", super::text::grouped(n), escape(unit))
}

/// The room left of a chart's plot for its axis label (the largest value, "2,200"),
/// in the chart's units: a phone draws the 640 units at about half size with labels
/// of 19 units (about 11 a character), a desktop at 11.
fn axis_room(max: i64) -> f64 {
    let chars = super::text::grouped(max).chars().count() as f64;
    (11.0 * chars + 14.0).max(40.0)
}

/// A bar chart as inline SVG: one `<rect class="bar">` per point (each with a
/// `<title>` naming its week and value), a baseline, the maximum on the axis, and the
/// first and last week under it. `role="img"` with a title and a summary description;
/// pages add the full table next to it as the text alternative.
pub fn bar_chart_svg(id: &str, title: &str, unit: &str, points: &[Point]) -> String {
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 24.0;
    let max = points.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let left = axis_room(max);
    let total: i64 = points.iter().map(|p| p.value).sum();
    let n = points.len().max(1) as f64;
    let slot = (W - left) / n;
    let bar_w = (slot * 0.7).max(1.0);
    let plot_h = H - TOP - BOTTOM;
    let id = escape(id);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{} weeks, {} in all, at most {top} in one week.</desc>",
        escape(title),
        points.len(),
        counted(total, unit),
        top = super::text::grouped(max),
    );
    svg.push_str(&format!(
        "<line class=\"axis\" x1=\"{left}\" y1=\"{y}\" x2=\"{W}\" y2=\"{y}\"/>\
         <text class=\"tick\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{top}</text>\
         <text class=\"tick\" x=\"{tx}\" y=\"{y}\" text-anchor=\"end\">0</text>",
        y = H - BOTTOM,
        tx = left - 6.0,
        ty = TOP + 4.0,
        top = super::text::grouped(max),
    ));
    for (i, p) in points.iter().enumerate() {
        let h = if p.value <= 0 {
            0.0
        } else {
            (p.value as f64 / max as f64 * plot_h).max(1.0)
        };
        let x = left + i as f64 * slot + (slot - bar_w) / 2.0;
        let y = H - BOTTOM - h;
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"><title>Week of {}: {}</title></rect>",
            escape(&p.week),
            counted(p.value, unit)
        ));
    }
    let weeks: Vec<&str> = points.iter().map(|p| p.week.as_str()).collect();
    svg.push_str(&week_ticks(&weeks, left));
    svg.push_str("</svg>");
    svg
}

/// A stacked bar chart as inline SVG, for counts split by kind (bookings by status):
/// per week, one segment per layer with a count (`<rect class="seg seg-K">`, K the
/// layer's index, coloured by the stylesheet) under one transparent
/// `<rect class="bar">` as tall as the week's total whose `<title>` gives the
/// breakdown. Same frame, axis and text alternative as [`bar_chart_svg`]; pages add
/// the legend and the table.
pub fn stacked_bar_chart_svg(
    id: &str,
    title: &str,
    unit: &str,
    weeks: &[String],
    layers: &[(String, Vec<i64>)],
) -> String {
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 24.0;
    let value =
        |layer: &(String, Vec<i64>), week: usize| layer.1.get(week).copied().unwrap_or(0).max(0);
    let totals: Vec<i64> = (0..weeks.len())
        .map(|w| layers.iter().map(|l| value(l, w)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let left = axis_room(max);
    let total: i64 = totals.iter().sum();
    let n = weeks.len().max(1) as f64;
    let slot = (W - left) / n;
    let bar_w = (slot * 0.7).max(1.0);
    let plot_h = H - TOP - BOTTOM;
    let scale = |v: i64| v as f64 / max as f64 * plot_h;
    let id = escape(id);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{} weeks, {} in all, at most {top} in one week.</desc>\
         <line class=\"axis\" x1=\"{left}\" y1=\"{y}\" x2=\"{W}\" y2=\"{y}\"/>\
         <text class=\"tick\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{top}</text>\
         <text class=\"tick\" x=\"{tx}\" y=\"{y}\" text-anchor=\"end\">0</text>",
        escape(title),
        weeks.len(),
        counted(total, unit),
        top = super::text::grouped(max),
        y = H - BOTTOM,
        tx = left - 6.0,
        ty = TOP + 4.0,
    );
    for (w, week) in weeks.iter().enumerate() {
        let x = left + w as f64 * slot + (slot - bar_w) / 2.0;
        let mut base = H - BOTTOM;
        let mut parts = vec![];
        for (k, layer) in layers.iter().enumerate() {
            let v = value(layer, w);
            if v == 0 {
                continue;
            }
            let h = scale(v).max(1.0);
            base -= h;
            svg.push_str(&format!(
                "<rect class=\"seg seg-{k}\" x=\"{x:.1}\" y=\"{base:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"/>"
            ));
            parts.push(format!("{} {}", super::text::grouped(v), escape(&layer.0)));
        }
        let h = H - BOTTOM - base;
        let breakdown = if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        };
        svg.push_str(&format!(
            "<rect class=\"bar stacked\" x=\"{x:.1}\" y=\"{base:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"><title>Week of {}: {}{breakdown}</title></rect>",
            escape(week),
            counted(totals[w], unit)
        ));
    }
    let weeks: Vec<&str> = weeks.iter().map(|w| w.as_ref()).collect();
    svg.push_str(&week_ticks(&weeks, left));
    svg.push_str("</svg>");
    svg
}

/// A chart's width and height, in its own units.
const W: f64 = 640.0;
const H: f64 = 180.0;

/// The x axis' labels: the first week at the left and the last at the right; one week
/// alone is named once (it was written at both ends).
fn week_ticks(weeks: &[&str], left: impl std::fmt::Display) -> String {
    match (weeks.first(), weeks.last()) {
        (Some(first), Some(last)) if weeks.len() > 1 => format!(
            "<text class=\"tick\" x=\"{left}\" y=\"{H}\">{}</text><text class=\"tick\" x=\"{W}\" y=\"{H}\" text-anchor=\"end\">{}</text>",
            escape(first),
            escape(last)
        ),
        (Some(only), _) => format!(
            "<text class=\"tick\" x=\"{left}\" y=\"{H}\">{}</text>",
            escape(only)
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn weeks_spanned_counts_calendar_weeks() {
        let utc = TimeZone::UTC;
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        // Thursday 3 December 2026 to the same day: one week; to Sunday: still one;
        // to Monday 7 December: two.
        assert_eq!(
            weeks_spanned(t("2026-12-03T09:00:00Z"), t("2026-12-03T10:00:00Z"), &utc),
            1
        );
        assert_eq!(
            weeks_spanned(t("2026-12-03T09:00:00Z"), t("2026-12-06T23:00:00Z"), &utc),
            1
        );
        assert_eq!(
            weeks_spanned(t("2026-12-03T09:00:00Z"), t("2026-12-07T00:00:00Z"), &utc),
            2
        );
        assert_eq!(
            weeks_spanned(t("2026-11-30T00:00:00Z"), t("2026-12-20T12:00:00Z"), &utc),
            3
        );
        // A later start than end counts as one week.
        assert_eq!(
            weeks_spanned(t("2026-12-20T00:00:00Z"), t("2026-12-03T00:00:00Z"), &utc),
            1
        );
    }

    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let doc = csv(
            &["name", "note"],
            &[
                vec!["Ada, L.".into(), "said \"hi\"".into()],
                vec!["=SUM(A1)".into(), "-3".into()],
            ],
        );
        assert_eq!(
            doc,
            "name,note\r\n\"Ada, L.\",\"said \"\"hi\"\"\"\r\n'=SUM(A1),-3\r\n"
        );
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_midnight_in_the_zone() {
        let tz = TimeZone::get("Europe/Paris").unwrap();
        // Wednesday 2026-04-01, 10:00 UTC.
        let starts = week_starts(ts("2026-04-01T10:00:00Z"), &tz, 3);
        let days: Vec<String> = starts.iter().map(|z| z.date().to_string()).collect();
        assert_eq!(days, ["2026-03-16", "2026-03-23", "2026-03-30"]);
        assert!(starts.iter().all(is_week_start));
        // The week of the spring change (29 March 2026) is 167 hours long.
        let spring = starts[2].timestamp().duration_since(starts[1].timestamp());
        assert_eq!(spring.as_hours(), 167);
        // Sunday 23:30 in Paris is still in the week, though it is Sunday 21:30 UTC.
        let sums = weekly_sums(
            &starts,
            &[
                (ts("2026-03-29T21:30:00Z"), 1),   // Sun 23:30 CEST: week of 23 March
                (ts("2026-03-29T22:30:00Z"), 10),  // Mon 00:30 CEST: week of 30 March
                (ts("2026-03-16T00:00:00Z"), 100), // Mon 01:00 CET: first week
                (ts("2026-03-15T22:59:59Z"), 1000), // before the first week
                (ts("2026-04-06T00:00:00Z"), 5000), // after the last week
            ],
        );
        assert_eq!(sums, [100, 1, 10]);
    }

    #[test]
    fn a_week_without_activity_is_zero_and_the_fall_change_is_169_hours() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let starts = week_starts(ts("2026-11-05T12:00:00Z"), &tz, 2);
        let fall = starts[1].timestamp().duration_since(starts[0].timestamp());
        assert_eq!(fall.as_hours(), 169, "1 November 2026: clocks go back");
        assert_eq!(weekly_sums(&starts, &[]), [0, 0]);
        // In UTC+14, 'this week' is already the next one.
        let kiritimati = TimeZone::get("Pacific/Kiritimati").unwrap();
        let s = week_starts(ts("2026-11-08T12:00:00Z"), &kiritimati, 1);
        assert_eq!(s[0].date().to_string(), "2026-11-09");
    }

    #[test]
    fn charts_have_one_bar_per_week_and_a_text_alternative() {
        let points: Vec<Point> = (0..26)
            .map(|i| Point {
                week: format!("2026-W{i:02}"),
                value: i % 5,
            })
            .collect();
        let svg = bar_chart_svg("sessions", "Sessions per week", "sessions", &points);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 26);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"sessions-t\">Sessions per week</title>"));
        assert!(svg.contains("26 weeks, 50 sessions in all, at most 4 in one week."));
        // Thousands are grouped, in the summary, the axis and each bar.
        let big = bar_chart_svg(
            "credits",
            "Credits",
            "credits",
            &[
                Point {
                    week: "2026-03-02".into(),
                    value: 12_400,
                },
                Point {
                    week: "2026-03-09".into(),
                    value: 1_000,
                },
            ],
        );
        assert!(
            big.contains("2 weeks, 13,400 credits in all, at most 12,400 in one week.")
                && big.contains("text-anchor=\"end\">12,400</text>")
                && big.contains("Week of 2026-03-09: 1,000 credits</title>"),
            "{big}"
        );
        let empty = bar_chart_svg("x", "<b>", "u", &[]);
        assert!(empty.contains("&lt;b&gt;") && !empty.contains("<b>"));
        // One week is named once under its axis, not at both ends.
        let one = bar_chart_svg(
            "x",
            "One",
            "u",
            &[Point {
                week: "2026-11-30".into(),
                value: 3,
            }],
        );
        assert_eq!(one.matches(">2026-11-30</text>").count(), 1, "{one}");
        assert_eq!(big.matches(">2026-03-02</text>").count(), 1, "{big}");
        assert_eq!(big.matches(">2026-03-09</text>").count(), 1, "{big}");
    }

    #[test]
    fn stacked_charts_have_one_bar_per_week_split_into_its_layers() {
        let weeks: Vec<String> = (0..4)
            .map(|i| format!("2026-03-{:02}", 2 + 7 * i))
            .collect();
        let layers = vec![
            ("completed".to_string(), vec![3, 0, 1, 0]),
            ("cancelled".to_string(), vec![1, 0, 0, 0]),
            ("no_show <x>".to_string(), vec![0, 0, 1, 0]),
        ];
        let svg = stacked_bar_chart_svg("b", "Bookings", "bookings", &weeks, &layers);
        assert_eq!(svg.matches("<rect class=\"bar stacked\"").count(), 4);
        assert_eq!(svg.matches("class=\"seg seg-0\"").count(), 2);
        assert_eq!(svg.matches("class=\"seg seg-1\"").count(), 1);
        assert_eq!(svg.matches("class=\"seg seg-2\"").count(), 1);
        assert!(svg.contains("Week of 2026-03-02: 4 bookings (3 completed, 1 cancelled)"));
        assert!(svg.contains("Week of 2026-03-09: 0 bookings</title>"));
        // One is said in the singular.
        let one = bar_chart_svg(
            "c",
            "Sign-ups",
            "sign-ups",
            &[Point {
                week: "2026-03-02".into(),
                value: 1,
            }],
        );
        assert!(
            one.contains("Week of 2026-03-02: 1 sign-up</title>")
                && one.contains("1 sign-up in all"),
            "{one}"
        );
        assert!(svg.contains("1 no_show &lt;x&gt;"), "labels are escaped");
        assert!(svg.contains("6 bookings in all, at most 4 in one week"));
        // The tallest week fills the plot; its segments stack to the bar's height.
        assert!(
            svg.contains("<rect class=\"bar stacked\" x=\"")
                && svg.contains("height=\"140.0\"><title>Week of 2026-03-02")
        );
    }
}
