//! The client on a server: streamed loads (commas, quotes and NULLs survive), GROUP BY
//! run there with only group rows crossing the wire, read-only browsing, errors naming the
//! statement, and a pushed-down drill step giving DuckDB's numbers. Run on each ClickHouse
//! the tests have (`tests/clickhouse.rs`: 18.16; `tests/clickhouse_current.rs`: current).

use assay_engine::warehouse::ClickHouse;

use crate::common::warehouse::settings;
use duckdb::Connection;

pub fn loads_stream_in_and_group_by_runs_on_the_server(url: &str) {
    let admin =
        ClickHouse::connect(&settings(url, "default")).expect("the test script starts ClickHouse");
    let db = format!("assay_test_{}", std::process::id());
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let ch = ClickHouse::connect(&settings(url, &db)).unwrap();
    ch.execute(
        "CREATE TABLE sales (invoice_id UInt64, branch String, invoice_type String, amount Float64, note Nullable(String)) \
         ENGINE = MergeTree ORDER BY invoice_id",
    )
    .unwrap();

    // The same rows in DuckDB, written out as the CSV the load streams.
    let duck = Connection::open_in_memory().unwrap();
    duck.execute_batch(
        "CREATE TABLE sales AS SELECT i AS invoice_id, ['north','south','east'][i % 3 + 1] AS branch, \
         ['SALE','RETURN','CANCELLED'][i % 7 % 3 + 1] AS invoice_type, round((i * 7919) % 10000 / 100.0, 2) AS amount, \
         CASE WHEN i % 5 = 0 THEN NULL ELSE 'n, \"' || i || '\"' END AS note FROM range(200000) t(i)",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("sales.csv");
    // NULL travels as \N, which ClickHouse's CSV reads as NULL (an empty field is '').
    duck.execute_batch(&format!(
        "COPY sales TO '{}' (HEADER, DELIMITER ',', NULLSTR '\\N')",
        csv.display()
    ))
    .unwrap();
    let sent = ch.load_csv("sales", &csv).unwrap();
    assert!(sent.bytes > 1_000_000);

    let (frame, wire) = ch
        .query("SELECT branch, invoice_type, count() AS n, round(sum(amount), 2) AS total, countIf(note IS NULL) AS no_note \
                FROM sales GROUP BY branch, invoice_type ORDER BY branch, invoice_type")
        .unwrap();
    let theirs = assay_engine::frame::to_text_rows(&frame);
    let ours = assay_engine::frame::to_text_rows(
        &assay_engine::frame::query(
            &duck,
            "SELECT branch, invoice_type, count(*) AS n, round(sum(amount), 2) AS total, count(*) FILTER (WHERE note IS NULL) AS no_note \
             FROM sales GROUP BY ALL ORDER BY branch, invoice_type",
            [],
        )
        .unwrap(),
    );
    assert_eq!(theirs.len(), 10, "{theirs:?}");
    for (t, o) in theirs.iter().zip(&ours).skip(1) {
        assert_eq!(t[..3], o[..3]);
        let (a, b): (f64, f64) = (t[3].parse().unwrap(), o[3].parse().unwrap());
        assert!((a - b).abs() < 0.01, "{t:?} vs {o:?}");
        assert_eq!(t[4], o[4]);
    }
    // Only the nine group rows crossed the wire, not the 200k rows.
    assert_eq!(wire.rows, 9);
    assert!(wire.bytes < 2_000, "{wire:?}");
    // Text with commas, quotes and NULLs survived the trip.
    let (notes, _) = ch
        .query("SELECT note FROM sales WHERE invoice_id IN (1, 5) ORDER BY invoice_id")
        .unwrap();
    let notes = assay_engine::frame::to_text_rows(&notes);
    assert_eq!(notes[1][0], "n, \"1\"");
    assert_eq!(notes[2][0], "");

    // Browsing is read-only: a write through that path is refused by the server.
    let refused = ch.query_readonly("CREATE TABLE sneaky (x UInt8) ENGINE = Memory");
    assert!(refused.is_err());
    let (tables, _) = ch
        .query_readonly("SELECT name FROM system.tables WHERE database = currentDatabase()")
        .unwrap();
    assert_eq!(
        assay_engine::frame::to_text_rows(&tables).len(),
        2,
        "only `sales`"
    );
    // A broken statement is an error naming the statement, not a panic.
    let broken = ch
        .query("SELECT no_such_column FROM sales")
        .unwrap_err()
        .to_string();
    assert!(broken.contains("no_such_column"), "{broken}");

    drill_step_on_clickhouse_matches_duckdb(&ch, &duck, &csv);

    admin.execute(&format!("DROP DATABASE {db}")).unwrap();
}

/// New side in ClickHouse (the sales plus planted extra rows), legacy side in DuckDB: the
/// pushed-down drill step gives the numbers a DuckDB-only drill gives.
fn drill_step_on_clickhouse_matches_duckdb(
    ch: &ClickHouse,
    duck: &Connection,
    csv: &std::path::Path,
) {
    use assay_engine::recon::pushdown::{group_local, group_remote, merge};
    duck.execute_batch(
        "CREATE TABLE legacy AS SELECT * FROM sales WHERE invoice_type <> 'CANCELLED';\
         CREATE TABLE gold AS SELECT * FROM sales UNION ALL SELECT invoice_id + 1000000, branch, 'INTERCOMPANY', amount, note FROM sales WHERE invoice_id % 50 = 0;",
    )
    .unwrap();
    ch.execute(
        "CREATE TABLE gold (invoice_id UInt64, branch String, invoice_type String, amount Float64, note Nullable(String)) \
         ENGINE = MergeTree ORDER BY invoice_id",
    )
    .unwrap();
    let gold_csv = csv.with_file_name("gold.csv");
    duck.execute_batch(&format!(
        "COPY gold TO '{}' (HEADER, DELIMITER ',', NULLSTR '\\N')",
        gold_csv.display()
    ))
    .unwrap();
    ch.load_csv("gold", &gold_csv).unwrap();
    // `amount` is a float on both engines: each value rounded to 6 places, summed exactly.
    let amount = (
        "amount",
        assay_engine::decimal::Numeric::of("DOUBLE").unwrap(),
    );
    let total = |rel: &str| -> assay_engine::decimal::Exact {
        let text: String = duck
            .query_row(
                &format!("SELECT CAST(sum(CAST(amount AS DECIMAL(38, 6))) AS VARCHAR) FROM {rel}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assay_engine::decimal::Exact::parse(&text).unwrap()
    };
    let total_delta = total("gold").minus(total("legacy")).unwrap();
    for path in [
        vec![],
        vec![("branch".to_string(), Some("north".to_string()))],
    ] {
        let legacy = group_local(duck, "legacy", amount, "invoice_type", &path).unwrap();
        let (remote, wire) = group_remote(ch, "gold", amount, "invoice_type", &path).unwrap();
        let local_new = group_local(duck, "gold", amount, "invoice_type", &path).unwrap();
        let pushed = merge(&legacy, &remote, total_delta).unwrap();
        let reference = merge(&legacy, &local_new, total_delta).unwrap();
        assert_eq!(pushed.len(), 4, "{pushed:?}");
        // The same exact amounts from either engine, in the same order.
        assert_eq!(pushed, reference);
        assert_eq!(pushed[0].value.as_deref(), Some("CANCELLED"));
        let ic = pushed
            .iter()
            .find(|p| p.value.as_deref() == Some("INTERCOMPANY"))
            .unwrap();
        assert!(
            ic.legacy.is_zero() && ic.new > assay_engine::decimal::Exact::ZERO,
            "{ic:?}"
        );
        assert!(wire.rows == 4 && wire.bytes < 1_000, "{wire:?}");
    }
}
