//! Length-limited user text. Limits count characters (not bytes); control characters
//! other than newlines and tabs are rejected so nothing invisible reaches a page.

use crate::error::FieldError;

/// Trims and checks a required single-line text of `1..=max` characters.
pub fn required_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            "This field is required.",
        ));
    }
    line(field, v, max)
}

/// Trims and checks an optional single-line text of at most `max` characters
/// (empty means "not set").
pub fn optional_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    line(field, raw.trim(), max)
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
    Ok(v.to_string())
}

/// Checks a multi-line text of at most `max` characters (newlines and tabs allowed).
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = raw.trim();
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
    let rest = v
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("https://"))
        .map(|_| &v[8..])
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    let host_ok = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with('.')
        && !host.ends_with('.');
    if !host_ok || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert!(optional_https_url("u", bad).is_err(), "{bad}");
        }
    }
}
