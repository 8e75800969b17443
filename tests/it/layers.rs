//! The layering holds (issue 16): `domain ← store ← service ← http`. Read from the
//! source tree, so a change that breaks an arrow fails here, with the line.
//!
//! - `domain` names nothing above it, and no axum, sqlx or tokio;
//! - `store` never reaches up to `service` or `http`, nor to axum;
//! - `service` never reaches up to `http`, nor to axum;
//! - `http` never names `store`: every read and write is a use case of `service`,
//!   whose read models it re-exports;
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
