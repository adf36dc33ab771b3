//! Personal data stays masked: the demo's customer names and e-mail addresses (marked
//! `pii` on its invoices entity, inherited by silver through the lineage) are looked for in
//! every output a person sees — `assay sql` in each format, data test samples, compare
//! samples and the report, the workbench's grids, profile, SQL console and copies — and
//! none is found; `--reveal` shows them and is recorded; compare numbers are the same with
//! and without masks.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use assay_workbench::live::Live;
use assay_workbench::screens::{layers::LayersScreen, sql::SqlScreen};
use assay_workbench::theme::Theme;
use common::*;

/// The demo, extracted and built, with a data test that silver dropped the e-mail and one
/// that fails (silver keeps the name), shared by this file's tests (which only read it,
/// except where they say).
fn workspace() -> &'static PathBuf {
    static WS: OnceLock<PathBuf> = OnceLock::new();
    WS.get_or_init(|| {
        let (dir, ws) = built_demo("3000", "11");
        let config = ws.join("assay.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(
            "\n[tests.silver_has_no_email]\ntable = \"silver.invoices\"\nkind = \"pii_absent\"\ncolumns = [\"customer_email\"]\n\
             \n[tests.silver_has_no_names]\ntable = \"silver.invoices\"\nkind = \"pii_absent\"\ncolumns = [\"customer_name\"]\nseverity = \"warn\"\n",
        );
        std::fs::write(&config, text).unwrap();
        let _ = dir.keep();
        ws
    })
}

/// Every name and e-mail address in the demo's source files, read from the CSV itself.
fn personal_values(ws: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let pattern = format!("{}/sources/files/*/invoices_*.csv", ws.display());
    for file in glob::glob(&pattern).unwrap() {
        let text = std::fs::read_to_string(file.unwrap()).unwrap();
        for line in text.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            for v in &cells[6..] {
                if !v.is_empty() && !v.starts_with("Group company") {
                    out.insert(v.to_string());
                }
            }
        }
    }
    assert!(out.len() > 100, "{} personal values", out.len());
    out
}

/// The personal values `text` shows (none, where masking works). Last names alone are
/// looked for too: a mask that kept them would still name people.
fn leaked(ws: &Path, text: &str) -> Vec<String> {
    // The first few are enough to say what leaked.
    let values = personal_values(ws);
    let last_names: BTreeSet<String> = values
        .iter()
        .filter(|v| !v.contains('@'))
        .filter_map(|v| v.split(' ').nth(1).map(String::from))
        .collect();
    values
        .iter()
        .chain(&last_names)
        .filter(|v| text.contains(v.as_str()))
        .take(5)
        .cloned()
        .collect()
}

fn run_ok(ws: &Path, args: &[&str]) -> String {
    let out = assay(ws, args);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{args:?}: {}",
        text(&out)
    );
    text(&out)
}

#[test]
fn cli_outputs_show_no_personal_value() {
    let ws = workspace();
    let mut seen = Vec::new();
    for format in ["table", "csv", "json", "md"] {
        for sql in [
            "SELECT * FROM bronze.invoices",
            "SELECT * FROM silver.invoices",
            "SELECT customer_email AS contact, upper(customer_name) FROM bronze.invoices",
            "WITH p AS (SELECT customer_name AS who FROM silver.invoices) SELECT who AS w FROM p",
        ] {
            let out = run_ok(ws, &["sql", sql, "--format", format]);
            seen.push((format!("sql {format}: {sql}"), out));
        }
    }
    // A failed CAST quotes the value it could not convert.
    let cast = assay(
        ws,
        &[
            "sql",
            "SELECT CAST(customer_name AS INTEGER) FROM bronze.invoices",
        ],
    );
    assert_eq!(cast.status.code(), Some(3), "{}", text(&cast));
    assert!(
        text(&cast).contains("Could not convert string '"),
        "{}",
        text(&cast)
    );
    seen.push(("a failed cast".into(), text(&cast)));
    seen.push(("test".into(), run_ok(ws, &["test"])));
    seen.push((
        "test json".into(),
        run_ok(ws, &["test", "--format", "json"]),
    ));
    for (what, out) in &seen {
        let found = leaked(ws, out);
        assert!(found.is_empty(), "{what} shows {found:?}:\n{out}");
    }
    // The masks are there (partial by default): `A***@m***.example`, `A*** B***`.
    let shown = run_ok(
        ws,
        &[
            "sql",
            "SELECT customer_email FROM bronze.invoices LIMIT 50",
            "--format",
            "csv",
        ],
    );
    assert!(shown.contains("***@m***.example"), "{shown}");
}

