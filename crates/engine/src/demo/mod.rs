//! `assay demo DIR`: a complete workspace a newcomer can explore, with a planted gap.
//!
//! Everything is streamed (invoices are generated in date order and written as they come),
//! so memory does not grow with `--rows`. The same seed gives the same files.

mod clickhouse_models;
mod companies;
mod dbt_project;
mod generate;
mod qvd;
pub mod sheets;
mod workspace_files;
mod writers;

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use duckdb::{params, Connection};
use rand::Rng;
use serde::Serialize;

pub use companies::{roster, ExportStyle, Profile, COMPANIES};
pub use generate::{CompanyStream, Invoice, InvoiceType, LegacyFate};
pub use sheets::LegacyFormat;
use writers::{YearFiles, ORDER_HEADER};

use crate::error::{Error, IoContext, Result};

pub const DEFAULT_ROWS: u64 = 200_000;
pub const DEFAULT_SEED: u64 = 42;
/// The most companies a demo group has (a retail group of stores).
pub const MAX_COMPANIES: usize = 999;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    /// Invoice lines in total, shared among the companies by their weight.
    pub rows: u64,
    /// Replace an existing folder.
    pub force: bool,
    /// A ClickHouse warehouse (URL, database) instead of the embedded DuckDB one.
    pub clickhouse: Option<(String, String)>,
    /// The ClickHouse cluster the layers are spread over, and its shards' HTTP URLs.
    pub cluster: Option<(String, Vec<String>)>,
    /// Companies in the group: the eight of the demo, then plain stores.
    pub companies: usize,
    /// How the legacy exports are written: CSV files, or workbooks.
    pub legacy_format: LegacyFormat,
    /// Silver and gold as a dbt project (dbt-duckdb, building into the cache) instead of
    /// assay's SQL models.
    pub dbt: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: DEFAULT_SEED,
            rows: DEFAULT_ROWS,
            force: false,
            clickhouse: None,
            cluster: None,
            companies: COMPANIES.len(),
            legacy_format: LegacyFormat::Csv,
            dbt: false,
        }
    }
}

/// What was written, with the planted gap as the generator knows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    pub dir: PathBuf,
    pub companies: usize,
    pub invoices: u64,
    pub lines: u64,
    pub legacy_rows: u64,
    /// Sum of net amounts in the legacy exports.
    pub legacy_net: crate::decimal::Exact,
    /// Sum of net amounts over every invoice: what the demo's gold model reports.
    pub gold_net: crate::decimal::Exact,
    pub gap: crate::decimal::Exact,
    /// The gap as a share of the legacy sum, in per cent (a ratio, not an amount).
    pub gap_pct: f64,
}

/// Write the demo workspace into `dir`. It is built in a sibling folder and moved into
/// place at the end, so an interrupted run leaves no half-written workspace.
pub fn generate(
    dir: &Path,
    opts: &DemoOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoSummary> {
    if opts.rows < 100 {
        return Err(Error::Usage("--rows must be at least 100".into()));
    }
    if !(COMPANIES.len()..=MAX_COMPANIES).contains(&opts.companies) {
        return Err(Error::Usage(format!(
            "--companies {}: from {} (the demo's own) to {MAX_COMPANIES}",
            opts.companies,
            COMPANIES.len()
        )));
    }
    check_target(dir, opts.force)?;
    let staging = staging_dir(dir);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .io_context(|| format!("cannot clear {}", staging.display()))?;
    }
    let result = write_workspace(&staging, opts, progress);
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).io_context(|| format!("cannot replace {}", dir.display()))?;
    }
    std::fs::rename(&staging, dir)
        .io_context(|| format!("cannot move the demo into {}", dir.display()))?;
    summary.dir = dir.to_path_buf();
    Ok(summary)
}

fn check_target(dir: &Path, force: bool) -> Result<()> {
    if !dir.exists() || force {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(dir).io_context(|| format!("cannot read {}", dir.display()))?;
    if entries.next().is_some() {
        return Err(Error::Usage(format!(
            "{} is not empty; choose a new folder or pass --force to replace it",
            dir.display()
        )));
    }
    Ok(())
}

fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "demo".into(), |n| n.to_string_lossy().to_string());
    dir.with_file_name(format!(".{name}.assay-demo-partial"))
}

