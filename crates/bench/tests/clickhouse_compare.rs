//! The pushed-down compare benchmark at a small scale, as a test against the real
//! ClickHouse server the test script starts: it finds exactly what was planted and fetches
//! a small share of the rows.

use std::process::Command;

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;

const URL: &str = "http://127.0.0.1:8123";

fn settings(url: &str, database: &str) -> Warehouse {
    Warehouse::clickhouse(url, database, 20)
}

/// The compare bench at a small scale, as a test: its JSON.
fn compare_bench(db: &str, rows: &str, missing: &str) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assay-bench"))
        .current_dir(tmp.path())
        .args([
            "clickhouse-compare",
            "--url",
            URL,
            "--database",
            db,
            "--rows",
            rows,
            "--missing",
            missing,
            "--dir",
            &tmp.path().join("ws").to_string_lossy(),
        ])
        .output()
        .unwrap();
    let admin = ClickHouse::connect(&settings(URL, "default")).unwrap();
    for d in [db.to_string(), format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

fn wire_step<'a>(result: &'a serde_json::Value, starts: &str) -> Option<&'a serde_json::Value> {
    result["wire"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"].as_str().unwrap().starts_with(starts))
}

/// Differences scattered over every slice (one amount in 5,003) plus a missing block and a
/// few extra invoices: the pushed-down compare finds exactly what was planted, cuts the
/// differing slices finer before fetching, and fetches a small share of the rows.
#[test]
fn scattered_differences_are_found_fetching_few_rows() {
    let result = compare_bench(
        &format!("assay_cmp_{}", std::process::id()),
        "300000",
        "block",
    );
    assert_eq!(result["found"], result["planted"], "{result:#}");
    assert!(
        result["planted"]["changed"].as_i64().unwrap() > 40,
        "{result:#}"
    );
    assert!(
        result["planted"]["only_new"].as_i64().unwrap() > 50,
        "{result:#}"
    );
    assert!(wire_step(&result, "finer sums").is_some(), "{result:#}");
    let fetched = result["fetched_share"].as_f64().unwrap();
    assert!(fetched > 0.0 && fetched < 0.05, "{result:#}");
}

/// A whole invoice type missing from legacy (a quarter of the rows): its slices are
/// one-sided, so they are neither cut finer nor fetched: they stay in the warehouse,
/// counted and summed there, and the compare still finds exactly what was planted while
/// under 1 % of the table's rows cross the wire. (Before, the quarter was fetched.)
#[test]
fn a_missing_invoice_type_stays_in_the_warehouse() {
    // 1M rows: slices are cut by one hex digit, so naming by dimension slice matters.
    let result = compare_bench(
        &format!("assay_cmpc_{}", std::process::id()),
        "1000000",
        "cancelled",
    );
    assert_eq!(result["found"], result["planted"], "{result:#}");
    let only_new = result["planted"]["only_new"].as_i64().unwrap();
    assert!(only_new > 200_000, "{result:#}");
    let kept = wire_step(&result, "counts of ").expect("only-new slices kept");
    assert!(
        kept["step"]
            .as_str()
            .unwrap()
            .ends_with("only-new slices kept in the warehouse"),
        "{result:#}"
    );
    let fetched = result["fetched_share"].as_f64().unwrap();
    assert!(fetched > 0.0 && fetched < 0.01, "{result:#}");
    let rows = wire_step(&result, "rows of ").unwrap();
    let named: u64 = rows["step"].as_str().unwrap()["rows of ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The ~200 slices the scattered changes touch; the cancelled ones are not named.
    assert!(named < 500, "{result:#}");
    let finer = wire_step(&result, "finer sums").expect("the changed slices are cut finer");
    assert!(finer["rows"].as_u64().unwrap() < 16 * 300, "{result:#}");
}
