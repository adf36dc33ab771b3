//! `assay demo DIR`

use std::path::PathBuf;

use super::progress::Progress;
use crate::config::Workspace;
use crate::demo::{self, DemoOptions};
use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder to create (must be new or empty, unless --force).
    pub dir: PathBuf,
    /// Seed of the random data: the same seed writes the same files.
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Invoice lines to generate in all (tens of millions for benchmarks).
    #[arg(long, default_value_t = demo::DEFAULT_ROWS)]
    pub rows: u64,
    /// Companies in the group: the demo's eight, then plain stores up to this many (e.g.
    /// 150, a retail group of stores, for `assay status` at scale).
    #[arg(long, default_value_t = demo::COMPANIES.len())]
    pub companies: usize,
    /// Replace the folder if it already has files.
    #[arg(long)]
    pub force: bool,
    /// Then extract, build and open the workbench on it.
    #[arg(long)]
    pub open: bool,
    /// Where bronze, silver and gold live: the embedded DuckDB cache or a ClickHouse server.
    #[arg(long, value_enum, default_value_t = DemoWarehouse::Duckdb)]
    pub warehouse: DemoWarehouse,
    /// The ClickHouse server's HTTP address (with --warehouse clickhouse).
    #[arg(long, default_value = "http://127.0.0.1:8123")]
    pub clickhouse_url: String,
    /// The ClickHouse database of the workspace (created if missing); its layers are the
    /// databases <name>_bronze, <name>_silver, <name>_gold.
    #[arg(long, default_value = "assay_demo")]
    pub clickhouse_database: String,
    /// Spread the layers over this ClickHouse cluster (a remote_servers entry), sharded by
    /// company; needs --clickhouse-shards.
    #[arg(long, requires = "clickhouse_shards")]
    pub clickhouse_cluster: Option<String>,
    /// The HTTP URL of each of the cluster's shards, comma-separated.
    #[arg(long, value_delimiter = ',', requires = "clickhouse_cluster")]
    pub clickhouse_shards: Vec<String>,
    /// How the legacy exports are written: CSV files (each company its own dialect),
    /// workbooks (one per company and year, a sheet named after the company), or Qlik QVD
    /// files (one per company and year; dates and amounts as dual values).
    #[arg(long, value_enum, default_value_t = DemoLegacy::Csv)]
    pub legacy_format: DemoLegacy,
    /// Silver and gold as a dbt project in DIR/dbt (dbt-duckdb, building into the cache):
    /// `assay build` runs `dbt build` there and reads its manifest and run results. Needs
    /// dbt-core and dbt-duckdb on PATH.
    #[arg(long)]
    pub dbt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoLegacy {
    Csv,
    Xlsx,
    Qvd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoWarehouse {
    Duckdb,
    Clickhouse,
}

/// The workspace's database must exist (on every server) before anything connects to it.
fn create_database(url: &str, database: &str) -> Result<()> {
    if !crate::sql::is_plain_identifier(database) {
        return Err(crate::error::Error::Usage(format!(
            "--clickhouse-database `{database}`: letters, digits and _ only"
        )));
    }
    let admin = crate::warehouse::ClickHouse::connect(&crate::config::Warehouse::clickhouse(
        url, "default", 60,
    ))?;
    admin.execute(&format!("CREATE DATABASE IF NOT EXISTS {database}"))
}

pub fn run(args: DemoArgs) -> Result<i32> {
    if args.clickhouse_cluster.is_some() && args.warehouse != DemoWarehouse::Clickhouse {
        return Err(crate::error::Error::Usage(
            "--clickhouse-cluster goes with --warehouse clickhouse".into(),
        ));
    }
    if args.dbt && args.warehouse == DemoWarehouse::Clickhouse {
        return Err(crate::error::Error::Usage(
            "--dbt builds with dbt-duckdb into the cache; it does not go with --warehouse clickhouse"
                .into(),
        ));
    }
    let opts = DemoOptions {
        seed: args.seed,
        rows: args.rows,
        companies: args.companies,
        force: args.force,
        legacy_format: match args.legacy_format {
            DemoLegacy::Csv => demo::LegacyFormat::Csv,
            DemoLegacy::Xlsx => demo::LegacyFormat::Xlsx,
            DemoLegacy::Qvd => demo::LegacyFormat::Qvd,
        },
        dbt: args.dbt,
        cluster: args
            .clickhouse_cluster
            .clone()
            .map(|name| (name, args.clickhouse_shards.clone())),
        clickhouse: (args.warehouse == DemoWarehouse::Clickhouse).then(|| {
            (
                args.clickhouse_url.clone(),
                args.clickhouse_database.clone(),
            )
        }),
    };
    if let Some((url, database)) = &opts.clickhouse {
        for server in std::iter::once(url).chain(&args.clickhouse_shards) {
            create_database(server, database)?;
        }
    }
    let mut progress = Progress::new("demo", opts.rows);
    let summary = demo::generate(&args.dir, &opts, &mut |done, total| {
        progress.update(done, total)
    })?;
    progress.finish();
    println!(
        "Wrote {} with {} companies, {} invoices ({} lines), {} legacy export rows.",
        summary.dir.display(),
        summary.companies,
        summary.invoices,
        summary.lines,
        summary.legacy_rows
    );
    println!(
        "Planted gap: gold {} vs legacy {}, {}{} ({:+.2} %).",
        summary.gold_net,
        summary.legacy_net,
        if summary.gap.is_negative() { "" } else { "+" },
        summary.gap,
        summary.gap_pct
    );
    if !args.open {
        println!(
            "Next: cd {} && assay extract --all && assay build && assay",
            summary.dir.display()
        );
        return Ok(0);
    }
    let ws = Workspace::load(&summary.dir)?;
    let extract_args = super::extract::ExtractArgs {
        company: Vec::new(),
        companies: Vec::new(),
        all: true,
        entity: Vec::new(),
        full_refresh: false,
        format: crate::frame::Format::Table,
    };
    let code = super::extract::run(&ws, extract_args)?;
    if code != 0 {
        return Ok(code);
    }
    let code = super::build::run(
        &ws,
        super::build::BuildArgs {
            select: Vec::new(),
            format: crate::frame::Format::Table,
        },
    )?;
    if code != 0 {
        return Ok(code);
    }
    super::tui::run(ws, super::tui::TuiArgs::default(), None)
}
