//! Legacy exports of the demo, with all their quirks, read into the cache with the hints
//! from assay.toml; unchanged files are not read again.

mod common;

use std::process::Command;

use common::money;

use assay_engine::config::Workspace;
use assay_engine::legacy;
use assay_engine::store::Store;

#[test]
fn demo_exports_import_with_their_quirks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(tmp.path())
        .args(["demo", "ws", "--rows", "6000", "--seed", "9"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let summary = String::from_utf8_lossy(&out.stdout).to_string();
    let legacy_total = summary
        .lines()
        .find(|l| l.starts_with("Planted gap"))
        .and_then(|l| l.split_whitespace().nth(6))
        .map(|v| money::exact(v.trim_end_matches(',')))
        .unwrap();
    let ws = Workspace::load(&tmp.path().join("ws")).unwrap();
    let store = Store::open(&ws.cache_path()).unwrap();
    let first = legacy::import_all(&ws, &store, None, false).unwrap();
    assert_eq!(first.len(), 8);
    assert!(first.iter().all(|i| !i.unchanged && i.rows > 0));
    let q = |sql: &str| -> String {
        store
            .conn()
            .query_row(sql, [], |r| r.get::<_, String>(0))
            .unwrap()
    };
    // Every company lands with the same column names and types; figures as the exact
    // DECIMAL their text needs (two places), not DOUBLE (Lumen writes decimal commas).
    assert_eq!(
        q("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'legacy' AND table_name = 'sales__lumen'"),
        "invoice_id VARCHAR, invoice_date DATE, branch VARCHAR, customer_id VARCHAR, invoice_type VARCHAR, net_amount DECIMAL(18,2), _company VARCHAR, _source VARCHAR"
    );
    for company in ["borealis", "fjord", "cobalt"] {
        assert_eq!(
            q(&format!("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'legacy' AND table_name = 'sales__{company}'")),
            "invoice_id,invoice_date,branch,customer_id,invoice_type,net_amount,_company,_source",
            "{company}"
        );
    }
    let total = money::exact(&q(
        "SELECT CAST(sum(net_amount) AS VARCHAR) FROM legacy.sales",
    ));
    assert_eq!(total, legacy_total, "legacy {total} vs demo {legacy_total}");
    let rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM legacy.sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, first.iter().map(|i| i.rows).sum::<i64>());
    // Unchanged files are not read again; a touched file is.
    let again = legacy::import_all(&ws, &store, None, false).unwrap();
    assert!(again.iter().all(|i| i.unchanged));
    let file = ws.path("legacy/acme/sales_2024.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}ACM-99999999,2024-12-31,north,C00001,SALE,1.00\n"),
    )
    .unwrap();
    let third = legacy::import_all(&ws, &store, None, false).unwrap();
    let acme = third.iter().find(|i| i.company == "acme").unwrap();
    assert!(!acme.unchanged);
    assert_eq!(
        acme.rows,
        first.iter().find(|i| i.company == "acme").unwrap().rows + 1
    );
    assert!(third
        .iter()
        .filter(|i| i.company != "acme")
        .all(|i| i.unchanged));
}

#[test]
fn a_malformed_export_names_the_file_and_keeps_the_previous_import() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(tmp.path())
        .args(["demo", "ws", "--rows", "2000"])
        .output()
        .unwrap()
        .status
        .success());
    let ws = Workspace::load(&tmp.path().join("ws")).unwrap();
    let store = Store::open(&ws.cache_path()).unwrap();
    let before = legacy::import(&ws, &store, "sales", "dunmore", false).unwrap();
    let file = ws.path("legacy/dunmore/sales_2023.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}DUN-1,2023-05-05,main,C1,SALE,12.00,unexpected,\"unterminated\n"),
    )
    .unwrap();
    let err = legacy::import(&ws, &store, "sales", "dunmore", false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sales_2023.csv") || err.contains("legacy.sales for dunmore"),
        "{err}"
    );
    let rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM legacy.sales__dunmore", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, before.rows);
}
