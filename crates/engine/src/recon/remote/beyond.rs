//! What a pushed-down compare knows beyond the rows it fetched, asked of ClickHouse as
//! sums and counts: duplicate keys, the agreeing slices' groups for the breakdowns, and the
//! columns few enough in values for explain to try.

use super::{RemoteTable, FETCHED, GROUPS, KEPT};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::recon::class::RowClass;
use crate::recon::groups::AgreeingGroups;
use crate::recon::report::Spec;
use crate::recon::spec::{Candidates, Measure};
use crate::sql::{ident, literal};
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

/// The rows not fetched as groups (the shape `Beyond::agreeing_groups` names):
/// ClickHouse's sums and counts by every dimension, less those of the fetched rows (whose
/// part the keyed join supplies) and of the rows `kept` admits (the only-new slices kept in
/// the warehouse), which are groups of their own. Agreeing rows hold the same amounts on
/// both sides.
pub(super) fn agreeing_groups(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    (spec, measures): (&Spec, &[Measure]),
    remote: &RemoteTable,
    kept: Option<&str>,
) -> Result<(Option<AgreeingGroups>, Wire)> {
    if spec.dimensions.is_empty() || measures.is_empty() {
        return Ok((None, Wire::default()));
    }
    let dims: Vec<String> = spec.dimensions.iter().map(|d| spec.new_name(d)).collect();
    let shape = GroupShape {
        dims: &dims,
        measures,
    };
    let mut wire = fetch::append(
        ch,
        conn,
        GROUPS,
        &shape.create(conn, GROUPS)?,
        &shape.remote_sql(&remote.from, None),
    )?;
    if let Some(within) = kept {
        let w = fetch::append(
            ch,
            conn,
            KEPT,
            &shape.create(conn, KEPT)?,
            &shape.remote_sql(&remote.from, Some(within)),
        )?;
        (wire.rows, wire.bytes) = (wire.rows + w.rows, wire.bytes + w.bytes);
    }
    Ok((
        Some(AgreeingGroups {
            sql: shape.unfetched_sql(kept.is_some()),
            dimensions: dims.len(),
            measures: measures.len(),
        }),
        wire,
    ))
}

/// The groups' columns for these dimensions (the new side's names) and measures.
struct GroupShape<'a> {
    dims: &'a [String],
    measures: &'a [Measure],
}

