//! Legacy exports watched (their age and rows in `freshness` and `status`, a compare against
//! a stale one warned), and a legacy side read from a database table (PostgreSQL here) the
//! way extraction reads a source, giving the very numbers the files gave.

mod common;

use std::path::Path;
use std::process::Command;

use common::money::same_numbers;
use common::*;
use serde_json::Value;

/// `[legacy.sales]` gets `key = value` (a TOML value's text).
fn set_legacy(ws: &Path, pairs: &[(&str, &str)]) {
    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    for (k, v) in pairs {
        let value: toml_edit::Value = v.parse().unwrap();
        doc["legacy"]["sales"][k] = toml_edit::Item::Value(value);
    }
    std::fs::write(&path, doc.to_string()).unwrap();
}

/// Every legacy file of `company` made to look written `ago` (as `touch -d` reads it).
fn age_files(ws: &Path, company: &str, ago: &str) {
    for f in glob::glob(&ws.join(format!("legacy/{company}/*")).to_string_lossy())
        .unwrap()
        .flatten()
    {
        let ok = Command::new("touch")
            .args(["-d", ago])
            .arg(&f)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

fn legacy_row<'a>(rows: &'a Value, company: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["layer"] == "legacy" && r["company"] == company)
        .unwrap_or_else(|| panic!("no legacy row for {company}: {rows}"))
}

