//! The campaign on a ClickHouse warehouse: the compare pushed down is recorded like any, the
//! board's per-company numbers equal the DuckDB twin's to the cent, and a company's rules
//! check and sign-off run in the warehouse.

//!
//! Run on each ClickHouse the tests have (`tests/clickhouse_current.rs` includes this too).

use crate::common::money::amount;
use crate::common::warehouse::{built_demo_in, drop_layers};
use crate::common::*;
use crate::path;
use serde_json::Value;

pub fn the_board_equals_the_cache(url: &str) {
    let db = format!("assay_campaign_{}", std::process::id());
    drop_layers(url, &db);
    let tmp = tempfile::tempdir().unwrap();
    let dk = built_demo_in(tmp.path(), "dk", ("3000", "7"), None);
    let ch = built_demo_in(tmp.path(), "ch", ("3000", "7"), Some((url, &db)));
    let board = |ws: &std::path::Path| -> String {
        let out = assay(ws, &["parity", "--run", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        stdout(&out)
    };
    let (on_ch, on_dk) = (board(&ch), board(&dk));
    let rows = serde_json::from_str::<Value>(&on_ch).unwrap()["rows"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, 8);
    for i in 0..rows {
        for field in ["legacy", "new", "gap", "unexplained"] {
            assert_eq!(
                amount(&on_ch, path!["rows", i, field]),
                amount(&on_dk, path!["rows", i, field]),
                "row {i} {field}"
            );
        }
        // The company's keyed rows by class: the warehouse counts the rows it did not send
        // as matched, and the numbers are the cache's.
        let v =
            |body: &str| serde_json::from_str::<Value>(body).unwrap()["rows"][i]["rows"].clone();
        assert!(v(&on_ch)["matched"].as_i64().unwrap() > 0, "{on_ch}");
        assert_eq!(v(&on_ch), v(&on_dk), "row {i}");
    }
    // A rule accepted on both; a company's check and sign-off in the warehouse.
    for ws in [&dk, &ch] {
        let out = assay(ws, &["rules", "revenue", "suggest"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let file = std::fs::read_to_string(dk.join("rules/revenue.toml")).unwrap();
    let doc: toml_edit::DocumentMut = file.parse().unwrap();
    let rule = doc["rule"][0]["name"].as_str().unwrap().to_string();
    let mut checks = Vec::new();
    for ws in [&dk, &ch] {
        let out = assay(
            ws,
            &["rules", "revenue", "accept", &rule, "--note", "agreed"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = assay(
            ws,
            &[
                "signoff",
                "revenue",
                "--company",
                "lumen",
                "--note",
                "agreed with finance",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = assay(
            ws,
            &[
                "rules",
                "revenue",
                "--check",
                "--company",
                "lumen",
                "--format",
                "json",
            ],
        );
        checks.push(stdout(&out));
    }
    for field in ["gap_before", "remaining", "unexplained"] {
        assert_eq!(
            amount(&checks[0], path![field]),
            amount(&checks[1], path![field]),
            "{field}"
        );
    }
    let (on_ch, on_dk) = (board(&ch), board(&dk));
    let v: Value = serde_json::from_str(&on_ch).unwrap();
    let lumen = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["company"] == "lumen")
        .unwrap();
    assert_eq!(v["rows"][lumen]["signoff"]["state"], "current", "{on_ch}");
    for i in 0..rows {
        assert_eq!(
            amount(&on_ch, path!["rows", i, "unexplained"]),
            amount(&on_dk, path!["rows", i, "unexplained"]),
        );
    }
    drop_layers(url, &db);
}
