//! The layering holds (issue 16): `domain ← store ← service ← http`. Read from the
//! source tree, so a change that breaks an arrow fails here, with the line.
//!
//! - `domain` names nothing above it, and no axum, sqlx or tokio;
//! - `store` never reaches up to `service` or `http`, nor to axum;
//! - `service` never reaches up to `http`, nor to axum;
//! - `http` never names `store`: every read and write is a use case of `service`,
//!   whose read models it re-exports;
//! - `jobs` (the runner) and `realtime` (sockets, the link between instances) sit
//!   beside `http`: they call services, never `store`, and nothing below them names
//!   them;
//! - SQL text lives in `store` only.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every line of code under `src/<layer>` (comments left out), with where it is.
fn lines_of(layer: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    let dir = root.join(layer);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    } else {
        files.push(root.join(format!("{layer}.rs")));
    }
    let mut out = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            out.push((format!("src/{name}:{}", i + 1), line.to_string()));
        }
    }
    out
}

/// Lines of `layer` holding any of `forbidden`.
fn breaking(layer: &str, forbidden: &[&str]) -> Vec<String> {
    lines_of(layer)
        .into_iter()
        .filter(|(_, line)| forbidden.iter().any(|f| line.contains(f)))
        .map(|(at, line)| format!("{at}: {}", line.trim()))
        .collect()
}

#[test]
fn every_import_follows_the_arrows() {
    let mut wrong = vec![];
    wrong.extend(breaking(
        "domain",
        &[
            "crate::store",
            "crate::service",
            "crate::http",
            "axum::",
            "sqlx::",
            "tokio::",
        ],
    ));
    wrong.extend(breaking(
        "store",
        &["crate::service", "crate::http", "axum::"],
    ));
    wrong.extend(breaking("service", &["crate::http", "axum::"]));
    wrong.extend(breaking("http", &["store::", "crate::store"]));
    assert!(
        wrong.is_empty(),
        "{} lines break the layering:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn sql_lives_in_the_store() {
    // A string that starts a statement, or a query built by hand.
    let sql = [
        "sqlx::query",
        "query_as(",
        "query_scalar(",
        "\"SELECT ",
        "\"INSERT ",
        "\"UPDATE ",
        "\"DELETE ",
        "\"WITH ",
        "\"SAVEPOINT",
        "\"RELEASE ",
        "\"ROLLBACK",
        "\"BEGIN ",
        "\"BEGIN\"",
        "\"COMMIT\"",
    ];
    let mut wrong = vec![];
    for layer in [
        "domain", "service", "http", "app", "cli", "main", "metrics", "config",
    ] {
        wrong.extend(breaking(layer, &sql));
    }
    // iCalendar components open with `BEGIN:` too: the calendar parser's "BEGIN" is
    // not a transaction.
    wrong.retain(|w| !(w.starts_with("src/domain/ical.rs") && w.contains("prop.is(\"BEGIN\")")));
    assert!(
        wrong.is_empty(),
        "SQL outside src/store:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_a_broken_arrow() {
    // The scanner finds what it looks for (so the tests above can fail).
    assert!(!breaking("store", &["sqlx::query"]).is_empty());
    assert!(!breaking("http", &["service::"]).is_empty());
}

/// The codes the source answers with: the quoted code after each constructor that
/// takes one.
fn codes_in_source() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    let starts = [
        "conflict(",
        "bad_request(",
        "unauthorized(",
        "payment_required(",
        "code: ",
    ];
    let mut out = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for start in starts {
            for (at, _) in text.match_indices(start) {
                let rest = text[at + start.len()..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                let code = &rest[..rest.find('"').unwrap()];
                if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    out.push((code.to_string(), f.display().to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn every_problem_code_is_in_the_one_list_and_every_listed_code_is_used() {
    let listed: Vec<&str> = mentorhub::error::CODES.iter().map(|(c, _)| *c).collect();
    let used = codes_in_source();
    assert!(used.len() > 40, "the scanner found {} codes", used.len());
    let unlisted: Vec<String> = used
        .iter()
        .filter(|(c, _)| !listed.contains(&c.as_str()))
        .map(|(c, f)| format!("{c} ({f})"))
        .collect();
    assert!(
        unlisted.is_empty(),
        "codes missing from error::CODES: {unlisted:?}"
    );
    // The kinds with a fixed code (error.rs `code()`), and every other listed code,
    // appear somewhere.
    let source = {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![];
        rust_files(&root, &mut files);
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect::<String>()
    };
    for code in &listed {
        let quoted = format!("\"{code}\"");
        assert!(
            source.matches(&quoted).count() >= 2,
            "{code} is listed but nothing answers with it"
        );
    }
    let mut seen = std::collections::HashSet::new();
    for code in &listed {
        assert!(seen.insert(code), "{code} is listed twice");
    }
}

/// Migrations that differ between the engines, and why; every other one must be the
/// same file on both, byte for byte, so the schemas cannot drift apart unnoticed.
const ENGINE_SPECIFIC_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0002_mentors.sql",
        "full-text search: FTS5 table and triggers vs tsvector",
    ),
    (
        "0005_articles.sql",
        "full-text search: FTS5 table and triggers vs tsvector",
    ),
    (
        "0009_platform_figures.sql",
        "covering indexes: extra columns vs INCLUDE",
    ),
    ("0010_write_path.sql", "a binary column: BLOB vs BYTEA"),
    (
        "0016_program_ledger.sql",
        "widening a CHECK: ALTER TABLE vs SQLite's table rebuild",
    ),
];

#[test]
fn migrations_meant_to_be_identical_stay_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |engine: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root.join(engine))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names("sqlite");
    assert_eq!(
        sqlite,
        names("postgres"),
        "both engines have the same migrations"
    );
    for name in &sqlite {
        let a = std::fs::read(root.join("sqlite").join(name)).unwrap();
        let b = std::fs::read(root.join("postgres").join(name)).unwrap();
        let specific = ENGINE_SPECIFIC_MIGRATIONS.iter().any(|(n, _)| n == name);
        if specific {
            assert_ne!(a, b, "{name} is listed as engine-specific but is identical");
        } else {
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{name} differs between the engines; make it identical or list why"
            );
        }
    }
}

/// The OpenAPI document names each schema by its type's name (or its `as =`), and
/// two types of one name silently become one schema: every answer of either is then
/// described by the other (a problem seen when `/healthz` was documented as a pair's
/// health). Each name is used once.
#[test]
fn every_schema_name_is_used_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !(l.contains("derive(") && l.contains("ToSchema")) {
                continue;
            }
            let mut alias = None;
            for next in lines.iter().skip(i + 1).take(8) {
                if let Some(rest) = next.trim().strip_prefix("#[schema(as = ") {
                    alias = rest.split(')').next().map(str::to_string);
                }
                let t = next.trim();
                let decl = t
                    .strip_prefix("pub struct ")
                    .or_else(|| t.strip_prefix("pub enum "));
                if let Some(decl) = decl {
                    let name: String = decl
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let place = format!("{}:{}", f.display(), i + 1);
                    seen.entry(alias.take().unwrap_or(name))
                        .or_default()
                        .push(place);
                    break;
                }
            }
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(
        seen.len() > 100,
        "the scan found only {} schemas",
        seen.len()
    );
    assert!(
        twice.is_empty(),
        "schema names used twice:\n{}",
        twice.join("\n")
    );
}
