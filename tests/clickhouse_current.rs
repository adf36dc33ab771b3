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
fn extraction_publishes_bronze_to_current_clickhouse() {
    let server = Current::start();
    bronze::extraction_publishes_bronze(&server.url);
}
