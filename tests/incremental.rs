//! Incremental extraction of files (#33): a company × entity whose files and definition are
//! those of its last run is recorded without being read again, its version kept; a changed
//! file, a changed definition or `--full-refresh` reads it again.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// (company, entity) → (unchanged, rows) of an `extract` run's JSON.
fn extracted(ws: &Path, args: &[&str]) -> Vec<(String, String, bool, i64)> {
    let mut all = vec!["extract", "--format", "json"];
    all.extend_from_slice(args);
    let out = assay(ws, &all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["company"].as_str().unwrap().to_string(),
                r["entity"].as_str().unwrap().to_string(),
                r["unchanged"].as_bool().unwrap(),
                r["rows"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn of<'a>(
    runs: &'a [(String, String, bool, i64)],
    company: &str,
    entity: &str,
) -> &'a (String, String, bool, i64) {
    runs.iter()
        .find(|r| r.0 == company && r.1 == entity)
        .unwrap_or_else(|| panic!("no {company} {entity} in {runs:?}"))
}

#[test]
fn unchanged_files_are_not_read_again_and_changed_ones_are() {
    let (_tmp, ws) = demo_files("600");
    let first = extracted(&ws, &["--all"]);
    assert!(first.iter().all(|r| !r.2), "{first:?}");
    let bronze = sql_csv(
        &ws,
        "SELECT _company, count(*) FROM bronze.invoices GROUP BY 1 ORDER BY 1",
    );

    // Nothing new: the files' runs are recorded unchanged, the database's read again.
    let second = extracted(&ws, &["--all"]);
    assert!(of(&second, "acme", "invoices").2, "{second:?}");
    assert!(of(&second, "lumen", "orders").2, "{second:?}");
    assert!(
        !of(&second, "acme", "invoice_lines").2,
        "a database source is read: {second:?}"
    );
    assert_eq!(
        of(&second, "acme", "invoices").3,
        of(&first, "acme", "invoices").3
    );
    assert_eq!(
        sql_csv(
            &ws,
            "SELECT _company, count(*) FROM bronze.invoices GROUP BY 1 ORDER BY 1"
        ),
        bronze
    );
    let source = sql_csv(
        &ws,
        "SELECT source FROM assay.runs WHERE kind = 'extract' AND entity = 'invoices' \
         AND company = 'acme' ORDER BY id DESC LIMIT 1",
    );
    assert!(source.contains("unchanged since run"), "{source}");
    // Fresh: the source was looked at now.
    let out = assay(&ws, &["freshness", "--layer", "bronze", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // One of acme's invoice files gets a row: acme's invoices are read again, alone.
    let file = glob::glob(
        &ws.join("sources/files/acme/invoices_*.csv")
            .to_string_lossy(),
    )
    .unwrap()
    .flatten()
    .last()
    .unwrap();
    let text_was = std::fs::read_to_string(&file).unwrap();
    let last_line = text_was.lines().last().unwrap().to_string();
    let first_field = last_line.split(',').next().unwrap();
    let copy = last_line.replacen(first_field, &format!("{first_field}X"), 1);
    std::fs::write(&file, format!("{text_was}{copy}\n")).unwrap();
    let third = extracted(&ws, &["--all"]);
    let acme = of(&third, "acme", "invoices");
    assert!(!acme.2, "{third:?}");
    assert_eq!(acme.3, of(&first, "acme", "invoices").3 + 1);
    assert!(of(&third, "lumen", "invoices").2, "{third:?}");

    // --full-refresh reads everything.
    let fourth = extracted(&ws, &["--all", "--full-refresh"]);
    assert!(fourth.iter().all(|r| !r.2), "{fourth:?}");

    // A changed definition (a rename) reads the entity again.
    let path = ws.join("assay.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        config.replace(
            "rename = { customerId = \"customer_id\" }",
            "rename = { customerId = \"customer_id\", spare = \"spare2\" }",
        ),
    )
    .unwrap();
    let fifth = extracted(&ws, &["--all"]);
    assert!(!of(&fifth, "nordwind", "invoices").2, "{fifth:?}");
    assert!(of(&fifth, "acme", "orders").2, "{fifth:?}");
}
