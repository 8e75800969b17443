//! Length-limited user text. Limits count characters (not bytes); control characters
//! other than newlines and tabs are rejected so nothing invisible reaches a page.

use crate::error::FieldError;

/// Whether `c` shows nothing by itself: white space, and the characters that are
/// invisible on a page (zero-width spaces and joiners, direction marks and overrides,
/// the soft hyphen, word joiners, the byte-order mark, Hangul fillers).
fn blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}')
}

/// `raw` without what shows nothing at either end: a text made only of invisible
/// characters is empty, like one of spaces.
fn trimmed(raw: &str) -> &str {
    raw.trim_matches(blank)
}

/// Trims and checks a required single-line text of `1..=max` characters.
pub fn required_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = trimmed(raw);
    if v.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            "This field is required.",
        ));
    }
    line(field, v, max)
}

/// [`required_line`], saying `missing` (in the words of the form it is on) when
/// nothing was written.
pub fn required_line_saying(
    field: &str,
    raw: &str,
    max: usize,
    missing: &str,
) -> Result<String, FieldError> {
    required_line(field, raw, max).map_err(|e| {
        if e.code == "required" {
            FieldError {
                message: missing.into(),
                ..e
            }
        } else {
            e
        }
    })
}

/// Trims and checks an optional single-line text of at most `max` characters
/// (empty means "not set").
pub fn optional_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    line(field, trimmed(raw), max)
}

fn line(field: &str, v: &str, max: usize) -> Result<String, FieldError> {
    if v.chars().count() > max {
        return Err(too_long(field, max));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "Control characters and line breaks are not allowed here.",
        ));
    }
    // A one-line text is set inside sentences ("Booking moved: <topic> · Mon 7 Dec"):
    // an unclosed override or isolate would turn the words after it backwards.
    if let Some(c) = v.chars().find(|c| is_direction_control(*c)) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            format!(
                "The invisible text-direction character U+{:04X} is not allowed here: it \
                 would turn the words after it backwards.",
                c as u32
            ),
        ));
    }
    Ok(v.to_string())
}

/// The embedding, override and isolate characters of Unicode's bidirectional
/// algorithm (U+202A–U+202E, U+2066–U+2069); the plain marks (U+200E, U+200F, U+061C)
/// stay allowed, as they change no neighbouring text.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a multi-line text of at most `max` characters (newlines and tabs allowed).
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = trimmed(raw);
    if v.chars().count() > max {
        return Err(too_long(field, max));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "Control characters are not allowed.",
        ));
    }
    Ok(v.replace("\r\n", "\n"))
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(
        field,
        "too_long",
        format!("Must be at most {max} characters."),
    )
}

/// An optional `https://` URL (empty means "not set"), at most 2048 characters.
///
/// The server never fetches these (avatars, résumés, profiles, image messages), but
/// every viewer's browser does, so an address that would reach into the viewer's own
/// machine or network is refused the way a careful host refuses it: user info
/// (`https://good.example@127.0.0.1/`), IP literals that are not public (loopback,
/// private ranges, link-local such as the cloud metadata address, shared, reserved),
/// numbers browsers read as such an address (`0x7f.1`, `127.1`, `0177.0.0.1`), and
/// names that only ever mean a local machine (`*.localhost`, `*.local`,
/// `*.internal`, `*.home.arpa`). A public name that resolves to a private address
/// cannot be told apart without resolving it, which we do not do.
pub fn optional_https_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > 2048 {
        return Err(too_long(field, 2048));
    }
    let bad = || {
        FieldError::new(
            field,
            "invalid_url",
            "Must be a full https:// address, e.g. https://example.com/me.",
        )
    };
    let local = || {
        FieldError::new(
            field,
            "local_address",
            "Must be a public address: not a private network, this machine, or one with a user name in it.",
        )
    };
    let rest = v
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("https://"))
        .map(|_| &v[8..])
        .ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(local());
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    if !public_host(&host.to_ascii_lowercase()) {
        return Err(local());
    }
    Ok(v.to_string())
}

