//! `assay-bench`: assay's benchmarks, each measured against a baseline in the same run; they
//! print figures as JSON and assert nothing (targets are read by people, not by tests).
//! Not part of the product: run it with `cargo run --release -p assay-bench -- <which>`.
//! The benchmarks that time the product run the `assay` binary built beside this one.

mod clickhouse;
mod clickhouse_compare;
mod compare;
mod extract;
mod history;
mod measure;
mod scale;
mod status;
mod tui;

use std::path::PathBuf;

use clap::Parser;

// The engine's and the workbench's modules under the names the benchmarks use for them.
use assay_engine::{config, demo, error, frame, legacy, recon, rules, sql, store, warehouse};

use crate::error::Result;

#[derive(Debug, Parser)]
#[command(
    name = "assay-bench",
    about = "assay's benchmarks against a baseline measured in the same run (figures, no assertions)"
)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub which: Which,
}
#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// CSV → bronze and PostgreSQL → bronze, against DuckDB's own load of the same data.
    Extract {
        /// Scratch folder (replaced).
        #[arg(long, default_value = "target/bench-extract")]
        dir: PathBuf,
        /// Invoice lines to load.
        #[arg(long, default_value_t = 5_000_000)]
        rows: u64,
        /// libpq connection string for the PostgreSQL part; "" skips it.
        #[arg(
            long,
            default_value = "host=127.0.0.1 port=5432 user=postgres dbname=test"
        )]
        postgres: String,
    },
    /// `compare` of TPC-H lineitem with planted differences, files against files (CSV
    /// against Parquet) and table against table, each against one hand-written DuckDB
    /// statement computing the same totals and row classes on the same sides.
    Compare {
        /// Scratch folder (the generated CSV is kept and reused).
        #[arg(long, default_value = "target/bench-compare")]
        dir: PathBuf,
        /// TPC-H scale factor (1 = 6M lineitem rows).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Rows to change, delete and add in gold, in total.
        #[arg(long, default_value_t = 300)]
        changes: i64,
        /// Runs of each side; the best counts.
        #[arg(long, default_value_t = 2)]
        runs: usize,
        /// The pairings to time (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [compare::Pairing::Files, compare::Pairing::Tables])]
        pairings: Vec<compare::Pairing>,
        /// DuckDB's memory limit for both sides of the comparison (e.g. 1GB); DuckDB's own
        /// default when absent.
        #[arg(long)]
        memory_limit: Option<String>,
    },
    /// What recording a compare in the history costs: a configured compare of TPC-H
    /// lineitem with the recording stage traced inside it, without and with rules.
    History {
        /// Scratch folder (the generated CSV is kept and reused).
        #[arg(long, default_value = "target/bench-compare")]
        dir: PathBuf,
        /// TPC-H scale factor (1 = 6M lineitem rows).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Compares of each case; the fastest counts.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// A drill step on a large ClickHouse table: assay's GROUP BY against clickhouse-client's.
    Clickhouse {
        /// The server's HTTP address.
        #[arg(long, default_value = "http://127.0.0.1:8123")]
        url: String,
        /// Rows in the table (generated on the server, kept for the next run).
        #[arg(long, default_value_t = 20_000_000)]
        rows: u64,
    },
    /// `compare` pushed down to ClickHouse: legacy CSVs with planted differences against a
    /// large gold table there; time, bytes on the wire, and what was found.
    ClickhouseCompare {
        /// The server's HTTP address.
        #[arg(long, default_value = "http://127.0.0.1:8123")]
        url: String,
        /// Database of the generated table (gold goes to `<database>_gold`).
        #[arg(long, default_value = "assay_bench")]
        database: String,
        /// Rows in the gold table (generated on the server, kept for the next run).
        #[arg(long, default_value_t = 20_000_000)]
        rows: u64,
        /// Which gold rows the legacy exports leave out.
        #[arg(long, value_enum, default_value_t = clickhouse_compare::Missing::Block)]
        missing: clickhouse_compare::Missing,
        /// Scratch workspace (replaced).
        #[arg(long, default_value = "target/bench-clickhouse-compare")]
        dir: PathBuf,
    },
    /// `assay status` and the health screen's first frame on a group of many companies.
    Status {
        /// Scratch folder (replaced).
        #[arg(long, default_value = "target/bench-status")]
        dir: PathBuf,
        /// Companies in the demo group.
        #[arg(long, default_value_t = 150)]
        companies: usize,
        /// Runs of each measurement; the best counts.
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// How extraction, build, status and compare grow with the companies of a group.
    Scale {
        /// Scratch folder (its demo workspaces are replaced).
        #[arg(long, default_value = "target/bench-scale")]
        dir: PathBuf,
        /// Group sizes (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [8usize, 50, 150])]
        companies: Vec<usize>,
        /// Runs of the quick commands; the best counts.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Workbench latency: first frame, scrolling and sorting on large tables, drill steps.
    Tui {
        /// Scratch folder (replaced).
        #[arg(long, default_value = "target/bench-tui")]
        dir: PathBuf,
        /// Table sizes to scroll and sort (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [6_000_000i64, 60_000_000])]
        rows: Vec<i64>,
        /// Invoices in the comparison drilled into.
        #[arg(long, default_value_t = 6_000_000)]
        drill_rows: i64,
    },
}

fn main() {
    let code = match run(BenchArgs::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn run(args: BenchArgs) -> Result<i32> {
    match args.which {
        Which::Extract {
            dir,
            rows,
            postgres,
        } => {
            let pg = (!postgres.is_empty()).then_some(postgres.as_str());
            let result = extract::extract_bench(&dir, rows, pg, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
        Which::Compare {
            dir,
            scale,
            changes,
            runs,
            pairings,
            memory_limit,
        } => {
            let result = compare::compare_bench(
                &dir,
                scale,
                changes,
                runs,
                &pairings,
                memory_limit.as_deref(),
                &|m| eprintln!("bench: {m}"),
            )?;
            print_json(&result);
            Ok(0)
        }
        Which::History { dir, scale, runs } => {
            let result = history::history_bench(&dir, scale, runs, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
        Which::Clickhouse { url, rows } => {
            let result = clickhouse::clickhouse_bench(&url, rows, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
        Which::ClickhouseCompare {
            url,
            database,
            rows,
            missing,
            dir,
        } => {
            let result = clickhouse_compare::clickhouse_compare_bench(
                &url,
                &database,
                rows,
                missing,
                &dir,
                &|m| eprintln!("bench: {m}"),
            )?;
            print_json(&result);
            Ok(0)
        }
        Which::Status {
            dir,
            companies,
            runs,
        } => {
            let result = status::status_bench(&dir, companies, runs, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
        Which::Scale {
            dir,
            companies,
            runs,
        } => {
            let result = scale::scale_bench(&dir, &companies, runs, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
        Which::Tui {
            dir,
            rows,
            drill_rows,
        } => {
            let _ = std::fs::remove_dir_all(&dir);
            let result = tui::tui_bench(&dir, &rows, drill_rows, &|m| eprintln!("bench: {m}"))?;
            print_json(&result);
            Ok(0)
        }
    }
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain JSON")
    );
}
