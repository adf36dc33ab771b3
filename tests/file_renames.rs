//! A company's exports are several files (`orders_2023.csv`, `orders_2024.csv`); a column
//! renamed in one of them, or in all of them since the last run, is named with the line
//! that maps it. Before: one renamed file failed the load with DuckDB's raw Binder Error,
//! and a rename to an unlike name in every file said only that a column was missing.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn order_files(ws: &Path, company: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = glob::glob(&format!(
        "{}/sources/files/{company}/orders_*.csv",
        ws.display()
    ))
    .unwrap()
    .map(|p| p.unwrap())
    .collect();
    files.sort();
    files
}

/// `file`'s header with `from` spelt `to`.
fn rename_in(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let header: Vec<&str> = header
        .split(',')
        .map(|c| if c == from { to } else { c })
        .collect();
    std::fs::write(file, format!("{}\n{rest}", header.join(","))).unwrap();
}

fn orders_total(ws: &Path) -> String {
    sql_csv(
        ws,
        "SELECT count(*) || ' ' || sum(amount) FROM bronze.orders WHERE _company = 'acme'",
    )
}

fn add_override(ws: &Path, text: &str) {
    let path = ws.join("assay.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(text);
    std::fs::write(&path, config).unwrap();
}

#[test]
fn a_column_renamed_in_one_file_of_several_is_named_with_its_rename_line() {
    let (_dir, ws) = built_demo("2000", "5");
    let before = orders_total(&ws);
    let files = order_files(&ws, "acme");
    assert!(files.len() >= 2, "{files:?}");
    let last = files.last().unwrap();
    rename_in(last, "amount", "amount_eur");
    let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(!said.contains("Binder Error"), "{said}");
    let name = last.file_name().unwrap().to_string_lossy();
    assert!(said.contains(&*name), "{said}");
    assert!(
        said.contains("rename = { amount_eur = \"amount\" }"),
        "{said}"
    );
    // The line it gives, for this company, makes the extraction whole again.
    add_override(
        &ws,
        "\n[entities.orders.overrides.acme]\nrename = { amount_eur = \"amount\" }\n",
    );
    let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(orders_total(&ws), before);
}

#[test]
fn a_column_renamed_in_every_file_is_a_likely_rename() {
    let (_dir, ws) = built_demo("2000", "5");
    for f in order_files(&ws, "acme") {
        rename_in(&f, "customer_id", "client_ref");
    }
    let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    let said = text(&out);
    assert!(
        said.contains("column `customer_id` looks renamed to `client_ref`")
            && said.contains("rename = { client_ref = \"customer_id\" }"),
        "{said}"
    );
}
