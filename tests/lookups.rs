//! #32: a rule found through a file lookup keeps working after the run that found it: the
//! file is kept in the workspace's `rules/lookups/`, later processes read it into
//! `lookups.NAME`, and the export names it.

mod common;

use common::*;

fn steps(ws: &std::path::Path) -> serde_json::Value {
    json_of(ws, &["rules", "revenue", "--all", "--format", "json"])
}

#[test]
fn a_rule_from_a_file_lookup_works_in_later_processes_and_in_export() {
    let (_tmp, ws) = built_demo("3000", "11");
    let ids = missed_at_cutoff(&ws);
    let original = configure_blocklist(&ws, &ids);
    let config = ws.join("assay.toml");
    let out = assay(&ws, &["rules", "revenue", "suggest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rules = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    let wanted = "\"invoice_id\" IN (SELECT \"inv\" FROM lookups.blocklist)";
    assert!(rules.contains(wanted), "{rules}");
    assert!(
        !rules.contains("parquet") && !rules.contains("tmp"),
        "{rules}"
    );
    let kept = ws.join("rules/lookups/blocklist.csv");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        std::fs::read_to_string(ws.join("blocklist.csv")).unwrap()
    );
    // The report's remainder (and the workbench's rules lab, through the same causes) tries
    // the comparison's lookups too: nothing is accepted yet, so the blocklist is a cause.
    let ticket = json_of(&ws, &["report", "revenue", "--format", "json"]);
    let causes = ticket["remainder_causes"].as_array().unwrap();
    assert!(
        causes
            .iter()
            .any(|c| c["predicate"].as_str() == Some(wanted)),
        "{causes:#?}"
    );
    // Later, without the original file or the setting: the kept file is what the rule reads.
    std::fs::remove_file(ws.join("blocklist.csv")).unwrap();
    std::fs::write(&config, &original).unwrap();
    let fall = steps(&ws);
    let step = fall["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"].as_str().is_some_and(|r| r.contains("blocklist")))
        .unwrap_or_else(|| panic!("no blocklist step: {fall:#}"));
    assert_eq!(step["rows"].as_u64(), Some(ids.len() as u64), "{step:#}");
    let export = assay(
        &ws,
        &["rules", "revenue", "export", "--all", "--dialect", "duckdb"],
    );
    assert_eq!(export.status.code(), Some(0), "{}", text(&export));
    let sql = stdout(&export);
    assert!(sql.contains(wanted), "{sql}");
    assert!(sql.contains("-- Reads lookups.blocklist"), "{sql}");
    // A kept file that another process broke is named, and only its rule fails.
    std::fs::write(&kept, "inv\n\"unterminated\n").unwrap();
    let out = assay(&ws, &["rules", "revenue", "--all"]);
    assert!(text(&out).contains("blocklist.csv"), "{}", text(&out));
}
