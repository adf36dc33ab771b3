use super::*;

const MANIFEST: &str = r#"{
  "metadata": {"dbt_version": "1.10.0"},
  "nodes": {
    "model.demo.invoices": {"resource_type": "model", "name": "invoices", "schema": "silver",
      "alias": "invoices", "original_file_path": "models/silver/invoices.sql",
      "raw_code": "select * from {{ source('bronze', 'invoices') }}",
      "depends_on": {"macros": [], "nodes": ["source.demo.bronze.invoices"]}, "config": {}},
    "model.demo.fct_sales": {"resource_type": "model", "name": "fct_sales", "schema": "gold",
      "original_file_path": "models/gold/fct_sales.sql", "raw_code": "select * from {{ ref('invoices') }}",
      "compiled_code": "select * from \"cache\".\"silver\".\"invoices\"",
      "depends_on": {"nodes": ["model.demo.invoices"]}, "config": {"materialized": "table"}},
    "test.demo.unique_fct_sales_invoice_id.1": {"resource_type": "test", "name": "unique_fct_sales_invoice_id",
      "schema": "gold", "attached_node": "model.demo.fct_sales", "column_name": "invoice_id",
      "test_metadata": {"name": "unique", "kwargs": {}}, "depends_on": {"nodes": ["model.demo.fct_sales"]},
      "config": {"severity": "WARN"}}
  },
  "sources": {
    "source.demo.bronze.invoices": {"name": "invoices", "source_name": "bronze", "schema": "bronze",
      "identifier": "invoices", "loaded_at_field": "_loaded_at",
      "freshness": {"warn_after": {"count": 2, "period": "day"}, "error_after": {"count": 12, "period": "hour"}}}
  }
}"#;

#[test]
fn models_tests_and_freshness_come_from_the_manifest() {
    let m = Manifest::parse(MANIFEST);
    let models = m.models(Path::new("/p"));
    let names: Vec<String> = models.iter().map(Model::qualified).collect();
    assert_eq!(names, ["gold.fct_sales", "silver.invoices"]);
    assert_eq!(
        models[0].reads.iter().collect::<Vec<_>>(),
        ["silver.invoices"]
    );
    assert_eq!(
        models[1].reads.iter().collect::<Vec<_>>(),
        ["bronze.invoices"]
    );
    assert!(
        models[0].sql.contains("\"silver\".\"invoices\""),
        "compiled SQL is shown"
    );
    assert_eq!(models[1].path, Path::new("/p/models/silver/invoices.sql"));
    let tests = m.tests();
    assert_eq!(tests[0].table, "gold.fct_sales");
    assert_eq!(tests[0].kind, "unique");
    assert_eq!(tests[0].severity, crate::config::Severity::Warn);
    assert_eq!(
        m.freshness("bronze.invoices"),
        Some((Some(172_800), Some(43_200)))
    );
    assert_eq!(m.freshness("bronze.orders"), None);
}

#[test]
fn test_results_become_verdicts() {
    let m = Manifest::parse(MANIFEST);
    let results: RunResults = serde_json::from_str(
        r#"{"results": [
            {"unique_id": "model.demo.fct_sales", "status": "success", "execution_time": 0.5},
            {"unique_id": "test.demo.unique_fct_sales_invoice_id.1", "status": "warn", "failures": 3,
             "message": "Got 3 results, configured to warn if != 0"}]}"#,
    )
    .unwrap();
    let verdicts = test_outcomes(&m.tests(), &results.results);
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].status, TestStatus::Warn);
    assert_eq!(verdicts[0].failing, 3);
    assert_eq!(verdicts[0].table, "gold.fct_sales");
    assert!(verdicts[0]
        .error
        .as_deref()
        .unwrap()
        .contains("Got 3 results"));
}

#[test]
fn a_broken_manifest_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("target")).unwrap();
    std::fs::write(
        dir.path().join("target/manifest.json"),
        "{\n  \"nodes\": [\n",
    )
    .unwrap();
    let err = manifest(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("manifest.json: not a dbt manifest, line"),
        "{err}"
    );
    let missing = manifest(&dir.path().join("nowhere"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("layers.dbt_project: cannot read"),
        "{missing}"
    );
    assert!(
        models(&dir.path().join("nowhere")).unwrap().is_empty(),
        "not built yet"
    );
}
