//! #32 on ClickHouse: a rule found through a file lookup runs in the warehouse. The rule is
//! found on the DuckDB twin of the workspace (on ClickHouse the agreeing rows stay in the
//! warehouse, so whether they match a lookup is not known and a lookup cannot be ranked)
//! and travels with the rules folder, as rules do in git. The kept file (`rules/lookups/`)
//! is uploaded into the warehouse's lookups database, the rule's `lookups.NAME` points
//! there, and the export runs on the server as printed.

mod common;

#[path = "on_clickhouse/lookups.rs"]
mod lookups;

#[test]
fn a_file_lookup_rule_runs_in_the_warehouse() {
    lookups::a_file_lookup_rule_runs_in_the_warehouse(common::warehouse::URL);
}
