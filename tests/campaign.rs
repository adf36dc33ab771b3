//! The parity campaign through the binary: every compare recorded (`assay history`), the
//! per-company board (`assay parity`), per-company rules check, sign-off and report, and a
//! failed compare on the board.

mod common;

use std::path::{Path, PathBuf};

use assay_engine::decimal::Exact;
use common::money::amount;
use common::*;
use serde_json::Value;

const COMPANIES: usize = 8;

fn demo() -> (tempfile::TempDir, PathBuf) {
    built_demo("2000", "5")
}

/// (exit code, stdout) of a command asked for JSON.
fn json_text(ws: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = assay(ws, args);
    let body = stdout(&out);
    assert!(
        serde_json::from_str::<Value>(&body).is_ok(),
        "not JSON: {}",
        text(&out)
    );
    (out.status.code(), body)
}

/// `assay history revenue --company acme --format json`.
fn acme_history() -> [&'static str; 6] {
    [
        "history",
        "revenue",
        "--company",
        "acme",
        "--format",
        "json",
    ]
}

fn value(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

/// The parity board row of `company`, by index.
fn row_of(board: &Value, company: &str) -> usize {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["company"] == company)
        .unwrap_or_else(|| panic!("no row for {company} in {board}"))
}

/// The compare's total gap, exactly.
fn compare_gap(ws: &Path) -> Exact {
    let (_, body) = json_text(ws, &["compare", "revenue", "--format", "json"]);
    amount(&body, path!["revenue", "measures", 0, "delta"])
}

/// Drops the last data line of each of `company`'s legacy sales files: its numbers move.
fn drop_a_legacy_row(ws: &Path, company: &str) {
    let files = glob::glob(
        &ws.join(format!("legacy/{company}/sales_*.csv"))
            .to_string_lossy(),
    )
    .unwrap()
    .flatten()
    .collect::<Vec<_>>();
    assert!(!files.is_empty(), "no legacy files for {company}");
    let last = files.last().unwrap();
    let text = std::fs::read_to_string(last).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 2, "{}", last.display());
    lines.pop();
    std::fs::write(last, format!("{}\n", lines.join("\n"))).unwrap();
}

#[test]
fn every_compare_is_recorded_and_the_board_adds_up_exactly() {
    let (_tmp, ws) = demo();
    // Nothing on record yet: said, naming what to run.
    let out = assay(&ws, &["history", "revenue"]);
    exited_saying(&out, 2, "no compare of `revenue`");
    assert!(
        stderr(&out).contains("assay compare revenue"),
        "{}",
        text(&out)
    );
    let (code, body) = json_text(&ws, &["parity", "--format", "json"]);
    assert_eq!(code, Some(1), "never compared is open: {body}");
    assert_eq!(value(&body)["rows"][0]["state"], "never");

    let gap = compare_gap(&ws);
    let (code, body) = json_text(&ws, &["parity", "--format", "json"]);
    assert_eq!(code, Some(1), "compared, not signed off: {body}");
    let board = value(&body);
    let rows = board["rows"].as_array().unwrap();
    assert_eq!(rows.len(), COMPANIES);
    // The companies' gaps add up to the comparison's, to the cent.
    let mut sum = Exact::default();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["comparison"], "revenue");
        assert_eq!(row["signoff"], Value::Null);
        sum = sum.plus(amount(&body, path!["rows", i, "gap"])).unwrap();
    }
    assert_eq!(sum, gap);
    assert_eq!(amount(&body, path!["comparisons", 0, "gap"]), gap);
    assert!(gap.scale() == 2 && !gap.is_zero(), "{gap}");

    let (code, body) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    assert_eq!(code, Some(0));
    let runs = value(&body);
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(amount(&body, path![0, "gap"]), gap);
    assert_eq!(runs[0]["via"], "cli");
    assert_eq!(runs[0]["companies"], COMPANIES);

    // A company's own history, and the table with its trend.
    let (_, body) = json_text(&ws, &acme_history());
    let board_acme = amount(
        &json_text(&ws, &["parity", "--format", "json"]).1,
        path!["rows", row_of(&board, "acme"), "gap"],
    );
    assert_eq!(amount(&body, path![0, "gap"]), board_acme);
    let out = assay(&ws, &["history", "revenue"]);
    assert!(stdout(&out).contains("unexplained trend"), "{}", text(&out));

    // Bad asks are named.
    let out = assay(&ws, &["history", "revenue", "--company", "nope"]);
    exited_saying(&out, 2, "company `nope` is not part of comparison revenue");
    let out = assay(&ws, &["history", "nothing"]);
    exited_saying(&out, 2, "unknown comparison `nothing`");
    let out = assay(&ws, &["history", "revenue", "--since", "2999-01-01"]);
    exited_saying(&out, 2, "since 2999-01-01");
    let out = assay(&ws, &["history", "revenue", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("not a day"), "{}", text(&out));
}

