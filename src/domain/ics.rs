//! iCalendar (RFC 5545) output for mentoring bookings: one booking's `.ics` download or a
//! whole calendar feed. Pure text building: no I/O, no clock reads.
//!
//! RFC rules followed here:
//! - every content line ends with CRLF, the last one included (3.1);
//! - lines are folded so no physical line exceeds 75 octets without its CRLF; a
//!   continuation starts with one space, and a fold never splits a UTF-8 character (3.1);
//! - TEXT values escape `\`, `;`, `,` and newlines, and carry no control characters (3.3.11);
//! - parameter values (`CN`) are DQUOTE-quoted and so may not contain DQUOTE or controls (3.1);
//! - URI values (`URL`, `mailto:`) are not TEXT-escaped (3.3.13);
//! - date-times are written in UTC form `YYYYMMDDTHHMMSSZ` (3.3.5).

use jiff::Timestamp;

/// Longest physical line allowed, in octets, excluding the CRLF (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

/// The `STATUS` of an event (RFC 5545 §3.8.1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcsStatus {
    /// Requested but not yet accepted.
    Tentative,
    /// Accepted by both sides.
    Confirmed,
    /// Called off; calendar programs remove or strike the event.
    Cancelled,
}

impl IcsStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Tentative => "TENTATIVE",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One booking as a `VEVENT`.
#[derive(Debug, Clone)]
pub struct IcsEvent {
    /// Stable across updates so calendars replace rather than duplicate, e.g. `<id>@mentorhub`.
    pub uid: String,
    /// Revision number, bumped on each reschedule (negative values are written as 0).
    pub sequence: i64,
    /// When this version of the event was produced (`DTSTAMP`).
    pub stamp: Timestamp,
    /// Start instant (`DTSTART`).
    pub start: Timestamp,
    /// End instant (`DTEND`); an end before the start is written as the start.
    pub end: Timestamp,
    /// One-line title.
    pub summary: String,
    /// Free text; newlines, commas, semicolons, backslashes and any Unicode are fine.
    pub description: String,
    /// Meeting link, written as both `URL` and `LOCATION`.
    pub url: Option<String>,
    /// Tentative, confirmed or cancelled.
    pub status: IcsStatus,
    /// `(display name, email)` of the organizer.
    pub organizer: Option<(String, String)>,
    /// `(display name, email)` of each required participant.
    pub attendees: Vec<(String, String)>,
    /// Shown without making the time busy (`TRANSP:TRANSPARENT`): a deadline, not a
    /// meeting.
    pub transparent: bool,
}

/// A whole `VCALENDAR` with these events (zero events is valid). `name` becomes
/// `X-WR-CALNAME`. The result uses CRLF line endings and folded lines throughout.
pub fn calendar(name: &str, events: &[IcsEvent]) -> String {
    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//mentorhub//mentorhub//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(name)));
    for event in events {
        push_event(&mut out, event);
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// Appends one `VEVENT` block.
fn push_event(out: &mut String, ev: &IcsEvent) {
    let end = ev.end.max(ev.start); // strict parsers reject DTEND before DTSTART
    push_line(out, "BEGIN:VEVENT");
    push_line(out, &format!("UID:{}", escape_text(&ev.uid)));
    push_line(out, &format!("SEQUENCE:{}", ev.sequence.max(0)));
    push_line(out, &format!("DTSTAMP:{}", utc(ev.stamp)));
    push_line(out, &format!("DTSTART:{}", utc(ev.start)));
    push_line(out, &format!("DTEND:{}", utc(end)));
    push_line(out, &format!("SUMMARY:{}", escape_text(&ev.summary)));
    push_line(
        out,
        &format!("DESCRIPTION:{}", escape_text(&ev.description)),
    );
    if let Some(url) = ev.url.as_deref().map(clean_uri).filter(|u| !u.is_empty()) {
        // LOCATION is TEXT (escaped); URL is a URI (written as is).
        push_line(out, &format!("LOCATION:{}", escape_text(&url)));
        push_line(out, &format!("URL:{url}"));
    }
    push_line(out, &format!("STATUS:{}", ev.status.as_str()));
    if let Some((name, email)) = &ev.organizer {
        push_person(out, "ORGANIZER", "", name, email);
    }
    for (name, email) in &ev.attendees {
        push_person(out, "ATTENDEE", ";ROLE=REQ-PARTICIPANT", name, email);
    }
    push_line(
        out,
        if ev.transparent {
            "TRANSP:TRANSPARENT"
        } else {
            "TRANSP:OPAQUE"
        },
    );
    push_line(out, "END:VEVENT");
}

/// Appends `PROP;CN="name"<extra>:mailto:email`, or nothing if the email is empty.
fn push_person(out: &mut String, prop: &str, extra: &str, name: &str, email: &str) {
    let email = clean_email(email);
    if email.is_empty() {
        return; // `mailto:` with no address is not a usable CAL-ADDRESS
    }
    let cn = quote_param(name);
    push_line(out, &format!("{prop};CN={cn}{extra}:mailto:{email}"));
}

/// Formats an instant as an RFC 5545 UTC date-time, `YYYYMMDDTHHMMSSZ`.
fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11). CRLF, lone CR and LF all become `\n`; tabs
/// become spaces; other control characters are dropped.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                let _ = chars.next_if_eq(&'\n'); // CRLF is one newline
                out.push_str("\\n");
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A DQUOTE-quoted parameter value; DQUOTE and control characters cannot appear inside.
fn quote_param(s: &str) -> String {
    let inner: String = s.chars().filter(|&c| c != '"' && !c.is_control()).collect();
    format!("\"{inner}\"")
}

/// An email address fit for `mailto:`: whitespace, controls, `"`, `<` and `>` removed.
fn clean_email(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .collect()
}

/// A URI value: whitespace and control characters removed, nothing escaped.
fn clean_uri(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_whitespace() && !c.is_control())
        .collect()
}

