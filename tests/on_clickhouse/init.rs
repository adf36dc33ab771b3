//! `assay init` with the layers in a ClickHouse warehouse. Run on each ClickHouse the tests
//! have (`tests/init.rs`: 18.16; `tests/clickhouse_current.rs`: current).

use crate::common::{assay, compare_report, copy_dir, text};

/// With the layers in ClickHouse at `url`: `--clickhouse-url` and
/// `--clickhouse-database` point init at them; the chosen table's key and text columns are
/// brought in to be looked at, and the proposal compares as the demo's own config.
pub fn init_finds_the_comparison(url: &str) {
    let db = format!("assay_init_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = assay(
        dir.path(),
        &[
            "demo",
            "demo",
            "--rows",
            "3000",
            "--seed",
            "7",
            "--warehouse",
            "clickhouse",
            "--clickhouse-url",
            url,
            "--clickhouse-database",
            &db,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for args in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&demo, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let theirs = compare_report(&demo, "revenue");
    let ws = dir.path().join("audit");
    copy_dir(&demo.join("legacy"), &ws.join("legacy"));
    let out = assay(
        &ws,
        &[
            "init",
            "--yes",
            "--clickhouse-url",
            url,
            "--clickhouse-database",
            &db,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let toml = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    assert!(toml.contains("kind = \"clickhouse\""), "{toml}");
    assert!(toml.contains("table = \"gold.fct_sales\""), "{toml}");
    let ours = compare_report(&ws, "sales");
    assert_eq!(theirs["rows"], ours["rows"], "{toml}\n{ours:#}");
    assert_eq!(theirs["measures"], ours["measures"], "{toml}\n{ours:#}");
    let admin = assay_engine::warehouse::ClickHouse::connect(
        &assay_engine::config::Warehouse::clickhouse(url, "default", 30),
    )
    .unwrap();
    for d in [
        db.clone(),
        format!("{db}_bronze"),
        format!("{db}_silver"),
        format!("{db}_gold"),
    ] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS `{d}`"))
            .unwrap();
    }
}
