//! `assay test` where the tables live in ClickHouse (the real 18.16 server the test script
//! starts): every kind of data test gives the verdicts it gives in the cache, evaluated on
//! the server (only counts and a few failing rows come back).

mod common;

#[path = "on_clickhouse/data_tests.rs"]
mod data_tests;

#[test]
fn data_tests_run_on_clickhouse_with_the_verdicts_of_the_cache() {
    data_tests::the_verdicts_of_the_cache(common::warehouse::URL);
}
