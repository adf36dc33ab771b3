//! `assay compare` pushed down to ClickHouse: per-company legacy CSVs, written from the
//! bench's `drill_sales` rows with planted differences, against `gold.fct_sales` in
//! ClickHouse (a view of those rows). Reports the time, what crossed the wire against the
//! table's size, and what the report found against what was planted.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::clickhouse::sales_table;
use crate::config::Workspace;
use crate::error::{IoContext, Result};
use crate::recon::configured;
use crate::recon::report::WireStep;
use crate::store::Store;
use crate::warehouse::layer_database;
use assay_engine::dialect::Dialect;

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

#[derive(Debug, Clone, Serialize)]
pub struct ClickHouseCompareBench {
    pub rows: u64,
    /// The gold rows left out of legacy.
    pub missing: &'static str,
    pub table_bytes_uncompressed: u64,
    pub planted: Rows,
    pub found: Rows,
    /// Importing the legacy CSVs into the cache (not part of the compare).
    pub import_secs: f64,
    pub compare_secs: f64,
    pub wire: Vec<WireStep>,
    pub wire_bytes: u64,
    /// Bytes on the wire / the table's uncompressed size.
    pub wire_share: f64,
    /// Rows fetched / rows in the table.
    pub fetched_share: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rows {
    pub changed: i64,
    pub only_legacy: i64,
    pub only_new: i64,
}

const COMPANIES: u64 = 8;
/// Changed: legacy says 1.00 more for one invoice in this many (scattered over every slice).
const CHANGE_EVERY: u64 = 5_003;
/// Only in legacy: one invoice in this many appears again under another id.
const EXTRA_EVERY: u64 = 100_003;
const EXTRA_ID: u64 = 1_000_000_000_000;
/// Which gold rows legacy leaves out (they are only in gold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    /// One branch-month of one company (~0.04 % of the rows).
    Block,
    /// Every cancelled invoice (a quarter of the rows): a legacy rule nobody wrote down.
    Cancelled,
}

impl Missing {
    fn predicate(self) -> &'static str {
        match self {
            Missing::Block => "company = 'c3' AND branch = 'b5' AND toYYYYMM(month) = 202306",
            Missing::Cancelled => "invoice_type = 'CANCELLED'",
        }
    }
}

pub fn clickhouse_compare_bench(
    url: &str,
    db: &str,
    rows: u64,
    missing: Missing,
    dir: &Path,
    log: &dyn Fn(&str),
) -> Result<ClickHouseCompareBench> {
    let gone = missing.predicate();
    let (ch, table_bytes) = sales_table(url, db, rows, log)?;
    let gold = layer_database(&ch, "gold");
    ch.execute(&format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        CH.ident(&gold)
    ))?;
    ch.execute(&format!(
        "DROP TABLE IF EXISTS {}.fct_sales",
        CH.ident(&gold)
    ))?;
    ch.execute(&format!(
        "CREATE VIEW {}.fct_sales AS SELECT * FROM {}.drill_sales",
        CH.ident(&gold),
        CH.ident(db)
    ))?;

    let _ = std::fs::remove_dir_all(dir);
    let write = |relative: &str, text: &str| -> Result<()> {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .io_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).io_context(|| format!("cannot write {}", path.display()))
    };
    write("assay.toml", &workspace_toml(url, db))?;
    write(
        "models/gold/fct_sales.sql",
        &format!("SELECT * FROM {}.drill_sales\n", CH.ident(db)),
    )?;
    log("writing the legacy exports from ClickHouse, with planted differences");
    for c in 0..COMPANIES {
        let company = format!("c{c}");
        let path = dir.join(format!("legacy/{company}/sales.csv"));
        std::fs::create_dir_all(path.parent().expect("a folder"))
            .io_context(|| format!("cannot create the folder of {}", path.display()))?;
        ch.fetch_to_file(&legacy_sql(db, &company, gone), "CSVWithNames", &path)?;
    }
    let number = |sql: String| -> Result<i64> {
        Ok(ch
            .query_number(&format!(
                "SELECT count() AS n FROM {}.drill_sales WHERE {sql}",
                CH.ident(db)
            ))?
            .0)
    };
    let planted = Rows {
        changed: number(format!("invoice_id % {CHANGE_EVERY} = 17 AND NOT ({gone})"))?,
        only_legacy: number(format!("invoice_id % {EXTRA_EVERY} = 0"))?,
        only_new: number(gone.to_string())?,
    };

    let ws = Workspace::load(dir)?;
    let store = Store::open(&ws.cache_path())?;
    log("importing the legacy exports into the cache");
    let start = Instant::now();
    crate::legacy::import_all(&ws, &store, None, false)?;
    let import_secs = start.elapsed().as_secs_f64();
    log("comparing");
    let start = Instant::now();
    let report = configured::run(&ws, &store, "revenue", &[])?;
    let compare_secs = start.elapsed().as_secs_f64();
    let wire_bytes: u64 = report.wire.iter().map(|w| w.bytes).sum();
    let fetched: u64 = report
        .wire
        .iter()
        // Rows of the table fetched: the differing slices', and the kept ones' samples.
        .filter(|w| w.step.starts_with("rows of ") || w.step.starts_with("samples of "))
        .map(|w| w.rows)
        .sum();
    Ok(ClickHouseCompareBench {
        rows,
        missing: gone,
        table_bytes_uncompressed: table_bytes,
        planted,
        found: Rows {
            changed: report.rows.changed,
            only_legacy: report.rows.only_legacy,
            only_new: report.rows.only_new,
        },
        import_secs,
        compare_secs,
        wire_bytes,
        wire_share: wire_bytes as f64 / table_bytes.max(1) as f64,
        fetched_share: fetched as f64 / rows.max(1) as f64,
        wire: report.wire,
    })
}

fn workspace_toml(url: &str, db: &str) -> String {
    let companies: String = (0..COMPANIES)
        .map(|c| format!("[companies.c{c}]\nname = \"Company {c}\"\n\n"))
        .collect();
    format!(
        "[workspace]\nname = \"ClickHouse compare bench\"\n\n\
         [warehouse]\nkind = \"clickhouse\"\nurl = {url}\ndatabase = {db}\ntimeout_secs = 900\n\n\
         {companies}\
         [legacy.sales]\nfiles = \"legacy/{{company}}/sales.csv\"\n\n\
         [comparisons.revenue]\nlegacy = \"sales\"\ntable = \"gold.fct_sales\"\nkeys = [\"invoice_id\"]\n\
         measures = [\"net_amount\"]\ndimensions = [\"invoice_type\", \"branch\"]\n",
        url = toml_string(url),
        db = toml_string(db),
    )
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One company's legacy export: the gold rows less the missing block, some amounts off by
/// one, and some invoices twice.
fn legacy_sql(db: &str, company: &str, missing: &str) -> String {
    let table = format!("{}.drill_sales", CH.ident(db));
    let company = CH.literal(company);
    format!(
        "SELECT invoice_id, branch, invoice_type, month, \
         if(invoice_id % {CHANGE_EVERY} = 17, net_amount + 1, net_amount) AS net_amount \
         FROM {table} WHERE company = {company} AND NOT ({missing}) \
         UNION ALL \
         SELECT invoice_id + {EXTRA_ID}, branch, invoice_type, month, net_amount \
         FROM {table} WHERE company = {company} AND invoice_id % {EXTRA_EVERY} = 0"
    )
}
