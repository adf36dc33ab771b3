//! What the imported legacy rows say about the comparison: the table they match best, the
//! columns that are a key (unique per company, checked on every row), the measures
//! (decimal columns), the dimensions (few distinct values), and whether text differs only in
//! case and spacing between the two sides.

use duckdb::Connection;

use super::columns::match_names;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::sql::ident;
use crate::warehouse::fetch::duck_type;
use crate::warehouse::{browse, ClickHouse};

/// A column of a relation: name and DuckDB type.
pub type Col = (String, String);

pub fn columns(conn: &Connection, relation: &str) -> Result<Vec<Col>> {
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn number(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

/// Where the layer tables are: the cache, attached read-only as `wh`, or a ClickHouse
/// warehouse, whose chosen table is brought into the in-memory store to be looked at.
#[derive(Clone, Copy)]
pub enum Layers<'a> {
    Cache,
    Warehouse(&'a ClickHouse),
}

impl Layers<'_> {
    /// The silver and gold tables (`layer.name`), gold first.
    pub fn tables(&self, conn: &Connection) -> Result<Vec<String>> {
        match self {
            Layers::Cache => layer_tables(conn),
            Layers::Warehouse(ch) => {
                let mut found: Vec<(bool, String)> = browse::warehouse_tables(ch)?
                    .into_iter()
                    .filter(|t| t.schema == "gold" || t.schema == "silver")
                    .map(|t| (t.schema == "silver", t.label()))
                    .collect();
                found.sort();
                Ok(found.into_iter().map(|(_, t)| t).collect())
            }
        }
    }

    /// A table's columns with the DuckDB types that hold them.
    pub fn columns(&self, conn: &Connection, table: &str) -> Result<Vec<Col>> {
        match self {
            Layers::Cache => columns(conn, &wh(table)),
            Layers::Warehouse(ch) => Ok(ch
                .describe(&warehouse_name(ch, table))?
                .into_iter()
                .map(|(n, t)| (n, duck_type(&t)))
                .collect()),
        }
    }

    /// A relation of the in-memory store with the table's `wanted` columns.
    pub fn relation(&self, conn: &Connection, table: &str, wanted: &[String]) -> Result<String> {
        match self {
            Layers::Cache => Ok(wh(table)),
            Layers::Warehouse(ch) => {
                let (db, name) = warehouse_name(ch, table)
                    .split_once('.')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .unwrap_or_default();
                let list: Vec<String> = wanted
                    .iter()
                    .map(|c| Dialect::ClickHouse.ident(c))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM {}",
                    list.join(", "),
                    Dialect::ClickHouse.table(&db, &name)
                );
                browse::query_into_cache(ch, conn, "init_layer_table", &sql, FETCHED_ROWS)?;
                Ok(ident("init_layer_table"))
            }
        }
    }
}

/// At most this many rows of a warehouse table are brought in to be looked at.
const FETCHED_ROWS: u64 = 5_000_000;

/// `layer.name` as the warehouse's `database.name`.
fn warehouse_name(ch: &ClickHouse, table: &str) -> String {
    let (layer, name) = table.split_once('.').unwrap_or(("gold", table));
    format!("{}.{name}", crate::warehouse::layer_database(ch, layer))
}

/// The silver and gold tables of the attached cache `wh`, gold first.
fn layer_tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables \
         WHERE table_catalog = 'wh' AND table_schema IN ('gold', 'silver') \
         ORDER BY table_schema = 'silver', table_name",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A table and the columns matched to it: (legacy column, table column).
pub type Matched = (String, Vec<(String, String)>);

/// The table whose columns match most of `legacy`'s (ties: gold, then by name).
pub fn best_table(
    conn: &Connection,
    layers: Layers,
    legacy: &[Col],
    tables: &[String],
) -> Result<Option<Matched>> {
    let names: Vec<String> = legacy.iter().map(|c| c.0.clone()).collect();
    let mut best: Option<Matched> = None;
    for t in tables {
        let typed = layers.columns(conn, t)?;
        let cols: Vec<String> = typed.iter().map(|c| c.0.clone()).collect();
        let type_of = |cols: &[Col], n: &str| {
            cols.iter()
                .find(|c| c.0 == n)
                .map(|c| c.1.clone())
                .unwrap_or_default()
        };
        let matched: Vec<(String, String)> = match_names(&names, &cols)
            .into_iter()
            .filter(|(a, b, _)| compatible(&type_of(legacy, a), &type_of(&typed, b)))
            .map(|(a, b, _)| (a, b))
            .collect();
        if best.as_ref().is_none_or(|b| matched.len() > b.1.len()) {
            best = Some((t.clone(), matched));
        }
    }
    Ok(best.filter(|b| !b.1.is_empty()))
}

/// What kind of value a DuckDB type holds: numbers, points in time, or anything (text).
fn kind(ty: &str) -> u8 {
    let t = ty.to_ascii_uppercase();
    if t.starts_with("DATE") || t.starts_with("TIMESTAMP") || t.starts_with("TIME") {
        1
    } else if t == "VARCHAR" || t.is_empty() {
        0
    } else {
        2
    }
}

