//! How a person reads times in what they are sent: their zone and their clock
//! (`14:00` or `2:00 PM`). A person's clock is stored on their account (`users.clock`:
//! `24h`, `12h`, or empty while unknown), learned from their browser's language when
//! they first use the site and changed on their profile; messages to someone whose
//! clock is unknown use 24 hours.

use jiff::Timestamp;

use crate::error::FieldError;

/// The clocks a person chooses from, with what the profile form shows for each.
pub const CHOICES: [(&str, &str); 2] = [("24h", "24-hour (14:00)"), ("12h", "12-hour (2:00 PM)")];

/// Checks a clock sent by a client: `24h`, `12h`, or empty (unknown: learned again
/// from the browser at the next sign-in on the web).
pub fn parse(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() || CHOICES.iter().any(|(c, _)| *c == v) {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(
            field,
            "invalid",
            "Choose 24h or 12h (or leave it empty to take your browser's at the next sign-in).",
        ))
    }
}

/// What `users.clock` holds for a clock.
pub fn stored(hour12: bool) -> &'static str {
    if hour12 { "12h" } else { "24h" }
}

/// The clock `users.clock` holds: `Some(true)` for 12 hours, `None` while unknown.
pub fn hour12_of(stored: &str) -> Option<bool> {
    match stored {
        "12h" => Some(true),
        "24h" => Some(false),
        _ => None,
    }
}

/// The `strftime` format of a time of day on a clock: "9:00 AM" or "09:00".
pub fn time_format(hour12: bool) -> &'static str {
    if hour12 { "%-I:%M %p" } else { "%H:%M" }
}

/// Whether the first language of an `Accept-Language` header writes times on a
/// 12-hour clock: English as written in the US (and English with no region, which
/// browsers send there), Canada, Australia, New Zealand, India, the Philippines and
/// Pakistan.
pub fn writes_12_hour_times(header: &str) -> bool {
    let first = header
        .split(',')
        .next()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut parts = first.split(['-', '_']);
    let (lang, region) = (parts.next().unwrap_or(""), parts.next());
    lang == "en"
        && matches!(
            region,
            None | Some("us" | "ca" | "au" | "nz" | "in" | "ph" | "pk")
        )
}

/// Whether a local time falls in its reader's night (22:00 to 07:00): the picker and
/// the "Move to" list name such times.
pub fn at_night(z: &jiff::Zoned) -> bool {
    z.hour() < 7 || z.hour() >= 22
}

/// What marks a stamp in stored text: a control character no person's text may hold
/// (`domain::text` refuses them).
const STAMP: char = '\u{1}';

/// A moment written into text that is kept and shown later (a notification), to be
/// read in its reader's zone and on their clock as they are when it is shown, not as
/// they were when it was written: [`Reader::read`] writes it out. An email, sent at
/// once, is read when it is composed.
pub fn stamp(t: Timestamp) -> String {
    format!("{STAMP}{}{STAMP}", t.as_microsecond())
}

/// A moment as [`stamp`], shown in `zone` (someone else's: "For Ada: …") on the
/// reader's clock.
pub fn stamp_in(zone: &str, t: Timestamp) -> String {
    format!("{STAMP}{} {zone}{STAMP}", t.as_microsecond())
}

/// A reader of times: the zone they are written in (an IANA name; an unknown one reads
/// as UTC) and the clock.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub zone: &'a str,
    pub hour12: bool,
}

