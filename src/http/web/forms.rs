//! Form errors as every page shows them.

use crate::error::{AppError, FieldError};

/// Field errors of a form, for the template.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(
    Vec<FieldError>,
    Vec<(String, String)>,
    /// The prefix of the fields' ids (`f-` unless the page says otherwise).
    Option<String>,
);

/// One way to show a form's errors (`partials/error_summary.html` and the field
/// markup): every error at once, a summary at the top that names each and links to its
/// field (`id="f-<field>"`), the message beside the field (`id="f-<field>-error"`,
/// referenced by `aria-describedby`), `aria-invalid` on the field. Errors of the form
/// as a whole (a conflict, not enough credits) are in the summary only.
impl FormErrors {
    pub fn from_error(e: &AppError) -> Self {
        match e {
            AppError::Invalid(errors) => FormErrors(errors.clone(), vec![], None),
            AppError::Conflict { code, detail } | AppError::PaymentRequired { code, detail } => {
                FormErrors(
                    vec![FieldError::new("", code, detail.clone())],
                    vec![],
                    None,
                )
            }
            _ => FormErrors::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Every error, in the order found (for the summary).
    pub fn all(&self) -> &[FieldError] {
        &self.0
    }

    /// The fields' ids are their names with this prefix ("" for `id="bio"`).
    pub fn ids(mut self, prefix: impl Into<String>) -> Self {
        self.2 = Some(prefix.into());
        self
    }

    /// The summary's link to a field.
    pub fn anchor(&self, field: &str) -> String {
        format!("#{}{field}", self.2.as_deref().unwrap_or("f-"))
    }

    /// Names the fields as their labels do, for the summary: `(field, label)`.
    pub fn labelled(self, labels: &[(&str, &str)]) -> Self {
        self.labelled_owned(
            labels
                .iter()
                .map(|(f, l)| (f.to_string(), l.to_string()))
                .collect(),
        )
    }

    /// The same, with labels made at run time (a form's own questions). The labels
    /// are given in the form's order, and the summary follows it: a form-wide error
    /// first, then each field's (`experience[1].title` where `experience` stands),
    /// fields the page did not label last, each group as the checks found them.
    pub fn labelled_owned(mut self, labels: Vec<(String, String)>) -> Self {
        let rank = |field: &str| -> usize {
            if field.is_empty() {
                return 0;
            }
            labels
                .iter()
                .position(|(f, _)| {
                    field == f
                        || field
                            .strip_prefix(f.as_str())
                            .is_some_and(|rest| rest.starts_with(['[', '.']))
                })
                .map_or(usize::MAX, |i| i + 1)
        };
        self.0.sort_by_key(|e| rank(&e.field));
        self.1 = labels;
        self
    }

    /// "Credits: Enter a whole number." — the summary's line for an error, naming
    /// its field by label (or by its name when the page gave no label).
    pub fn line(&self, e: &FieldError) -> String {
        if e.field.is_empty() {
            return e.message.clone();
        }
        let label = self
            .1
            .iter()
            .find(|(f, _)| *f == e.field)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| field_words(&e.field));
        // A message that already names its field ("Email is required.") stands alone.
        let named = e
            .message
            .get(..label.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(&label));
        if named {
            e.message.clone()
        } else if label.ends_with(['?', '.', ':', '!']) {
            // A label that is a question ("Which track fits you best?") takes no colon.
            format!("{label} {}", e.message)
        } else {
            format!("{label}: {}", e.message)
        }
    }

    /// `aria-invalid`'s value for a field.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The error of a field of a list's row (`experience[0].end_date`), for a form
    /// that draws the rows in a loop.
    pub fn row(&self, list: &str, i: &usize, field: &str) -> Option<&str> {
        self.get(&format!("{list}[{i}].{field}"))
    }
}

/// The parts of a list entry's field path, `weekly[3].end` → ("weekly", 3, "end"):
/// for a page that places an API error beside the row it came from.
pub fn path_parts(field: &str) -> Option<(&str, usize, &str)> {
    let (list, rest) = field.split_once('[')?;
    let (index, name) = rest.split_once("].")?;
    Some((list, index.parse().ok()?, name))
}

/// A field's name in words, for a page that gave no label: `experience[0].end_date`
/// is "Experience 1, end date" (a person counts from one; brackets and dots are the
/// API's).
fn field_words(field: &str) -> String {
    let mut out = String::new();
    let mut rest = field;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (n, tail) = after.split_once(']').unwrap_or((after, ""));
            match n.parse::<usize>() {
                Ok(i) => out.push_str(&format!(" {}", i + 1)),
                Err(_) => out.push_str(&format!(" {n}")),
            }
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix('.') {
            out.push_str(", ");
            rest = tail;
        } else {
            let end = rest.find(['[', '.']).unwrap_or(rest.len());
            out.push_str(&rest[..end].replace('_', " "));
            rest = &rest[end..];
        }
    }
    if let Some(first) = out.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    out
}

/// What went wrong, in words for a page's banner: every field's message, or the
/// error's detail.
pub fn in_words(e: &AppError) -> String {
    match e {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.detail(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_split_into_list_index_and_field() {
        assert_eq!(path_parts("weekly[12].end"), Some(("weekly", 12, "end")));
        assert_eq!(
            path_parts("overrides[0].date"),
            Some(("overrides", 0, "date"))
        );
        assert_eq!(path_parts("settings.max_per_day"), None);
        assert_eq!(path_parts("weekly[x].end"), None);
    }

    fn error(field: &str, message: &str) -> FieldError {
        FieldError::new(field, "required", message)
    }

    #[test]
    fn the_summary_follows_the_forms_order() {
        let found = vec![
            error("hourly_rate", "a"),
            error("bio", "b"),
            error("nickname", "c"),
            error("experience[0].title", "d"),
            error("", "e"),
            error("expertise", "f"),
        ];
        let errors = FormErrors(found, vec![], None).labelled(&[
            ("bio", "About"),
            ("expertise", "Expertise"),
            ("hourly_rate", "Credits per hour"),
            ("experience", "Experience"),
        ]);
        let order: Vec<&str> = errors.all().iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["e", "b", "f", "a", "d", "c"]);
    }

    #[test]
    fn a_summary_line_names_its_field_once() {
        let errors = FormErrors::default().labelled(&[("bio", "Introduce yourself")]);
        assert_eq!(
            errors.line(&error("email", "Email is required.")),
            "Email is required."
        );
        assert_eq!(
            errors.line(&error("bio", "Introduce yourself: who you are.")),
            "Introduce yourself: who you are."
        );
        assert_eq!(
            errors.line(&error(
                "email",
                "An email address looks like name@example.com."
            )),
            "Email: An email address looks like name@example.com."
        );
        assert_eq!(
            errors.line(&error("first_name", "Must not be empty.")),
            "First name: Must not be empty."
        );
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_words("first_name"), "First name");
        assert_eq!(
            field_words("experience[0].end_date"),
            "Experience 1, end date"
        );
        assert_eq!(field_words("weekly[2].start"), "Weekly 3, start");
        assert_eq!(field_words("a[x]"), "A x");
        assert_eq!(field_words(""), "");
    }
}
