//! What a pushed-down compare knows beyond the rows it fetched, asked of ClickHouse as
//! sums and counts: duplicate keys, the agreeing slices' groups for the breakdowns, and the
//! columns few enough in values for explain to try.

use super::{RemoteTable, FETCHED, GROUPS};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::recon::groups::AgreeingGroups;
use crate::recon::report::Spec;
use crate::recon::spec::{Candidates, Measure};
use crate::sql::ident;
use crate::warehouse::{fetch, ClickHouse, Wire};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

pub(super) fn duplicate_keys_remote(
    ch: &ClickHouse,
    from: &str,
    keys: &[&str],
) -> Result<(i64, Wire)> {
    let list: Vec<String> = keys.iter().map(|k| CH.ident(k)).collect();
    ch.query_number(&format!(
        "SELECT count() AS n FROM (SELECT {l} FROM {from} GROUP BY {l} HAVING count() > 1)",
        l = list.join(", ")
    ))
}

/// The rows of the agreeing slices as groups (the shape `Beyond::agreeing_groups` names):
/// ClickHouse's sums and counts by every dimension, less those of the fetched rows (whose
/// part the keyed join supplies). Agreeing rows hold the same amounts on both sides.
pub(super) fn agreeing_groups(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    spec: &Spec,
    measures: &[Measure],
    remote: &RemoteTable,
) -> Result<(Option<AgreeingGroups>, Wire)> {
    if spec.dimensions.is_empty() || measures.is_empty() {
        return Ok((None, Wire::default()));
    }
    let dims: Vec<String> = spec.dimensions.iter().map(|d| spec.new_name(d)).collect();
    let v = AgreeingGroups::dimension_name;
    let m = AgreeingGroups::measure_name;
    let n = AgreeingGroups::ROWS;
    let mut columns: Vec<(String, String)> = (0..dims.len())
        .map(|i| (v(i), "Nullable(String)".to_string()))
        .collect();
    // Exact sums, as ClickHouse sums a Decimal128 (its text read back as a DECIMAL).
    columns.extend(
        measures
            .iter()
            .enumerate()
            .map(|(k, x)| (m(k), format!("Decimal(38, {})", x.scale))),
    );
    columns.push((n.to_string(), "UInt64".to_string()));
    let mut select: Vec<String> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| format!("toString({}) AS {}", CH.ident(d), CH.ident(&v(i))))
        .collect();
    select.extend(measures.iter().enumerate().map(|(k, x)| {
        let sum = format!("sum({})", CH.exact(&CH.ident(&x.new_name), x.new, x.scale));
        format!("{sum} AS {}", CH.ident(&m(k)))
    }));
    select.push(format!("count() AS {}", CH.ident(n)));
    let group: Vec<String> = (0..dims.len()).map(|i| CH.ident(&v(i))).collect();
    fetch::create_table(conn, GROUPS, &columns)?;
    let wire = fetch::append(
        ch,
        conn,
        GROUPS,
        &columns,
        &format!(
            "SELECT {} FROM {} GROUP BY {}",
            select.join(", "),
            remote.from,
            group.join(", ")
        ),
    )?;
    let local_select: Vec<String> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| format!("CAST({} AS VARCHAR) AS {}", ident(d), ident(&v(i))))
        .chain(measures.iter().enumerate().map(|(k, x)| {
            let value = Dialect::DuckDb.exact(&ident(&x.new_name), x.new, x.scale);
            format!("sum({value}) AS {}", ident(&m(k)))
        }))
        .chain(std::iter::once(format!("count(*) AS {}", ident(n))))
        .collect();
    let on: Vec<String> = (0..dims.len())
        .map(|i| format!("g.{c} IS NOT DISTINCT FROM f.{c}", c = ident(&v(i))))
        .collect();
    let out: Vec<String> = (0..dims.len())
        .map(|i| format!("g.{}", ident(&v(i))))
        .chain(
            (0..measures.len())
                .map(|k| format!("g.{c} - coalesce(f.{c}, 0) AS {c}", c = ident(&m(k)))),
        )
        .chain(std::iter::once(format!(
            "g.{c} - coalesce(f.{c}, 0) AS {c}",
            c = ident(n)
        )))
        .collect();
    let sql = format!(
        "SELECT {out} FROM {groups} AS g LEFT JOIN (SELECT {local} FROM {fetched} GROUP BY ALL) AS f ON {on}",
        out = out.join(", "),
        groups = ident(GROUPS),
        local = local_select.join(", "),
        fetched = ident(FETCHED),
        on = on.join(" AND ")
    );
    Ok((
        Some(AgreeingGroups {
            sql,
            dimensions: dims.len(),
            measures: measures.len(),
        }),
        wire,
    ))
}

/// The new side's columns explain may group by (few distinct values, or few months),
/// counted by ClickHouse.
pub(super) fn low_cardinality_remote(
    ch: &ClickHouse,
    spec: &Spec,
    remote: &RemoteTable,
) -> Result<(Candidates, Wire)> {
    let (cols, counts) = crate::recon::explain::dims::candidate_counts(spec, CH);
    if cols.is_empty() {
        return Ok((Candidates::default(), Wire::default()));
    }
    let (frame, wire) = ch.query_readonly(&format!("SELECT {counts} FROM {}", remote.from))?;
    let cells = crate::frame::to_cells(&frame)
        .into_iter()
        .next()
        .unwrap_or_default();
    let number = |i: usize| -> i64 {
        cells
            .get(i)
            .and_then(|v| v.as_deref())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let found: Vec<(i64, i64)> = (0..cols.len())
        .map(|i| (number(2 * i), number(2 * i + 1)))
        .collect();
    Ok((crate::recon::explain::dims::choose(&cols, &found), wire))
}