fn write_workspace(
    root: &Path,
    opts: &DemoOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoSummary> {
    std::fs::create_dir_all(root).io_context(|| format!("cannot create {}", root.display()))?;
    let companies = roster(opts.companies);
    write_text(
        &root.join("assay.toml"),
        &workspace_files::config_toml(opts, &companies),
    )?;
    let models = match opts.clickhouse {
        Some(_) => clickhouse_models::MODELS,
        None => workspace_files::MODELS,
    };
    if opts.dbt {
        dbt_project::write(root, &models)?;
    } else {
        for (path, sql) in models {
            write_text(&root.join("models").join(path), sql)?;
        }
    }
    std::fs::create_dir_all(root.join("sources")).io_context(|| "cannot create sources/".into())?;
    let db_path = root.join("sources/erp.duckdb");
    let db = Connection::open(&db_path).map_err(|e| Error::runtime(db_path.display(), e))?;
    db.execute_batch(
        "CREATE TABLE lines_raw (company_id VARCHAR, invoice_id VARCHAR, line_no INTEGER, \
           product_id VARCHAR, quantity INTEGER, price_cents BIGINT, net_cents BIGINT, tax_cents BIGINT);
         CREATE TABLE stock_raw (company_id VARCHAR, branch VARCHAR, product_id VARCHAR, \
           snapshot_date DATE, on_hand INTEGER, cost_cents BIGINT);",
    )?;

    let mut summary = DemoSummary {
        companies: companies.len(),
        ..DemoSummary::default()
    };
    let (mut legacy_cents, mut gold_cents) = (0i64, 0i64);
    let mut done = 0u64;
    for (index, profile) in companies.iter().enumerate() {
        let target = ((opts.rows as f64) * profile.weight).round().max(1.0) as u64;
        let files_dir = root.join("sources/files").join(profile.id.as_ref());
        let mut invoices =
            YearFiles::new(&files_dir, "invoices", writers::invoice_header(profile))?;
        let mut orders = YearFiles::new(&files_dir, "orders", ORDER_HEADER.to_string())?;
        let mut legacy = YearFiles::new(
            &root.join("legacy").join(profile.id.as_ref()),
            "sales",
            writers::legacy_preamble(profile),
        )?;
        let mut order_rng = generate::rng_for(opts.seed, index, 2);
        let mut appender = db.appender("lines_raw")?;
        let mut order_number = 0u64;
        for inv in CompanyStream::new(profile.clone(), index, opts.seed, target) {
            let year = inv.date.year();
            invoices.write(year, &writers::invoice_row(&inv))?;
            if let Some(row) = writers::legacy_row(profile, &inv) {
                legacy.write(year, &row)?;
                summary.legacy_rows += 1;
                legacy_cents += match inv.legacy {
                    LegacyFate::Adjusted(d) => inv.net_cents() + d,
                    _ => inv.net_cents(),
                };
            }
            let status = match inv.kind {
                InvoiceType::Sale if order_rng.random::<f64>() < 0.9 => Some("shipped"),
                InvoiceType::Cancelled => Some("cancelled"),
                _ => None,
            };
            if let Some(status) = status {
                order_number += 1;
                let id = format!("{}-O{:08}", profile.prefix, order_number);
                let (order_year, row) =
                    writers::order_row(&id, &inv, order_rng.random_range(0..=5), status);
                orders.write(order_year, &row)?;
            }
            for line in &inv.lines {
                appender.append_row(params![
                    profile.id.as_ref(),
                    inv.id,
                    line.line_no,
                    line.product,
                    line.quantity,
                    line.price_cents,
                    line.net_cents,
                    line.tax_cents
                ])?;
            }
            gold_cents += inv.net_cents();
            summary.invoices += 1;
            summary.lines += inv.lines.len() as u64;
            if summary.lines - done >= 10_000 {
                done = summary.lines;
                progress(done.min(opts.rows), opts.rows);
            }
        }
        appender.flush()?;
        drop(appender);
        invoices.finish()?;
        orders.finish()?;
        legacy.finish()?;
        write_stock(&db, profile, index, opts.seed)?;
    }
    finish_source_db(&db)?;
    drop(db);
    match opts.legacy_format {
        LegacyFormat::Csv => {}
        LegacyFormat::Xlsx => sheets::legacy_as_workbooks(root, &companies)?,
        LegacyFormat::Qvd => qvd::legacy_as_qvd(root, &companies)?,
    }
    progress(opts.rows, opts.rows);

    // Cents as exact decimals: the figures printed are the sums, never a float's digits.
    let cents = |c: i64| crate::decimal::Exact::from_scaled(c.into(), 2);
    summary.legacy_net = cents(legacy_cents);
    summary.gold_net = cents(gold_cents);
    summary.gap = cents(gold_cents - legacy_cents);
    summary.gap_pct = if legacy_cents == 0 {
        0.0
    } else {
        100.0 * (gold_cents - legacy_cents) as f64 / legacy_cents as f64
    };
    Ok(summary)
}

/// Month-end stock snapshots for 40 products per branch.
fn write_stock(db: &Connection, profile: &Profile, index: usize, seed: u64) -> Result<()> {
    let mut rng = generate::rng_for(seed, index, 3);
    let mut appender = db.appender("stock_raw")?;
    let start = generate::first_day();
    for branch in profile.branches {
        for month in 0..24u32 {
            let year = start.year() + (month / 12) as i32;
            let next = NaiveDate::from_ymd_opt(year, month % 12 + 1, 1).expect("valid month");
            let month_end = next
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .expect("valid month end");
            for product in 1..=40 {
                appender.append_row(params![
                    profile.id.as_ref(),
                    branch,
                    format!("P{product:04}"),
                    month_end,
                    rng.random_range(0..200i32),
                    rng.random_range(300..24_000i64)
                ])?;
            }
        }
    }
    appender.flush()?;
    Ok(())
}

/// Turn the raw cents into the decimal tables an ERP would expose.
fn finish_source_db(db: &Connection) -> Result<()> {
    db.execute_batch(
        "CREATE TABLE invoice_lines AS SELECT company_id, invoice_id, line_no, product_id, quantity,
             CAST(price_cents / 100.0 AS DECIMAL(12, 2)) AS unit_price,
             CAST(net_cents / 100.0 AS DECIMAL(14, 2)) AS net_amount,
             CAST(tax_cents / 100.0 AS DECIMAL(14, 2)) AS tax_amount
         FROM lines_raw;
         CREATE TABLE stock AS SELECT company_id, branch, product_id, snapshot_date, on_hand,
             CAST(cost_cents / 100.0 AS DECIMAL(12, 2)) AS unit_cost
         FROM stock_raw;
         DROP TABLE lines_raw;
         DROP TABLE stock_raw;
         CHECKPOINT;",
    )?;
    Ok(())
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).io_context(|| format!("cannot write {}", path.display()))
}