#[test]
fn the_history_says_what_changed_between_runs() {
    let (_tmp, ws) = demo();
    compare_gap(&ws);
    let out = assay(&ws, &["rules", "revenue", "suggest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    let doc: toml_edit::DocumentMut = file.parse().unwrap();
    let rule = doc["rule"][0]["name"].as_str().unwrap().to_string();
    let out = assay(
        &ws,
        &[
            "rules",
            "revenue",
            "accept",
            &rule,
            "--note",
            "legacy skipped them",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let gap = compare_gap(&ws);
    let (_, body) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    let runs = value(&body);
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert_eq!(runs[0]["changes"][0], format!("rules accepted: {rule}"));
    // The rule closes part of the gap: what is left unexplained is not the gap.
    assert_eq!(amount(&body, path![0, "gap"]), gap);
    assert_ne!(amount(&body, path![0, "unexplained"]), gap);

    drop_a_legacy_row(&ws, "acme");
    compare_gap(&ws);
    let (_, body) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    assert_eq!(value(&body)[0]["changes"][0], "legacy replaced: acme");

    let out = assay(&ws, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    compare_gap(&ws);
    let (_, body) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    let changes = value(&body)[0]["changes"].to_string();
    assert!(changes.contains("table rebuilt (run "), "{changes}");
    assert!(!changes.contains("legacy replaced"), "{changes}");
}

#[test]
fn a_company_is_signed_off_alone_and_goes_stale_alone() {
    let (_tmp, ws) = demo();
    compare_gap(&ws);
    let out = assay(
        &ws,
        &[
            "signoff",
            "revenue",
            "--company",
            "acme",
            "--note",
            "agreed with Ana (finance)",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("signed off for acme"),
        "{}",
        text(&out)
    );
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    assert!(file.contains("company = \"acme\""), "{file}");

    let (_, body) = json_text(&ws, &["parity", "--format", "json"]);
    let board = value(&body);
    let (acme, borealis) = (row_of(&board, "acme"), row_of(&board, "borealis"));
    assert_eq!(board["rows"][acme]["signoff"]["state"], "current", "{body}");
    assert_eq!(board["rows"][acme]["signoff"]["of"], "company");
    assert_eq!(board["rows"][borealis]["signoff"], Value::Null);

    // The company's own waterfall and check carry its sign-off.
    let (_, check) = acme_check(&ws);
    assert_eq!(value(&check)["company"], "acme");
    assert_eq!(value(&check)["signoff"]["state"], "current");
    assert_eq!(
        amount(&check, path!["gap_before"]),
        amount(&body, path!["rows", acme, "gap"])
    );
    // The whole comparison has no sign-off of its own.
    let (_, whole) = json_text(&ws, &["rules", "revenue", "--format", "json"]);
    assert_eq!(value(&whole)["signoff"], Value::Null);

    // Acme's numbers move: its sign-off goes stale, the others' rows are as they were.
    drop_a_legacy_row(&ws, "acme");
    compare_gap(&ws);
    let (code, body) = json_text(&ws, &["parity", "--format", "json"]);
    assert_eq!(code, Some(2), "a stale sign-off fails the board: {body}");
    let board = value(&body);
    assert_eq!(board["rows"][acme]["state"], "stale");
    assert_eq!(board["rows"][borealis]["state"], "open");
    let out = assay(&ws, &["parity"]);
    assert!(stdout(&out).contains("STALE"), "{}", text(&out));

    // The company's report: its numbers and its sign-offs.
    let (_, report) = json_text(
        &ws,
        &["report", "revenue", "--company", "acme", "--format", "json"],
    );
    let report = value(&report);
    assert_eq!(report["companies"], serde_json::json!(["acme"]));
    assert_eq!(report["signoffs"].as_array().unwrap().len(), 1);
    assert_eq!(report["waterfall"]["signoff"]["state"], "stale");
    let md = stdout(&assay(&ws, &["report", "revenue", "--company", "acme"]));
    assert!(md.starts_with("# revenue · acme · net_amount"), "{md}");

    let out = assay(
        &ws,
        &["signoff", "revenue", "--company", "nope", "--note", "x"],
    );
    exited_saying(&out, 2, "company `nope` is not part of comparison revenue");
}

#[test]
fn a_failed_compare_is_on_the_board_and_records_are_whole() {
    let (_tmp, ws) = demo();
    compare_gap(&ws);
    // Acme's export breaks (an unterminated quote): the compare fails, and says so.
    let files: Vec<PathBuf> = glob::glob(&ws.join("legacy/acme/sales_*.csv").to_string_lossy())
        .unwrap()
        .flatten()
        .collect();
    let broken = files.last().unwrap();
    let text_before = std::fs::read_to_string(broken).unwrap();
    std::fs::write(broken, format!("{text_before}\"unterminated,1\n")).unwrap();
    let out = assay(&ws, &["compare", "revenue"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let (code, body) = json_text(&ws, &["parity", "--format", "json"]);
    assert_eq!(code, Some(2), "{body}");
    let board = value(&body);
    let acme = row_of(&board, "acme");
    assert_eq!(board["rows"][acme]["state"], "failing");
    assert!(
        board["rows"][acme]["error"]
            .as_str()
            .unwrap()
            .contains("legacy.sales"),
        "{body}"
    );
    // The numbers shown are the last good ones.
    assert!(board["rows"][acme]["gap"].is_number(), "{body}");
    let (_, history) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    assert_eq!(value(&history)[0]["status"], "failed");

    // A record a killed process left half-written is not read; a damaged one is named.
    let dir = ws.join(".assay/history/revenue");
    std::fs::write(dir.join("20990101T000000Z-1.json.partial"), "{\"schema").unwrap();
    let out = assay(&ws, &["history", "revenue"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::write(
        dir.join("20990101T000000Z-2.json"),
        "{\n  \"schema_version\": 1,\n  oops\n}",
    )
    .unwrap();
    let out = assay(&ws, &["history", "revenue"]);
    exited_saying(&out, 3, "20990101T000000Z-2.json:3:");
}

#[test]
fn parity_run_compares_everything_first() {
    let (_tmp, ws) = demo();
    let (code, body) = json_text(&ws, &["parity", "--run", "--format", "json"]);
    assert_eq!(code, Some(1), "{body}");
    let board = value(&body);
    assert!(board["rows"][0]["gap"].is_number(), "{body}");
    let (_, history) = json_text(&ws, &["history", "revenue", "--format", "json"]);
    assert_eq!(value(&history)[0]["via"], "parity");
}

/// Acme's unexplained in the newest record (`was`) replaced by 123.45: a number taken
/// from the record carries the mark into the next one.
fn mark_acme(ws: &Path, was: Exact) {
    let dir = ws.join(".assay/history/revenue");
    let newest = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .max()
        .unwrap();
    let text_was = std::fs::read_to_string(&newest).unwrap();
    let needle = format!("\"unexplained\": {was}");
    let at = text_was
        .find("\"company\": \"acme\"")
        .expect("acme in the record");
    let from = at + text_was[at..].find(&needle).expect("acme's unexplained");
    let marked = format!(
        "{}\"unexplained\": 123.45{}",
        &text_was[..from],
        &text_was[from + needle.len()..]
    );
    std::fs::write(&newest, marked).unwrap();
}

/// The rules' effect is taken from the last record while nothing it rests on changed (a
/// cron compare pays nothing for it), and computed again when something did.
#[test]
fn the_rules_are_applied_again_only_when_something_changed() {
    let (_tmp, ws) = demo();
    let out = assay(&ws, &["rules", "revenue", "suggest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    let doc: toml_edit::DocumentMut = file.parse().unwrap();
    let rule = doc["rule"][0]["name"].as_str().unwrap().to_string();
    let out = assay(
        &ws,
        &["rules", "revenue", "accept", &rule, "--note", "agreed"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    compare_gap(&ws);
    let acme = |ws: &Path| {
        let (_, body) = json_text(ws, &acme_history());
        amount(&body, path![0, "unexplained"])
    };
    let computed = acme(&ws);
    mark_acme(&ws, computed);
    compare_gap(&ws);
    assert_eq!(
        acme(&ws).to_string(),
        "123.45",
        "nothing changed: taken from the record"
    );
    // Gold is rebuilt: the rules are applied again, and the true number comes back.
    let out = assay(&ws, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    compare_gap(&ws);
    assert_eq!(acme(&ws), computed);
    // So they are when the rules change (a difference accepted).
    mark_acme(&ws, computed);
    let out = assay(
        &ws,
        &[
            "rules",
            "revenue",
            "accept-difference",
            "north",
            "--where",
            "branch = 'north'",
            "--note",
            "agreed",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    compare_gap(&ws);
    assert_ne!(
        acme(&ws).to_string(),
        "123.45",
        "the rules changed: applied again"
    );
    // What the record says is left equals acme's own waterfall (another path: one query per
    // step), to the cent.
    let (_, check) = acme_check(&ws);
    assert_eq!(amount(&check, path!["unexplained"]), acme(&ws), "{check}");
}

/// Each company's keyed rows by class are on record, add up to the compare's, and a
/// company's missing invoices show on the board and in its history.
#[test]
fn each_company_has_its_row_classes() {
    let (_tmp, ws) = demo();
    drop_a_legacy_row(&ws, "acme");
    let (_, body) = json_text(&ws, &["compare", "revenue", "--format", "json"]);
    let whole = value(&body)["revenue"]["rows"].clone();
    let (_, body) = json_text(&ws, &["parity", "--format", "json"]);
    let board = value(&body);
    let classes = ["matched", "changed", "only_legacy", "only_new"];
    let mut sums = [0i64; 4];
    for row in board["rows"].as_array().unwrap() {
        let rows = &row["rows"];
        for (i, class) in classes.iter().enumerate() {
            sums[i] += rows[class]
                .as_i64()
                .unwrap_or_else(|| panic!("{class} of {row}"));
        }
    }
    for (i, class) in classes.iter().enumerate() {
        assert_eq!(Some(sums[i]), whole[class].as_i64(), "{class}: {whole}");
    }
    let acme = &board["rows"][row_of(&board, "acme")]["rows"];
    assert!(acme["only_new"].as_i64().unwrap() >= 1, "{acme}");
    let (_, body) = json_text(&ws, &acme_history());
    assert_eq!(value(&body)[0]["rows"], *acme);
    let out = assay(&ws, &["parity", "--format", "csv"]);
    let header = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert!(header.contains("only_legacy,only_new"), "{header}");
}

/// `rules revenue --check --company acme --format json`: (exit code, its JSON text).
fn acme_check(ws: &Path) -> (Option<i32>, String) {
    json_text(
        ws,
        &[
            "rules",
            "revenue",
            "--check",
            "--company",
            "acme",
            "--format",
            "json",
        ],
    )
}
