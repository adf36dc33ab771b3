//! Extraction and builds through the real binary on a demo workspace: versions, drift,
//! bad input, retries, retention, kill -9, failing models, freshness.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn demo(rows: &str) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(tmp.path(), &["demo", "ws", "--rows", rows, "--seed", "11"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = tmp.path().join("ws");
    (tmp, ws, String::from_utf8_lossy(&out.stdout).to_string())
}

/// No run is left `running`, and bronze.invoice_lines__data holds rows of live versions only.
fn assert_only_live_versions(ws: &Path, why: &str) {
    assert_eq!(
        scalar(
            ws,
            "SELECT count(*) FROM assay.runs WHERE status = 'running'"
        ),
        "0"
    );
    let versions = scalar(
        ws,
        "SELECT count(*) FROM assay.table_versions WHERE table_name = 'invoice_lines'",
    );
    let data = scalar(
        ws,
        "SELECT count(*) FROM (SELECT DISTINCT _company, _run_id FROM bronze.invoice_lines__data)",
    );
    assert_eq!(versions, data, "{why}");
}

/// One number from `assay sql`.
fn scalar(ws: &Path, sql: &str) -> String {
    let out = assay(ws, &["sql", sql, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{sql}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

fn ok(ws: &Path, args: &[&str]) -> String {
    let out = assay(ws, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    text(&out)
}

#[test]
fn extract_and_build_reproduce_the_demo_totals() {
    let (_tmp, ws, summary) = demo("8000");
    ok(&ws, &["extract", "--all"]);
    ok(&ws, &["build"]);
    // The demo's own summary says what gold must sum to.
    let gold_line = summary
        .lines()
        .find(|l| l.starts_with("Planted gap"))
        .unwrap();
    let gold: f64 = gold_line
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    let built: f64 = scalar(&ws, "SELECT sum(net_amount) FROM gold.fct_sales")
        .parse()
        .unwrap();
    assert!((built - gold).abs() < 0.005, "gold {built} vs demo {gold}");
    assert_eq!(
        scalar(&ws, "SELECT count(DISTINCT _company) FROM bronze.invoices"),
        "8"
    );
    // Load metadata on every row.
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM bronze.invoices WHERE _company IS NULL OR _run_id IS NULL OR _loaded_at IS NULL OR _source NOT LIKE '%invoices_20%.csv'"),
        "0"
    );
    // Nordwind's customerId was mapped: no NULL customers.
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM bronze.invoices WHERE customer_id IS NULL"
        ),
        "0"
    );
    // Everything is fresh.
    let fresh = assay(&ws, &["freshness", "--format", "json"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh));
    let rows: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(rows.as_array().unwrap().len() >= 8 * 4 * 2);
    assert!(rows.as_array().unwrap().iter().all(|r| r["status"] == "ok"));
}

#[test]
fn drift_fails_the_run_and_keeps_the_previous_version() {
    let (_tmp, ws, _) = demo("3000");
    ok(&ws, &["extract", "--all", "--entity", "invoices"]);
    let before = scalar(
        &ws,
        "SELECT count(*) FROM bronze.invoices WHERE _company = 'nordwind'",
    );
    let cfg = ws.join("assay.toml");
    let original = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        original.replace("rename = { customerId = \"customer_id\" }", ""),
    )
    .unwrap();
    let out = assay(
        &ws,
        &["extract", "--company", "nordwind", "--entity", "invoices"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("`customer_id` looks renamed to `customerId`"),
        "{message}"
    );
    assert!(
        message.contains("[entities.invoices.overrides.nordwind]"),
        "{message}"
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM bronze.invoices WHERE _company = 'nordwind'"
        ),
        before
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM bronze.invoices WHERE customer_id IS NULL"
        ),
        "0"
    );
    // on_drift = "warn" loads anyway and says so.
    std::fs::write(
        &cfg,
        original
            .replace("rename = { customerId = \"customer_id\" }", "")
            .replace(
                "[entities.invoices]\nsource = \"erp_files\"",
                "[entities.invoices]\non_drift = \"warn\"\nsource = \"erp_files\"",
            ),
    )
    .unwrap();
    let warned = assay(
        &ws,
        &["extract", "--company", "nordwind", "--entity", "invoices"],
    );
    assert_eq!(warned.status.code(), Some(0), "{}", text(&warned));
    assert!(text(&warned).contains("drift"));
    assert_eq!(scalar(&ws, "SELECT count(*) FROM bronze.invoices WHERE _company = 'nordwind' AND \"customerId\" IS NOT NULL"), before);
}

