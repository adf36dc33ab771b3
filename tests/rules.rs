//! `assay rules`: suggested from explain's causes, accepted with who and when, applied in
//! file order to the new side, the gap after each, the check for CI.

mod common;

use std::path::{Path, PathBuf};

use assay_engine::decimal::Exact;
use common::*;
use serde_json::Value;

fn demo() -> (tempfile::TempDir, PathBuf) {
    built_demo("20000", "5")
}

fn json(ws: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = assay(ws, args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    (out.status.code(), v)
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn suggested_rules_close_the_gap_as_explain_said_once_accepted() {
    let (_tmp, ws) = demo();
    let out = assay(&ws, &["rules", "revenue", "suggest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The December cut-off is where a rule is, not a rule: its month holds mostly rows that
    // agree, so it is passed over, with the reason.
    assert!(
        stderr(&out).contains("not suggested: \"month\""),
        "{}",
        text(&out)
    );
    let file = ws.join("rules/revenue.toml");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.matches("[[rule]]").count(), 2, "{written}");
    assert!(written.contains("status = \"proposed\""));
    // Suggesting again adds nothing: the rules are there.
    let again = assay(&ws, &["rules", "revenue", "suggest"]);
    assert!(
        stderr(&again).contains("0 proposed rule(s) added"),
        "{}",
        text(&again)
    );

    // Nothing accepted: the whole gap remains, and the check fails.
    let (code, none) = json(&ws, &["rules", "revenue", "--check", "--format", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(none["steps"].as_array().unwrap().len(), 0);
    assert_eq!(none["remaining"], none["gap_before"]);

    // Accepting keeps the comment people wrote and records who and when.
    std::fs::write(
        &file,
        format!("# Agreed in the pairing session.\n{written}"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(&ws)
        .env("ASSAY_USER", "ana")
        .args([
            "rules",
            "revenue",
            "accept",
            "exclude-invoice_type-cancelled",
        ])
        .args(["--note", "legacy never counted cancelled invoices"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let decided = std::fs::read_to_string(&file).unwrap();
    assert!(
        decided.starts_with("# Agreed in the pairing session.\n"),
        "{decided}"
    );
    assert!(decided.contains("by = \"ana\""), "{decided}");
    assert!(decided.contains("note = \"legacy never counted cancelled invoices\""));

    // Each accepted rule takes off exactly what explain said its rows carry.
    let (_, explained) = json(&ws, &["explain", "revenue", "--format", "json"]);
    let (code, fall) = json(
        &ws,
        &["rules", "revenue", "--all", "--check", "--format", "json"],
    );
    assert_eq!(code, Some(1), "the December postings remain: {fall:#}");
    let steps = fall["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    for step in steps {
        let cause = explained["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                step["rule"]
                    .as_str()
                    .unwrap()
                    .ends_with(&c["value"].as_str().unwrap().to_lowercase())
            })
            .unwrap_or_else(|| panic!("{step:#}"));
        assert_eq!(
            step["delta"].to_string(),
            cause["delta"].to_string(),
            "{step:#}"
        );
        assert_eq!(step["rows"], cause["rows"]);
    }
    let closed: f64 = steps.iter().map(|s| number(&s["delta"])).sum();
    let left = number(&fall["gap_before"]) - closed;
    assert!(
        (left - number(&fall["remaining"])).abs() < 0.005,
        "{fall:#}"
    );
    // The exported SQL, applied to the gold model, gives the totals the waterfall ends at.
    let out = assay(&ws, &["rules", "revenue", "export", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let exported = stdout(&out);
    assert!(
        exported.contains("--   legacy never counted cancelled invoices"),
        "{exported}"
    );
    let fixed = sql_csv(
        &ws,
        &format!("SELECT CAST(sum(net_amount) AS VARCHAR) AS s FROM (\n{exported}\n)"),
    );
    let legacy = sql_csv(
        &ws,
        "SELECT CAST(sum(net_amount) AS VARCHAR) AS s FROM legacy.sales",
    );
    let total = |csv: &str| {
        csv.lines()
            .nth(1)
            .unwrap()
            .trim_matches('"')
            .parse::<f64>()
            .unwrap()
    };
    let expected = total(&legacy) + number(&fall["remaining"]);
    assert!(
        (total(&fixed) - expected).abs() < 0.005,
        "{fixed} vs {expected}"
    );
    let dbt = stdout(&assay(
        &ws,
        &["rules", "revenue", "export", "--dialect", "dbt"],
    ));
    assert!(
        dbt.contains("{{ ref('fct_sales') }}") && dbt.contains("'CANCELLED'"),
        "{dbt}"
    );
    // The December postings, accepted as a difference (agreed, not fixed), are counted
    // apart; what is left is within tolerance, and the check passes.
    let bad = assay(
        &ws,
        &[
            "rules",
            "revenue",
            "accept-difference",
            "late",
            "--where",
            "no_such = 1",
            "--note",
            "x",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains("[[accepted]]"));
    let (code, _) = json(
        &ws,
        &[
            "rules",
            "revenue",
            "accept-difference",
            "late-december",
            "--where",
            "month = DATE '2024-12-01'",
            "--note",
            "posted after the cut-off",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0));
    let (code, ledger) = json(
        &ws,
        &["rules", "revenue", "--all", "--check", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{ledger:#}");
    let accepted = &ledger["accepted"][0];
    assert_eq!(accepted["name"], "late-december");
    let unexplained = number(&ledger["remaining"]) - number(&accepted["delta"]);
    assert!(
        (unexplained - number(&ledger["unexplained"])).abs() < 0.005,
        "{ledger:#}"
    );
    assert!(number(&ledger["unexplained"]).abs() < 10.0, "{ledger:#}");
    // Without --all only the accepted one applies.
    let (_, accepted) = json(&ws, &["rules", "revenue", "--format", "json"]);
    assert_eq!(accepted["steps"].as_array().unwrap().len(), 1);
    assert_eq!(accepted["steps"][0]["status"], "accepted");

    // A sign-off of today's numbers is current until a number or a rule changes.
    let out = assay(
        &ws,
        &["signoff", "revenue", "--note", "agreed with finance"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, signed) = json(&ws, &["rules", "revenue", "--format", "json"]);
    assert_eq!(signed["signoff"]["state"], "current", "{signed:#}");
    assert_eq!(signed["signoff"]["note"], "agreed with finance");
    let out = assay(
        &ws,
        &[
            "rules",
            "revenue",
            "accept",
            "exclude-invoice_type-intercompany",
            "--note",
            "too",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, later) = json(&ws, &["rules", "revenue", "--format", "json"]);
    assert_eq!(later["signoff"]["state"], "stale", "{later:#}");
    let changed = later["signoff"]["changed"].to_string();
    assert!(
        changed.contains("remaining") && changed.contains("the rules"),
        "{changed}"
    );
    let table = stdout(&assay(&ws, &["rules", "revenue"]));
    assert!(table.contains("STALE: remaining"), "{table}");
}

#[test]
fn hand_written_rules_apply_in_order_and_bad_ones_are_named() {
    let (_tmp, ws) = demo();
    std::fs::create_dir_all(ws.join("rules")).unwrap();
    let file = ws.join("rules/revenue.toml");
    let rules = r#"
[[rule]]
name = "lumen-net"
kind = "adjust"
where = "company = 'lumen'"
set = { net_amount = "net_amount * 0" }
status = "accepted"

[[rule]]
name = "no-lumen"
kind = "exclude"
where = "company = 'lumen'"
status = "accepted"
"#;
    std::fs::write(&file, rules).unwrap();
    let (_, fall) = json(&ws, &["rules", "revenue", "--format", "json"]);
    let steps = fall["steps"].as_array().unwrap();
    // Zeroing lumen's amounts moves the gap; excluding the (now zero) rows then moves
    // nothing, though it takes the rows out.
    assert!(number(&steps[0]["delta"]) > 0.0, "{fall:#}");
    assert!(steps[0]["rows"].as_i64().unwrap() > 0);
    assert_eq!(number(&steps[1]["delta"]), 0.0, "{fall:#}");
    assert_eq!(steps[1]["rows"], steps[0]["rows"]);

    std::fs::write(&file, rules.replace("net_amount * 0", "no_such_column * 0")).unwrap();
    let out = assay(&ws, &["rules", "revenue"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("rule `lumen-net` does not apply"),
        "{}",
        text(&out)
    );

    std::fs::write(
        &file,
        rules.replace("company = 'lumen'\"\nset", "1; DROP TABLE x\"\nset"),
    )
    .unwrap();
    let out = assay(&ws, &["rules", "revenue"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Refused when the file is read, by the parser, with its line.
    assert!(
        stderr(&out).contains("revenue.toml:")
            && stderr(&out).contains("`where`: not one SQL expression: `;`"),
        "{}",
        text(&out)
    );

    std::fs::write(&file, "[[rule]]\nname = \"x\"\nkind = \"drop\"\n").unwrap();
    let out = assay(&ws, &["rules", "revenue"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("revenue.toml: rule 1"),
        "{}",
        text(&out)
    );

    let out = assay(&ws, &["rules", "revenue", "accept", "nope", "--note", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// The ticket on the demo: the accepted rules' waterfall, the rules with notes and authors,
/// what remains with its causes, and the sign-off; Markdown, HTML and JSON.
#[test]
fn the_report_is_the_ticket_a_reviewer_signs() {
    let (_tmp, ws) = demo();
    let run = |args: &[&str]| run_as(&ws, "ana", args);
    run(&["rules", "revenue", "suggest"]);
    run(&[
        "rules",
        "revenue",
        "accept",
        "exclude-invoice_type-cancelled",
        "--note",
        "never counted",
    ]);
    run(&[
        "rules",
        "revenue",
        "accept",
        "exclude-invoice_type-intercompany",
        "--note",
        "internal",
    ]);
    run(&["signoff", "revenue", "--note", "agreed with finance"]);
    let (_, fall) = json(&ws, &["rules", "revenue", "--format", "json"]);
    // As the engine prints amounts (the report uses the same).
    let grouped = |v: &Value| Exact::parse(&v.to_string()).unwrap().grouped();

    let md = run(&["report", "revenue"]);
    assert!(
        md.starts_with("# revenue · net_amount: legacy parity"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| gap (new − legacy) | {} |",
            grouped(&fall["gap_before"])
        )),
        "{md}"
    );
    assert!(
        md.contains("| rule exclude-invoice_type-cancelled (exclude) | ")
            && md.contains("| rule exclude-invoice_type-intercompany (exclude) | "),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| unexplained |  |  | {} | OUT OF TOLERANCE |",
            grouped(&fall["unexplained"])
        )),
        "{md}"
    );
    assert!(md.contains("never counted — ana "), "{md}");
    // What remains is the December cut-off, named by explain over the rules' result.
    let remains = md.split("## What remains").nth(1).unwrap();
    assert!(remains.contains("'2024-12-01'"), "{remains}");
    assert!(md.contains("- ana at ") && md.contains("— current"), "{md}");

    let html = run(&["report", "revenue", "--format", "html"]);
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<svg"),
        "{html}"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    let (_, ticket) = json(&ws, &["report", "revenue", "--format", "json"]);
    assert_eq!(ticket["schema_version"], 1);
    assert_eq!(ticket["waterfall"]["remaining"], fall["remaining"]);
    assert_eq!(ticket["rules"].as_array().unwrap().len(), 2);
    assert_eq!(ticket["signoffs"][0]["by"], "ana");
}

/// In the workbench, S edits an adjust rule's set expression: checked on the comparison,
/// then saved (comments kept); the rule's effect follows the new expression.
#[test]
fn the_workbench_edits_a_set_expression() {
    let (_tmp, ws) = demo();
    std::fs::create_dir_all(ws.join("rules")).unwrap();
    let file = ws.join("rules/revenue.toml");
    let rules = "# hand-written\n[[rule]]\nname = \"lumen-zero\"\nkind = \"adjust\"\nwhere = \"company = 'lumen'\"\nset = { net_amount = \"net_amount * 0\" }\nstatus = \"accepted\"\n";
    std::fs::write(&file, rules).unwrap();
    let (_, before) = json(&ws, &["rules", "revenue", "--format", "json"]);
    let mut h = assay_workbench::harness::Harness::open(
        &ws,
        80,
        24,
        assay_workbench::theme::Theme::built_in("mono"),
    )
    .unwrap();
    h.press("3 8 S");
    assert!(
        h.text().contains("lumen-zero: set net_amount = (SQL)"),
        "{}",
        h.text()
    );
    h.press("home ctrl-k");
    h.type_text("no_such * 0");
    h.press("enter");
    assert!(h.text().contains("does not apply"), "{}", h.text());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), rules, "left alone");
    h.press("S home ctrl-k");
    h.type_text("net_amount * 1");
    h.press("enter");
    assert!(
        h.text().contains("lumen-zero: checked and saved"),
        "{}",
        h.text()
    );
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.starts_with("# hand-written\n"), "{saved}");
    assert!(
        saved.contains("set = { net_amount = \"net_amount * 1\" }"),
        "{saved}"
    );
    // × 1 changes nothing: the rule's effect is gone.
    let (_, after) = json(&ws, &["rules", "revenue", "--format", "json"]);
    assert!(number(&before["steps"][0]["delta"]) > 0.0, "{before:#}");
    assert_eq!(number(&after["steps"][0]["delta"]), 0.0, "{after:#}");
}
