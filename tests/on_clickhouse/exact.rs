//! A compare pushed down to ClickHouse (each ClickHouse the tests have: the 18.16 server
//! the test script starts and current ClickHouse) sees
//! every difference the local compare sees. Its slice fingerprints wrote numbers as
//! `round(x * 10000)` through DOUBLE and BIGINT: a difference of 1e-6 hashed alike (its slice
//! was never fetched, its row counted matched), and values above ~9e14 overflowed.

use crate::common::*;
use assay_engine::warehouse::ClickHouse;

use crate::common::warehouse::settings;

const ROWS: u64 = 3000;
const FLOAT: &str = "größe \"q\"";
const AMOUNT: &str = "Amt. EUR";

/// One row as CSV: id, region, amount (above 1e15, in cents), a float, a dotted text column.
fn row(i: u64, cents_plus: u64, float_plus: f64, text: &str) -> String {
    let cents = 100_000_000_000_000_000 + i * 100 + 25 + cents_plus;
    format!(
        "{i},r{},{}.{:02},{},{text}\n",
        i % 3,
        cents / 100,
        cents % 100,
        i as f64 / 8.0 + float_plus
    )
}

pub fn differences_below_rounding_and_above_1e15(url: &str) {
    let db = format!("assay_exact_{}", std::process::id());
    let gold = format!("{db}_gold");
    let admin = ClickHouse::connect(&settings(url, "default")).unwrap();
    let drop = || {
        for d in [&db, &gold] {
            admin
                .execute(&format!("DROP DATABASE IF EXISTS `{d}`"))
                .unwrap();
        }
    };
    drop();
    for d in [&db, &gold] {
        admin.execute(&format!("CREATE DATABASE `{d}`")).unwrap();
    }
    let ch = ClickHouse::connect(&settings(url, &gold)).unwrap();
    ch.execute(
        "CREATE TABLE t (company String, id UInt64, region String, `Amt. EUR` Decimal(18, 2), \
         `größe \"q\"` Float64, `n.x` String) ENGINE = MergeTree ORDER BY id",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let header = format!("id,region,{AMOUNT},\"größe \"\"q\"\"\",n.x\n");
    let (mut legacy, mut new) = (header.clone(), format!("company,{header}"));
    for i in 0..ROWS {
        // Planted: a float 1e-6 apart, an amount a cent apart above 1e15, and a text that
        // differs only in a non-ASCII letter.
        legacy.push_str(&match i {
            7 => row(i, 0, 1e-6, "v"),
            500 => row(i, 1, 0.0, "v"),
            900 => row(i, 0, 0.0, "ü?"),
            _ => row(i, 0, 0.0, "v"),
        });
        new.push_str(&format!(
            "c1,{}",
            row(i, 0, 0.0, if i == 900 { "u" } else { "v" })
        ));
    }
    std::fs::create_dir_all(ws.join("legacy/c1")).unwrap();
    // The comparison's table must be a model of the workspace (built elsewhere here).
    std::fs::create_dir_all(ws.join("models/gold")).unwrap();
    std::fs::write(ws.join("models/gold/t.sql"), "SELECT 1 AS id\n").unwrap();
    std::fs::write(ws.join("legacy/c1/t.csv"), &legacy).unwrap();
    std::fs::write(ws.join("gold.csv"), &new).unwrap();
    ch.load_csv("t", &ws.join("gold.csv")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        format!(
            "[warehouse]\nkind = \"clickhouse\"\nurl = \"{url}\"\ndatabase = \"{db}\"\n\n\
             [companies.c1]\nname = \"C1\"\n\n[legacy.t]\nfiles = \"legacy/{{company}}/t.csv\"\n\n\
             [comparisons.fp]\nlegacy = \"t\"\ntable = \"gold.t\"\nkeys = [\"id\"]\n\
             measures = [\"{AMOUNT}\"]\ndimensions = [\"region\"]\n"
        ),
    )
    .unwrap();
    let out = assay(ws, &["compare", "fp", "--format", "json"]);
    drop();
    assert_eq!(out.status.code(), Some(1), "a cent out: {}", text(&out));
    let raw = stdout(&out);
    let report: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let r = &report["fp"];
    let rows = &r["rows"];
    assert_eq!(rows["changed"].as_i64(), Some(3), "{rows}");
    assert_eq!(rows["matched"].as_i64(), Some(ROWS as i64 - 3), "{rows}");
    let conflicting = |name: &str| {
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {}", r["columns"]))["conflicting_values"]
            .as_i64()
    };
    assert_eq!(conflicting(FLOAT), Some(1));
    assert_eq!(conflicting(AMOUNT), Some(1));
    assert_eq!(conflicting("n.x"), Some(1));
    // The delta is exact: one cent, at the column's two places.
    assert!(raw.contains("\"delta\": -0.01"), "{raw:.800}");
    // Only differing slices' rows crossed the wire.
    let fetched: u64 = r["wire"]
        .as_array()
        .expect("pushed down")
        .iter()
        .filter(|s| s["step"].as_str().unwrap().starts_with("rows of "))
        .map(|s| s["rows"].as_u64().unwrap())
        .sum();
    assert!((3..ROWS / 2).contains(&fetched), "{}", r["wire"]);

    // The same rows compared locally (ad hoc, both files in the cache) say the same.
    let local = assay(
        ws,
        &[
            "compare",
            "--legacy",
            "legacy/c1/t.csv",
            "--new",
            "gold.csv",
            "--key",
            "id",
            "--measure",
            AMOUNT,
            "--format",
            "json",
        ],
    );
    let local: serde_json::Value =
        serde_json::from_slice(&local.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&local)));
    let l = &local["adhoc"];
    assert_eq!(l["rows"]["changed"], rows["changed"], "{local}");
    assert_eq!(l["measures"][0]["delta"], r["measures"][0]["delta"]);
}