#[test]
fn a_malformed_file_fails_cleanly_and_a_retry_does_not_duplicate() {
    let (_tmp, ws, _) = demo("3000");
    ok(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    let before = scalar(&ws, "SELECT count(*) FROM bronze.orders");
    let file = ws.join("sources/files/acme/orders_2024.csv");
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{good}ACM-BROKEN,2024-13-45,north,C1,shipped,not-a-number,extra,fields\n"),
    )
    .unwrap();
    let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("orders_2024.csv"),
        "the error must name the file: {}",
        text(&out)
    );
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM bronze.orders"),
        before,
        "the previous version stays current"
    );
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM bronze.orders__data"),
        before,
        "the failed run leaves no rows behind"
    );
    std::fs::write(&file, good).unwrap();
    ok(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    assert_eq!(scalar(&ws, "SELECT count(*) FROM bronze.orders"), before);
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM assay.runs WHERE entity = 'orders' AND status = 'failed'"
        ),
        "1"
    );
}

#[test]
fn retention_keeps_the_newest_versions_and_old_ones_stay_queryable() {
    let (_tmp, ws, _) = demo("2000");
    // Each run reads the source again (an unchanged one would keep its version).
    for _ in 0..5 {
        ok(
            &ws,
            &[
                "extract",
                "--company",
                "dunmore",
                "--entity",
                "stock",
                "--full-refresh",
            ],
        );
    }
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(*) FROM assay.table_versions WHERE table_name = 'stock'"
        ),
        "3"
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT count(DISTINCT _run_id) FROM bronze.stock__data"
        ),
        "3"
    );
    assert_eq!(
        scalar(&ws, "SELECT count(DISTINCT _run_id) FROM bronze.stock"),
        "1"
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT max(_run_id) = (SELECT max(id) FROM assay.runs) FROM bronze.stock"
        ),
        "true"
    );
    // An earlier retained version is readable as of its run, and reading it changes nothing.
    let earlier = scalar(
        &ws,
        "SELECT min(run_id) FROM assay.table_versions WHERE table_name = 'stock'",
    );
    let out = assay(
        &ws,
        &[
            "sql",
            "--as-of",
            &earlier,
            "SELECT DISTINCT _run_id FROM bronze.stock",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        stdout(&out),
        format!("_run_id\n{earlier}\n"),
        "{}",
        text(&out)
    );
    assert_eq!(
        scalar(
            &ws,
            "SELECT max(_run_id) = (SELECT max(id) FROM assay.runs) FROM bronze.stock"
        ),
        "true"
    );
}

