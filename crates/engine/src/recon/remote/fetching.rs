//! Moving the differing slices' rows: the new side's fetched from ClickHouse into the
//! cache, the legacy side's restricted to them, the slice names kept where both can read.

use super::{slices, Sides, DIFFERING, FETCHED, ID_LIST_BYTES, LEGACY_ROWS};
use crate::error::Result;
use crate::recon::relation::Relation;
use crate::recon::report::Spec;
use crate::sql::{ident, literal};
use crate::trace::stage;
use crate::warehouse::{fetch, ClickHouse, Wire};

use super::RemoteTable;
use super::CH;

/// The legacy rows of the differing slices, once, in a temporary table: the compare scans
/// them several times.
pub(super) fn restrict_legacy(
    conn: &duckdb::Connection,
    full: &Spec,
    sides: &Sides,
    to_fetch: &slices::Named,
) -> Result<Relation> {
    let named_here: Vec<String> = to_fetch
        .keys()
        .map(|&c| {
            format!(
                "{} IN (SELECT id FROM {} WHERE chars = {c})",
                sides.legacy.slice_id(c, &sides.rules),
                ident(DIFFERING)
            )
        })
        .collect();
    let restriction = if named_here.is_empty() {
        "false".to_string()
    } else {
        named_here.join(" OR ")
    };
    stage("legacy rows of differing slices", || {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {} AS SELECT * FROM {} WHERE {restriction}",
            ident(LEGACY_ROWS),
            full.legacy.sql,
        ))
    })?;
    Relation::describe(conn, &ident(LEGACY_ROWS))
}

/// The new side's rows of the slices `to_fetch` into the cache's FETCHED table, a list of
/// slices at a time.
pub(super) fn fetch_differing(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    sides: &Sides,
    remote: &RemoteTable,
    to_fetch: &slices::Named,
) -> Result<Wire> {
    let columns: Vec<String> = remote.columns.iter().map(|(n, _)| CH.ident(n)).collect();
    let mut fetched = Wire::default();
    for (&chars, ids) in to_fetch {
        for list in slices::id_lists(ids, |v: &str| CH.literal(v), ID_LIST_BYTES) {
            let sql = format!(
                "SELECT {} FROM {} WHERE {} IN ({list})",
                columns.join(", "),
                remote.from,
                sides.new.slice_id(chars, &sides.rules),
            );
            let w = fetch::append(ch, conn, FETCHED, &remote.columns, &sql)?;
            fetched.rows += w.rows;
            fetched.bytes += w.bytes;
        }
    }
    Ok(fetched)
}

/// The slices in hand, in the cache (the legacy side is restricted to them).
pub(super) fn set_differing(conn: &duckdb::Connection, named: &slices::Named) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} (chars INTEGER, id VARCHAR)",
        ident(DIFFERING)
    ))?;
    for (chars, ids) in named {
        for page in ids.chunks(1000) {
            let values: Vec<String> = page
                .iter()
                .map(|id| format!("({chars}, {})", literal(id)))
                .collect();
            conn.execute_batch(&format!(
                "INSERT INTO {} VALUES {}",
                ident(DIFFERING),
                values.join(", ")
            ))?;
        }
    }
    Ok(())
}

/// The first rows (by key, as the report picks its samples) of the kept slices `within`
/// admits, fetched like the differing ones: the report's only-new samples are then the
/// cache's. The condition admitting the kept rows less these is returned.
pub(super) fn fetch_kept_samples(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    remote: &RemoteTable,
    keys: &[String],
    within: &str,
) -> Result<(String, Wire)> {
    let texts: Vec<String> = keys
        .iter()
        .map(|k| format!("toString({})", CH.ident(k)))
        .collect();
    let tuple = match &texts[..] {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    let (frame, mut wire) = ch.query_readonly(&format!(
        "SELECT {} FROM {} WHERE {within} ORDER BY {} LIMIT {}",
        texts.join(", "),
        remote.from,
        texts.join(", "),
        crate::recon::report::SAMPLE_ROWS
    ))?;
    let firsts: Vec<String> = crate::frame::to_cells(&frame)
        .into_iter()
        .map(|row| {
            let values: Vec<String> = row
                .into_iter()
                .map(|v| CH.literal(&v.unwrap_or_default()))
                .collect();
            match &values[..] {
                [one] => one.clone(),
                many => format!("({})", many.join(", ")),
            }
        })
        .collect();
    if firsts.is_empty() {
        return Ok((within.to_string(), wire));
    }
    let columns: Vec<String> = remote.columns.iter().map(|(n, _)| CH.ident(n)).collect();
    let listed = format!("{tuple} IN ({})", firsts.join(", "));
    let w = fetch::append(
        ch,
        conn,
        FETCHED,
        &remote.columns,
        &format!(
            "SELECT {} FROM {} WHERE {within} AND {listed}",
            columns.join(", "),
            remote.from
        ),
    )?;
    (wire.rows, wire.bytes) = (wire.rows + w.rows, wire.bytes + w.bytes);
    Ok((format!("({within} AND NOT {listed})"), wire))
}
