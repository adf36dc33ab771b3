//! The campaign on a ClickHouse warehouse: the compare pushed down is recorded like any, the
//! board's per-company numbers equal the DuckDB twin's to the cent, and a company's rules
//! check and sign-off run in the warehouse.

mod common;

#[path = "on_clickhouse/campaign.rs"]
mod campaign;

#[test]
fn the_board_on_clickhouse_equals_the_cache() {
    campaign::the_board_equals_the_cache(common::warehouse::URL);
}