/// Appends one logical content line, folded at 75 octets, each physical line ending in
/// CRLF. Continuation lines begin with a space, which counts toward their 75 octets.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    while rest.len() > limit {
        // Back off to a character boundary; a UTF-8 char is at most 4 bytes, so `cut` > 0.
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        limit = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event() -> IcsEvent {
        IcsEvent {
            uid: "0190-abc@mentorhub".into(),
            sequence: 3,
            stamp: ts("2025-03-01T09:00:00Z"),
            start: ts("2025-03-02T10:00:00Z"),
            end: ts("2025-03-02T11:00:00Z"),
            summary: "Mentoring: Rust".into(),
            description: "Bring code".into(),
            url: Some("https://meet.test/r?a=1,b;c".into()),
            status: IcsStatus::Confirmed,
            organizer: Some(("Ann \"The\" Mentor".into(), " ann@x.test ".into())),
            attendees: vec![("Bob".into(), "<bob@x.test>".into())],
            transparent: false,
        }
    }

    /// Joins folded lines back into logical lines (RFC 5545 §3.1 unfolding).
    fn unfold(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn text_escaping() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\u{7}h\ti"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ngh i"
        );
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut ev = event();
        ev.summary = format!("{}{}x{}", "é".repeat(60), "😀".repeat(40), "ß".repeat(33));
        let ics = calendar("feed", &[ev.clone()]);
        for raw in ics.as_bytes().split(|&b| b == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "line of {} octets",
                line.len()
            );
            assert!(
                std::str::from_utf8(line).is_ok(),
                "fold split a UTF-8 character"
            );
        }
        let want = format!("SUMMARY:{}", ev.summary);
        assert!(unfold(&ics).contains(&want));
        assert!(ics.contains("\r\n "), "long summary must have been folded");
    }

    #[test]
    fn fold_boundary_is_exact() {
        let mut out = String::new();
        push_line(&mut out, &"a".repeat(75));
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));
        out.clear();
        push_line(&mut out, &"a".repeat(76 + 74));
        assert_eq!(
            out,
            format!("{}\r\n {}\r\n {}\r\n", "a".repeat(75), "a".repeat(74), "a")
        );
    }

    #[test]
    fn crlf_everywhere_and_no_bare_lf_or_cr() {
        let mut ev = event();
        ev.description = "line one\nline two\r\nthree\r".into();
        let ics = calendar("My, feed", &[ev]);
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let bytes = ics.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                assert_eq!(bytes[i - 1], b'\r', "bare LF at {i}");
            }
            if b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
        assert!(ics.contains("DESCRIPTION:line one\\nline two\\nthree\\n\r\n"));
        assert!(ics.contains("X-WR-CALNAME:My\\, feed\r\n"));
    }

    #[test]
    fn empty_calendar_is_valid() {
        assert_eq!(
            calendar("Bookings", &[]),
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mentorhub//mentorhub//EN\r\n\
             CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Bookings\r\nEND:VCALENDAR\r\n"
        );
    }

    #[test]
    fn event_properties() {
        let lines = unfold(&calendar("feed", &[event()]));
        for want in [
            "BEGIN:VEVENT",
            "UID:0190-abc@mentorhub",
            "SEQUENCE:3",
            "DTSTAMP:20250301T090000Z",
            "DTSTART:20250302T100000Z",
            "DTEND:20250302T110000Z",
            "SUMMARY:Mentoring: Rust",
            "LOCATION:https://meet.test/r?a=1\\,b\\;c",
            "URL:https://meet.test/r?a=1,b;c",
            "STATUS:CONFIRMED",
            "ORGANIZER;CN=\"Ann The Mentor\":mailto:ann@x.test",
            "ATTENDEE;CN=\"Bob\";ROLE=REQ-PARTICIPANT:mailto:bob@x.test",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ] {
            assert!(lines.iter().any(|l| l == want), "missing {want:?}");
        }
    }

    #[test]
    fn cancelled_without_optional_parts() {
        let mut ev = event();
        ev.status = IcsStatus::Cancelled;
        ev.url = None;
        ev.organizer = None;
        ev.attendees.clear();
        let ics = calendar("feed", &[ev]);
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        for absent in ["URL:", "LOCATION:", "ORGANIZER", "ATTENDEE"] {
            assert!(!ics.contains(absent), "unexpected {absent}");
        }
    }
}