#[test]
fn kill_9_at_any_point_leaves_the_current_version_intact() {
    let (_tmp, ws, _) = demo("400000");
    ok(&ws, &["extract", "--all", "--entity", "invoice_lines"]);
    let before = scalar(&ws, "SELECT count(*) FROM bronze.invoice_lines");
    for delay_ms in [50u64, 200, 600, 1200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
            .current_dir(&ws)
            .args(["extract", "--all", "--entity", "invoice_lines"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert_eq!(
            scalar(&ws, "SELECT count(*) FROM bronze.invoice_lines"),
            before,
            "after kill at {delay_ms} ms"
        );
    }
    ok(&ws, &["extract", "--all", "--entity", "invoice_lines"]);
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM bronze.invoice_lines"),
        before
    );
    // Only the live versions' rows remain: killed runs were cleaned up on the next start.
    assert_only_live_versions(&ws, "killed runs leave no rows");
}

#[test]
fn a_failing_model_is_named_and_its_dependants_skipped() {
    let (_tmp, ws, _) = demo("2000");
    ok(&ws, &["extract", "--all"]);
    std::fs::write(
        ws.join("models/gold/bad.sql"),
        "SELECT invoice_id, no_such_column FROM silver.invoices",
    )
    .unwrap();
    std::fs::write(
        ws.join("models/gold/after_bad.sql"),
        "SELECT count(*) AS n FROM gold.bad",
    )
    .unwrap();
    let out = assay(&ws, &["build", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |m: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["model"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(status("gold.bad")["status"], "failed");
    let err = status("gold.bad")["error"].as_str().unwrap().to_string();
    assert!(
        err.contains("models/gold/bad.sql") && err.contains("no_such_column"),
        "{err}"
    );
    assert_eq!(status("gold.after_bad")["status"], "skipped");
    assert_eq!(status("gold.fct_sales")["status"], "ok");
    assert_eq!(status("silver.invoices")["status"], "ok");
}

#[test]
fn freshness_judges_against_thresholds_with_exit_codes() {
    let (_tmp, ws, _) = demo("2000");
    // Never extracted: error.
    assert_eq!(assay(&ws, &["freshness"]).status.code(), Some(2));
    ok(&ws, &["extract", "--all"]);
    ok(&ws, &["build"]);
    assert_eq!(assay(&ws, &["freshness"]).status.code(), Some(0));
    // Age the loads in the catalog: 30 h is past warn_after (26h), 8 d past error_after for
    // orders (7d) only.
    ok(
        &ws,
        &[
            "sql",
            "UPDATE assay.runs SET finished = finished - INTERVAL 30 HOUR WHERE kind = 'extract'",
        ],
    );
    let warn = assay(
        &ws,
        &[
            "freshness",
            "--problems",
            "--layer",
            "bronze",
            "--format",
            "csv",
        ],
    );
    assert_eq!(warn.status.code(), Some(1), "{}", text(&warn));
    // orders has warn_after = 2d: it is still fine at 30 h.
    assert!(!String::from_utf8_lossy(&warn.stdout).contains(",orders,"));
    ok(
        &ws,
        &[
            "sql",
            "UPDATE assay.runs SET finished = finished - INTERVAL 7 DAY WHERE kind = 'extract'",
        ],
    );
    assert_eq!(assay(&ws, &["freshness"]).status.code(), Some(2));
}

#[test]
fn ctrl_c_cancels_cleanly() {
    let (_tmp, ws, _) = demo("1500000");
    ok(&ws, &["extract", "--all", "--entity", "invoice_lines"]);
    let before = scalar(&ws, "SELECT count(*) FROM bronze.invoice_lines");
    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(&ws)
        // Read again: an unchanged source file would not be.
        .args([
            "extract",
            "--all",
            "--entity",
            "invoice_lines",
            "--full-refresh",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once a run is reading (its "run N reading" line), not after a guessed delay.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains(" reading ") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
    }
    std::thread::sleep(Duration::from_millis(50));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let all = format!("{seen}{rest}{}", text(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("cancelled"), "{all}");
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM bronze.invoice_lines"),
        before
    );
    assert_ne!(
        scalar(
            &ws,
            "SELECT count(*) FROM assay.runs WHERE status = 'cancelled'"
        ),
        "0"
    );
    assert_only_live_versions(&ws, "cancelled runs leave no rows");
}

#[test]
fn parquet_and_json_files_extract_like_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::create_dir_all(ws.join("drop/acme")).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT i AS id, 'item ' || i AS name, i * 1.5 AS price FROM range(1, 101) t(i)) TO '{}' (FORMAT parquet);
         COPY (SELECT i AS id, i % 3 = 0 AS flagged FROM range(1, 51) t(i)) TO '{}' (FORMAT json);",
        ws.join("drop/acme/items.parquet").display(),
        ws.join("drop/acme/flags.json").display()
    ))
    .unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        "[companies.acme]\n\n[sources.drop]\nkind = \"files\"\nroot = \"drop\"\n\n\
         [entities.items]\nsource = \"drop\"\nfiles = \"{company}/items.parquet\"\nkeys = [\"id\"]\n\n\
         [entities.flags]\nsource = \"drop\"\nfiles = \"{company}/*.json\"\nkeys = [\"id\"]\n\n\
         [layers]\nbuild_command = \"BUILDER sql 'CREATE TABLE gold.ext AS SELECT 1 AS x' && exit 0\"\n"
            .replace("BUILDER", env!("CARGO_BIN_EXE_assay")),
    )
    .unwrap();
    ok(ws, &["extract", "--all"]);
    assert_eq!(scalar(ws, "SELECT sum(price) FROM bronze.items"), "7575.0");
    assert_eq!(
        scalar(
            ws,
            "SELECT count(*) FILTER (WHERE flagged) FROM bronze.flags"
        ),
        "16"
    );
    // An external builder runs in the workspace with the cache released (it may write to
    // it, as dbt-duckdb would); its exit code decides.
    let built = ok(ws, &["build"]);
    assert_eq!(scalar(ws, "SELECT x FROM gold.ext"), "1");
    // Its own run is not mistaken for a dead process's when the cache reopens.
    assert!(!built.contains("marked failed"), "{built}");
    assert_eq!(
        scalar(
            ws,
            "SELECT status FROM assay.runs WHERE entity = 'external'"
        ),
        "ok"
    );
    let cfg = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        cfg.replace("exit 0", "echo model broke >&2; exit 7"),
    )
    .unwrap();
    let failed = assay(ws, &["build"]);
    assert_eq!(failed.status.code(), Some(3), "{}", text(&failed));
    assert!(
        text(&failed).contains("model broke") && text(&failed).contains("exit status: 7"),
        "{}",
        text(&failed)
    );
    assert_eq!(
        scalar(
            ws,
            "SELECT count(*) FROM assay.runs WHERE kind = 'build' AND status = 'failed'"
        ),
        "1"
    );
}

