//! `assay init` on a copy of the demo's legacy folder beside the demo's cache (its gold):
//! the proposed assay.toml validates, says why beside each choice, and its comparison gives
//! the demo's own compare numbers.

mod common;

use std::path::Path;

use common::*;

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

#[test]
fn init_proposes_a_workspace_that_compares_as_the_demo() {
    let (_demo_dir, demo) = built_demo("3000", "7");
    let theirs = compare_report(&demo, "revenue");
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
    let ours = compare_report(&ws, "sales");
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

#[path = "on_clickhouse/init.rs"]
mod on_clickhouse;

/// With the layers in ClickHouse (the real 18.16 server).
#[test]
fn init_finds_the_comparison_in_a_clickhouse_warehouse() {
    on_clickhouse::init_finds_the_comparison(common::warehouse::URL);
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
    let ours = compare_report(&ws, "sales");
    assert_eq!(theirs["rows"], ours["rows"], "{toml}\n{ours:#}");
    assert_eq!(theirs["measures"], ours["measures"], "{toml}\n{ours:#}");
}
