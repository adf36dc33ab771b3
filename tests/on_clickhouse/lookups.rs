//! #32 on ClickHouse: a rule found through a file lookup runs in the warehouse. The rule is
//! found on the DuckDB twin of the workspace (on ClickHouse the agreeing rows stay in the
//! warehouse, so whether they match a lookup is not known and a lookup cannot be ranked)
//! and travels with the rules folder, as rules do in git. The kept file (`rules/lookups/`)
//! is uploaded into the warehouse's lookups database, the rule's `lookups.NAME` points
//! there, and the export runs on the server as printed.

//!
//! Run on each ClickHouse the tests have (`tests/clickhouse_current.rs` includes this too).

use crate::common::warehouse::{built_demo_in, drop_layers};
use crate::common::*;
use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;

pub fn a_file_lookup_rule_runs_in_the_warehouse(url: &str) {
    let db = format!("assay_lookup_{}", std::process::id());
    drop_layers(url, &db);
    let tmp = tempfile::tempdir().unwrap();
    let twin = built_demo_in(tmp.path(), "dk", ("3000", "11"), None);
    let ch = built_demo_in(tmp.path(), "ch", ("3000", "11"), Some((url, &db)));
    let ids = missed_at_cutoff(&twin);
    configure_blocklist(&twin, &ids);
    let out = assay(&twin, &["rules", "revenue", "suggest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rules = std::fs::read_to_string(twin.join("rules/revenue.toml")).unwrap();
    assert!(rules.contains("FROM lookups.blocklist)"), "{rules}");
    // The rules folder, lookups and all, as a pull request would bring it.
    std::fs::create_dir_all(ch.join("rules/lookups")).unwrap();
    for file in ["revenue.toml", "lookups/blocklist.csv"] {
        std::fs::copy(twin.join("rules").join(file), ch.join("rules").join(file)).unwrap();
    }
    // The waterfall in the warehouse: the rule takes out exactly the listed invoices.
    let fall = json_of(&ch, &["rules", "revenue", "--all", "--format", "json"]);
    let step = fall["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"].as_str().is_some_and(|r| r.contains("blocklist")))
        .unwrap_or_else(|| panic!("no blocklist step: {fall:#}"));
    assert_eq!(step["rows"].as_u64(), Some(ids.len() as u64), "{step:#}");
    // The export names the warehouse's lookups database and runs there as printed.
    let out = assay(
        &ch,
        &[
            "rules",
            "revenue",
            "export",
            "--all",
            "--dialect",
            "clickhouse",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sql = stdout(&out);
    assert!(sql.contains(&format!("`{db}_lookups`.blocklist")), "{sql}");
    let admin = ClickHouse::connect(&Warehouse::clickhouse(url, "default", 20)).unwrap();
    let (n, _) = admin
        .query_number(&format!("SELECT count() FROM ({sql})"))
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    assert!(n > 0);
    drop_layers(url, &db);
}