/// Silver and gold hold every company's rows in one table: freshness (and the Sources
/// screen) count each company's own rows there, not the whole table's.
#[test]
fn freshness_counts_each_companys_rows_in_silver_and_gold() {
    let (_tmp, ws, _) = demo("3000");
    ok(&ws, &["extract", "--all"]);
    ok(&ws, &["build"]);
    let fresh = assay(&ws, &["freshness", "--format", "json"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh));
    let rows: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    let rows_of = |company: &str, table: &str| -> i64 {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["company"] == company && r["table"] == table && r["entity"] == "invoices")
            .unwrap_or_else(|| panic!("no {company} {table} row"))["rows"]
            .as_i64()
            .unwrap()
    };
    for table in ["silver.invoices", "gold.fct_sales"] {
        let whole: i64 = scalar(&ws, &format!("SELECT count(*) FROM {table}"))
            .parse()
            .unwrap();
        let mut sum = 0;
        for company in ["acme", "lumen", "nordwind"] {
            let own: i64 = scalar(
                &ws,
                &format!("SELECT count(*) FROM {table} WHERE company = '{company}'"),
            )
            .parse()
            .unwrap();
            assert!(
                own > 0 && own < whole,
                "{table} {company}: {own} of {whole}"
            );
            assert_eq!(rows_of(company, table), own, "{table} {company}");
            sum += own;
        }
        assert!(sum < whole);
    }
}
