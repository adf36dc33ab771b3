//! Incremental extraction of files and DuckDB source files (#33): a company × entity whose
//! files and definition are those of its last run is recorded without being read again, its
//! version kept; a changed file, a changed definition or `--full-refresh` reads it again.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// (company, entity) → (unchanged, rows) of an `extract` run's JSON.
fn extracted(ws: &Path, args: &[&str]) -> Vec<(String, String, bool, i64)> {
    let mut all = vec!["extract", "--format", "json"];
    all.extend_from_slice(args);
    let out = assay(ws, &all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["company"].as_str().unwrap().to_string(),
                r["entity"].as_str().unwrap().to_string(),
                r["unchanged"].as_bool().unwrap(),
                r["rows"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn of<'a>(
    runs: &'a [(String, String, bool, i64)],
    company: &str,
    entity: &str,
) -> &'a (String, String, bool, i64) {
    runs.iter()
        .find(|r| r.0 == company && r.1 == entity)
        .unwrap_or_else(|| panic!("no {company} {entity} in {runs:?}"))
}

#[test]
fn unchanged_files_are_not_read_again_and_changed_ones_are() {
    let (_tmp, ws) = demo_files("600");
    let first = extracted(&ws, &["--all"]);
    assert!(first.iter().all(|r| !r.2), "{first:?}");
    let bronze = sql_csv(
        &ws,
        "SELECT _company, count(*) FROM bronze.invoices GROUP BY 1 ORDER BY 1",
    );

    // Nothing new: the files' runs are recorded unchanged, the database's read again.
    let second = extracted(&ws, &["--all"]);
    assert!(of(&second, "acme", "invoices").2, "{second:?}");
    assert!(of(&second, "lumen", "orders").2, "{second:?}");
    assert!(
        of(&second, "acme", "invoice_lines").2,
        "an unchanged DuckDB source file is not read again either: {second:?}"
    );
    assert_eq!(
        of(&second, "acme", "invoices").3,
        of(&first, "acme", "invoices").3
    );
    assert_eq!(
        sql_csv(
            &ws,
            "SELECT _company, count(*) FROM bronze.invoices GROUP BY 1 ORDER BY 1"
        ),
        bronze
    );
    let source = sql_csv(
        &ws,
        "SELECT source FROM assay.runs WHERE kind = 'extract' AND entity = 'invoices' \
         AND company = 'acme' ORDER BY id DESC LIMIT 1",
    );
    assert!(source.contains("unchanged since run"), "{source}");
    // Fresh: the source was looked at now.
    let out = assay(&ws, &["freshness", "--layer", "bronze", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // One of acme's invoice files gets a row: acme's invoices are read again, alone.
    let file = glob::glob(
        &ws.join("sources/files/acme/invoices_*.csv")
            .to_string_lossy(),
    )
    .unwrap()
    .flatten()
    .last()
    .unwrap();
    let text_was = std::fs::read_to_string(&file).unwrap();
    let last_line = text_was.lines().last().unwrap().to_string();
    let first_field = last_line.split(',').next().unwrap();
    let copy = last_line.replacen(first_field, &format!("{first_field}X"), 1);
    std::fs::write(&file, format!("{text_was}{copy}\n")).unwrap();
    let third = extracted(&ws, &["--all"]);
    let acme = of(&third, "acme", "invoices");
    assert!(!acme.2, "{third:?}");
    assert_eq!(acme.3, of(&first, "acme", "invoices").3 + 1);
    assert!(of(&third, "lumen", "invoices").2, "{third:?}");

    // The DuckDB source changes: its entities are read again, with the new values.
    let on_hand = |ws: &Path| {
        sql_csv(
            ws,
            "SELECT sum(on_hand) FROM bronze.stock WHERE _company = 'acme'",
        )
    };
    let was = on_hand(&ws);
    run_sql(
        &ws,
        "ATTACH 'sources/erp.duckdb' AS erp;          UPDATE erp.stock SET on_hand = on_hand + 1 WHERE company_id = 'acme'; DETACH erp",
    );
    let changed = extracted(&ws, &["--all"]);
    assert!(!of(&changed, "acme", "stock").2, "{changed:?}");
    assert!(!of(&changed, "lumen", "invoice_lines").2, "{changed:?}");
    assert_ne!(on_hand(&ws), was);
    // A query that reads the clock or draws random numbers is read every time.
    let path = ws.join("assay.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        config.replace(
            "FROM stock WHERE company_id = {company}",
            "FROM stock WHERE company_id = {company} AND random() >= 0",
        ),
    )
    .unwrap();
    extracted(&ws, &["--all"]);
    let again = extracted(&ws, &["--all"]);
    assert!(!of(&again, "acme", "stock").2, "{again:?}");
    assert!(of(&again, "acme", "invoice_lines").2, "{again:?}");
    std::fs::write(&path, config).unwrap();

    // --full-refresh reads everything.
    let fourth = extracted(&ws, &["--all", "--full-refresh"]);
    assert!(fourth.iter().all(|r| !r.2), "{fourth:?}");

    // A changed definition (a rename) reads the entity again.
    let path = ws.join("assay.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        config.replace(
            "rename = { customerId = \"customer_id\" }",
            "rename = { customerId = \"customer_id\", spare = \"spare2\" }",
        ),
    )
    .unwrap();
    let fifth = extracted(&ws, &["--all"]);
    assert!(!of(&fifth, "nordwind", "invoices").2, "{fifth:?}");
    assert!(of(&fifth, "acme", "orders").2, "{fifth:?}");
}

/// `assay sql` in workspace `ws` (statements that write).
fn run_sql(ws: &Path, statement: &str) {
    let out = assay(ws, &["sql", statement]);
    assert_eq!(out.status.code(), Some(0), "{statement}: {}", text(&out));
}

#[test]
fn a_database_cursor_reads_only_what_is_new_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    // The ERP: a DuckDB file (another workspace's cache serves as one).
    let erp = dir.path().join("erp");
    std::fs::create_dir_all(&erp).unwrap();
    std::fs::write(erp.join("assay.toml"), "[workspace]\nname = \"erp\"\n").unwrap();
    run_sql(
        &erp,
        "CREATE TABLE main.events AS SELECT * FROM (VALUES \
         (1, 'acme', 10.00, TIMESTAMP '2024-06-01 09:00:00'), \
         (2, 'acme', 20.00, TIMESTAMP '2024-06-01 10:00:00'), \
         (3, 'acme', 30.00, TIMESTAMP '2024-06-01 11:00:00'), \
         (4, 'other', 40.00, TIMESTAMP '2024-06-01 12:00:00')) \
         AS t(id, company_id, amount, updated_at)",
    );
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        format!(
            "[companies.acme]\nname = \"Acme\"\n\n[sources.erp]\nkind = \"duckdb\"\npath = \"{}\"\n\n\
             [entities.events]\nsource = \"erp\"\n\
             query = \"SELECT * EXCLUDE (company_id) FROM events WHERE company_id = {{company}}\"\n\
             keys = [\"id\"]\nincremental = {{ cursor = \"updated_at\" }}\n",
            erp.join(".assay/cache.duckdb").display()
        ),
    )
    .unwrap();
    let rows = |ws: &Path| sql_csv(ws, "SELECT id, amount FROM bronze.events ORDER BY id");
    let first = extracted(&ws, &["--all"]);
    assert_eq!(first[0].3, 3);
    // One row updated, one added: the run reads those two and keeps the third.
    run_sql(
        &erp,
        "UPDATE main.events SET amount = 21.50, updated_at = TIMESTAMP '2024-06-02 08:00:00' WHERE id = 2",
    );
    run_sql(
        &erp,
        "INSERT INTO main.events VALUES (5, 'acme', 50.00, TIMESTAMP '2024-06-02 09:00:00')",
    );
    let second = extracted(&ws, &["--all"]);
    assert_eq!(second[0].3, 4, "{second:?}");
    assert_eq!(rows(&ws), "id,amount\n1,10.00\n2,21.50\n3,30.00\n5,50.00\n");
    let read = sql_csv(
        &ws,
        "SELECT count(*) FROM bronze.events__data WHERE _run_id = (SELECT max(_run_id) FROM bronze.events__data) \
         AND _loaded_at = (SELECT max(_loaded_at) FROM bronze.events__data)",
    );
    assert_eq!(
        read, "count_star()\n2\n",
        "two rows read, the others carried"
    );
    let source = sql_csv(
        &ws,
        "SELECT source FROM assay.runs WHERE kind = 'extract' ORDER BY id DESC LIMIT 1",
    );
    assert!(
        source.contains("WHERE updated_at > '2024-06-01 11:00:00'"),
        "{source}"
    );
    // The version before stays as it was (time travel).
    let first_run = sql_csv(
        &ws,
        "SELECT min(id) AS id FROM assay.runs WHERE kind = 'extract'",
    );
    let id = first_run.lines().nth(1).unwrap().to_string();
    let out = assay(
        &ws,
        &[
            "sql",
            "--as-of",
            &id,
            "SELECT id, amount FROM bronze.events ORDER BY id",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        stdout(&out),
        "id,amount\n1,10.00\n2,20.00\n3,30.00\n",
        "{}",
        text(&out)
    );
    // A row deleted at the source is seen by a full refresh.
    run_sql(&erp, "DELETE FROM main.events WHERE id = 1");
    let third = extracted(&ws, &["--all"]);
    assert_eq!(third[0].3, 4, "a cursor does not see deletions: {third:?}");
    let full = extracted(&ws, &["--all", "--full-refresh"]);
    assert_eq!(full[0].3, 3);
    assert_eq!(rows(&ws), "id,amount\n2,21.50\n3,30.00\n5,50.00\n");

    // The source's schema drifts (a column added): everything is read again.
    run_sql(&erp, "ALTER TABLE main.events ADD COLUMN note VARCHAR");
    let drifted = extracted(&ws, &["--all"]);
    assert_eq!(drifted[0].3, 3);
    let read = sql_csv(
        &ws,
        "SELECT count(*) FROM bronze.events__data WHERE _run_id = (SELECT max(_run_id) FROM bronze.events__data) \
         AND _loaded_at = (SELECT max(_loaded_at) FROM bronze.events__data)",
    );
    assert_eq!(read, "count_star()\n3\n", "all three read after the drift");

    // A cursor without keys is named.
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        config.replace("keys = [\"id\"]\n", ""),
    )
    .unwrap();
    let out = assay(&ws, &["extract", "--all"]);
    exited_saying(&out, 2, "entities.events.keys");
}
