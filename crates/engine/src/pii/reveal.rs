//! Seeing real personal values is done on purpose, and each time is recorded in the
//! catalog: who, when, where (`assay sql`, the workbench) and what (the query, the screen).

use duckdb::Connection;

use crate::error::Result;

/// Record that `who` saw real values at `place` (what they looked at: `what`).
pub fn record(conn: &Connection, who: &str, place: &str, what: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO assay.reveals (revealed_at, revealed_by, place, what) VALUES (?, ?, ?, ?)",
        duckdb::params![crate::store::utc_now(), who, place, what],
    )?;
    Ok(())
}
