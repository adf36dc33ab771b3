//! ClickHouse as an extraction source: the warehouse client pointed at the source's server
//! (its messages then name `sources.NAME`). Types come from DESCRIBE of the query, which
//! does not run it; rows stream as CSV into the staging file, a piece at a time.

use std::path::Path;

use super::{Link, ServerQuery};
use crate::cancel::Cancel;
use crate::config::{Warehouse, WarehouseKind};
use crate::drift::ColumnDef;
use crate::error::Result;
use crate::warehouse::{fetch::duck_type, ClickHouse};

/// Log in and check the database, then hand the guard a way to stop the query: the client
/// watches a cancel flag and KILLs its query on the server when it is set.
fn connect<T>(q: &ServerQuery, link: &Link<T>) -> Result<ClickHouse> {
    let settings = Warehouse {
        kind: WarehouseKind::Clickhouse,
        url: q.source.url.clone(),
        url_env: q.source.url_env.clone(),
        database: q.source.database.clone(),
        user: q.source.user.clone(),
        password_env: q.source.password_env.clone(),
        timeout_secs: Some(q.source.timeout().as_secs()),
        connect_timeout_secs: Some(q.source.connect_timeout().as_secs()),
        cluster: None,
        shards: None,
    };
    let ch = ClickHouse::connect_as(&settings, &format!("sources.{}", q.source_name))?;
    let cancel = Cancel::new();
    ch.watch(Some(cancel.clone()));
    link.connected(move || cancel.cancel());
    Ok(ch)
}

pub fn describe(q: &ServerQuery, link: &Link<Vec<ColumnDef>>) -> Result<Vec<ColumnDef>> {
    let ch = connect(q, link)?;
    Ok(ch
        .describe_select(q.query_text())?
        .iter()
        .map(|(name, ch_type)| ColumnDef::new(name, &duck_type(ch_type)))
        .collect())
}

/// Rows as CSVWithNames; returns the rows written (lines after the header: progress only
/// miscounts a text value holding a line break, the load counts what DuckDB read).
pub fn fetch_csv(q: &ServerQuery, path: &Path, link: &Link<u64>) -> Result<u64> {
    let ch = connect(q, link)?;
    let (mut lines, mut reported) = (0u64, 0u64);
    ch.stream_to_file(q.query_text(), "CSVWithNames", path, &mut |piece| {
        lines += piece.iter().filter(|&&b| b == b'\n').count() as u64;
        if lines - reported >= 100_000 {
            reported = lines;
            link.rows(lines.saturating_sub(1));
        }
    })?;
    Ok(lines.saturating_sub(1))
}
