//! dbt-audit-helper's own seeds and expected results (../shared/conformance/audit-helper):
//! every case of cases.toml must come out exactly, compared as sets of rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_engine::frame::to_text_rows;
use assay_engine::recon::{columns, rows, schema, KeyedPair, Relation, Rules};
use duckdb::Connection;
use polars::prelude::DataFrame;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/audit-helper")
}

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    a: String,
    b: String,
    #[serde(default)]
    key: Vec<String>,
    kind: String,
    #[serde(default)]
    summarize: bool,
    #[serde(default)]
    only_mismatches: bool,
    #[serde(default)]
    exclude: Vec<String>,
    columns: Option<Vec<String>>,
    expected: String,
}

fn relation(conn: &Connection, file: &str) -> Relation {
    let path = suite().join("seeds").join(file);
    Relation::describe(
        conn,
        &format!(
            "read_csv('{}', header = true, auto_detect = true)",
            path.display()
        ),
    )
    .unwrap()
}

/// Cells as comparable text: case-folded, numbers in one spelling.
fn normal(cell: &str) -> String {
    let cell = cell
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    match cell.parse::<f64>() {
        Ok(n) => format!("{n:.6}"),
        Err(_) => cell,
    }
}

/// Rows keyed by the expected file's header, as a sorted multiset.
fn rows_of(table: Vec<Vec<String>>, header: &[String]) -> Vec<Vec<String>> {
    let names: Vec<String> = table[0].iter().map(|h| normal(h)).collect();
    let index: Vec<usize> = header
        .iter()
        .map(|h| {
            names
                .iter()
                .position(|n| n == h)
                .unwrap_or_else(|| panic!("no column {h} in {names:?}"))
        })
        .collect();
    let mut rows: Vec<Vec<String>> = table[1..]
        .iter()
        .map(|r| index.iter().map(|&i| normal(&r[i])).collect())
        .collect();
    rows.sort();
    rows
}

fn check(case: &Case, actual: DataFrame) {
    let conn = Connection::open_in_memory().unwrap();
    let path = suite().join("seeds").join(&case.expected);
    let expected = assay_engine::frame::query(
        &conn,
        &format!(
            "SELECT * FROM read_csv('{}', header = true, all_varchar = true)",
            path.display()
        ),
        [],
    )
    .unwrap();
    let expected = to_text_rows(&expected);
    let header: Vec<String> = expected[0].iter().map(|h| normal(h)).collect();
    let want = rows_of(expected, &header);
    let got = rows_of(to_text_rows(&actual), &header);
    assert_eq!(got, want, "case {}", case.name);
}

#[test]
fn every_audit_helper_case_matches() {
    let text = std::fs::read_to_string(suite().join("cases.toml")).expect(
        "the conformance suite must sit at ../shared/conformance/audit-helper beside the repo",
    );
    let cases: Cases = toml::from_str(&text).unwrap();
    assert!(cases.case.len() >= 14, "expected the full suite");
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    for case in &cases.case {
        let conn = Connection::open_in_memory().unwrap();
        let (a, b) = (relation(&conn, &case.a), relation(&conn, &case.b));
        let actual = match case.kind.as_str() {
            "all_columns" | "which_columns_differ" => {
                let pair = KeyedPair::new(
                    &a,
                    &b,
                    &case.key,
                    case.columns.as_deref(),
                    &case.exclude,
                    &[],
                    Rules::default(),
                )
                .unwrap();
                match (case.kind.as_str(), case.summarize) {
                    ("which_columns_differ", _) => columns::which_columns_differ(&conn, &pair),
                    (_, true) => columns::all_columns_summary(&conn, &pair),
                    (_, false) => columns::all_columns_detail(&conn, &pair, case.only_mismatches),
                }
            }
            "rows" if case.summarize => rows::summary(&conn, &a, &b, &case.exclude),
            "rows" => rows::differences(&conn, &a, &b, &case.exclude, &case.key),
            "row_counts" => rows::row_counts(&conn, &a, &b),
            "schema" => schema::frame(&schema::diff(&a, &b)),
            other => panic!("case {}: unknown kind {other}", case.name),
        }
        .unwrap();
        check(case, actual);
        *ran.entry(case.kind.clone()).or_default() += 1;
    }
    assert_eq!(ran.values().sum::<usize>(), cases.case.len());
}
