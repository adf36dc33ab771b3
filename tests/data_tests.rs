//! `assay test`: each kind of data test passes and fails on purpose-built data, per company,
//! with failing rows kept; exit codes 0 pass / 1 warn / 2 fail / 3 error; results recorded.

mod common;

use common::*;

const TESTS: &str = include_str!("fixtures/data_tests.toml");

fn outcome<'a>(all: &'a serde_json::Value, test: &str, company: &str) -> &'a serde_json::Value {
    all.as_array()
        .unwrap()
        .iter()
        .find(|o| o["test"] == test && o["company"] == company)
        .unwrap_or_else(|| panic!("{test} / {company}: {all}"))
}

#[test]
fn each_kind_of_data_test_passes_and_fails_per_company() {
    let (_dir, ws) = built_demo("2000", "8");
    std::fs::write(
        ws.join("models/gold/tt.sql"),
        "SELECT * FROM (VALUES ('acme', 1, 'A', 10.0, 1), ('acme', 2, 'B', -5.0, 2), \
         ('acme', 2, 'A', 1.0, 9), ('lumen', 3, NULL, 3.0, 1)) AS v(company, id, code, amount, ref)\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("models/silver/refs.sql"),
        "SELECT * FROM (VALUES (1), (2)) AS v(ref)\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(ws.join("assay.toml"), format!("{config}\n{TESTS}")).unwrap();
    let out = assay(&ws, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let only = ["--company", "acme", "--company", "lumen"];
    let out = assay(&ws, &[&["test", "--format", "json"][..], &only].concat());
    assert_eq!(out.status.code(), Some(2), "a failure: {}", text(&out));
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let status = |t: &str, c: &str| outcome(&all, t, c)["status"].as_str().unwrap().to_string();
    let failing = |t: &str, c: &str| outcome(&all, t, c)["failing"].as_i64().unwrap();
    assert_eq!(status("ids_not_null", "acme"), "pass");
    assert_eq!(status("code_not_null", "acme"), "pass");
    assert_eq!(
        (
            status("code_not_null", "lumen").as_str(),
            failing("code_not_null", "lumen")
        ),
        ("fail", 1)
    );
    assert_eq!(
        (
            status("id_unique", "acme").as_str(),
            failing("id_unique", "acme")
        ),
        ("fail", 1)
    );
    assert_eq!(status("id_unique", "lumen"), "pass");
    assert_eq!(
        (
            status("code_values", "acme").as_str(),
            failing("code_values", "acme")
        ),
        ("warn", 1)
    );
    assert_eq!(
        status("code_values", "lumen"),
        "pass",
        "NULL is not a value"
    );
    assert_eq!(
        (
            status("amount_positive", "acme").as_str(),
            failing("amount_positive", "acme")
        ),
        ("fail", 1)
    );
    assert_eq!(
        (
            status("ref_exists", "acme").as_str(),
            failing("ref_exists", "acme")
        ),
        ("fail", 1)
    );
    assert_eq!(status("ref_exists", "lumen"), "pass");
    assert_eq!(status("enough_rows", "acme"), "pass");
    assert_eq!(
        (
            status("enough_rows", "lumen").as_str(),
            failing("enough_rows", "lumen")
        ),
        ("fail", 1)
    );
    // The failing rows themselves are kept.
    let sample = &outcome(&all, "ref_exists", "acme")["samples"][0];
    assert_eq!(sample["ref"], "9", "{sample}");
    assert_eq!(
        outcome(&all, "id_unique", "acme")["samples"][0]["rows"],
        "2"
    );

    // Only warnings: exit 1. The table lists what did not pass.
    let out = assay(
        &ws,
        &[&["test", "--select", "code_values"][..], &only].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("code_values  acme"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("1 of 2 test × company passed"),
        "{}",
        stdout(&out)
    );
    // A test that cannot run (a column the table lacks) is an error: exit 3, named.
    let broken = format!(
        "{config}\n[tests.broken]\ntable = \"gold.tt\"\nkind = \"not_null\"\ncolumns = [\"nope\"]\n"
    );
    std::fs::write(ws.join("assay.toml"), broken).unwrap();
    let out = assay(&ws, &[&["test", "--format", "json"][..], &only].concat());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stdout(&out).contains("`nope` is not a column of gold.tt"),
        "{}",
        stdout(&out)
    );
    // `[checks] after_build`: a build that succeeds runs the tests; theirs is its exit code.
    std::fs::write(
        ws.join("assay.toml"),
        format!(
            "{config}
{TESTS}
[checks]
after_build = true
"
        ),
    )
    .unwrap();
    let out = assay(&ws, &["build", "--select", "tt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("data tests: "), "{}", text(&out));
    // Every evaluation is recorded in the catalog.
    let recorded = sql_csv(&ws, "SELECT count(DISTINCT run_id) FROM assay.test_results");
    assert_eq!(recorded.lines().nth(1), Some("4"), "{recorded}");
}

#[test]
fn a_test_missing_what_its_kind_needs_is_named_by_validate() {
    let (_dir, ws) = built_demo("500", "2");
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        format!("{config}\n[tests.x]\ntable = \"gold.fct_sales\"\nkind = \"accepted_values\"\ncolumns = [\"invoice_type\"]\n"),
    )
    .unwrap();
    let out = assay(&ws, &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("tests.x.values"), "{}", text(&out));
}

/// The tests' latest verdicts are a column of `assay status`.
#[test]
fn status_shows_the_latest_test_verdicts() {
    let (_dir, ws) = built_demo("1000", "3");
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        format!("{config}\n[tests.some_rows]\ntable = \"gold.fct_sales\"\nkind = \"row_count\"\nmax = 0\nseverity = \"warn\"\n"),
    )
    .unwrap();
    assert_eq!(assay(&ws, &["status"]).status.code(), Some(0));
    assert_eq!(assay(&ws, &["test"]).status.code(), Some(1));
    let out = assay(&ws, &["status", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(m["columns"].as_array().unwrap().last().unwrap(), "tests");
    let cell = m["companies"][0]["cells"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(cell["text"], "warn", "{cell}");
    assert!(
        cell["reason"].as_str().unwrap().contains("some_rows warn"),
        "{cell}"
    );
}
