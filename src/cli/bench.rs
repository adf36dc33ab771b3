//! `assay bench …`: measured against a baseline in the same run.

use std::path::PathBuf;

use crate::bench;
use crate::error::Result;

#[derive(Debug, clap::Args)]
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
}

pub fn run(args: BenchArgs) -> Result<i32> {
    match args.which {
        Which::Extract {
            dir,
            rows,
            postgres,
        } => {
            let pg = (!postgres.is_empty()).then_some(postgres.as_str());
            let result = bench::extract_bench(&dir, rows, pg, &|m| eprintln!("bench: {m}"))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&result).expect("plain JSON")
            );
            Ok(0)
        }
    }
}
