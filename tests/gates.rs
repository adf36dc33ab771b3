//! CI gates on more than measures: `compare --fail-on` and `fail_on`, with a row tolerance.
//! Totals that agree must not pass a gate on rows when an invoice is missing.

mod common;

use std::path::Path;

use common::*;

/// Legacy has invoice 3 (worth 0.00, so the totals agree) which new lacks; invoice 2's kind
/// differs.
fn sides(dir: &Path, new_header: &str, new_rows: &str) {
    std::fs::write(
        dir.join("legacy.csv"),
        "id,amount,kind\n1,10.00,A\n2,20.00,B\n3,0.00,C\n",
    )
    .unwrap();
    std::fs::write(dir.join("new.csv"), format!("{new_header}\n{new_rows}")).unwrap();
}

fn adhoc(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "compare",
        "--legacy",
        "legacy.csv",
        "--new",
        "new.csv",
        "--key",
        "id",
        "--measure",
        "amount",
    ];
    args.extend(extra);
    assay(dir, &args)
}

#[test]
fn each_class_fails_its_own_gate() {
    let dir = tempfile::tempdir().unwrap();
    sides(dir.path(), "id,amount,kind", "1,10.00,A\n2,20.00,X\n");
    let out = adhoc(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "totals agree: {}", text(&out));
    let out = adhoc(dir.path(), &["--fail-on", "measures"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = adhoc(dir.path(), &["--fail-on", "measures,rows"]);
    exited_saying(
        &out,
        1,
        "adhoc fails on rows: 1 only in legacy, 0 only in new",
    );
    let out = adhoc(dir.path(), &["--fail-on", "columns"]);
    exited_saying(
        &out,
        1,
        "adhoc fails on columns: values differ in kind (1 rows)",
    );
    let out = adhoc(dir.path(), &["--fail-on", "schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    sides(
        dir.path(),
        "id,amount,kind,note",
        "1,10.00,A,x\n2,20.00,B,y\n3,0.00,C,z\n",
    );
    let out = adhoc(dir.path(), &["--fail-on", "schema,rows,columns"]);
    exited_saying(&out, 1, "adhoc fails on schema: note added");
    assert!(!text(&out).contains("fails on rows"), "{}", text(&out));
    let out = adhoc(dir.path(), &["--fail-on", "rows,bogus"]);
    exited_saying(
        &out,
        2,
        "unknown class `bogus`; use measures, rows, columns, schema",
    );
}

#[test]
fn a_comparison_gates_on_rows_within_its_row_tolerance() {
    let (_dir, ws) = built_demo("3000", "31");
    let config = ws.join("assay.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let with = |rows: &str| {
        let t = toml.replace(
            "tolerance = { absolute = 1.0, relative = 0.0005 }",
            &format!(
                "tolerance = {{ absolute = 100000000.0, relative = 0.0005, rows = {rows} }}\nfail_on = [\"measures\", \"rows\"]"
            ),
        );
        assert_ne!(t, toml);
        std::fs::write(&config, t).unwrap();
    };
    // Measures within the (wide) tolerance; the invoices only gold has are too many.
    with("0");
    let out = assay(&ws, &["compare", "revenue"]);
    exited_saying(&out, 1, "revenue fails on rows:");
    with("100000");
    let out = assay(&ws, &["compare", "revenue"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // --fail-on replaces the configured classes.
    let out = assay(&ws, &["compare", "revenue", "--fail-on", "schema"]);
    exited_saying(&out, 1, "revenue fails on schema:");
    // A class the config does not know is named with its line.
    std::fs::write(
        &config,
        toml.replace(
            "normalize_text = true",
            "normalize_text = true\nfail_on = [\"rowz\"]",
        ),
    )
    .unwrap();
    let out = assay(&ws, &["validate"]);
    exited_saying(&out, 2, "rowz");
    assert!(text(&out).contains("assay.toml:"), "{}", text(&out));
}
