//! Many rows of parameters sent as one: a JSON array of objects `{"p1": …, "p2": …}`
//! read by `json_to_recordset` as the rows of `v`, and a statement written for one set
//! of parameters rewritten to read them from `v`'s columns (PostgreSQL only). The
//! booking writer's groups ([`super::bookings::batch`]) and the coalesced reads
//! ([`super::coalesce`]) are built on it.

use super::Arg;

/// `sql` with each parameter `$N` replaced by the column `v.p(N + shift)` of the
/// batch's rows.
pub(crate) fn params_as_columns(sql: &str, shift: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&format!("v.p{}", n + shift)),
            Err(_) => out.push('$'),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The SQL type of a parameter, for `json_to_recordset`'s column list.
fn sql_type(a: &Arg) -> &'static str {
    match a {
        Arg::Text(_) | Arg::OptText(_) => "text",
        Arg::Int(_) => "bigint",
        Arg::Float(_) => "double precision",
    }
}

fn json_value(a: Arg) -> serde_json::Value {
    match a {
        Arg::Text(s) => s.into(),
        Arg::OptText(s) => s.into(),
        Arg::Int(i) => i.into(),
        Arg::Float(f) => f.into(),
    }
}

/// `WITH v AS (…)`: the rows of a JSON array of objects `{"p1": …, "p2": …}`, typed as
/// `args` (one request's parameters) are.
pub(crate) fn rows_of(args: &[Arg]) -> String {
    let columns: Vec<String> = (args.iter().enumerate())
        .map(|(i, a)| format!("p{} {}", i + 1, sql_type(a)))
        .collect();
    format!(
        "v AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS x({}))",
        columns.join(", ")
    )
}

/// A JSON object `{"p1": …}` of one request's parameters.
pub(crate) fn row_object(args: Vec<Arg>) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = (args.into_iter().enumerate())
        .map(|(i, a)| (format!("p{}", i + 1), json_value(a)))
        .collect();
    map.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_columns() {
        assert_eq!(
            params_as_columns("a = $1 AND b > $10 - $2 AND c = '$'", 4),
            "a = v.p5 AND b > v.p14 - v.p6 AND c = '$'"
        );
    }
}
