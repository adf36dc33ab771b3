//! Whole-row set comparison (`compare_relations`) and row counts.

use duckdb::Connection;
use polars::prelude::DataFrame;

use super::relation::Relation;
use crate::error::Result;
use crate::frame;
use crate::sql::{ident, literal};

/// The columns that make a row's identity: all of a's columns but the excluded ones.
fn identity(a: &Relation, exclude: &[String]) -> Vec<String> {
    a.columns
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| !exclude.iter().any(|e| e.eq_ignore_ascii_case(n)))
        .collect()
}

fn tagged_sql(a: &Relation, b: &Relation, cols: &[String]) -> String {
    let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT {list}, bool_or(side = 'a') AS in_a, bool_or(side = 'b') AS in_b FROM \
         (SELECT {list}, 'a' AS side FROM {} UNION ALL SELECT {list}, 'b' AS side FROM {}) GROUP BY ALL",
        a.sql, b.sql
    )
}

/// Distinct rows by where they occur: (in_a, in_b, count, percent_of_total).
pub fn summary(
    conn: &Connection,
    a: &Relation,
    b: &Relation,
    exclude: &[String],
) -> Result<DataFrame> {
    let sql = format!(
        "SELECT in_a, in_b, count(*) AS count, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS percent_of_total \
         FROM ({}) GROUP BY in_a, in_b ORDER BY in_a DESC, in_b DESC",
        tagged_sql(a, b, &identity(a, exclude))
    );
    frame::query(conn, &sql, [])
}

/// The distinct rows that are not on both sides, ordered by `order_by` then the rest.
pub fn differences(
    conn: &Connection,
    a: &Relation,
    b: &Relation,
    exclude: &[String],
    order_by: &[String],
) -> Result<DataFrame> {
    let cols = identity(a, exclude);
    let mut order: Vec<String> = order_by.iter().map(|c| ident(c)).collect();
    order.extend(cols.iter().map(|c| ident(c)));
    order.push("in_a DESC".into());
    let sql = format!(
        "SELECT * FROM ({}) WHERE NOT (in_a AND in_b) ORDER BY {}",
        tagged_sql(a, b, &cols),
        order.join(", ")
    );
    frame::query(conn, &sql, [])
}

pub fn row_counts(conn: &Connection, a: &Relation, b: &Relation) -> Result<DataFrame> {
    let sql = format!(
        "SELECT {} AS relation_name, count(*) AS total_records FROM {} UNION ALL SELECT {}, count(*) FROM {}",
        literal("a"),
        a.sql,
        literal("b"),
        b.sql
    );
    frame::query(conn, &sql, [])
}