#[test]
fn a_stale_legacy_export_is_watched_and_warned() {
    let (_tmp, ws) = built_demo("600", "5");
    set_legacy(&ws, &[("warn_after", "\"2h\""), ("error_after", "\"1d\"")]);
    age_files(&ws, "acme", "3 hours ago");
    // Imported by a compare first, so the rows are known.
    let out = assay(&ws, &["compare", "revenue", "--format", "json"]);
    let warned = stderr(&out);
    assert!(
        warned.contains("warning: revenue: legacy.sales for acme is 3h"),
        "{}",
        text(&out)
    );
    assert!(warned.contains("past its warn_after of 2h"), "{warned}");
    assert!(!warned.contains("for borealis"), "{warned}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["revenue"]["warnings"].as_array().unwrap().len(), 1);

    let out = assay(&ws, &["freshness", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let acme = legacy_row(&rows, "acme");
    assert_eq!(acme["status"], "warn");
    assert_eq!(acme["table"], "legacy.sales");
    assert!(acme["rows"].as_i64().unwrap() > 0, "{acme}");
    assert_eq!(legacy_row(&rows, "borealis")["status"], "ok");
    let out = assay(&ws, &["status"]);
    assert!(stdout(&out).contains("legacy"), "{}", text(&out));

    age_files(&ws, "acme", "2 days ago");
    let out = assay(&ws, &["freshness", "--layer", "legacy"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = assay(&ws, &["report", "revenue"]);
    assert!(
        stdout(&out).contains("**Warning:** legacy.sales for acme is 2d"),
        "{}",
        text(&out)
    );

    // A threshold that makes no sense is named.
    set_legacy(&ws, &[("warn_after", "\"3d\"")]);
    let out = assay(&ws, &["validate"]);
    exited_saying(&out, 2, "legacy.sales.warn_after");
}

/// The column types of the legacy rows the cache holds, as PostgreSQL types.
fn postgres_type(duck: &str) -> String {
    match duck {
        "VARCHAR" => "text".into(),
        "DATE" => "date".into(),
        "BIGINT" => "bigint".into(),
        "INTEGER" => "integer".into(),
        "DOUBLE" => "double precision".into(),
        "BOOLEAN" => "boolean".into(),
        "TIMESTAMP" => "timestamp".into(),
        d if d.starts_with("DECIMAL") => d.replace("DECIMAL", "numeric"),
        other => panic!("no PostgreSQL type for {other}"),
    }
}

#[test]
fn legacy_from_a_postgres_table_gives_the_numbers_the_files_gave() {
    let (_tmp, ws) = built_demo("600", "5");
    let files = assay(&ws, &["compare", "revenue", "--format", "json"]);
    let by_files = stdout(&files);
    // Every company's legacy rows, as the files gave them, into one PostgreSQL table.
    let columns = legacy_columns(&ws, "sales");
    let table = unique("legacy_sales");
    let mut pg = postgres::Client::connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test",
        postgres::NoTls,
    )
    .unwrap();
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("\"{n}\" {}", postgres_type(t)))
        .collect();
    pg.batch_execute(&format!("CREATE TABLE {table} ({})", defs.join(", ")))
        .unwrap();
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let rows = sql_csv(
        &ws,
        &format!("SELECT {} FROM legacy.sales", names.join(", ")),
    );
    let mut writer = pg
        .copy_in(&format!(
            "COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .unwrap();
    std::io::Write::write_all(&mut writer, rows.as_bytes()).unwrap();
    writer.finish().unwrap();

    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut sales = toml_edit::Table::new();
    sales["source"] = toml_edit::value("old_bi");
    sales["table"] = toml_edit::value(format!("public.{table}"));
    sales["company_column"] = toml_edit::value("_company");
    doc["legacy"]["sales"] = toml_edit::Item::Table(sales);
    let source: toml_edit::DocumentMut = "kind = \"postgres\"\nhost = \"127.0.0.1\"\nport = 5432\ndatabase = \"test\"\nuser = \"postgres\"\n".parse().unwrap();
    doc["sources"]["old_bi"] = toml_edit::Item::Table(source.as_table().clone());
    std::fs::write(&path, doc.to_string()).unwrap();

    let out = assay(&ws, &["compare", "revenue", "--format", "json"]);
    let by_table = stdout(&out);
    assert!(by_table.starts_with('{'), "{}", text(&out));
    same_numbers(&by_table, &by_files);
    // Read again at every compare: a row gone from the table is seen at once.
    pg.batch_execute(&format!(
        "DELETE FROM {table} WHERE invoice_id = (SELECT min(invoice_id) FROM {table} WHERE _company = 'acme')"
    ))
    .unwrap();
    let again = stdout(&assay(&ws, &["compare", "revenue", "--format", "json"]));
    let rows = |body: &str| {
        serde_json::from_str::<Value>(body).unwrap()["revenue"]["rows"]["legacy_rows"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(rows(&again), rows(&by_files) - 1);
    // History tells the changed table from the unchanged one.
    let history: Value =
        serde_json::from_slice(&assay(&ws, &["history", "revenue", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(
        history[0]["changes"][0], "legacy replaced: acme",
        "{history}"
    );
    pg.batch_execute(&format!("DROP TABLE {table}")).unwrap();

    // A table holding every company without a company column is refused, named.
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    doc["legacy"]["sales"]
        .as_table_mut()
        .unwrap()
        .remove("company_column");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = assay(&ws, &["compare", "revenue"]);
    exited_saying(&out, 2, "legacy.sales.company_column");
}

#[test]
fn legacy_from_a_duckdb_file_gives_the_numbers_the_files_gave() {
    let (tmp, ws) = built_demo("600", "5");
    let by_files = stdout(&assay(&ws, &["compare", "revenue", "--format", "json"]));
    // The old BI tool's database: a DuckDB file with one table per company.
    let parquet = tmp.path().join("legacy.parquet");
    let out = assay(
        &ws,
        &[
            "sql",
            &format!(
                "COPY (SELECT * EXCLUDE (_source) FROM legacy.sales) TO '{}' (FORMAT parquet)",
                parquet.display()
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let old_bi = tmp.path().join("old_bi");
    std::fs::create_dir_all(&old_bi).unwrap();
    std::fs::write(
        old_bi.join("assay.toml"),
        "[workspace]\nname = \"old bi\"\n",
    )
    .unwrap();
    for company in [
        "acme", "borealis", "cobalt", "dunmore", "ember", "fjord", "lumen", "nordwind",
    ] {
        let out = assay(
            &old_bi,
            &[
                "sql",
                &format!(
                    "CREATE TABLE main.sales_{company} AS SELECT * EXCLUDE (_company) \
                     FROM read_parquet('{}') WHERE _company = '{company}'",
                    parquet.display()
                ),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut sales = toml_edit::Table::new();
    sales["source"] = toml_edit::value("old_bi");
    sales["table"] = toml_edit::value("sales_{company}");
    doc["legacy"]["sales"] = toml_edit::Item::Table(sales);
    let file = old_bi.join(".assay/cache.duckdb");
    let source: toml_edit::DocumentMut =
        format!("kind = \"duckdb\"\npath = \"{}\"\n", file.display())
            .parse()
            .unwrap();
    doc["sources"]["old_bi"] = toml_edit::Item::Table(source.as_table().clone());
    std::fs::write(&path, doc.to_string()).unwrap();

    let out = assay(&ws, &["compare", "revenue", "--format", "json"]);
    let by_table = stdout(&out);
    assert!(by_table.starts_with('{'), "{}", text(&out));
    same_numbers(&by_table, &by_files);
    let source = sql_csv(
        &ws,
        "SELECT DISTINCT _source FROM legacy.sales WHERE _company = 'acme'",
    );
    assert!(
        source.contains("old_bi: SELECT * FROM sales_acme"),
        "{source}"
    );
}
