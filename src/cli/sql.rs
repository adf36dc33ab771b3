//! `assay sql "SELECT …"`

use std::io::Write;

use crate::config::Workspace;
use crate::console::{self, Whole};
use crate::error::{Error, Result};
use crate::extract::versions;
use crate::frame::{self, Format};
use crate::store::{Access, Store};

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The statement; the cache's schemas are legacy, bronze, silver, gold and assay.
    pub query: String,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
    /// Read bronze as it was when extraction run RUN finished (retained versions only).
    #[arg(long, value_name = "RUN", conflicts_with = "warehouse")]
    pub as_of: Option<i64>,
    /// Ask the ClickHouse warehouse (read-only) instead of the cache; `bronze.`, `silver.`
    /// and `gold.` name the workspace's layer databases there.
    #[arg(long)]
    pub warehouse: bool,
    /// Rows of a warehouse query's answer brought back at most (0: all).
    #[arg(long, default_value_t = console::WAREHOUSE_ROWS, value_name = "N")]
    pub max_rows: u64,
    /// Show columns marked `pii` as they are, not masked; recorded in the catalog (who,
    /// when, the query).
    #[arg(long)]
    pub reveal: bool,
}

pub fn run(ws: &Workspace, args: SqlArgs) -> Result<i32> {
    let warehouse = if args.warehouse {
        Some(super::connect_warehouse(ws)?.ok_or_else(|| {
            Error::Usage(
                "--warehouse asks a ClickHouse warehouse; this workspace's [warehouse] kind is duckdb (the cache is the warehouse: drop --warehouse)".into(),
            )
        })?)
    } else {
        None
    };
    // A query reads the cache beside other readers; anything else (and `--as-of`, whose
    // views are re-pointed in a transaction) needs it alone.
    let reads = args.as_of.is_none()
        && console::Statement::parse(&args.query).is_ok_and(|s| s.kind != console::Kind::Other);
    // A reveal is recorded in the catalog, so it writes.
    let access = if reads && !args.reveal {
        Access::Read
    } else {
        Access::Write
    };
    let store = super::open_cache(ws, access, None)?;
    let conn = store.conn();
    let cap = if args.max_rows == 0 {
        u64::MAX - 1
    } else {
        args.max_rows
    };
    let policy = crate::build::lineage::personal(ws, &store)?;
    let answer = match args.as_of {
        None => answer(&store, warehouse.as_ref(), &args.query, cap),
        Some(run) => {
            // The views are re-pointed inside a transaction that is always rolled back.
            conn.execute_batch("BEGIN TRANSACTION")?;
            let result = versions::point_views_as_of(conn, run)
                .and_then(|_| answer(&store, None, &args.query, cap));
            conn.execute_batch("ROLLBACK")?;
            result
        }
    };
    let dialect = match &warehouse {
        Some(_) => crate::warehouse::dialect(&ws.config.warehouse),
        None => crate::dialect::Dialect::DuckDb,
    };
    let shown = shown(policy.clone(), &store, dialect, &args)?;
    // An error may quote a value (a failed CAST): personal data stays masked there too.
    let answer = answer.map_err(|e| {
        let text = e.to_string();
        match shown_error(&policy, &text, args.reveal) {
            Some(quiet) => Error::Runtime(quiet),
            None => e,
        }
    });
    match answer.map_err(|e| e.context("query failed"))? {
        Printed::Frame(df, capped) => {
            let mut df = shown.frame(df)?;
            if capped {
                eprintln!(
                    "note: the first {} rows of the answer (--max-rows; 0 for all)",
                    args.max_rows
                );
            }
            print(&mut df, args.format)
        }
        Printed::Done(changed) => {
            println!("done ({changed} rows changed)");
            Ok(0)
        }
    }
}

/// How the answer's columns may be shown: personal ones masked, unless `--reveal` asked
/// (and the reveal was recorded).
fn shown(
    policy: crate::pii::Policy,
    store: &Store,
    dialect: crate::dialect::Dialect,
    args: &SqlArgs,
) -> Result<crate::pii::Shown> {
    if args.reveal && !policy.is_empty() {
        let who = crate::rules::user();
        crate::pii::reveal::record(store.conn(), &who, "assay sql", &args.query)?;
        eprintln!("note: personal columns shown as they are (recorded for {who})");
    }
    Ok(policy.revealed(args.reveal).of_query(dialect, &args.query))
}

/// The error's text with quoted values masked, when masking changed it.
fn shown_error(policy: &crate::pii::Policy, text: &str, reveal: bool) -> Option<String> {
    let quiet = policy.clone().revealed(reveal).quiet(text);
    (quiet != text).then_some(quiet)
}

enum Printed {
    Frame(polars::prelude::DataFrame, bool),
    Done(usize),
}

/// The statement's whole answer, read while any `--as-of` views are in place.
fn answer(
    store: &Store,
    warehouse: Option<&crate::warehouse::ClickHouse>,
    text: &str,
    cap: u64,
) -> Result<Printed> {
    Ok(
        match console::run_whole(store.conn(), warehouse, text, cap, console::Access::Write)? {
            Whole::Rows { frame, capped } => Printed::Frame(frame, capped),
            Whole::Done { changed } => Printed::Done(changed),
        },
    )
}

fn print(df: &mut polars::prelude::DataFrame, format: Format) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    frame::write(df, format, &mut out)?;
    out.flush()
        .map_err(|e| Error::Runtime(format!("writing output: {e}")))?;
    Ok(0)
}