/// Whether a legacy column may be the table's column by type: text goes with anything (a
/// legacy export's text may hold dates or codes), numbers do not go with dates.
fn compatible(legacy: &str, table: &str) -> bool {
    let (a, b) = (kind(legacy), kind(table));
    a == 0 || b == 0 || a == b
}

/// `schema.table` in the attached cache.
fn wh(table: &str) -> String {
    let (s, t) = table.split_once('.').unwrap_or(("main", table));
    format!("wh.{}.{}", ident(s), ident(t))
}

/// Columns unique within each company of `relation` (checked on every row), best first:
/// text before numbers, names saying `id`/`number` first. Pairs when no column is.
pub fn keys(conn: &Connection, relation: &str, candidates: &[Col]) -> Result<Option<Vec<String>>> {
    let total = number(conn, &format!("SELECT count(*) FROM {relation}"))?;
    let unique =
        |cols: &[&str]| -> Result<bool> {
            let list: Vec<String> = cols.iter().map(|c| ident(c)).collect();
            let n =
                number(
                    conn,
                    &format!(
                "SELECT count(*) FROM (SELECT DISTINCT _company, {} FROM {relation} WHERE {})",
                list.join(", "),
                list.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ")
            ),
                )?;
            Ok(n == total)
        };
    let mut ranked: Vec<&Col> = candidates
        .iter()
        .filter(|(_, t)| !t.starts_with("DOUBLE") && !t.starts_with("FLOAT"))
        .collect();
    let says_id = |n: &str| {
        super::columns::words(n)
            .iter()
            .any(|w| ["id", "no", "nr", "number", "key", "code"].contains(&w.as_str()))
    };
    ranked.sort_by_key(|(n, t)| (!says_id(n), t != "VARCHAR"));
    for (n, _) in &ranked {
        if unique(&[n])? {
            return Ok(Some(vec![n.clone()]));
        }
    }
    let first: Vec<&str> = ranked.iter().take(6).map(|(n, _)| n.as_str()).collect();
    for (i, a) in first.iter().enumerate() {
        for b in &first[i + 1..] {
            if unique(&[a, b])? {
                return Ok(Some(vec![a.to_string(), b.to_string()]));
            }
        }
    }
    Ok(None)
}

/// Money-like columns: exact decimals (or doubles) that are not keys.
pub fn measures(candidates: &[Col], keys: &[String]) -> Vec<String> {
    candidates
        .iter()
        .filter(|(n, t)| !keys.contains(n) && (t.starts_with("DECIMAL") || t == "DOUBLE"))
        .map(|(n, _)| n.clone())
        .collect()
}

/// Text columns with few distinct values (at most 50, and at most a fifth of the rows), with
/// their count of values.
pub fn dimensions(
    conn: &Connection,
    relation: &str,
    candidates: &[Col],
    keys: &[String],
) -> Result<Vec<(String, i64)>> {
    let total = number(conn, &format!("SELECT count(*) FROM {relation}"))?;
    let mut out = Vec::new();
    for (n, t) in candidates {
        if keys.contains(n) || t != "VARCHAR" {
            continue;
        }
        let distinct = number(
            conn,
            &format!("SELECT count(DISTINCT {}) FROM {relation}", ident(n)),
        )?;
        if distinct <= 50 && distinct * 5 <= total {
            out.push((n.clone(), distinct));
        }
    }
    Ok(out)
}

/// Of the rows both sides have (joined on the keys, per company where the table has a
/// company column), how many differ in some text column only by case or spacing; with the
/// columns where they do.
pub fn text_only_in_form(
    conn: &Connection,
    (legacy, table): (&str, &str),
    keys: &[(String, String)],
    text: &[(String, String)],
    company: Option<&str>,
) -> Result<(i64, Vec<String>)> {
    let mut on: Vec<String> = keys
        .iter()
        .map(|(l, n)| format!("l.{} = n.{}", ident(l), ident(n)))
        .collect();
    if let Some(c) = company {
        on.push(format!("l._company = CAST(n.{} AS VARCHAR)", ident(c)));
    }
    let form = |l: &str, n: &str| {
        format!(
            "(l.{l} IS DISTINCT FROM n.{n} AND lower(trim(l.{l})) = lower(trim(n.{n})))",
            l = ident(l),
            n = ident(n)
        )
    };
    let mut columns = Vec::new();
    let mut rows = 0;
    for (l, n) in text {
        let sql = format!(
            "SELECT count(*) FROM {legacy} AS l JOIN {table} AS n ON {} WHERE {}",
            on.join(" AND "),
            form(l, n)
        );
        let found = number(conn, &sql)?;
        if found > 0 {
            columns.push(l.clone());
            rows = rows.max(found);
        }
    }
    Ok((rows, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_do_not_match_but_text_matches_both() {
        assert!(compatible("DECIMAL(12,2)", "BIGINT"));
        assert!(compatible("VARCHAR", "DATE"));
        assert!(compatible("DATE", "TIMESTAMP"));
        assert!(!compatible("DATE", "DECIMAL(14,2)"));
        assert!(!compatible("INTEGER", "DATE"));
    }
}
