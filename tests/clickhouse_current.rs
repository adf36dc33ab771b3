//! Current ClickHouse (26.x, from PyPI's chdb, behind the HTTP interface of
//! `tests/chdb/server.py`): the ClickHouse tests of the warehouse run here too, so every
//! statement assay writes for ClickHouse (builds, extraction's loads, compare, explain, the
//! rules lab and waterfall, the export, tickets, the board, drill and browse in the
//! workbench) runs on current ClickHouse, and every number assay gives from it is the
//! cache's, as from 18.16, byte for byte.

mod common;

#[path = "on_clickhouse/bronze.rs"]
mod bronze;
#[path = "on_clickhouse/campaign.rs"]
mod campaign;
#[path = "on_clickhouse/data_tests.rs"]
mod data_tests;
#[path = "on_clickhouse/demo.rs"]
mod demo;
#[path = "on_clickhouse/exact.rs"]
mod exact;
#[path = "on_clickhouse/failed_build.rs"]
mod failed_build;
#[path = "on_clickhouse/init.rs"]
mod init;
#[path = "on_clickhouse/legacy.rs"]
mod legacy;
#[path = "on_clickhouse/live.rs"]
mod live;
#[path = "on_clickhouse/loads.rs"]
mod loads;
#[path = "on_clickhouse/lookups.rs"]
mod lookups;

use common::warehouse::Current;

#[test]
fn the_demo_on_current_clickhouse_gives_the_caches_numbers() {
    let server = Current::start();
    demo::the_demo_on(&server.url);
}

#[test]
fn a_pushed_down_compare_on_current_clickhouse_finds_every_difference() {
    let server = Current::start();
    exact::differences_below_rounding_and_above_1e15(&server.url);
}

#[test]
fn the_board_on_current_clickhouse_equals_the_cache() {
    let server = Current::start();
    campaign::the_board_equals_the_cache(&server.url);
}

#[test]
fn a_file_lookup_rule_runs_on_current_clickhouse() {
    let server = Current::start();
    lookups::a_file_lookup_rule_runs_in_the_warehouse(&server.url);
}

#[test]
fn data_tests_on_current_clickhouse_give_the_verdicts_of_the_cache() {
    let server = Current::start();
    data_tests::the_verdicts_of_the_cache(&server.url);
}

#[test]
fn loads_stream_in_and_group_by_runs_on_current_clickhouse() {
    let server = Current::start();
    loads::loads_stream_in_and_group_by_runs_on_the_server(&server.url);
}

#[test]
fn extraction_publishes_bronze_to_current_clickhouse() {
    let server = Current::start();
    bronze::extraction_publishes_bronze(&server.url);
}