impl GroupShape<'_> {
    /// The cache's table `name` of ClickHouse's group sums; its columns.
    fn create(&self, conn: &duckdb::Connection, name: &str) -> Result<Vec<(String, String)>> {
        let mut columns: Vec<(String, String)> = (0..self.dims.len())
            .map(|i| (AgreeingGroups::dimension_name(i), "Nullable(String)".into()))
            .collect();
        // Exact sums, as ClickHouse sums a Decimal128 (its text read back as a DECIMAL).
        for (k, x) in self.measures.iter().enumerate() {
            let t = format!("Decimal(38, {})", x.scale);
            columns.push((AgreeingGroups::measure_name(k), t.clone()));
            columns.push((AgreeingGroups::weight_name(k), t));
        }
        columns.push((AgreeingGroups::ROWS.to_string(), "UInt64".to_string()));
        fetch::create_table(conn, name, &columns)?;
        Ok(columns)
    }

    /// ClickHouse's sums by every dimension of `from`'s rows (`within` admits).
    fn remote_sql(&self, from: &str, within: Option<&str>) -> String {
        let (v, m, w) = (
            AgreeingGroups::dimension_name,
            AgreeingGroups::measure_name,
            AgreeingGroups::weight_name,
        );
        let mut select: Vec<String> = self
            .dims
            .iter()
            .enumerate()
            .map(|(i, d)| format!("toString({}) AS {}", CH.ident(d), CH.ident(&v(i))))
            .collect();
        for (k, x) in self.measures.iter().enumerate() {
            let value = CH.exact(&CH.ident(&x.new_name), x.new, x.scale);
            select.push(format!("sum({value}) AS {}", CH.ident(&m(k))));
            select.push(format!("sum(abs({value})) AS {}", CH.ident(&w(k))));
        }
        select.push(format!("count() AS {}", CH.ident(AgreeingGroups::ROWS)));
        let group: Vec<String> = (0..self.dims.len()).map(|i| CH.ident(&v(i))).collect();
        let filter = within.map(|w| format!(" WHERE {w}")).unwrap_or_default();
        format!(
            "SELECT {} FROM {from}{filter} GROUP BY {}",
            select.join(", "),
            group.join(", ")
        )
    }

    /// The cache's query of the groups not fetched: the agreeing ones (every row less the
    /// fetched and the kept), then the kept only-new ones.
    fn unfetched_sql(&self, kept: bool) -> String {
        let (v, m, w) = (
            AgreeingGroups::dimension_name,
            AgreeingGroups::measure_name,
            AgreeingGroups::weight_name,
        );
        let n = AgreeingGroups::ROWS;
        let local: Vec<String> = self
            .dims
            .iter()
            .enumerate()
            .map(|(i, d)| format!("CAST({} AS VARCHAR) AS {}", ident(d), ident(&v(i))))
            .chain(self.measures.iter().enumerate().map(|(k, x)| {
                let value = Dialect::DuckDb.exact(&ident(&x.new_name), x.new, x.scale);
                format!("sum({value}) AS {}", ident(&m(k)))
            }))
            .chain(std::iter::once(format!("count(*) AS {}", ident(n))))
            .collect();
        let on = |other: &str| -> String {
            let terms: Vec<String> = (0..self.dims.len())
                .map(|i| format!("g.{c} IS NOT DISTINCT FROM {other}.{c}", c = ident(&v(i))))
                .collect();
            terms.join(" AND ")
        };
        let less = |c: String| match kept {
            true => format!("g.{c} - coalesce(f.{c}, 0) - coalesce(k.{c}, 0) AS {c}"),
            false => format!("g.{c} - coalesce(f.{c}, 0) AS {c}"),
        };
        let class = |c: RowClass| {
            format!(
                "{} AS {}",
                literal(c.as_str()),
                ident(AgreeingGroups::CLASS)
            )
        };
        let mut agreeing: Vec<String> = (0..self.dims.len())
            .map(|i| format!("g.{}", ident(&v(i))))
            .collect();
        for k in 0..self.measures.len() {
            agreeing.push(less(ident(&m(k))));
            agreeing.push(format!("0 AS {}", ident(&w(k))));
        }
        agreeing.push(less(ident(n)));
        agreeing.push(class(RowClass::Matched));
        let mut sql = format!(
            "SELECT {out} FROM {groups} AS g LEFT JOIN (SELECT {local} FROM {fetched} GROUP BY ALL) AS f ON {on_f}",
            out = agreeing.join(", "),
            groups = ident(GROUPS),
            local = local.join(", "),
            fetched = ident(FETCHED),
            on_f = on("f"),
        );
        if kept {
            let mut only_new: Vec<String> = (0..self.dims.len()).map(|i| ident(&v(i))).collect();
            for k in 0..self.measures.len() {
                only_new.push(ident(&m(k)));
                only_new.push(ident(&w(k)));
            }
            only_new.push(ident(n));
            only_new.push(class(RowClass::OnlyNew));
            sql = format!(
                "{sql} LEFT JOIN {kept} AS k ON {on_k} UNION ALL SELECT {cols} FROM {kept}",
                kept = ident(KEPT),
                on_k = on("k"),
                cols = only_new.join(", ")
            );
        }
        sql
    }
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

/// The rows `within` admits (the only-new slices kept in the warehouse) and, per column of
/// `columns` (the new side's names), how many of them are NULL.
pub(super) fn kept_counts(
    ch: &ClickHouse,
    remote: &RemoteTable,
    columns: &[String],
    within: &str,
) -> Result<((i64, Vec<i64>), Wire)> {
    let mut select = vec!["count()".to_string()];
    select.extend(
        columns
            .iter()
            .map(|c| format!("countIf(isNull({}))", CH.ident(c))),
    );
    let (frame, wire) = ch.query_readonly(&format!(
        "SELECT {} FROM {} WHERE {within}",
        select.join(", "),
        remote.from
    ))?;
    let cells = crate::frame::to_cells(&frame)
        .into_iter()
        .next()
        .unwrap_or_default();
    let numbers: Vec<i64> = (0..select.len())
        .map(|i| {
            let cell = cells.get(i).cloned().flatten().unwrap_or_default();
            cell.trim().parse().map_err(|_| {
                crate::error::Error::Runtime(format!(
                    "ClickHouse answered `{cell}` where a count of the kept rows was expected"
                ))
            })
        })
        .collect::<Result<_>>()?;
    Ok(((numbers[0], numbers[1..].to_vec()), wire))
}