/// [`optional_https_url`] on LinkedIn (`linkedin.com` or one of its subdomains): the
/// profile shows it as the person's LinkedIn, so it must lead there.
pub fn optional_linkedin_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let v = optional_https_url(field, raw)?;
    if v.is_empty() {
        return Ok(v);
    }
    let authority = v[8..].split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if host == "linkedin.com" || host.ends_with(".linkedin.com") {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            "not_linkedin",
            "Must be a LinkedIn address, e.g. https://www.linkedin.com/in/your-name.",
        ))
    }
}

/// Whether a host name (lower case, letters, digits, `-` and `.`) names something
/// outside the viewer's machine and network (see [`optional_https_url`]).
fn public_host(host: &str) -> bool {
    const LOCAL_SUFFIXES: [&str; 5] = [
        ".localhost",
        ".local",
        ".internal",
        ".home.arpa",
        ".localdomain",
    ];
    if LOCAL_SUFFIXES.iter().any(|s| host.ends_with(s)) {
        return false;
    }
    // Browsers read a host whose last label is a number (decimal, 0x hex, or octal
    // with a leading 0) as an IPv4 address, in any of its shorthand forms. Only the
    // plain dotted quad of a public address is accepted.
    let last = host.rsplit('.').next().unwrap_or("");
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit())));
    if !numeric {
        return true;
    }
    let quad: Vec<&str> = host.split('.').collect();
    let canonical = quad.len() == 4
        && quad.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        });
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) if canonical => public_ipv4(ip),
        _ => false,
    }
}

/// Whether an IPv4 address is a public, unicast one.
fn public_ipv4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24, and benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

/// A person's words ended as a sentence: a full stop added unless they already end
/// with one ("Sick today — sorry!" stays as it is, "I am ill" gets its ".").
pub fn as_sentence(words: &str) -> String {
    let words = words.trim_end();
    if words.is_empty() || words.ends_with(['.', '!', '?', '…']) {
        words.to_string()
    } else {
        format!("{words}.")
    }
}

/// At most `n` characters of `text`, with "…" when some were cut.
pub fn clipped(text: &str, n: usize) -> String {
    let short: String = text.chars().take(n).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// An average rating as pages say it, to one decimal rounded half up: 4.25 is "4.3"
/// (the formatter alone would round half to even, "4.2").
pub fn rating(avg: f64) -> String {
    format!("{:.1}", (avg * 10.0).round() / 10.0)
}

/// A count as people read it, thousands grouped: 14100 is "14,100", -2500 "-2,500".
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How often a series repeats, in words: "every week", or "every two weeks" (a series
/// repeats every one or two weeks).
pub fn every_weeks(n: i64) -> &'static str {
    if n == 2 {
        "every two weeks"
    } else {
        "every week"
    }
}

/// "1 session", "3 sessions": a count with its noun.
pub fn sessions(n: usize) -> String {
    if n == 1 {
        "1 session".to_string()
    } else {
        format!("{n} sessions")
    }
}

/// A notice in hours as said: "1 hour", "12 hours", "2 days" (whole days past a day).
pub fn notice(hours: i64) -> String {
    match hours {
        h if h > 24 && h % 24 == 0 => format!("{} days", h / 24),
        1 => "1 hour".into(),
        h => format!("{h} hours"),
    }
}

/// `text` with every whole-word occurrence of `name` ("Ada Lovelace", not inside
/// "Ada Lovelaces") replaced by `with`; `None` when there is none. A closed account's
/// name leaves what others were told of it this way.
pub fn replace_name(text: &str, name: &str, with: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        // Whole words only; the text before a partial match stays as it was.
        let (head, replacement) = if alone {
            changed = true;
            (&rest[..at], with)
        } else {
            (&rest[..at], &rest[at..at + name.len()])
        };
        out.push_str(head);
        out.push_str(replacement);
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Common accented Latin letters to their base letter, so "Café" gives "cafe".
pub fn fold_latin(c: char) -> char {
    match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò'..='ö' | 'Ò'..='Ö' | 'ø' | 'Ø' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        other => other,
    }
}

/// Text as a search matches it: lower case, common accents dropped ("Résumé" and
/// "resume" are the same words).
pub fn folded(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(fold_latin)
        .collect()
}

/// "1 day", "3 days": a count with its noun, plural unless one (`plural` is the
/// noun's plural: "mentees", "days").
pub fn counted(n: i64, one: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {plural}")
    }
}

