//! Models built at once as the DAG allows (`workspace.threads`, #33 item 5): the same
//! tables, runs and per-company rows as one after another; a failure skips only what reads
//! it (tests/pipeline.rs runs that one with the default threads).

mod common;

use std::path::Path;

use common::*;

fn set_threads(ws: &Path, n: u32) {
    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    doc["workspace"]["threads"] = toml_edit::value(n as i64);
    std::fs::write(&path, doc.to_string()).unwrap();
}

/// Every model table's rows and a checksum of its contents.
fn tables(ws: &Path) -> String {
    let names = sql_csv(
        ws,
        "SELECT table_schema || '.' || table_name FROM information_schema.tables \
         WHERE table_schema IN ('silver', 'gold') ORDER BY 1",
    );
    names
        .lines()
        .skip(1)
        .map(|t| {
            let sum = sql_csv(ws, &format!("SELECT count(*), sum(hash(t)) FROM {t} AS t"));
            format!("{t}: {}", sum.lines().nth(1).unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn models_built_at_once_give_what_one_after_another_gives() {
    let (_tmp, ws) = demo_files("2000");
    let out = assay(&ws, &["extract", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    set_threads(&ws, 1);
    let out = assay(&ws, &["build", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let one = tables(&ws);
    let order: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    set_threads(&ws, 4);
    let out = assay(&ws, &["build", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(tables(&ws), one);
    // Reported in build order, every model once, each recorded with its per-company rows.
    let at_once: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["model"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(models(&at_once), models(&order));
    let recorded = sql_csv(
        &ws,
        "SELECT count(DISTINCT r.id) FROM assay.runs r JOIN assay.run_company_rows c ON c.run_id = r.id \
         WHERE r.kind = 'build' AND r.status = 'ok'",
    );
    let n = models(&order).len() * 2;
    assert_eq!(recorded, format!("count(DISTINCT r.id)\n{n}\n"));

    // A failure skips only what reads it, at four threads too.
    std::fs::write(
        ws.join("models/gold/bad.sql"),
        "SELECT invoice_id, no_such_column FROM silver.invoices",
    )
    .unwrap();
    std::fs::write(
        ws.join("models/gold/after_bad.sql"),
        "SELECT count(*) AS n FROM gold.bad",
    )
    .unwrap();
    let out = assay(&ws, &["build", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let built: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |m: &str| {
        built
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["model"] == m)
            .map(|r| r["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status("gold.bad"), "failed");
    assert_eq!(status("gold.after_bad"), "skipped");
    assert_eq!(status("gold.fct_sales"), "ok");

    set_threads(&ws, 0);
    let out = assay(&ws, &["build"]);
    exited_saying(&out, 2, "workspace.threads");
}