/// A current ClickHouse server as an extraction source, with the types 18.16 does not have
/// (Bool, Date32, DateTime64, wide decimals, LowCardinality, UUID, Enum): each arrives
/// typed, exact and NULL kept apart from '', and the same rows come back from the cache.
#[test]
fn current_clickhouse_types_arrive_typed_and_exact() {
    use assay_engine::config::Warehouse;
    use assay_engine::warehouse::ClickHouse;

    let server = Current::start();
    let ch = ClickHouse::connect(&Warehouse::clickhouse(&server.url, "default", 20)).unwrap();
    ch.execute("CREATE DATABASE src").unwrap();
    ch.execute(
        "CREATE TABLE src.sales (company LowCardinality(String), id Int64, \
         amount Nullable(Decimal(38, 10)), paid Bool, sold_on Date32, \
         at DateTime64(3, 'UTC'), kind Enum8('cash' = 1, 'card' = 2), \
         ref UUID, note Nullable(String)) ENGINE = MergeTree ORDER BY id",
    )
    .unwrap();
    ch.execute(
        "INSERT INTO src.sales VALUES \
         ('acme', 1, 123456789012345678.0123456789, true, '1969-07-20', '2024-02-29 23:59:59.123', 'cash', \
          '00000000-0000-0000-0000-000000000001', 'plain'), \
         ('acme', 2, -0.0000000001, false, '2106-01-01', '2024-01-01 00:00:00.000', 'card', \
          '00000000-0000-0000-0000-000000000002', ''), \
         ('acme', 3, NULL, false, '2024-01-01', '2024-01-01 00:00:00.5', 'card', \
          '00000000-0000-0000-0000-000000000003', NULL), \
         ('other', 4, 1, true, '2024-01-01', '2024-01-01 00:00:00', 'cash', \
          '00000000-0000-0000-0000-000000000004', 'not acme')",
    )
    .unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("assay.toml"),
        format!(
            "[companies.acme]\nname = \"Acme\"\n\n\
             [sources.db]\nkind = \"clickhouse\"\nurl = \"{}\"\ndatabase = \"src\"\nuser = \"default\"\n\n\
             [entities.sales]\nsource = \"db\"\nquery = \"SELECT * EXCEPT company FROM sales WHERE company = {{company}} ORDER BY id\"\nkeys = [\"id\"]\n",
            server.url
        ),
    )
    .unwrap();
    let out = common::assay(ws.path(), &["extract", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let types = common::sql_csv(
        ws.path(),
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_name = 'sales__data' AND column_name NOT LIKE '\\_%' ESCAPE '\\' \
         ORDER BY ordinal_position",
    );
    assert_eq!(
        types,
        "column_name,data_type\nid,BIGINT\namount,\"DECIMAL(38,10)\"\npaid,BOOLEAN\n\
         sold_on,DATE\nat,TIMESTAMP\nkind,VARCHAR\nref,VARCHAR\nnote,VARCHAR\n"
    );
    let rows = common::sql_csv(
        ws.path(),
        "SELECT id, amount, paid, sold_on, strftime(\"at\", '%Y-%m-%d %H:%M:%S.%g') AS t, kind, ref, \
         note IS NULL AS note_null, length(note) AS len FROM bronze.sales ORDER BY id",
    );
    assert_eq!(
        rows,
        "id,amount,paid,sold_on,t,kind,ref,note_null,len\n\
         1,123456789012345678.0123456789,true,1969-07-20,2024-02-29 23:59:59.123,cash,00000000-0000-0000-0000-000000000001,false,5\n\
         2,-0.0000000001,false,2106-01-01,2024-01-01 00:00:00.000,card,00000000-0000-0000-0000-000000000002,false,0\n\
         3,,false,2024-01-01,2024-01-01 00:00:00.500,card,00000000-0000-0000-0000-000000000003,true,\n"
    );
}

#[test]
fn a_failed_build_on_current_clickhouse_leaves_no_half_built_table() {
    let server = Current::start();
    failed_build::leaves_no_half_built_table(&server.url);
}

/// `v` with every `bytes` of a wire step left out: a Decimal's text is shorter on current
/// ClickHouse (`343.3` for `343.30`), so the bytes received differ, not what they say.
fn without_wire_bytes(mut v: serde_json::Value) -> serde_json::Value {
    match &mut v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(steps)) = map.get_mut("wire") {
                for s in steps.iter_mut().filter_map(|s| s.as_object_mut()) {
                    s.remove("bytes");
                }
            }
            for (_, child) in map.iter_mut() {
                *child = without_wire_bytes(child.take());
            }
        }
        serde_json::Value::Array(items) => {
            for child in items.iter_mut() {
                *child = without_wire_bytes(child.take());
            }
        }
        _ => {}
    }
    v
}

/// The same demo on 18.16 and on current ClickHouse gives the same compare, explain, rules
/// and drill JSON, wire steps included: the same slices agree on both servers, so each
/// slice's fingerprint is the same on both (a fingerprint that differed would fetch more
/// rows on one, and say so in `wire`).
#[test]
fn both_versions_give_the_same_reports_slice_for_slice() {
    use common::warehouse::{built_demo_in, drop_layers, URL};
    let server = Current::start();
    let db = format!("assay_versions_{}", std::process::id());
    drop_layers(URL, &db);
    let tmp = tempfile::tempdir().unwrap();
    let old = built_demo_in(tmp.path(), "old", ("4000", "5"), Some((URL, &db)));
    let new = built_demo_in(tmp.path(), "new", ("4000", "5"), Some((&server.url, &db)));
    let json = |ws: &std::path::Path, args: &[&str]| without_wire_bytes(common::json_of(ws, args));
    for args in [
        &["compare", "revenue", "--format", "json"][..],
        &[
            "compare",
            "revenue",
            "--company",
            "acme",
            "--format",
            "json",
        ][..],
        &["explain", "revenue", "--format", "json"][..],
        &["rules", "revenue", "--all", "--format", "json"][..],
        &[
            "waterfall",
            "revenue",
            "--company",
            "acme",
            "--format",
            "json",
        ][..],
    ] {
        let (on_old, on_new) = (json(&old, args), json(&new, args));
        assert_eq!(on_old, on_new, "{args:?}");
    }
    let steps = json(&old, &["compare", "revenue", "--format", "json"])["revenue"]["wire"].clone();
    assert!(
        steps.as_array().is_some_and(|s| s
            .iter()
            .any(|s| s["step"].as_str().unwrap().starts_with("rows of "))),
        "{steps}"
    );
    drop_layers(URL, &db);
}

#[test]
fn init_finds_the_comparison_on_current_clickhouse() {
    let server = Current::start();
    init::init_finds_the_comparison(&server.url);
}

#[test]
fn legacy_from_a_current_clickhouse_table_gives_the_numbers_the_files_gave() {
    let server = Current::start();
    legacy::legacy_from_a_clickhouse_table(&server.url);
}

#[test]
fn the_live_workbench_on_current_clickhouse_gives_the_caches_numbers() {
    let server = Current::start();
    live::the_live_workbench_gives_the_caches_numbers(&server.url);
}
