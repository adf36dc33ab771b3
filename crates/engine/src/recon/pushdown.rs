//! A drill step when the new side lives in ClickHouse: the measure by one dimension within
//! the drill path is a GROUP BY run by ClickHouse (only group rows travel), the legacy side's
//! is the same GROUP BY in DuckDB, and the two meet here by value.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::workbench::DrillRow;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::warehouse::{ClickHouse, Wire};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

/// One group: (value as text, sum of the measure, rows).
pub type Group = (Option<String>, f64, i64);

/// A drill path: (dimension column, value) pairs, outermost first.
pub type DrillPath = Vec<(String, Option<String>)>;

/// The measure by `by` within `path`, grouped, in one engine's dialect: (value as text,
/// sum, rows) per group.
fn group_sql(
    d: Dialect,
    relation: &str,
    measure: &str,
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
        m = d.sum_as_double(&d.ident(measure)),
        g = d.group_by_alias(1, "v"),
    )
}

/// The SQL of a pushed-down group step (what `group_remote` sends).
pub fn remote_group_sql(
    table: &str,
    measure: &str,
    by: &str,
    path: &[(String, Option<String>)],
) -> String {
    group_sql(CH, &CH.dotted_table(table), measure, by, path)
}

/// The measure by `by` within `path` (dimension = value pairs), in ClickHouse.
pub fn group_remote(
    ch: &ClickHouse,
    table: &str,
    measure: &str,
    by: &str,
    path: &[(String, Option<String>)],
) -> Result<(Vec<Group>, Wire)> {
    let sql = remote_group_sql(table, measure, by, path);
    let (frame, wire) = ch.query_readonly(&sql)?;
    Ok((groups_of(&crate::frame::to_cells(&frame))?, wire))
}

/// The server's answer as groups. A NULL group stays NULL (DuckDB's side says so too), a
/// NULL sum is 0 (no values); a short row or a figure that does not read is an error,
/// never a zero that would make the sides agree.
fn groups_of(rows: &[Vec<Option<String>>]) -> Result<Vec<Group>> {
    let number = |row: &Vec<Option<String>>, i: usize| -> Result<f64> {
        let cell = row.get(i).ok_or_else(|| {
            crate::error::Error::Runtime(format!(
                "the warehouse answered a group with {} columns, not 3",
                row.len()
            ))
        })?;
        let text = cell.as_deref().unwrap_or("0");
        text.trim().parse().map_err(|_| {
            crate::error::Error::Runtime(format!(
                "the warehouse answered `{text}` where a number was expected"
            ))
        })
    };
    rows.iter()
        .map(|row| {
            let (total, n) = (number(row, 1)?, number(row, 2)?);
            Ok((row.first().cloned().flatten(), total, n as i64))
        })
        .collect()
}

/// The same GROUP BY over a DuckDB relation (the legacy side, in the cache).
pub fn group_local(
    conn: &Connection,
    relation: &str,
    measure: &str,
    by: &str,
    path: &[(String, Option<String>)],
) -> Result<Vec<Group>> {
    let sql = group_sql(Dialect::DuckDb, relation, measure, by, path);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Legacy and new groups side by side, the largest gap first; `total_delta` gives shares.
pub fn merge(legacy: &[Group], new: &[Group], total_delta: f64) -> Vec<DrillRow> {
    let mut by_value: BTreeMap<Option<String>, (f64, f64, i64)> = BTreeMap::new();
    for (v, sum, n) in legacy {
        let e = by_value.entry(v.clone()).or_default();
        e.0 += sum;
        e.2 = e.2.max(*n);
    }
    for (v, sum, n) in new {
        let e = by_value.entry(v.clone()).or_default();
        e.1 += sum;
        e.2 = e.2.max(*n);
    }
    let mut rows: Vec<DrillRow> = by_value
        .into_iter()
        .map(|(value, (legacy, new, rows))| DrillRow {
            value,
            legacy,
            new,
            delta: new - legacy,
            rows,
            share: (total_delta != 0.0).then(|| (new - legacy) / total_delta),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.delta
            .abs()
            .total_cmp(&a.delta.abs())
            .then(a.value.cmp(&b.value))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_or_unreadable_group_is_an_error() {
        let row = |v: &[Option<&str>]| v.iter().map(|c| c.map(String::from)).collect::<Vec<_>>();
        let ok = groups_of(&[row(&[None, Some("12.5"), Some("3")])]).unwrap();
        assert_eq!(ok, vec![(None, 12.5, 3)]);
        assert!(
            groups_of(&[row(&[Some("a"), Some("1")])]).is_err(),
            "a short row"
        );
        let bad = groups_of(&[row(&[Some("a"), Some("x1"), Some("2")])]).unwrap_err();
        assert!(bad.to_string().contains("`x1`"), "{bad}");
    }

    #[test]
    fn merges_groups_from_both_sides_biggest_gap_first() {
        let legacy = vec![
            (Some("a".to_string()), 10.0, 2),
            (Some("b".to_string()), 5.0, 1),
        ];
        let new = vec![
            (Some("a".to_string()), 11.0, 2),
            (Some("c".to_string()), 7.0, 3),
        ];
        let rows = merge(&legacy, &new, 3.0);
        let order: Vec<&str> = rows.iter().map(|r| r.value.as_deref().unwrap()).collect();
        assert_eq!(order, vec!["c", "b", "a"]);
        assert_eq!(rows[1].delta, -5.0);
        assert_eq!(rows[0].share, Some(7.0 / 3.0));
        assert_eq!(CH.literal("o'k\\"), "'o\\'k\\\\'");
    }
}
