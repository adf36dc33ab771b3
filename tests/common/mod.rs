//! Helpers shared by the integration tests that drive the real binary.
#![allow(dead_code)]

pub mod json_schema;
pub mod money;
pub mod pane;
pub mod warehouse;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Run `assay ARGS` in `dir`.
pub fn assay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run assay")
}

/// Run `assay ARGS` in `dir` as `user` (who decisions are recorded by); it must succeed.
/// Its standard output.
pub fn run_as(dir: &Path, user: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(dir)
        .env("ASSAY_USER", user)
        .args(args)
        .output()
        .expect("run assay");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    stdout(&out)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Everything the command printed, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Asserts the command ended with exit code `code` and printed `needle`.
pub fn exited_saying(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    assert!(text(o).contains(needle), "{}", text(o));
}

/// Asserts the command failed (any exit code but 0) and printed `needle`.
pub fn failed_saying(o: &Output, needle: &str) {
    assert_ne!(o.status.code(), Some(0), "{}", text(o));
    assert!(text(o).contains(needle), "{}", text(o));
}

/// The CSV output of `assay sql`, asserting it ran.
pub fn sql_csv(ws: &Path, sql: &str) -> String {
    let out = assay(ws, &["sql", sql, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{sql}: {}", text(&out));
    stdout(&out)
}

/// A name of this test run's own (tables on the shared servers), so parallel runs never meet.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// Start `assay ARGS` in `ws` with its output captured.
pub fn spawn(ws: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(ws)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for a child at most `limit`; a child still running then is killed and the test fails.
pub fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (status.code(), text(&out), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}: {}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// A demo workspace's files (config, sources, legacy exports, models), seed 5, neither
/// extracted nor built: for what needs no cache (rules decisions, validate, messages).
pub fn demo_files(rows: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(dir.path(), &["demo", "ws", "--rows", rows, "--seed", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.path().join("ws");
    (dir, ws)
}

/// A demo workspace of `rows` invoices (seeded), extracted and built, in a folder of its
/// own: (the folder, kept alive by the caller; the workspace inside it).
pub fn built_demo(rows: &str, seed: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(dir.path(), &["demo", "ws", "--rows", rows, "--seed", seed]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.path().join("ws");
    for args in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&ws, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    (dir, ws)
}

/// Break `company`'s orders file (an unterminated quote) and extract it: the extraction
/// fails, and the version before stays current.
pub fn fail_an_extraction(ws: &std::path::Path, company: &str) {
    let pattern = format!("{}/sources/files/{company}/orders_*.csv", ws.display());
    let broken = glob::glob(&pattern)
        .unwrap()
        .next()
        .expect("an orders file")
        .unwrap();
    std::fs::write(&broken, "order_id,order_date\n\"unterminated,2024-01-01\n").unwrap();
    let out = assay(ws, &["extract", "--company", company, "--entity", "orders"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}

/// The cache's typed legacy rows of `company`, as text, with their column names.
pub fn legacy_rows(ws: &Path, company: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(ws.join(".assay/cache.duckdb"), config).unwrap();
    let table = format!("legacy.\"sales__{company}\"");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT column_name FROM (DESCRIBE {table}) WHERE column_name NOT IN ('_company', '_source')"
        ))
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let select: Vec<String> = names
        .iter()
        .map(|n| format!("CAST(\"{n}\" AS VARCHAR)"))
        .collect();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM {table} ORDER BY ALL",
            select.join(", ")
        ))
        .unwrap();
    let width = names.len();
    let rows = stmt
        .query_map([], |r| (0..width).map(|i| r.get(i)).collect())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    (names, rows)
}

/// `assay ARGS` in `ws` answering JSON (exit 0 or 1), parsed.
pub fn json_of(ws: &Path, args: &[&str]) -> serde_json::Value {
    let out = assay(ws, args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

/// An ad hoc compare's report (the one comparison of its JSON).
pub fn adhoc_report(dir: &Path, args: &[&str]) -> serde_json::Value {
    let all = json_of(dir, args);
    all.as_object().unwrap().values().next().unwrap().clone()
}

/// `assay demo DIR/NAME --rows 3000 --seed 11 EXTRA…`, extracted and built (with `run`,
/// which may set the environment), and its `revenue` compare as JSON.
pub fn demo_revenue(
    dir: &Path,
    name: &str,
    extra: &[&str],
    run: &dyn Fn(&Path, &[&str]) -> Output,
) -> serde_json::Value {
    let mut args = vec!["demo", name, "--rows", "3000", "--seed", "11"];
    args.extend_from_slice(extra);
    let out = assay(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.join(name);
    for args in [&["extract", "--all"][..], &["build"][..]] {
        let out = run(&ws, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let out = run(&ws, &["compare", "revenue", "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    all["revenue"].clone()
}

/// The demo written with `--legacy-format FORMAT` (one file per company and year) compares
/// exactly as the CSV demo of the same seed.
pub fn demo_format_matches_csv(dir: &Path, format: &str) {
    let csv = demo_revenue(dir, "csv", &["--legacy-format", "csv"], &assay);
    let other = demo_revenue(dir, format, &["--legacy-format", format], &assay);
    let pattern = dir.join(format!("{format}/legacy/*/sales_*.{format}"));
    let files = glob::glob(&pattern.to_string_lossy()).unwrap().count();
    assert!(files >= 8, "one per company and year: {files}");
    assert_eq!(csv["rows"], other["rows"], "{other:#}");
    assert_eq!(csv["measures"], other["measures"], "{other:#}");
}

/// The demo's eight companies.
pub const DEMO_COMPANIES: [&str; 8] = [
    "acme", "borealis", "cobalt", "dunmore", "ember", "fjord", "lumen", "nordwind",
];

/// `[legacy.sales]` of the workspace's assay.toml replaced by `sales` (files, format and
/// overrides), the rest of the file kept.
pub fn replace_legacy_sales(ws: &Path, sales: toml_edit::Table) {
    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    doc["legacy"]["sales"] = toml_edit::Item::Table(sales);
    std::fs::write(&path, doc.to_string()).unwrap();
}

/// Writes `ids` as `blocklist.csv` (column `inv`) and configures it as the revenue
/// comparison's lookup on `invoice_id`; the assay.toml as it was before.
pub fn configure_blocklist(ws: &Path, ids: &[String]) -> String {
    std::fs::write(
        ws.join("blocklist.csv"),
        format!("inv\n{}\n", ids.join("\n")),
    )
    .unwrap();
    let config = ws.join("assay.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    let tolerance = "tolerance = { absolute = 1.0, relative = 0.0005 }";
    let lookup =
        "explain = { lookups = [{ file = \"blocklist.csv\", on = { invoice_id = \"inv\" } }] }";
    let with_lookup = original.replacen(tolerance, &format!("{tolerance}\n{lookup}"), 1);
    assert_ne!(with_lookup, original);
    std::fs::write(&config, with_lookup).unwrap();
    original
}

/// The demo's invoices legacy missed at its cut-off (one-sided, not cancelled), read from
/// the cache after a compare imported the legacy exports: a blocklist for lookup tests.
pub fn missed_at_cutoff(ws: &Path) -> Vec<String> {
    let out = assay(ws, &["compare", "revenue"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let cache = assay_engine::config::Workspace::load(ws)
        .unwrap()
        .cache_path();
    let read_only = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(&cache, read_only).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT CAST(invoice_id AS VARCHAR) FROM gold.fct_sales WHERE invoice_type <> 'CANCELLED' \
             AND invoice_id NOT IN (SELECT invoice_id FROM legacy.sales) ORDER BY 1",
        )
        .unwrap();
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(ids.len() > 5, "{ids:?}");
    ids
}

/// A server on 127.0.0.1 that accepts connections and never says a word; its port.
pub fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream); // accept, then say nothing
        }
    });
    port
}

/// The columns of the cache's legacy rows of `export` (without `_source`): (name, DuckDB type).
pub fn legacy_columns(ws: &Path, export: &str) -> Vec<(String, String)> {
    let described = sql_csv(
        ws,
        &format!(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * EXCLUDE (_source) FROM legacy.{export})"
        ),
    );
    described
        .lines()
        .skip(1)
        .map(|l| {
            let (n, t) = l.split_once(',').unwrap();
            (n.to_string(), t.trim_matches('"').to_string())
        })
        .collect()
}

/// Copy the folder `from` (and everything under it) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The JSON report of `assay compare NAME` in `ws` (which exits 0 or 1).
pub fn compare_report(ws: &Path, name: &str) -> serde_json::Value {
    let out = assay(ws, &["compare", name, "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    all[name].clone()
}

/// A tool the test script installs: the path in the environment variable `var` (the script
/// sets it), else `under_home` below `$HOME` (where the script puts it).
pub fn installed(var: &str, under_home: &str) -> std::path::PathBuf {
    std::env::var_os(var).map_or_else(
        || std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(under_home),
        std::path::PathBuf::from,
    )
}
