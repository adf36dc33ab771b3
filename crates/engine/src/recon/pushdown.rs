//! A drill step when the new side lives in ClickHouse: the measure by one dimension within
//! the drill path is a GROUP BY run by ClickHouse (only group rows travel), the legacy side's
//! is the same GROUP BY in DuckDB, and the two meet here by value.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::drill_row::DrillRow;
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::warehouse::{ClickHouse, Wire};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

/// One group: (value as text, exact sum of the measure, rows).
pub type Group = (Option<String>, Exact, i64);

/// A measure column and how it is summed (see `Numeric`); sums come back at its scale.
pub type MeasureOn<'a> = (&'a str, Numeric);

/// A drill path: (dimension column, value) pairs, outermost first.
pub type DrillPath = Vec<(String, Option<String>)>;

/// The measure by `by` within `path`, grouped, in one engine's dialect: (value as text,
/// sum, rows) per group.
fn group_sql(
    d: Dialect,
    relation: &str,
    (measure, of): MeasureOn,
    by: &str,
    path: &[(String, Option<String>)],
) -> String {
    let terms: Vec<String> = path
        .iter()
        .map(|(dim, v)| d.text_equals(dim, v.as_deref()))
        .collect();
    let filter = if terms.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", terms.join(" AND "))
    };
    format!(
        "SELECT {by} AS v, {m} AS total, count(*) AS n FROM {relation}{filter} GROUP BY {g}",
        by = d.text(&d.ident(by)),
        m = d.exact_sum(&d.ident(measure), of, of.scale),
        g = d.group_by_alias(1, "v"),
    )
}

/// The SQL of a pushed-down group step (what `group_remote` sends).
pub fn remote_group_sql(
    table: &str,
    measure: MeasureOn,
    by: &str,
    path: &[(String, Option<String>)],
) -> String {
    group_sql(CH, &CH.dotted_table(table), measure, by, path)
}

/// The measure by `by` within `path` (dimension = value pairs), in ClickHouse.
pub fn group_remote(
    ch: &ClickHouse,
    table: &str,
    measure: MeasureOn,
    by: &str,
    path: &[(String, Option<String>)],
) -> Result<(Vec<Group>, Wire)> {
    let sql = remote_group_sql(table, measure, by, path);
    let (frame, wire) = ch.query_readonly(&sql)?;
    Ok((
        groups_of(&crate::frame::to_cells(&frame), measure.1.scale)?,
        wire,
    ))
}

/// The server's answer as groups. A NULL group stays NULL (DuckDB's side says so too), a
/// NULL sum is 0 (no values); a short row or a figure that does not read is an error,
/// never a zero that would make the sides agree.
fn groups_of(rows: &[Vec<Option<String>>], scale: u32) -> Result<Vec<Group>> {
    rows.iter()
        .map(|row| {
            let [value, total, n] = row.as_slice() else {
                return Err(crate::error::Error::Runtime(format!(
                    "the warehouse answered a group with {} columns, not 3",
                    row.len()
                )));
            };
            let total = Numeric::read_sum(total.as_deref(), scale, "a group's sum")?;
            let text = n.as_deref().unwrap_or("0");
            let n = text.trim().parse::<i64>().map_err(|_| {
                crate::error::Error::Runtime(format!(
                    "the warehouse answered `{text}` where a row count was expected"
                ))
            })?;
            Ok((value.clone(), total, n))
        })
        .collect()
}

/// The same GROUP BY over a DuckDB relation (the legacy side, in the cache).
pub fn group_local(
    conn: &Connection,
    relation: &str,
    measure: MeasureOn,
    by: &str,
    path: &[(String, Option<String>)],
) -> Result<Vec<Group>> {
    let sql = group_sql(Dialect::DuckDb, relation, measure, by, path);
    let frame = crate::frame::query(conn, &sql, [])?;
    groups_of(&crate::frame::to_cells(&frame), measure.1.scale)
}

/// Legacy and new groups side by side, the largest gap first; `total_delta` gives shares.
pub fn merge(legacy: &[Group], new: &[Group], total_delta: Exact) -> Result<Vec<DrillRow>> {
    let overflow = || crate::error::Error::Runtime("a drill sum overflows 38 digits".into());
    let mut by_value: BTreeMap<Option<String>, (Exact, Exact, i64)> = BTreeMap::new();
    for (side, groups) in [(0, legacy), (1, new)] {
        for (v, sum, n) in groups {
            let e = by_value
                .entry(v.clone())
                .or_insert((Exact::ZERO, Exact::ZERO, 0));
            let amount = if side == 0 { &mut e.0 } else { &mut e.1 };
            *amount = amount.plus(*sum).ok_or_else(overflow)?;
            e.2 = e.2.max(*n);
        }
    }
    let mut rows = by_value
        .into_iter()
        .map(|(value, (legacy, new, rows))| DrillRow::new(value, legacy, new, rows, total_delta))
        .collect::<Result<Vec<DrillRow>>>()?;
    rows.sort_by(|a, b| {
        b.delta
            .abs()
            .cmp(&a.delta.abs())
            .then(a.value.cmp(&b.value))
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_or_unreadable_group_is_an_error() {
        let row = |v: &[Option<&str>]| v.iter().map(|c| c.map(String::from)).collect::<Vec<_>>();
        let ok = groups_of(&[row(&[None, Some("12.5"), Some("3")])], 2).unwrap();
        assert_eq!(ok, vec![(None, Exact::parse("12.50").unwrap(), 3)]);
        assert_eq!(ok[0].1.to_string(), "12.50");
        assert!(
            groups_of(&[row(&[Some("a"), Some("1")])], 2).is_err(),
            "a short row"
        );
        let bad = groups_of(&[row(&[Some("a"), Some("x1"), Some("2")])], 2).unwrap_err();
        assert!(bad.to_string().contains("`x1`"), "{bad}");
    }

    #[test]
    fn merges_groups_from_both_sides_biggest_gap_first() {
        let x = |t: &str| Exact::parse(t).unwrap();
        let legacy = vec![
            (Some("a".to_string()), x("10.10"), 2),
            (Some("b".to_string()), x("5"), 1),
        ];
        let new = vec![
            (Some("a".to_string()), x("11.20"), 2),
            (Some("c".to_string()), x("7"), 3),
        ];
        let rows = merge(&legacy, &new, x("3")).unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r.value.as_deref().unwrap()).collect();
        assert_eq!(order, vec!["c", "b", "a"]);
        assert_eq!(rows[1].delta.to_string(), "-5");
        assert_eq!(rows[2].delta.to_string(), "1.10");
        assert_eq!(rows[0].share, Some(7.0 / 3.0));
        assert_eq!(CH.literal("o'k\\"), "'o\\'k\\\\'");
    }
}
