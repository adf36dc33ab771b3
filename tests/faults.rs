//! The fault suite: what a hostile user, a dying process or a broken server does to assay.
//! Kills in a new workspace, models that would write, hanging servers, colliding exports,
//! wrong delimiters, settings `validate` accepted that `compare` could not use, unclear
//! messages, leftovers. Each case failed before its fix.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

fn demo(rows: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(tmp.path(), &["demo", "ws", "--rows", rows, "--seed", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = tmp.path().join("ws");
    (tmp, ws)
}

/// A small demo, extracted and built: ready to compare.
fn built_demo() -> (tempfile::TempDir, PathBuf) {
    let (tmp, ws) = demo("5000");
    ok(&ws, &["extract", "--all"]);
    ok(&ws, &["build"]);
    (tmp, ws)
}

/// A copy of a workspace without its cache: a new workspace with the same files.
fn fresh_copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".assay" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            fresh_copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn ok(ws: &Path, args: &[&str]) -> String {
    let out = assay(ws, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    text(&out)
}

fn scalar(ws: &Path, sql: &str) -> String {
    sql_csv(ws, sql).lines().nth(1).unwrap_or("").to_string()
}

fn set_config(ws: &Path, edit: impl FnOnce(String) -> String) {
    let path = ws.join("assay.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

#[test]
fn a_kill_in_a_new_workspace_never_leaves_a_cache_that_cannot_open() {
    let (tmp, template) = demo("20000");
    // The reference: a whole first extraction in a copy nobody kills.
    let reference = tmp.path().join("reference");
    fresh_copy(&template, &reference);
    ok(&reference, &["extract", "--all"]);
    let invoices = scalar(&reference, "SELECT count(*) FROM bronze.invoices");
    let mut points: Vec<(&[&str], u64)> = Vec::new();
    for ms in (0..14).map(|i| 20 + i * 45) {
        points.push((&["extract", "--all"], ms));
    }
    for ms in [20u64, 60, 120, 200, 320, 500] {
        points.push((&["compare", "revenue"], ms));
    }
    // A first build, in a workspace whose extraction is done: the killed build's runs must
    // not stay `running` for ever.
    for ms in [30u64, 90, 180, 300] {
        points.push((&["build"], ms));
    }
    let mut survived = 0;
    let mut failures = Vec::new();
    for (i, (args, ms)) in points.iter().enumerate() {
        let ws = tmp.path().join(format!("kill{i}"));
        fresh_copy(&template, &ws);
        if args[0] == "build" {
            ok(&ws, &["extract", "--all"]);
        }
        let mut child = spawn(&ws, args);
        std::thread::sleep(Duration::from_millis(*ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let opened = assay(
            &ws,
            &["sql", "SELECT count(*) FROM assay.runs", "--format", "csv"],
        );
        let again = assay(&ws, &["extract", "--all"]);
        let same = again.status.code() == Some(0)
            && scalar(&ws, "SELECT count(*) FROM bronze.invoices") == invoices
            && scalar(
                &ws,
                "SELECT count(*) FROM assay.runs WHERE status = 'running'",
            ) == "0";
        if opened.status.code() == Some(0) && same {
            survived += 1;
        } else {
            failures.push(format!(
                "{args:?} killed at {ms} ms: {}{}",
                text(&opened),
                text(&again)
            ));
        }
    }
    assert_eq!(
        survived,
        points.len(),
        "survived {survived} of {} kill points:\n{}",
        points.len(),
        failures.join("\n")
    );
}

#[test]
fn an_unreplayable_log_is_set_aside_with_a_message() {
    let (_tmp, ws) = demo("5000");
    ok(&ws, &["extract", "--all", "--entity", "invoices"]);
    // A log that is not DuckDB's: what a torn or foreign log looks like to the replay.
    let wal = ws.join(".assay/cache.duckdb.wal");
    std::fs::write(&wal, vec![0x5Au8; 4096]).unwrap();
    let out = assay(
        &ws,
        &[
            "sql",
            "SELECT count(*) AS n FROM bronze.invoices",
            "--format",
            "csv",
        ],
    );
    let all = text(&out);
    if out.status.code() == Some(0) {
        // DuckDB either skipped the torn log itself, or assay set it aside and said so.
        let aside = std::fs::read_dir(ws.join(".assay"))
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains("unreplayable"));
        assert!(!aside || all.contains("could not be replayed"), "{all}");
        assert!(!all.contains("INTERNAL Error"), "{all}");
    } else {
        panic!("the cache did not open: {all}");
    }
}

#[test]
fn a_model_that_would_change_data_is_refused_and_nothing_changes() {
    let (_tmp, ws) = demo("5000");
    ok(&ws, &["extract", "--all", "--entity", "invoices"]);
    let before = scalar(
        &ws,
        "SELECT count(*) FROM bronze.invoices__data WHERE _company = 'acme'",
    );
    assert_ne!(before, "0");
    let gold = ws.join("models/gold");
    std::fs::write(
        gold.join("evil.sql"),
        "SELECT 1 AS x;\nDELETE FROM bronze.invoices__data WHERE _company = 'acme'\n",
    )
    .unwrap();
    std::fs::write(gold.join("again.sql"), "SELECT * FROM gold.again\n").unwrap();
    std::fs::write(
        gold.join("typo.sql"),
        "-- a model with a mistake on its third line\nSELECT invoice_id,\n       no_such_column\nFROM bronze.invoices\n",
    )
    .unwrap();
    let out = assay(
        &ws,
        &[
            "build", "--select", "evil", "--select", "again", "--select", "typo",
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("evil.sql") && all.contains("line 2: a second statement"),
        "{all}"
    );
    assert!(all.contains("reads its own table gold.again"), "{all}");
    assert!(all.contains("typo.sql") && all.contains("LINE 3"), "{all}");
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM bronze.invoices__data WHERE _company = 'acme'"
        ),
        before
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('evil', 'again')"
        ),
        "0"
    );
}

#[test]
fn extraction_runs_companies_in_parallel() {
    let (_tmp, ws) = demo("300000");
    ok(&ws, &["extract", "--all", "--entity", "invoices"]);
    let overlapping = scalar(
        &ws,
        "SELECT count(*) FROM assay.runs a JOIN assay.runs b ON a.id < b.id \
         WHERE a.kind = 'extract' AND b.kind = 'extract' AND a.status = 'ok' AND b.status = 'ok' \
         AND a.started < b.finished AND b.started < a.finished",
    );
    assert_ne!(
        overlapping, "0",
        "with parallelism = 4 no two runs overlapped"
    );
}

#[test]
fn exports_named_like_the_start_of_another_keep_their_own_rows() {
    let (_tmp, ws) = built_demo();
    set_config(&ws, |t| {
        format!(
            "{t}\n[legacy.sales__old]\nfiles = \"legacy/{{company}}/sales_*.csv\"\n[legacy.sales__old.overrides.lumen]\ndelimiter = \";\"\ndecimal = \",\"\ndate_format = \"%d/%m/%Y\"\n[legacy.sales__old.overrides.fjord]\nrename = {{ InvoiceNumber = \"invoice_id\", Date = \"invoice_date\", Branch = \"branch\", Customer = \"customer_id\", Type = \"invoice_type\", Amount = \"net_amount\" }}\n\n[comparisons.old]\nlegacy = \"sales__old\"\ntable = \"gold.fct_sales\"\nkeys = [\"invoice_id\"]\nmeasures = [\"net_amount\"]\n"
        )
    });
    // The older export is imported first, then the one whose name starts it.
    let _ = assay(&ws, &["compare", "old"]);
    let _ = assay(&ws, &["compare", "revenue"]);
    let view = scalar(&ws, "SELECT count(*) FROM legacy.sales");
    let own = scalar(
        &ws,
        "SELECT sum(rows) FROM assay.legacy_imports WHERE export = 'sales'",
    );
    assert_eq!(view, own, "legacy.sales took another export's rows");
    // A name that would really collide is refused by validate.
    set_config(&ws, |t| {
        format!("{t}\n[companies.old__acme]\nname = \"Old Acme\"\n")
    });
    let out = assay(&ws, &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("legacy.sales__old__acme would be both"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_wrong_delimiter_is_refused_naming_the_one_found() {
    let (_tmp, ws) = built_demo();
    // Lumen's export uses semicolons; say "," for it.
    set_config(&ws, |t| {
        t.replace(
            "# exported from a French spreadsheet\ndelimiter = \";\"",
            "# exported from a French spreadsheet\ndelimiter = \",\"",
        )
    });
    let out = assay(&ws, &["compare", "revenue", "--company", "lumen"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("lumen") && all.contains("set delimiter = \";\""),
        "{all}"
    );
}

#[test]
fn settings_compare_cannot_use_are_named_by_their_key() {
    let (_tmp, ws) = built_demo();
    let original = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    let cases: [(&str, &str, i32, &str); 6] = [
        (
            "tolerance = { absolute = 1.0, relative = 0.0005 }",
            "tolerance = { absolute = nan, relative = 0.0005 }",
            2,
            "comparisons.revenue.tolerance.absolute",
        ),
        (
            "tolerance = { absolute = 1.0, relative = 0.0005 }",
            "tolerance = { absolute = 1.0, relative = inf }",
            2,
            "comparisons.revenue.tolerance.relative",
        ),
        (
            "keys = [\"invoice_id\"]\nmeasures",
            "keys = [\"invoice_id\", \"invoice_id\"]\nmeasures",
            2,
            "`invoice_id` is listed twice",
        ),
        (
            "measures = [\"net_amount\"]",
            "measures = [\"net_amout\"]",
            2,
            "comparisons.revenue.measures: legacy.sales has no column `net_amout`",
        ),
        (
            "measures = [\"net_amount\"]",
            "measures = [\"customer_id\"]",
            2,
            "`customer_id` is VARCHAR in legacy.sales, not a number",
        ),
        (
            "encoding = \"utf-8\"",
            "encoding = \"utf-16\"",
            3,
            "encoding = \"utf-16\" does not fit",
        ),
    ];
    for (from, to, code, expected) in cases {
        assert!(original.contains(from), "{from}");
        std::fs::write(ws.join("assay.toml"), original.replace(from, to)).unwrap();
        let out = assay(&ws, &["compare", "revenue"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(code), "{to}: {all}");
        assert!(all.contains(expected), "{to}: {all}");
        assert!(
            !all.contains("SELECT"),
            "internal SQL shown for {to}: {all}"
        );
    }
    // A binary file where assay.toml should be.
    std::fs::write(ws.join("assay.toml"), [0u8, 159, 146, 150, 0xFF, 10]).unwrap();
    let out = assay(&ws, &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not UTF-8 text"), "{}", text(&out));
    // Ad hoc: a text measure is named with its side, not met as a cast error in SQL.
    std::fs::write(ws.join("assay.toml"), &original).unwrap();
    let out = assay(
        &ws,
        &[
            "compare",
            "--legacy",
            "legacy/acme/sales_2023.csv",
            "--new",
            "gold.fct_sales",
            "--key",
            "invoice_id",
            "--measure",
            "branch",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--measure branch: `branch` is VARCHAR in legacy/acme/sales_2023.csv"),
        "{}",
        text(&out)
    );
    // Ad hoc tolerances are checked as they are read.
    let out = assay(
        &ws,
        &[
            "compare",
            "--legacy",
            "a.csv",
            "--new",
            "gold.fct_sales",
            "--key",
            "invoice_id",
            "--tolerance",
            "NaN",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn bad_legacy_files_are_named_with_line_and_setting() {
    let (_tmp, ws) = built_demo();
    let dir = ws.join("legacy/acme");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .unwrap();
    let original = std::fs::read(&file).unwrap();
    let shown = file.display().to_string();
    let header_end = original.iter().position(|&b| b == b'\n').unwrap();
    let header = String::from_utf8_lossy(&original[..header_end]).to_string();
    let second_end = header_end
        + 1
        + original[header_end + 1..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap();
    let cases: Vec<(Vec<u8>, String)> = vec![
        // A Latin-1 byte on line 3 of a UTF-8 export.
        (
            {
                let mut bytes = original.clone();
                bytes.splice(second_end + 1..second_end + 1, b"\xE9".iter().copied());
                bytes
            },
            "line 3, column 1: byte 0xE9 is not UTF-8".to_string(),
        ),
        (Vec::new(), "the file is empty".into()),
        (
            format!("{header},{}\n", header.split(',').next().unwrap()).into_bytes(),
            "are both named".into(),
        ),
    ];
    for (bytes, expected) in cases {
        std::fs::write(&file, &bytes).unwrap();
        let out = assay(&ws, &["compare", "revenue", "--company", "acme"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{expected}: {all}");
        assert!(
            all.contains(&shown) && all.contains(&expected),
            "{expected}: {all}"
        );
    }
    // Dates in two formats: the column would silently become text.
    let mixed = String::from_utf8(original.clone()).unwrap();
    let mut lines: Vec<String> = mixed.lines().map(str::to_string).collect();
    let date_col = header.split(',').position(|h| h == "invoice_date").unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    let (y, rest) = cells[date_col].split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    cells[date_col] = format!("{d}/{m}/{y}");
    lines[2] = cells.join(",");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = assay(&ws, &["compare", "revenue", "--company", "acme"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("`invoice_date` was read as text") && all.contains("date_format"),
        "{all}"
    );
    // A measure that is not a number says which value and where.
    let mut lines: Vec<String> = mixed.lines().map(str::to_string).collect();
    let amount_col = header.split(',').position(|h| h == "net_amount").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[amount_col] = "n/a".into();
    lines[3] = cells.join(",");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = assay(&ws, &["compare", "revenue", "--company", "acme"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("(company acme, ") && all.contains("`n/a` does not read as a number"),
        "{all}"
    );
    // Put right, the same export compares again (the demo's gap is out of tolerance: exit 1).
    std::fs::write(&file, &original).unwrap();
    let out = assay(&ws, &["compare", "revenue", "--company", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
