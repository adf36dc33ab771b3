//! A model that fails part way on ClickHouse leaves no half-built table and a failed run.
//! Run on each ClickHouse the tests have (`tests/clickhouse.rs`: 18.16;
//! `tests/clickhouse_current.rs`: current).

use assay_engine::warehouse::ClickHouse;

use crate::common::warehouse::settings;

use crate::common::{assay, stdout, text};

pub fn leaves_no_half_built_table(url: &str) {
    let admin = ClickHouse::connect(&settings(url, "default")).unwrap();
    let db = format!("assay_failbuild_{}", std::process::id());
    for d in [db.clone(), format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::write(
        ws.join("assay.toml"),
        format!("[warehouse]\nkind = \"clickhouse\"\nurl = \"{url}\"\ndatabase = \"{db}\"\n"),
    )
    .unwrap();
    std::fs::create_dir_all(ws.join("models/gold")).unwrap();
    // The table is created before the SELECT fails part way: ClickHouse does not undo it.
    std::fs::write(
        ws.join("models/gold/boom.sql"),
        "SELECT throwIf(number = 5000) AS x FROM system.numbers LIMIT 100000\n",
    )
    .unwrap();
    let out = assay(ws, &["build"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("throwIf"), "{}", text(&out));
    let (left, _) = admin
        .query_number(&format!(
            "SELECT count() FROM system.tables WHERE database = '{db}_gold' AND name LIKE '%building%'"
        ))
        .unwrap();
    assert_eq!(left, 0, "a __building table survived the failed build");
    let out = assay(
        ws,
        &["sql", "SELECT status FROM assay.runs", "--format", "csv"],
    );
    assert_eq!(stdout(&out), "status\nfailed\n", "{}", text(&out));
    for d in [db.clone(), format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
}
