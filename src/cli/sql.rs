//! `assay sql "SELECT …"`

use std::io::Write;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::versions;
use crate::frame::{self, Format};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The statement; the cache's schemas are legacy, bronze, silver, gold and assay.
    pub query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Read bronze as it was when extraction run RUN finished (retained versions only).
    #[arg(long, value_name = "RUN")]
    pub as_of: Option<i64>,
}

pub fn run(ws: &Workspace, args: SqlArgs) -> Result<i32> {
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    frame::write(&mut df, args.format, &mut out)?;
    out.flush()
        .map_err(|e| Error::Runtime(format!("writing output: {e}")))?;
    Ok(0)
}
