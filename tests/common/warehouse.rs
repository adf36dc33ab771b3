//! A demo workspace beside its twin on the ClickHouse server of this machine: the tests
//! that check the warehouse gives the cache's numbers make both the same way.

use std::path::{Path, PathBuf};

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;

use super::{assay, text};

pub const URL: &str = "http://127.0.0.1:8123";

/// Drops database `db` and its layer and lookup databases (left by an earlier failed run).
pub fn drop_layers(db: &str) {
    let admin = ClickHouse::connect(&Warehouse::clickhouse(URL, "default", 20)).unwrap();
    for layer in ["", "_bronze", "_silver", "_gold", "_lookups"] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {db}{layer}"))
            .unwrap();
    }
}

/// Demo workspace `name` in `dir` (`rows` invoices, `seed`), extracted and built; on
/// ClickHouse database `db` when given.
pub fn built_demo_in(
    dir: &Path,
    name: &str,
    (rows, seed): (&str, &str),
    db: Option<&str>,
) -> PathBuf {
    let mut args = vec!["demo", name, "--rows", rows, "--seed", seed];
    if let Some(db) = db {
        args.extend(["--warehouse", "clickhouse", "--clickhouse-url", URL]);
        args.extend(["--clickhouse-database", db]);
    }
    let out = assay(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.join(name);
    for step in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&ws, step);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    ws
}
