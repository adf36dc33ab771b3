//! Incremental reads of a database source (`incremental = { cursor = "updated_at" }`): a
//! run asks the source only for the rows past the greatest cursor value the current version
//! holds, and the new version is those rows plus the current version's rows they do not
//! replace (by the entity's keys). A source row deleted since is not seen this way: a
//! `--full-refresh` (and any schema drift, which reads everything) puts the version right.

use duckdb::{params, Connection};

use super::source_sql::Plan;
use crate::drift::ColumnDef;
use crate::error::Result;
use crate::sql::{ident, literal};

/// Where an incremental run starts: the current version's run and its greatest cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Carry {
    pub previous: i64,
    pub watermark: String,
}

/// The current version of (entity, company) and its greatest `cursor`; None on a first
/// load or when the version holds no cursor value (everything is read then).
pub(super) fn watermark(
    conn: &Connection,
    (entity, company): (&str, &str),
    cursor: &str,
) -> Result<Option<Carry>> {
    let Some((previous, _)) = super::versions::current(conn, entity, company)? else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT max({})::VARCHAR FROM {} WHERE _company = ? AND _run_id = ?",
        ident(cursor),
        super::versions::data_table(entity)
    );
    let top: Option<String> = conn.query_row(&sql, params![company, previous], |r| r.get(0))?;
    Ok(top.map(|watermark| Carry {
        previous,
        watermark,
    }))
}

/// The cursor's value as SQL every source reads alike: a number bare (a string would not
/// compare with a ClickHouse number), anything else (a timestamp, a date) quoted.
fn value_sql(carry: &Carry, cursor_type: &str) -> String {
    let numeric = crate::decimal::Numeric::of(cursor_type).is_some()
        && carry
            .watermark
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    match numeric {
        true => carry.watermark.clone(),
        false => literal(&carry.watermark),
    }
}

/// `plan` asking only for the rows past `carry`'s cursor value (the query wrapped, so the
/// user's SQL is untouched); a files plan is returned as it is.
pub(super) fn narrowed(plan: Plan, (cursor, columns): (&str, &[ColumnDef]), carry: &Carry) -> Plan {
    let ty = columns
        .iter()
        .find(|c| c.name == cursor)
        .map_or("VARCHAR", |c| c.type_.as_str());
    // The cursor is a plain identifier (checked by `validate`): written bare, as every
    // source reads it.
    let wrap = |q: &str| {
        format!(
            "SELECT * FROM ({}) AS assay_incremental WHERE {cursor} > {}",
            q.trim().trim_end_matches(';'),
            value_sql(carry, ty)
        )
    };
    match plan {
        Plan::Duckdb { path, alias, query } => Plan::Duckdb {
            path,
            alias,
            query: wrap(&query),
        },
        Plan::Server { source_name, query } => Plan::Server {
            source_name,
            query: wrap(&query),
        },
        // Files and Delta tables are read again only when they change (see `inputs`).
        other => other,
    }
}

/// The current version's rows the run's own (`run_id`) do not replace, copied under the
/// run: the new version is whole. Returns how many were kept.
pub(super) fn carry_forward(
    conn: &Connection,
    (catalog, entity, company): (&str, &str, &str),
    keys: &[String],
    (run_id, carry): (i64, &Carry),
) -> Result<i64> {
    let data = format!("{}.{}", ident(catalog), super::versions::data_table(entity));
    let same: Vec<String> = keys
        .iter()
        .map(|k| format!("n.{0} IS NOT DISTINCT FROM p.{0}", ident(k)))
        .collect();
    let sql = format!(
        "INSERT INTO {data} BY NAME SELECT * REPLACE ({run_id} AS _run_id) FROM {data} AS p \
         WHERE p._run_id = {prev} AND p._company = {c} AND NOT EXISTS ( \
           SELECT 1 FROM {data} AS n WHERE n._run_id = {run_id} AND n._company = {c} AND {same})",
        prev = carry.previous,
        c = literal(company),
        same = same.join(" AND "),
    );
    Ok(conn.execute(&sql, [])? as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_bare_and_times_quoted() {
        let carry = |w: &str| Carry {
            previous: 1,
            watermark: w.into(),
        };
        assert_eq!(value_sql(&carry("42"), "BIGINT"), "42");
        assert_eq!(
            value_sql(&carry("2024-05-01 10:00:00"), "TIMESTAMP"),
            "'2024-05-01 10:00:00'"
        );
        assert_eq!(value_sql(&carry("it's"), "VARCHAR"), "'it''s'");
    }
}