/// Percent-encodes a path for use in a query string: everything but unreserved
/// characters and `/`.
pub fn urlencode(s: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(s, KEEP).to_string()
}

/// What an email's body keeps once delivered: a link's one-time `token=` secret (a
/// password reset, an email confirmation) replaced by a note, so a stored copy (the
/// outbox, the data export, a backup) never holds a live key to an account. `None` when
/// the body has none.
pub fn without_link_secrets(body: &str) -> Option<String> {
    const KEY: &str = "token=";
    if !body.contains(KEY) {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let end = after
            .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str("(removed-once-sent)");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_refuses_direction_overrides_but_keeps_right_to_left_words() {
        let e = super::required_line("topic", "Zalgo \u{202E}RTL", 200).unwrap_err();
        assert_eq!(e.code, "invalid_characters");
        assert!(e.message.contains("U+202E"), "{}", e.message);
        assert!(super::optional_line("topic", "a \u{2067}b", 200).is_err());
        assert_eq!(
            super::required_line("topic", "مرحبا \u{200F}world", 200).unwrap(),
            "مرحبا \u{200F}world"
        );
    }

    #[test]
    fn counts_group_their_thousands() {
        for (n, said) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (14100, "14,100"),
            (1234567, "1,234,567"),
            (-2500, "-2,500"),
        ] {
            assert_eq!(super::grouped(n), said);
        }
    }

    #[test]
    fn ratings_round_half_up() {
        for (avg, said) in [
            (4.25, "4.3"),
            (4.75, "4.8"),
            (4.0, "4.0"),
            (4.333, "4.3"),
            (5.0, "5.0"),
        ] {
            assert_eq!(super::rating(avg), said, "{avg}");
        }
    }

    #[test]
    fn words_end_as_a_sentence_once() {
        assert_eq!(super::as_sentence("I am ill"), "I am ill.");
        assert_eq!(
            super::as_sentence("Sick today — sorry! "),
            "Sick today — sorry!"
        );
        assert_eq!(super::as_sentence("Moved (see chat)"), "Moved (see chat).");
        assert_eq!(super::as_sentence(""), "");
    }

    use super::*;

    #[test]
    fn text_of_invisible_characters_is_empty() {
        for raw in [
            "\u{200b}\u{200b}",
            "\u{202e}\u{202e}",
            " \u{feff}\u{2060} ",
            "\u{3164}",
        ] {
            assert_eq!(
                required_line("f", raw, 10).unwrap_err().code,
                "required",
                "{raw:?}"
            );
            assert_eq!(optional_line("f", raw, 10).unwrap(), "", "{raw:?}");
            assert_eq!(optional_text("f", raw, 10).unwrap(), "", "{raw:?}");
        }
        // Inside a text they stay (a zero-width joiner in an emoji, a name in Arabic).
        assert_eq!(
            required_line("f", "\u{200b}Ada\u{200d}Lovelace ", 20).unwrap(),
            "Ada\u{200d}Lovelace"
        );
    }

    #[test]
    fn lines() {
        assert_eq!(required_line("f", "  Ada ", 10).unwrap(), "Ada");
        assert_eq!(required_line("f", "   ", 10).unwrap_err().code, "required");
        assert_eq!(required_line("f", "ééééé", 4).unwrap_err().code, "too_long");
        assert_eq!(
            required_line("f", "a\u{0}b", 10).unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(optional_text("f", "a\r\nb", 10).unwrap(), "a\nb");
    }

    #[test]
    fn linkedin_addresses_lead_to_linkedin() {
        for ok in [
            "https://www.linkedin.com/in/pat",
            "https://linkedin.com/in/pat",
            "https://de.LinkedIn.com/in/pat",
            "",
        ] {
            assert!(optional_linkedin_url("l", ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("https://evil.example.com/x", "not_linkedin"),
            ("https://linkedin.com.evil.example/in/x", "not_linkedin"),
            ("https://notlinkedin.com/in/x", "not_linkedin"),
            ("http://www.linkedin.com/in/pat", "invalid_url"),
        ] {
            assert_eq!(
                optional_linkedin_url("l", bad).unwrap_err().code,
                code,
                "{bad}"
            );
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            optional_https_url("u", "https://example.com/x?y").unwrap(),
            "https://example.com/x?y"
        );
        assert_eq!(optional_https_url("u", "").unwrap(), "");
        for bad in [
            "http://example.com",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.com",
            "https://localhost",
            "ftp://x.y",
            "https://<script>.com",
            "https://example.com:/x",
            "https://example.com:abc/x",
        ] {
            assert!(optional_https_url("u", bad).is_err(), "{bad}");
        }
        for fine in [
            "https://example.com:8443/me",
            "https://93.184.215.14/x.png",
            "https://cdn.example.co.uk/a@b.png",
            "https://example.com/?next=http://127.0.0.1",
            "https://1password.com/",
            "https://example.123abc/",
        ] {
            assert!(optional_https_url("u", fine).is_ok(), "{fine}");
        }
        for local in [
            "https://127.0.0.1/x",
            "https://127.1/x",
            "https://0x7f.0.0.1/x",
            "https://0x7f000001.x.0x1/x",
            "https://0177.0.0.1/x",
            "https://2130706433.0/x",
            "https://10.0.0.8/",
            "https://172.16.3.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://255.255.255.255/",
            "https://224.0.0.1/",
            "https://evil.example@127.0.0.1/",
            "https://user:pass@example.com/",
            "https://app.localhost/",
            "https://printer.local/",
            "https://metadata.google.internal/",
            "https://router.home.arpa/",
        ] {
            let e = optional_https_url("u", local).unwrap_err();
            assert_eq!(e.code, "local_address", "{local}");
        }
    }

    #[test]
    fn a_name_is_replaced_as_a_whole_word_only() {
        let with = "Deleted user";
        assert_eq!(
            replace_name(
                "Booking accepted: Career chat with Ada Lovelace",
                "Ada Lovelace",
                with
            )
            .as_deref(),
            Some("Booking accepted: Career chat with Deleted user")
        );
        assert_eq!(
            replace_name("Ada Lovelace, then Ada Lovelace.", "Ada Lovelace", with).as_deref(),
            Some("Deleted user, then Deleted user.")
        );
        assert_eq!(
            replace_name("Ada Lovelaces club", "Ada Lovelace", with),
            None
        );
        assert_eq!(replace_name("Nada Lovelace", "Ada Lovelace", with), None);
        assert_eq!(
            replace_name("Nada Lovelace met Ada Lovelace", "Ada Lovelace", with).as_deref(),
            Some("Nada Lovelace met Deleted user")
        );
        assert_eq!(
            replace_name("Zoë Ångström: hi", "Zoë Ångström", with).as_deref(),
            Some("Deleted user: hi")
        );
        assert_eq!(replace_name("anything", "", with), None);
    }

    #[test]
    fn folding_drops_case_and_common_accents() {
        assert_eq!(super::folded("Résumé Clinic"), "resume clinic");
        assert_eq!(super::folded("ÇA VA, Zoë"), "ca va, zoe");
    }

    #[test]
    fn delivered_bodies_lose_their_link_secrets() {
        let body = "Choose a new one here:\n\nhttps://x.example/reset-password?token=AbC-12_x\n\n\
                    Confirm: https://x.example/confirm-email?token=zz9&next=%2Fprograms%2F1 \
                    (once).";
        assert_eq!(
            super::without_link_secrets(body).unwrap(),
            "Choose a new one here:\n\nhttps://x.example/reset-password?token=(removed-once-sent)\n\n\
             Confirm: https://x.example/confirm-email?token=(removed-once-sent)&next=%2Fprograms%2F1 \
             (once)."
        );
        assert_eq!(super::without_link_secrets("Your session is booked."), None);
    }
}
