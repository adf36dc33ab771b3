//! `assay sql "SELECT …"`

use std::io::Write;

use crate::config::{WarehouseKind, Workspace};
use crate::error::{Error, Result};
use crate::extract::versions;
use crate::frame::{self, Format};
use crate::store::Store;
use crate::warehouse::{qualify_layers, ClickHouse};

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The statement; the cache's schemas are legacy, bronze, silver, gold and assay.
    pub query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Read bronze as it was when extraction run RUN finished (retained versions only).
    #[arg(long, value_name = "RUN", conflicts_with = "warehouse")]
    pub as_of: Option<i64>,
    /// Ask the ClickHouse warehouse (read-only) instead of the cache; `bronze.`, `silver.`
    /// and `gold.` name the workspace's layer databases there.
    #[arg(long)]
    pub warehouse: bool,
}

pub fn run(ws: &Workspace, args: SqlArgs) -> Result<i32> {
    if args.warehouse {
        return on_warehouse(ws, &args);
    }
    let store = Store::open(&ws.cache_path())?;
    let conn = store.conn();
    let result = match args.as_of {
        None => frame::query(conn, &args.query, []),
        Some(run) => {
            // The views are re-pointed inside a transaction that is always rolled back.
            conn.execute_batch("BEGIN TRANSACTION")?;
            let result = versions::point_views_as_of(conn, run)
                .and_then(|_| frame::query(conn, &args.query, []));
            conn.execute_batch("ROLLBACK")?;
            result
        }
    };
    let mut df = result.map_err(|e| match e {
        Error::Runtime(m) => Error::Runtime(format!("query failed: {m}")),
        other => other,
    })?;
    print(&mut df, args.format)
}

fn on_warehouse(ws: &Workspace, args: &SqlArgs) -> Result<i32> {
    if ws.config.warehouse.kind != WarehouseKind::Clickhouse {
        return Err(Error::Usage(
            "--warehouse asks a ClickHouse warehouse; this workspace's [warehouse] kind is duckdb (the cache is the warehouse: drop --warehouse)".into(),
        ));
    }
    let ch = ClickHouse::connect(&ws.config.warehouse)?;
    let sql = qualify_layers(ch.database(), args.query.trim().trim_end_matches(';'));
    let (mut df, _) = ch
        .query_readonly(&sql)
        .map_err(|e| Error::Runtime(format!("query failed: {e}")))?;
    print(&mut df, args.format)
}

fn print(df: &mut polars::prelude::DataFrame, format: Format) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    frame::write(df, format, &mut out)?;
    out.flush()
        .map_err(|e| Error::Runtime(format!("writing output: {e}")))?;
    Ok(0)
}
