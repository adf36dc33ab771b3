//! Browsing a ClickHouse warehouse: its layer databases' tables, pages of a table, counts,
//! profiles and top values — the cache's `browse` in ClickHouse's dialect, always under the
//! server's read-only mode. Only the page or summary asked for travels.

use polars::prelude::{Column, DataFrame};

use super::clickhouse::{ident_ch, literal_ch, ClickHouse};
use super::layer_database;
use crate::browse::{one_expression, TableInfo, View, LAYERS};
use crate::error::{Error, Result};
use crate::frame;

/// The tables and views of the warehouse's bronze, silver and gold databases, in layer
/// order; bronze's run storage (`__data`) and half-built tables (`__building`) left out.
/// (ClickHouse 18.16 joins once per SELECT, so the three lookups are merged here.)
pub fn tables(ch: &ClickHouse) -> Result<Vec<TableInfo>> {
    let layers: Vec<(String, &str)> = LAYERS[1..]
        .iter()
        .map(|l| (layer_database(ch, l), *l))
        .collect();
    let list: Vec<String> = layers.iter().map(|(d, _)| literal_ch(d)).collect();
    let filter = format!("database IN ({})", list.join(", "));
    let cells = |sql: String| -> Result<Vec<Vec<Option<String>>>> {
        Ok(frame::to_cells(&ch.query_readonly(&sql)?.0))
    };
    let named = cells(format!(
        "SELECT database, name, engine FROM system.tables WHERE {filter}"
    ))?;
    let columns = cells(format!(
        "SELECT database, table, count() FROM system.columns WHERE {filter} GROUP BY database, table"
    ))?;
    let rows = cells(format!(
        "SELECT database, table, sum(rows) FROM system.parts WHERE active AND {filter} GROUP BY database, table"
    ))?;
    let lookup = |set: &[Vec<Option<String>>], db: &str, name: &str| -> Option<i64> {
        set.iter()
            .find(|r| r[0].as_deref() == Some(db) && r[1].as_deref() == Some(name))
            .and_then(|r| r[2].as_deref()?.parse().ok())
    };
    let mut out = Vec::new();
    for row in &named {
        let (Some(db), Some(name)) = (row[0].as_deref(), row[1].as_deref()) else {
            continue;
        };
        if name.ends_with("__data") || name.ends_with("__building") {
            continue;
        }
        let Some((_, layer)) = layers.iter().find(|(d, _)| d == db) else {
            continue;
        };
        let view = row[2].as_deref().is_some_and(|e| e.ends_with("View"));
        out.push(TableInfo {
            schema: layer.to_string(),
            name: name.to_string(),
            kind: if view { "view" } else { "table" }.into(),
            columns: lookup(&columns, db, name).unwrap_or(0),
            estimated_rows: if view {
                None
            } else {
                Some(lookup(&rows, db, name).unwrap_or(0))
            },
            warehouse: Some(db.to_string()),
        });
    }
    out.sort_by_key(|t| {
        (
            LAYERS.iter().position(|l| *l == t.schema).unwrap_or(9),
            t.name.clone(),
        )
    });
    Ok(out)
}

/// The filter is one expression that ClickHouse accepts on the relation.
pub fn check_filter(ch: &ClickHouse, relation: &str, filter: &str) -> Result<()> {
    one_expression(filter)?;
    ch.query_readonly(&format!(
        "SELECT 1 FROM {relation} WHERE ({filter}) LIMIT 0"
    ))
    .map_err(|e| Error::Usage(format!("filter: {e}")))?;
    Ok(())
}

pub fn count(ch: &ClickHouse, relation: &str, view: &View) -> Result<i64> {
    Ok(ch
        .query_number(&format!(
            "SELECT count() AS n FROM {relation}{}",
            view.where_sql()
        ))?
        .0)
}

/// Rows `offset .. offset + limit` as the view orders and filters them (`LIMIT o, n`:
/// ClickHouse 18.16 has no OFFSET keyword).
pub fn page(
    ch: &ClickHouse,
    relation: &str,
    view: &View,
    offset: u64,
    limit: u64,
) -> Result<DataFrame> {
    Ok(ch
        .query_readonly(&format!(
            "SELECT * FROM {relation}{}{} LIMIT {offset}, {limit}",
            view.where_sql(),
            view.order_sql()
        ))?
        .0)
}

/// One row per column, as the cache's profile: type, count, nulls %, ~distinct, min, max.
pub fn profile(ch: &ClickHouse, relation: &str) -> Result<DataFrame> {
    let columns = ch.result_columns(&format!("SELECT * FROM {relation} LIMIT 0"))?;
    let mut select = vec!["count() AS n".to_string()];
    for (i, (name, _)) in columns.iter().enumerate() {
        let c = ident_ch(name);
        select.push(format!("countIf(isNull({c})) AS n{i}"));
        select.push(format!("uniq({c}) AS u{i}"));
        select.push(format!("toString(min({c})) AS lo{i}"));
        select.push(format!("toString(max({c})) AS hi{i}"));
    }
    let (frame, _) = ch.query_readonly(&format!("SELECT {} FROM {relation}", select.join(", ")))?;
    let row = frame::to_cells(&frame)
        .into_iter()
        .next()
        .unwrap_or_default();
    let at = |i: usize| row.get(i).cloned().flatten();
    let number = |i: usize| at(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let total = number(0);
    let n = columns.len();
    let pick = |k: usize| (0..n).map(|i| at(1 + 4 * i + k)).collect::<Vec<_>>();
    let nulls: Vec<f64> = (0..n)
        .map(|i| {
            let nulls = number(1 + 4 * i) as f64;
            if total == 0 {
                0.0
            } else {
                (10000.0 * nulls / total as f64).round() / 100.0
            }
        })
        .collect();
    frame::from_columns(vec![
        Column::new(
            "column".into(),
            columns.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "type".into(),
            columns.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
        ),
        Column::new("count".into(), vec![total; n]),
        Column::new("nulls%".into(), nulls),
        Column::new(
            "~distinct".into(),
            (0..n).map(|i| number(2 + 4 * i)).collect::<Vec<i64>>(),
        ),
        Column::new("min".into(), pick(2)),
        Column::new("max".into(), pick(3)),
    ])
}

/// The most frequent values of a column with their counts.
pub fn top_values(
    ch: &ClickHouse,
    relation: &str,
    column: &str,
    limit: usize,
) -> Result<DataFrame> {
    Ok(ch
        .query_readonly(&format!(
            "SELECT toString({c}) AS value, count() AS rows FROM {relation} \
             GROUP BY value ORDER BY rows DESC, value LIMIT {limit}",
            c = ident_ch(column)
        ))?
        .0)
}

/// The result of a read-only query, at most `cap` rows, into a temporary table of the
/// cache (so the SQL console pages it like any result); whether rows were left out.
pub fn query_into_cache(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    table: &str,
    sql: &str,
    cap: u64,
) -> Result<bool> {
    let columns = ch.result_columns(&format!("SELECT * FROM ({sql}) LIMIT 0"))?;
    crate::recon::remote::fetch::create_table(conn, table, &columns)?;
    let wire = crate::recon::remote::fetch::append(
        ch,
        conn,
        table,
        &columns,
        &format!("SELECT * FROM ({sql}) LIMIT {}", cap + 1),
    )?;
    if wire.rows > cap {
        conn.execute_batch(&format!(
            "DELETE FROM {t} WHERE rowid IN (SELECT max(rowid) FROM {t})",
            t = crate::sql::ident(table)
        ))?;
        return Ok(true);
    }
    Ok(false)
}
