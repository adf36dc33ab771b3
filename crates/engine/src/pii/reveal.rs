//! Seeing real personal values is done on purpose, and each time is recorded in the
//! catalog: who, when, where (`assay sql`, the workbench) and what (the query, the screen).

use chrono::NaiveDateTime;
use duckdb::Connection;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct Reveal {
    pub at: NaiveDateTime,
    pub who: String,
    pub place: String,
    pub what: String,
}

/// Record that `who` saw real values at `place` (what they looked at: `what`).
pub fn record(conn: &Connection, who: &str, place: &str, what: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO assay.reveals (revealed_at, revealed_by, place, what) VALUES (?, ?, ?, ?)",
        duckdb::params![crate::store::utc_now(), who, place, what],
    )?;
    Ok(())
}

/// The latest `limit` reveals, newest first.
pub fn latest(conn: &Connection, limit: usize) -> Result<Vec<Reveal>> {
    let mut stmt = conn.prepare(
        "SELECT revealed_at, revealed_by, place, what FROM assay.reveals \
         ORDER BY revealed_at DESC LIMIT ?",
    )?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            Ok(Reveal {
                at: r.get(0)?,
                who: r.get(1)?,
                place: r.get(2)?,
                what: r.get(3)?,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}
