//! A Delta plan's columns and rows: the table's version staged as Parquet beside the cache,
//! then read by DuckDB as any Parquet file is.

use std::path::PathBuf;
use std::time::Instant;

use duckdb::Connection;

use super::{Cancel, Event, Job};
use crate::config::Workspace;
use crate::delta::{parquet_relation, write_schema, Filter, Table};
use crate::drift::ColumnDef;
use crate::error::{Error, Result};
use crate::store::scratch::{self, Scratch};

/// The columns a run of this table version loads, as DuckDB types: DuckDB describes an
/// empty Parquet file with the staged file's schema, so the types checked are those read.
pub(super) fn columns(conn: &Connection, table: &Table) -> Result<Vec<ColumnDef>> {
    let file = Scratch::new(&scratch::dir(conn), "delta-schema")
        .map_err(|e| Error::Runtime(format!("cannot write beside the cache: {e}")))?;
    write_schema(table, file.path())?;
    let mut stmt = conn.prepare(&format!(
        "DESCRIBE SELECT * FROM {}",
        parquet_relation(file.path())
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(ColumnDef::new(
            &r.get::<_, String>(0)?,
            &r.get::<_, String>(1)?,
        ))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The table's rows (the company's, with a filter) into `tmp/run_<id>.parquet` beside the
/// cache, reporting rows as they are written. A failed or cancelled staging leaves no file.
pub(super) fn stage(
    ws: &Workspace,
    job: &Job,
    (table, filter): (&Table, Option<&Filter>),
    (run_id, started): (i64, Instant),
    cancel: &Cancel,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<PathBuf> {
    let path = super::staging::run_file(ws, run_id, "parquet")?;
    super::staging::stage_with(path, (job, started), sink, |path, report| {
        table.stage(path, filter, &|| cancel.is_cancelled(), report)
    })
}
