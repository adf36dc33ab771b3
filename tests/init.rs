//! `assay init` on a copy of the demo's legacy folder beside the demo's cache (its gold):
//! the proposed assay.toml validates, says why beside each choice, and its comparison gives
//! the demo's own compare numbers.

mod common;

use std::path::Path;

use common::*;

fn copy_dir(from: &Path, to: &Path) {
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

/// `DIR/audit`: the demo's `legacy/` folder and its cache (its layers), nothing else.
fn audit_copy(demo: &Path, dir: &Path) -> std::path::PathBuf {
    let ws = dir.join("audit");
    copy_dir(&demo.join("legacy"), &ws.join("legacy"));
    std::fs::create_dir_all(ws.join(".assay")).unwrap();
    std::fs::copy(
        demo.join(".assay/cache.duckdb"),
        ws.join(".assay/cache.duckdb"),
    )
    .unwrap();
    ws
}

fn report(ws: &Path, name: &str) -> serde_json::Value {
    let out = assay(ws, &["compare", name, "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    all[name].clone()
}

#[test]
fn init_proposes_a_workspace_that_compares_as_the_demo() {
    let (_demo_dir, demo) = built_demo("3000", "7");
    let theirs = report(&demo, "revenue");
    let dir = tempfile::tempdir().unwrap();
    let ws = audit_copy(&demo, dir.path());

    let out = assay(&ws, &["init", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let toml = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    // Why each choice was made, above it.
    for said in [
        "# unique within each company on all",
        "# decimal columns of the export",
        "only in case or spacing",
        "headers differ from the other companies'",
        "writes it differently: delimiter ';', decimal ','",
    ] {
        assert!(toml.contains(said), "{said}: {toml}");
    }
    assert!(
        toml.contains("files = \"legacy/{company}/sales_*.csv\""),
        "{toml}"
    );
    assert!(toml.contains("table = \"gold.fct_sales\""), "{toml}");
    assert!(toml.contains("keys = [\"invoice_id\"]"), "{toml}");
    let out = assay(&ws, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ours = report(&ws, "sales");
    assert_eq!(theirs["rows"], ours["rows"], "{toml}\n{ours:#}");
    assert_eq!(theirs["measures"], ours["measures"], "{toml}\n{ours:#}");

    // On a terminal each choice of the comparison is asked about: Enter keeps it, `none`
    // drops a list, other text replaces it (driven through a pseudo-terminal by `script`).
    std::fs::remove_file(ws.join("assay.toml")).unwrap();
    let mut child = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} init", env!("CARGO_BIN_EXE_assay")),
            "/dev/null",
        ])
        .current_dir(&ws)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) gives the prompts a terminal");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        // Two overrides (fjord's renames, lumen's format) are asked about first: both kept.
        .write_all(b"\n\n\n\nnone\nbranch\n\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("keep? [Enter = yes"), "{}", text(&out));
    let asked = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    assert!(
        asked.contains("# given at `assay init`\ndimensions = [\"branch\"]"),
        "{asked}"
    );
    assert!(!asked.contains("measures ="), "{asked}");
    assert!(asked.contains("keys = [\"invoice_id\"]"), "{asked}");
    assert!(asked.contains("[legacy.sales.overrides.lumen]"), "{asked}");

    // An existing config is kept unless --force; a folder with no exports is named.
    let out = assay(&ws, &["init", "--yes"]);
    exited_saying(&out, 2, "exists; --force replaces it");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = assay(&empty, &["init", "--yes"]);
    exited_saying(&out, 2, "no legacy exports");
}

/// With the layers in ClickHouse (the real 18.16 server): `--clickhouse-url` and
/// `--clickhouse-database` point init at them; the chosen table's key and text columns are
/// brought in to be looked at, and the proposal compares as the demo's own config.
#[test]
fn init_finds_the_comparison_in_a_clickhouse_warehouse() {
    let db = format!("assay_init_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = assay(
        dir.path(),
        &[
            "demo",
            "demo",
            "--rows",
            "3000",
            "--seed",
            "7",
            "--warehouse",
            "clickhouse",
            "--clickhouse-database",
            &db,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for args in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&demo, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let theirs = report(&demo, "revenue");
    let ws = dir.path().join("audit");
    copy_dir(&demo.join("legacy"), &ws.join("legacy"));
    let out = assay(
        &ws,
        &[
            "init",
            "--yes",
            "--clickhouse-url",
            "http://127.0.0.1:8123",
            "--clickhouse-database",
            &db,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let toml = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    assert!(toml.contains("kind = \"clickhouse\""), "{toml}");
    assert!(toml.contains("table = \"gold.fct_sales\""), "{toml}");
    let ours = report(&ws, "sales");
    assert_eq!(theirs["rows"], ours["rows"], "{toml}\n{ours:#}");
    assert_eq!(theirs["measures"], ours["measures"], "{toml}\n{ours:#}");
    let admin = assay_engine::warehouse::ClickHouse::connect(
        &assay_engine::config::Warehouse::clickhouse("http://127.0.0.1:8123", "default", 30),
    )
    .unwrap();
    for d in [
        db.clone(),
        format!("{db}_bronze"),
        format!("{db}_silver"),
        format!("{db}_gold"),
    ] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS `{d}`"))
            .unwrap();
    }
}

/// Workbooks with a sheet named after each company: init proposes `sheet = "{company}"`,
/// and the comparison gives the workbook demo's own numbers.
#[test]
fn init_reads_workbooks_by_their_company_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = demo_revenue(dir.path(), "xlsx", &["--legacy-format", "xlsx"], &assay);
    let demo = dir.path().join("xlsx");
    let ws = audit_copy(&demo, dir.path());
    let out = assay(&ws, &["init", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let toml = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    assert!(
        toml.contains("files = \"legacy/{company}/sales_*.xlsx\""),
        "{toml}"
    );
    assert!(toml.contains("sheet = \"{company}\""), "{toml}");
    let ours = report(&ws, "sales");
    assert_eq!(theirs["rows"], ours["rows"], "{toml}\n{ours:#}");
    assert_eq!(theirs["measures"], ours["measures"], "{toml}\n{ours:#}");
}
