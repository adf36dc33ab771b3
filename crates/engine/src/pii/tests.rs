use std::collections::BTreeSet;

use polars::prelude::{Column, DataFrame};

use super::*;

fn model(qualified: &str, reads: &[&str]) -> (String, BTreeSet<String>) {
    (
        qualified.to_string(),
        reads.iter().map(|r| r.to_string()).collect(),
    )
}

fn policy(how: PiiMask) -> Policy {
    let config: Config = toml::from_str(&format!(
        r#"
        [workspace]
        pii_mask = "{}"
        [entities.invoices]
        source = "s"
        pii = ["Customer_Name", "customer_email"]
        [legacy.sales]
        files = "x"
        pii = ["client"]
        [models."gold.people"]
        pii = ["phone"]
        "#,
        match how {
            PiiMask::Hash => "hash",
            PiiMask::Partial => "partial",
            PiiMask::Redact => "redact",
        }
    ))
    .unwrap();
    let models = [
        model("silver.invoices", &["bronze.invoices"]),
        model("gold.fct_sales", &["silver.invoices", "silver.lines"]),
        model("gold.people", &[]),
        model("gold.stock", &["bronze.stock"]),
    ];
    Policy::declared(&config, &models, "42".into())
}

#[test]
fn marks_are_inherited_down_the_lineage() {
    let p = policy(PiiMask::Partial);
    let set = |t: &str| p.tables().get(t).cloned().unwrap_or_default();
    let invoices: BTreeSet<String> = ["customer_name".into(), "customer_email".into()].into();
    assert_eq!(set("bronze.invoices"), invoices);
    assert_eq!(set("silver.invoices"), invoices);
    assert_eq!(set("gold.fct_sales"), invoices);
    assert_eq!(set("gold.people"), ["phone".to_string()].into());
    assert!(set("gold.stock").is_empty());
    assert!(p.of_table("gold.fct_sales").masks("CUSTOMER_NAME"));
    assert!(!p.of_table("gold.stock").masks("customer_name"));
    assert!(!p.of_table("gold.fct_sales").masks("client"));
}

#[test]
fn browsed_relations_are_found_by_their_quoted_names() {
    let p = policy(PiiMask::Partial);
    assert!(p
        .of_relation("\"silver\".\"invoices\"")
        .masks("customer_name"));
    assert!(p
        .of_relation("`demo_silver`.`invoices`")
        .masks("customer_name"));
    assert!(!p.of_relation("\"gold\".\"stock\"").masks("customer_name"));
    // Not a layer table: every marked name is masked.
    assert!(p.of_relation("read_parquet('x')").masks("client"));
}

#[test]
fn a_query_masks_what_it_derives_from_marked_columns() {
    let p = policy(PiiMask::Redact);
    let q = p.of_query(
        Dialect::DuckDb,
        "SELECT customer_email AS mail, lower(customer_name), 1 AS n FROM bronze.invoices",
    );
    assert!(q.masks("mail"));
    assert!(q.masks("lower(customer_name)"));
    assert!(!q.masks("n"));
    assert_eq!(q.cell("mail", "a@b.c"), "***");
    let open = p
        .clone()
        .revealed(true)
        .of_query(Dialect::DuckDb, "SELECT * FROM t");
    assert!(!open.masks("customer_email"));
}

#[test]
fn frames_and_keys_are_masked_nulls_kept() {
    let p = policy(PiiMask::Partial);
    let df = DataFrame::new(vec![
        Column::new("id".into(), [1i64, 2]),
        Column::new("customer_name".into(), [Some("Jane Doe"), None]),
    ])
    .unwrap();
    let out = p.of_table("bronze.invoices").frame(df).unwrap();
    let cells = crate::frame::to_cells(&out);
    assert_eq!(cells[0], [Some("1".into()), Some("J*** D***".into())]);
    assert_eq!(cells[1], [Some("2".into()), None]);
    let comparison: crate::config::Comparison = toml::from_str(
        "legacy = \"sales\"\ntable = \"gold.fct_sales\"\nkeys = [\"client\"]\ncolumns = { who = \"customer_name\" }",
    )
    .unwrap();
    let shown = p.of_comparison(&comparison);
    assert!(
        shown.masks("who"),
        "a legacy name mapped to a marked new column"
    );
    assert_eq!(shown.cell("client", "ACME"), mask::hashed("ACME", "42"));
}

#[test]
fn frames_read_in_batches_are_masked_whole() {
    // Several chunks, as a query's batches arrive (polars iterates only one chunk).
    let part = |names: [&str; 2]| {
        DataFrame::new(vec![Column::new("customer_name".into(), names)]).unwrap()
    };
    let mut df = part(["Jane Doe", "John Roe"]);
    df.vstack_mut(&part(["Ann Lee", "Bo Yu"])).unwrap();
    assert!(df.first_col_n_chunks() > 1);
    let p = policy(PiiMask::Redact);
    let shown = p.of_table("silver.invoices");
    let cells = crate::frame::to_cells(&shown.frame(df.clone()).unwrap());
    assert_eq!(cells.len(), 4);
    assert!(
        cells.iter().all(|r| r[0].as_deref() == Some("***")),
        "{cells:?}"
    );
    let profile = DataFrame::new(vec![
        Column::new("column".into(), ["customer_name"]),
        Column::new("min".into(), ["Ann Lee"]),
    ])
    .unwrap();
    let mut two = profile.clone();
    two.vstack_mut(&profile).unwrap();
    let out = shown.per_column_rows(two, "column", &["min"]).unwrap();
    assert!(!format!("{out}").contains("Ann Lee"), "{out}");
}