impl<'a> Reader<'a> {
    /// A person reading in `zone` whose `users.clock` is `clock` (24 hours while
    /// unknown).
    pub fn of(zone: &'a str, clock: &str) -> Reader<'a> {
        Reader {
            zone,
            hour12: hour12_of(clock).unwrap_or(false),
        }
    }

    /// The same reader, with times in another zone (e.g. the other side's).
    pub fn in_zone(self, zone: &'a str) -> Reader<'a> {
        Reader { zone, ..self }
    }

    fn tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(self.zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    fn time(&self, z: &jiff::Zoned) -> String {
        z.strftime(time_format(self.hour12)).to_string()
    }

    fn day_and_time(&self, z: &jiff::Zoned) -> String {
        format!("{}, {}", z.strftime("%a %-d %b %Y"), self.time(z))
    }

    /// "Tue 3 Mar 2026, 10:00 (Europe/Paris)" or "…, 10:00 AM (America/New_York)".
    pub fn at(&self, t: Timestamp) -> String {
        format!(
            "{} ({})",
            self.day_and_time(&t.to_zoned(self.tz())),
            self.zone
        )
    }

    /// `text` with its stamps ([`stamp`], [`stamp_in`]) written as this reader reads
    /// them: "Tue 3 Mar 2026, 10:00 (Europe/Paris)" in their zone, or in the stamp's
    /// own zone, on their clock. Text without stamps comes back as it is.
    pub fn read<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if !text.contains(STAMP) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 32);
        let mut parts = text.split(STAMP);
        out.push_str(parts.next().unwrap_or(""));
        // Each stamp is followed by the text up to the next one.
        while let Some(inner) = parts.next() {
            let after = parts.next();
            let read = after.is_some().then(|| self.read_stamp(inner)).flatten();
            match read {
                Some(written) => out.push_str(&written),
                // Not a stamp (never written so; kept as it was).
                None => {
                    out.push(STAMP);
                    out.push_str(inner);
                    if after.is_some() {
                        out.push(STAMP);
                    }
                }
            }
            out.push_str(after.unwrap_or(""));
        }
        std::borrow::Cow::Owned(out)
    }

    fn read_stamp(&self, inner: &str) -> Option<String> {
        let (micros, zone) = match inner.split_once(' ') {
            Some((m, z)) => (m, Some(z)),
            None => (inner, None),
        };
        let t = Timestamp::from_microsecond(micros.parse().ok()?).ok()?;
        Some(match zone {
            Some(z) => self.in_zone(z).at(t),
            None => self.at(t),
        })
    }

    /// "Thu 5 Mar 2026, 10:00–11:00 (Europe/Paris)" (the end's date too when it
    /// differs; and when the clocks change in between, by how much).
    pub fn span(&self, (start, end): (Timestamp, Timestamp)) -> String {
        let (s, e) = (start.to_zoned(self.tz()), end.to_zoned(self.tz()));
        let end = if s.date() == e.date() {
            self.time(&e)
        } else {
            self.day_and_time(&e)
        };
        let change = clock_change(&s, &e).map_or(String::new(), |c| format!("; {c}"));
        format!("{}–{end} ({}{change})", self.day_and_time(&s), self.zone)
    }
}

/// "the clocks go back an hour in between" when the zone's offset at `end` is not the
/// one at `start` (a span over a summer-time change reads "1:30 – 1:30", or an hour
/// "9:00 – 11:00"); `None` when it is the same.
pub fn clock_change(start: &jiff::Zoned, end: &jiff::Zoned) -> Option<String> {
    let by = end.offset().seconds() - start.offset().seconds();
    if by == 0 {
        return None;
    }
    let minutes = by.abs() / 60;
    let amount = match minutes {
        60 => "an hour".to_string(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    };
    let way = if by < 0 { "back" } else { "forward" };
    Some(format!("the clocks go {way} {amount} in between"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_span_over_a_clock_change_says_so() {
        let toronto = Reader::of("America/Toronto", "12h");
        // 1:30 EDT to 1:30 EST: an hour that reads as none.
        assert_eq!(
            toronto.span((t("2027-11-07T05:30:00Z"), t("2027-11-07T06:30:00Z"))),
            "Sun 7 Nov 2027, 1:30 AM–1:30 AM (America/Toronto; the clocks go back an hour in between)"
        );
        assert_eq!(
            toronto.span((t("2027-03-14T06:00:00Z"), t("2027-03-14T07:00:00Z"))),
            "Sun 14 Mar 2027, 1:00 AM–3:00 AM (America/Toronto; the clocks go forward an hour in between)"
        );
        assert_eq!(
            toronto.span((t("2027-03-15T06:00:00Z"), t("2027-03-15T07:00:00Z"))),
            "Mon 15 Mar 2027, 2:00 AM–3:00 AM (America/Toronto)"
        );
        // Lord Howe moves half an hour.
        let z = |s: &str| t(s).to_zoned(jiff::tz::TimeZone::get("Australia/Lord_Howe").unwrap());
        assert_eq!(
            clock_change(&z("2027-04-03T14:00:00Z"), &z("2027-04-03T16:00:00Z")).as_deref(),
            Some("the clocks go back 30 minutes in between")
        );
    }

    #[test]
    fn stamps_are_read_in_the_readers_zone_and_clock_when_shown() {
        let at = t("2026-03-03T09:00:00Z");
        let text = format!(
            "When: {}\nFor Ada: {}.",
            stamp(at),
            stamp_in("Asia/Tokyo", at)
        );
        let paris = Reader::of("Europe/Paris", "24h");
        assert_eq!(
            paris.read(&text),
            "When: Tue 3 Mar 2026, 10:00 (Europe/Paris)\nFor Ada: Tue 3 Mar 2026, 18:00 (Asia/Tokyo)."
        );
        // The same text, read after its reader moved and took a 12-hour clock.
        let ny = Reader::of("America/New_York", "12h");
        assert_eq!(
            ny.read(&text),
            "When: Tue 3 Mar 2026, 4:00 AM (America/New_York)\nFor Ada: Tue 3 Mar 2026, 6:00 PM (Asia/Tokyo)."
        );
        // Text without stamps, or with a lone or unreadable marker, is kept as it is.
        assert!(matches!(
            paris.read("No times"),
            std::borrow::Cow::Borrowed(_)
        ));
        for odd in ["a\u{1}b", "a\u{1}x\u{1}b", "\u{1}1\u{1}\u{1}"] {
            let read = paris.read(odd);
            assert!(read.contains("\u{1}"), "{odd:?}: {read:?}");
        }
    }

    #[test]
    fn a_reader_writes_times_on_their_clock_in_their_zone() {
        let paris = Reader {
            zone: "Europe/Paris",
            hour12: false,
        };
        let ny = Reader {
            zone: "America/New_York",
            hour12: true,
        };
        let start = t("2026-03-03T13:05:00Z");
        assert_eq!(paris.at(start), "Tue 3 Mar 2026, 14:05 (Europe/Paris)");
        assert_eq!(ny.at(start), "Tue 3 Mar 2026, 8:05 AM (America/New_York)");
        assert_eq!(
            ny.in_zone("Europe/Paris").at(start),
            "Tue 3 Mar 2026, 2:05 PM (Europe/Paris)"
        );
        let end = t("2026-03-03T14:05:00Z");
        assert_eq!(
            ny.span((start, end)),
            "Tue 3 Mar 2026, 8:05 AM–9:05 AM (America/New_York)"
        );
        assert_eq!(
            paris.span((start, t("2026-03-03T23:30:00Z"))),
            "Tue 3 Mar 2026, 14:05–Wed 4 Mar 2026, 00:30 (Europe/Paris)"
        );
        // A zone this build does not know reads as UTC, under the name given.
        let odd = Reader {
            zone: "Mars/Olympus",
            hour12: false,
        };
        assert_eq!(odd.at(start), "Tue 3 Mar 2026, 13:05 (Mars/Olympus)");
    }

    #[test]
    fn a_clock_is_one_of_three_values() {
        assert_eq!(parse("clock", " 12h ").unwrap(), "12h");
        assert_eq!(parse("clock", "").unwrap(), "");
        assert!(parse("clock", "12").is_err());
        assert!(parse("clock", "am/pm").is_err());
    }

    #[test]
    fn the_browsers_first_language_says_which_clock() {
        assert!(writes_12_hour_times("en-US,en;q=0.9"));
        assert!(writes_12_hour_times("en"));
        assert!(writes_12_hour_times("en_AU"));
        assert!(!writes_12_hour_times("en-GB,en-US;q=0.8"));
        assert!(!writes_12_hour_times("fr-FR,en-US;q=0.5"));
        assert!(!writes_12_hour_times(""));
    }
}
