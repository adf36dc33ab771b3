//! `assay sql "SELECT …"`

use std::io::Write;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::{self, Format};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The statement; the cache's schemas are legacy, bronze, silver, gold and assay.
    pub query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: SqlArgs) -> Result<i32> {
    let store = Store::open(&ws.cache_path())?;
    let mut df = frame::query(store.conn(), &args.query, []).map_err(|e| match e {
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
