//! A legacy side that is a ClickHouse table (`[legacy.NAME] source = "…"` naming a ClickHouse
//! source, `table`, `company_column`): every company's legacy rows, as the files gave them,
//! in one table there give the numbers the files gave. Run on each ClickHouse the tests have
//! (`tests/clickhouse.rs`: 18.16; `tests/clickhouse_current.rs`: current).

use assay_engine::warehouse::bronze::clickhouse_type;
use assay_engine::warehouse::ClickHouse;

use crate::common::money::same_numbers;
use crate::common::warehouse::settings;
use crate::common::{assay, built_demo, legacy_columns, stdout, text};

pub fn legacy_from_a_clickhouse_table(url: &str) {
    let (_tmp, ws) = built_demo("600", "5");
    let by_files = stdout(&assay(&ws, &["compare", "revenue", "--format", "json"]));
    let db = format!("assay_legacy_{}", std::process::id());
    let admin = ClickHouse::connect(&settings(url, "default")).unwrap();
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let columns = legacy_columns(&ws, "sales");
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("`{n}` {}", clickhouse_type(t)))
        .collect();
    let ch = ClickHouse::connect(&settings(url, &db)).unwrap();
    ch.execute(&format!(
        "CREATE TABLE sales ({}) ENGINE = MergeTree ORDER BY tuple()",
        defs.join(", ")
    ))
    .unwrap();
    // The files' rows as the cache imported them, NULL written as ClickHouse reads it.
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let csv = ws.join("legacy-sales.csv");
    let out = assay(
        &ws,
        &[
            "sql",
            &format!(
                "COPY (SELECT {} FROM legacy.sales) TO '{}' (HEADER, NULLSTR '\\N')",
                quoted.join(", "),
                csv.display()
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ch.load_csv_into("sales", &names, &csv).unwrap();

    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut sales = toml_edit::Table::new();
    sales["source"] = toml_edit::value("old_ch");
    sales["table"] = toml_edit::value("sales");
    sales["company_column"] = toml_edit::value("_company");
    doc["legacy"]["sales"] = toml_edit::Item::Table(sales);
    let source: toml_edit::DocumentMut = format!(
        "kind = \"clickhouse\"\nurl = \"{url}\"\ndatabase = \"{db}\"\nuser = \"default\"\n"
    )
    .parse()
    .unwrap();
    doc["sources"]["old_ch"] = toml_edit::Item::Table(source.as_table().clone());
    std::fs::write(&path, doc.to_string()).unwrap();

    let out = assay(&ws, &["compare", "revenue", "--format", "json"]);
    let by_table = stdout(&out);
    assert!(by_table.starts_with('{'), "{}", text(&out));
    same_numbers(&by_table, &by_files);
    admin.execute(&format!("DROP DATABASE {db}")).unwrap();
}