#[test]
fn the_email_test_passes_and_the_name_test_fails_with_masked_samples() {
    let ws = workspace();
    let out = assay(ws, &["test", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let of = |name: &str| -> Vec<&serde_json::Value> {
        json.as_array()
            .or_else(|| json["outcomes"].as_array())
            .expect("outcomes")
            .iter()
            .filter(|o| o["test"] == name)
            .collect()
    };
    let email = of("silver_has_no_email");
    assert!(!email.is_empty(), "{json}");
    assert!(email.iter().all(|o| o["status"] == "pass"), "{json}");
    let names = of("silver_has_no_names");
    assert!(names.iter().any(|o| o["status"] == "warn"), "{json}");
    let samples = names
        .iter()
        .flat_map(|o| o["samples"].as_array().cloned().unwrap_or_default())
        .collect::<Vec<_>>();
    assert!(!samples.is_empty(), "{json}");
    assert!(
        samples.iter().all(|s| s["customer_name"]
            .as_str()
            .is_some_and(|v| v.contains("***"))),
        "{samples:?}"
    );
}

#[test]
fn reveal_shows_the_values_and_is_recorded() {
    let (_dir, ws) = built_demo("1500", "12");
    let query =
        "SELECT customer_email FROM bronze.invoices WHERE customer_email IS NOT NULL LIMIT 5";
    let masked = run_ok(&ws, &["sql", query, "--format", "csv"]);
    assert!(leaked(&ws, &masked).is_empty(), "{masked}");
    let before = sql_csv(&ws, "SELECT count(*) AS n FROM assay.reveals");
    assert_eq!(before.lines().nth(1), Some("0"), "{before}");
    let out = assay(&ws, &["sql", query, "--format", "csv", "--reveal"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!leaked(&ws, &stdout(&out)).is_empty(), "{}", text(&out));
    assert!(stderr(&out).contains("recorded"), "{}", text(&out));
    let log = sql_csv(&ws, "SELECT revealed_by, place, what FROM assay.reveals");
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(
        log.contains("assay sql") && log.contains("customer_email"),
        "{log}"
    );
}

#[test]
fn compare_numbers_are_the_same_with_masks_and_samples_are_masked() {
    let (_dir, ws) = built_demo("3000", "13");
    let plain = json_of(&ws, &["compare", "revenue", "--format", "json"]);
    // Mark the legacy side's customer ids personal: a compared column, not a key.
    let config = ws.join("assay.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let marked = toml.replacen(
        "[legacy.sales]\n",
        "[legacy.sales]\npii = [\"customer_id\"]\n",
        1,
    );
    assert_ne!(marked, toml);
    std::fs::write(&config, marked).unwrap();
    let masked = json_of(&ws, &["compare", "revenue", "--format", "json"]);
    let numbers = |j: &serde_json::Value| {
        let r = &j["revenue"];
        (
            r["rows"].clone(),
            r["measures"].clone(),
            r["columns"].clone(),
        )
    };
    assert_eq!(numbers(&plain), numbers(&masked));
    let samples = masked["revenue"]["samples"].to_string();
    let ids: Vec<String> = plain["revenue"]["samples"]["only_new"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["new"]["customer_id"].as_str().map(String::from))
        .filter(|id| id.starts_with('C'))
        .collect();
    assert!(!ids.is_empty(), "{plain}");
    for id in &ids {
        assert!(!samples.contains(&format!("\"{id}\"")), "{id} in {samples}");
    }
    assert!(samples.contains("C***"), "{samples}");
    // Every differing row written out: the ids masked in the file DuckDB writes, with the
    // very mask the screen shows (`C***`), the row count that of the report.
    let file = ws.join("rows.csv");
    let out = assay(
        &ws,
        &["compare", "revenue", "--rows-out", file.to_str().unwrap()],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let written = std::fs::read_to_string(&file).unwrap();
    for id in &ids {
        assert!(
            !written.contains(&format!(",{id},")),
            "{id} in the rows file"
        );
    }
    assert!(written.contains(",C***,"), "{written}");
    let r = &masked["revenue"]["rows"];
    let differing = r["changed"].as_i64().unwrap()
        + r["only_legacy"].as_i64().unwrap()
        + r["only_new"].as_i64().unwrap();
    assert_eq!(written.lines().count() as i64 - 1, differing, "{written}");
    // The report passed to finance shows them masked too.
    for format in ["md", "html", "json"] {
        let out = run_ok(&ws, &["report", "revenue", "--format", format]);
        for id in &ids {
            assert!(
                !out.contains(&format!("{id} ")) && !out.contains(&format!("\"{id}\"")),
                "{format}: {id}"
            );
        }
    }
}

#[test]
fn validate_names_a_personal_column_that_does_not_exist() {
    let (_dir, ws) = built_demo("1500", "14");
    let config = ws.join("assay.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        toml.replace(
            "pii = [\"customer_name\", \"customer_email\"]",
            "pii = [\"customer_name\", \"emial\"]",
        ),
    )
    .unwrap();
    let out = assay(&ws, &["validate"]);
    exited_saying(&out, 2, "entities.invoices.pii.1");
    assert!(
        text(&out).contains("`emial` is not a column of bronze.invoices"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("assay.toml:"),
        "names the file and line: {}",
        text(&out)
    );
}

const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn the_workbench_shows_and_copies_only_masks_until_a_recorded_reveal() {
    let ws = workspace();
    let mut live = Live::open(ws, 120, 40, Theme::built_in("mono")).unwrap();
    assert!(live.settle(PATIENCE));
    live.press("2");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let at = live
        .app
        .get::<LayersScreen>()
        .tables
        .iter()
        .position(|t| t.label() == "bronze.invoices")
        .expect("bronze.invoices listed");
    live.app.get_mut::<LayersScreen>().cursor = at;
    live.press("enter");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let mut screens = vec![live.text()];
    // Every column, the profile (min and max), a copied row and a copied range.
    for keys in ["l l l l l l l", "i", "Y", "V j j Y"] {
        live.press(keys);
        assert!(live.settle(PATIENCE), "{}", live.text());
        screens.push(live.text());
    }
    live.press("5");
    live.app
        .get_mut::<SqlScreen>()
        .set_text("SELECT customer_name AS n, customer_email FROM bronze.invoices");
    live.press("f5");
    assert!(live.settle(PATIENCE), "{}", live.text());
    screens.push(live.text());
    // A failed CAST in the console: its error quotes the value.
    live.app
        .get_mut::<SqlScreen>()
        .set_text("SELECT CAST(customer_name AS INTEGER) FROM bronze.invoices");
    live.press("f5");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let failed = format!("{:?}", live.app.shared.status);
    assert!(failed.contains("Could not convert string"), "{failed}");
    screens.push(failed);
    screens.extend(live.copied.iter().cloned());
    for s in &screens {
        let found = leaked(ws, s);
        assert!(found.is_empty(), "shown: {found:?}\n{s}");
    }
    assert!(screens.iter().any(|s| s.contains("***")), "masks are shown");

    // P asks first; the second P shows the values, says so, and is recorded.
    live.press("esc P");
    assert!(!live.app.revealed, "one P only asks");
    live.press("P");
    assert!(live.settle(PATIENCE), "{}", live.text());
    assert!(live.app.revealed, "{}", live.text());
    live.press("f5");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let open = live.text();
    assert!(open.contains("UNMASKED"), "{open}");
    assert!(!leaked(ws, &open).is_empty(), "{open}");
    live.press("P");
    assert!(live.settle(PATIENCE), "{}", live.text());
    live.press("f5");
    assert!(live.settle(PATIENCE), "{}", live.text());
    assert!(leaked(ws, &live.text()).is_empty(), "{}", live.text());
    drop(live);
    let log = sql_csv(ws, "SELECT place, what FROM assay.reveals");
    assert!(log.contains("workbench"), "{log}");
}

#[test]
fn explain_never_offers_a_personal_column_as_a_cause() {
    let (_dir, ws) = built_demo("3000", "15");
    let config = ws.join("assay.toml");
    // invoice_type no longer configured: explain finds it by itself (few values).
    let toml = std::fs::read_to_string(&config).unwrap().replace(
        "dimensions = [\"branch\", \"invoice_type\", \"month\"]",
        "dimensions = [\"branch\", \"month\"]",
    );
    std::fs::write(&config, &toml).unwrap();
    let found = run_ok(&ws, &["explain", "revenue"]);
    assert!(found.contains("INTERCOMPANY"), "{found}");
    let marked = toml.replacen(
        "[legacy.sales]\n",
        "[legacy.sales]\npii = [\"invoice_type\"]\n",
        1,
    );
    std::fs::write(&config, marked).unwrap();
    for format in ["table", "json"] {
        let out = run_ok(&ws, &["explain", "revenue", "--format", format]);
        for value in ["INTERCOMPANY", "CANCELLED"] {
            assert!(!out.contains(value), "{format} names {value}:\n{out}");
        }
    }
}

#[test]
fn a_failed_build_records_and_shows_the_value_it_quotes_masked() {
    let (_dir, ws) = built_demo("1500", "17");
    std::fs::write(
        ws.join("models/gold/bad_cast.sql"),
        "SELECT CAST(customer_name AS INTEGER) AS n FROM silver.invoices\n",
    )
    .unwrap();
    let out = assay(&ws, &["build", "--select", "gold.bad_cast"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("Could not convert string '"),
        "{}",
        text(&out)
    );
    let runs = run_ok(&ws, &["runs", "--kind", "build", "--limit", "3"]);
    let status = assay(&ws, &["status", "--all"]);
    for (what, shown) in [
        ("build", text(&out)),
        ("runs", runs),
        ("status", text(&status)),
    ] {
        let found = leaked(&ws, &shown);
        assert!(found.is_empty(), "{what} shows {found:?}:\n{shown}");
    }
}
