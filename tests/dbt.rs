//! A dbt project as the builder: `assay demo --dbt` writes the demo's models as a dbt
//! project (sources on bronze, refs between models, schema tests), `assay build` runs real
//! `dbt build` (dbt-core + dbt-duckdb, installed by scripts/test.sh) into the cache, and
//! assay reads its manifest and run results: compare gives the native build's numbers, each
//! model's build and each dbt test is in the catalog, `assay models` shows the lineage.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Where dbt is: `ASSAY_DBT_BIN` (scripts/test.sh sets it), else the venv it makes.
fn dbt_bin() -> PathBuf {
    let dir = installed("ASSAY_DBT_BIN", ".cache/assay-dbt/bin");
    assert!(
        dir.join("dbt").is_file(),
        "no dbt in {}: scripts/test.sh installs dbt-core and dbt-duckdb there",
        dir.display()
    );
    dir
}

/// `assay ARGS` in `dir` with dbt on PATH.
fn assay_dbt(dir: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        dbt_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn json(ws: &Path, args: &[&str]) -> serde_json::Value {
    let out = assay_dbt(ws, args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

#[test]
fn the_demo_built_by_dbt_compares_as_the_native_build() {
    let dir = tempfile::tempdir().unwrap();
    let reports: Vec<serde_json::Value> = [("native", &[][..]), ("dbt", &["--dbt"][..])]
        .iter()
        .map(|(name, extra)| demo_revenue(dir.path(), name, extra, &assay_dbt))
        .collect();
    let (native, dbt) = (&reports[0], &reports[1]);
    assert_eq!(native["rows"], dbt["rows"], "{dbt:#}");
    assert_eq!(native["measures"], dbt["measures"], "{dbt:#}");
    let ws = dir.path().join("dbt");
    assert!(!ws.join("models").exists(), "dbt owns the models");
    // Explain reads the dbt-built gold as it reads the native one.
    let explained: Vec<serde_json::Value> = ["native", "dbt"]
        .iter()
        .map(|n| {
            json(
                &dir.path().join(n),
                &["explain", "revenue", "--format", "json"],
            )
        })
        .collect();
    for key in ["total", "remaining"] {
        assert_eq!(explained[0][key], explained[1][key], "{key}");
        assert!(
            explained[0][key].is_number() || explained[0][key].is_string(),
            "{key}"
        );
    }

    // The manifest's lineage, each model's build and each dbt test, as assay records them.
    let models = json(&ws, &["models", "--format", "json"]);
    let list = models.as_array().unwrap();
    let fct = list
        .iter()
        .find(|m| m["model"] == "gold.fct_sales")
        .unwrap_or_else(|| panic!("{models:#}"));
    assert_eq!(
        fct["reads"],
        serde_json::json!(["silver.invoice_lines", "silver.invoices"]),
        "{fct:#}"
    );
    assert!(
        fct["file"]
            .as_str()
            .unwrap()
            .ends_with("dbt/models/gold/fct_sales.sql"),
        "{fct:#}"
    );
    assert_eq!(fct["last_build"], "ok", "{fct:#}");
    assert_eq!(fct["rows"], native["rows"]["new_rows"], "{fct:#}");
    let tests = fct["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2, "{fct:#}");
    assert!(tests.iter().all(|t| t["status"] == "pass"), "{fct:#}");
    let silver = list
        .iter()
        .find(|m| m["model"] == "silver.invoices")
        .unwrap();
    assert_eq!(
        silver["reads"],
        serde_json::json!(["bronze.invoices"]),
        "{silver:#}"
    );
    assert_eq!(
        silver["read_by"],
        serde_json::json!(["gold.fct_sales"]),
        "{silver:#}"
    );

    // A dbt test that fails makes the build fail, and its verdict is recorded.
    let schema = ws.join("dbt/models/schema.yml");
    let yml = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(
        &schema,
        yml.replace(
            "      - name: net_amount\n",
            "      - name: invoice_type\n        data_tests:\n          - accepted_values:\n              values: ['STANDARD']\n      - name: net_amount\n",
        ),
    )
    .unwrap();
    let out = assay_dbt(&ws, &["build"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let models = json(&ws, &["models", "--format", "json"]);
    let fct = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "gold.fct_sales")
        .unwrap();
    let failed: Vec<&serde_json::Value> = fct["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{fct:#}");
    assert!(
        failed[0]["test"]
            .as_str()
            .unwrap()
            .starts_with("accepted_values"),
        "{fct:#}"
    );
    assert!(failed[0]["failing"].as_i64().unwrap() > 0, "{fct:#}");
    // The health view counts it: every company's tests cell says FAIL, naming the test.
    let out = assay_dbt(&ws, &["status", "--all"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stdout(&out).contains("FAIL"), "{}", text(&out));
}
