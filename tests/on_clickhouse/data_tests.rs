//! `assay test` where the tables live in ClickHouse (each ClickHouse the tests have: the
//! 18.16 server the test script starts and current ClickHouse): every kind of data test
//! gives the verdicts it gives in the cache, evaluated on the server (only counts and a few
//! failing rows come back).

use crate::common::*;
use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;

const TESTS: &str = include_str!("../fixtures/data_tests.toml");

pub fn the_verdicts_of_the_cache(url: &str) {
    let db = format!("assay_tests_{}", std::process::id());
    let admin = ClickHouse::connect(&Warehouse::clickhouse(url, "default", 20)).unwrap();
    let dbs = [db.clone(), format!("{db}_silver"), format!("{db}_gold")];
    let drop = || {
        for d in &dbs {
            admin
                .execute(&format!("DROP DATABASE IF EXISTS `{d}`"))
                .unwrap();
        }
    };
    drop();
    for d in &dbs {
        admin.execute(&format!("CREATE DATABASE `{d}`")).unwrap();
    }
    let gold = ClickHouse::connect(&Warehouse::clickhouse(url, &dbs[2], 20)).unwrap();
    gold.execute(
        "CREATE TABLE tt (company String, id UInt64, code Nullable(String), amount Float64, ref UInt64) \
         ENGINE = MergeTree ORDER BY id",
    )
    .unwrap();
    gold.execute(
        "INSERT INTO tt VALUES ('acme', 1, 'A', 10.0, 1), ('acme', 2, 'B', -5.0, 2), \
         ('acme', 2, 'what?', 1.0, 9), ('lumen', 3, NULL, 3.0, 1)",
    )
    .unwrap();
    let silver = ClickHouse::connect(&Warehouse::clickhouse(url, &dbs[1], 20)).unwrap();
    silver
        .execute("CREATE TABLE refs (ref UInt64) ENGINE = MergeTree ORDER BY ref")
        .unwrap();
    silver.execute("INSERT INTO refs VALUES (1), (2)").unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    // The tables are models of the workspace (built on the server here by hand).
    for (layer, name) in [("gold", "tt"), ("silver", "refs")] {
        std::fs::create_dir_all(ws.join("models").join(layer)).unwrap();
        std::fs::write(
            ws.join(format!("models/{layer}/{name}.sql")),
            "SELECT 1 AS x\n",
        )
        .unwrap();
    }
    std::fs::write(
        ws.join("assay.toml"),
        format!(
            "[warehouse]\nkind = \"clickhouse\"\nurl = \"{url}\"\ndatabase = \"{db}\"\n\n\
             [companies.acme]\nname = \"Acme\"\n\n[companies.lumen]\nname = \"Lumen\"\n{TESTS}"
        ),
    )
    .unwrap();
    let out = assay(ws, &["test", "--format", "json"]);
    drop();
    assert_eq!(out.status.code(), Some(2), "a failure: {}", text(&out));
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let verdict = |t: &str, c: &str| -> (String, i64) {
        let o = all
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["test"] == t && o["company"] == c)
            .unwrap_or_else(|| panic!("{t} / {c}: {all}"));
        (
            o["status"].as_str().unwrap().to_string(),
            o["failing"].as_i64().unwrap(),
        )
    };
    let expect = [
        ("ids_not_null", "acme", "pass", 0),
        ("code_not_null", "acme", "pass", 0),
        ("code_not_null", "lumen", "fail", 1),
        ("id_unique", "acme", "fail", 1),
        ("id_unique", "lumen", "pass", 0),
        // `what?` is allowed: a `?` in a value is a value, not a placeholder.
        ("code_values", "acme", "warn", 1),
        ("code_values", "lumen", "pass", 0),
        ("amount_positive", "acme", "fail", 1),
        ("ref_exists", "acme", "fail", 1),
        ("ref_exists", "lumen", "pass", 0),
        ("enough_rows", "acme", "pass", 3),
        ("enough_rows", "lumen", "fail", 1),
    ];
    for (t, c, status, failing) in expect {
        assert_eq!(verdict(t, c), (status.to_string(), failing), "{t} / {c}");
    }
    let sample = all
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["test"] == "ref_exists" && o["company"] == "acme")
        .unwrap()["samples"][0]
        .clone();
    assert_eq!(sample["ref"], "9", "{sample}");
}
