//! Browsing the cache: the catalog of legacy/bronze/silver/gold tables, pages of a table
//! (sorted, filtered) fetched on demand, and column profiles. Pages come back as polars
//! frames; nothing here holds more than the page asked for. Tables of a ClickHouse
//! warehouse are browsed the same way by `warehouse::browse`; a relation's quoting says
//! where it lives (the cache's "double quotes", ClickHouse's `backticks`).

use duckdb::Connection;
use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::frame;
use crate::sql::{ident, literal};
use crate::warehouse::browse as remote;
use crate::warehouse::clickhouse::{ident_ch, literal_ch};
use crate::warehouse::ClickHouse;

/// Whether a relation names a ClickHouse table (see the module's comment).
pub fn in_warehouse(relation: &str) -> bool {
    relation.starts_with('`')
}

/// Where a relation is browsed: the cache, or the ClickHouse warehouse it lives in.
#[derive(Clone, Copy)]
pub enum Browser<'a> {
    Cache(&'a Connection),
    Warehouse(&'a ClickHouse),
}

impl<'a> Browser<'a> {
    /// The warehouse for a relation written for it (when there is one), else the cache.
    pub fn for_relation(
        relation: &str,
        cache: &'a Connection,
        warehouse: Option<&'a ClickHouse>,
    ) -> Self {
        match warehouse {
            Some(ch) if in_warehouse(relation) => Browser::Warehouse(ch),
            _ => Browser::Cache(cache),
        }
    }

    pub fn check_filter(self, relation: &str, filter: &str) -> Result<()> {
        match self {
            Browser::Cache(conn) => check_filter(conn, relation, filter),
            Browser::Warehouse(ch) => remote::check_filter(ch, relation, filter),
        }
    }

    pub fn count(self, relation: &str, view: &View) -> Result<i64> {
        match self {
            Browser::Cache(conn) => count(conn, relation, view),
            Browser::Warehouse(ch) => remote::count(ch, relation, view),
        }
    }

    pub fn page(self, relation: &str, view: &View, offset: u64, limit: u64) -> Result<DataFrame> {
        match self {
            Browser::Cache(conn) => page(conn, relation, view, offset, limit),
            Browser::Warehouse(ch) => remote::page(ch, relation, view, offset, limit),
        }
    }

    pub fn profile(self, relation: &str) -> Result<DataFrame> {
        match self {
            Browser::Cache(conn) => profile(conn, relation),
            Browser::Warehouse(ch) => remote::profile(ch, relation),
        }
    }

    pub fn top_values(self, relation: &str, column: &str, limit: usize) -> Result<DataFrame> {
        match self {
            Browser::Cache(conn) => top_values(conn, relation, column, limit),
            Browser::Warehouse(ch) => remote::top_values(ch, relation, column, limit),
        }
    }
}

pub const LAYERS: [&str; 4] = ["legacy", "bronze", "silver", "gold"];

#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    /// `table` or `view`.
    pub kind: String,
    pub columns: i64,
    /// DuckDB's estimate for tables; None for views (counted when opened).
    pub estimated_rows: Option<i64>,
    /// The ClickHouse database holding the table, when it lives in the warehouse.
    pub warehouse: Option<String>,
}

impl TableInfo {
    /// `"schema"."name"` (or `` `database`.`name` `` in ClickHouse), ready for SQL.
    pub fn sql(&self) -> String {
        match &self.warehouse {
            Some(db) => format!("{}.{}", ident_ch(db), ident_ch(&self.name)),
            None => format!("{}.{}", ident(&self.schema), ident(&self.name)),
        }
    }

    pub fn label(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// Every table and view of the four layers, in layer order. The versioned storage behind
/// bronze views (`<entity>__data`) and per-company legacy tables are left out: the views
/// over them are what people browse.
pub fn tables(conn: &Connection) -> Result<Vec<TableInfo>> {
    let schemas = LAYERS.map(literal).join(", ");
    let sql = format!(
        "SELECT schema_name, table_name, 'table', column_count, estimated_size FROM duckdb_tables() \
           WHERE database_name = current_database() AND schema_name IN ({schemas}) AND NOT internal \
         UNION ALL \
         SELECT schema_name, view_name, 'view', column_count, NULL FROM duckdb_views() \
           WHERE database_name = current_database() AND schema_name IN ({schemas}) AND NOT internal"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut out: Vec<TableInfo> = stmt
        .query_map([], |r| {
            Ok(TableInfo {
                schema: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                columns: r.get(3)?,
                estimated_rows: r.get(4)?,
                warehouse: None,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    out.retain(|t| {
        let storage = (t.schema == "bronze" && t.name.ends_with("__data"))
            || (t.schema == "legacy" && t.name.contains("__"));
        !storage
    });
    out.sort_by_key(|t| {
        (
            LAYERS.iter().position(|l| *l == t.schema).unwrap_or(9),
            t.name.clone(),
        )
    });
    Ok(out)
}

/// What part of a relation to show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// A SQL predicate typed by the user (checked by DuckDB: one statement, a boolean).
    pub filter: Option<String>,
    /// (column, descending)
    pub sort: Option<(String, bool)>,
    /// Written for ClickHouse (the relation lives there).
    pub clickhouse: bool,
}

impl View {
    fn name(&self, column: &str) -> String {
        if self.clickhouse {
            ident_ch(column)
        } else {
            ident(column)
        }
    }

    pub(crate) fn where_sql(&self) -> String {
        self.filter
            .as_ref()
            .map_or_else(String::new, |f| format!(" WHERE ({f})"))
    }

    pub(crate) fn order_sql(&self) -> String {
        self.sort.as_ref().map_or_else(String::new, |(c, desc)| {
            format!(
                " ORDER BY {} {} NULLS LAST",
                self.name(c),
                if *desc { "DESC" } else { "ASC" }
            )
        })
    }

    /// `column = value` for a cell (NULL → IS NULL), added to the filter with AND.
    pub fn and_equals(&mut self, column: &str, value: Option<&str>) {
        let c = self.name(column);
        let term = match (value, self.clickhouse) {
            (Some(v), false) => format!("CAST({c} AS VARCHAR) = {}", literal(v)),
            (Some(v), true) => format!("toString({c}) = {}", literal_ch(v)),
            (None, false) => format!("{c} IS NULL"),
            (None, true) => format!("isNull({c})"),
        };
        self.filter = Some(match self.filter.take() {
            Some(f) => format!("({f}) AND {term}"),
            None => term,
        });
    }
}

/// A user's filter must be one boolean expression: no statement separators or comments
/// that could smuggle a second statement (the engine checks the rest).
pub fn one_expression(filter: &str) -> Result<()> {
    if filter.contains(';') || filter.contains("--") || filter.contains("/*") {
        return Err(Error::Usage(
            "a filter is one SQL expression (no `;` or comments)".into(),
        ));
    }
    Ok(())
}

/// `one_expression`, then DuckDB checks the filter against the relation.
pub fn check_filter(conn: &Connection, relation: &str, filter: &str) -> Result<()> {
    one_expression(filter)?;
    conn.prepare(&format!("SELECT count(*) FROM {relation} WHERE ({filter})"))
        .map_err(|e| Error::Usage(format!("filter: {e}")))?;
    Ok(())
}

pub fn count(conn: &Connection, relation: &str, view: &View) -> Result<i64> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM {relation}{}", view.where_sql()),
        [],
        |r| r.get(0),
    )?)
}

/// Rows `offset .. offset + limit` of the relation as the view orders and filters it.
pub fn page(
    conn: &Connection,
    relation: &str,
    view: &View,
    offset: u64,
    limit: u64,
) -> Result<DataFrame> {
    frame::query(
        conn,
        &format!(
            "SELECT * FROM {relation}{}{} LIMIT {limit} OFFSET {offset}",
            view.where_sql(),
            view.order_sql()
        ),
        [],
    )
}

/// One row per column: type, nulls, distinct (approximate), min, max, and the top values.
pub fn profile(conn: &Connection, relation: &str) -> Result<DataFrame> {
    frame::query(
        conn,
        &format!(
            "SELECT column_name AS \"column\", column_type AS \"type\", count, null_percentage AS \"nulls%\", approx_unique AS \"~distinct\", \
                    CAST(min AS VARCHAR) AS min, CAST(max AS VARCHAR) AS max \
             FROM (SUMMARIZE SELECT * FROM {relation})"
        ),
        [],
    )
}

/// The most frequent values of a column with their counts.
pub fn top_values(
    conn: &Connection,
    relation: &str,
    column: &str,
    limit: usize,
) -> Result<DataFrame> {
    frame::query(
        conn,
        &format!(
            "SELECT CAST({c} AS VARCHAR) AS value, count(*) AS rows FROM {relation} \
             GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {limit}",
            c = ident(column)
        ),
        [],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_filters_and_sorts_in_duckdb() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE SCHEMA gold; CREATE TABLE gold.t AS SELECT i AS id, i % 3 AS g FROM range(100) r(i);\
             CREATE SCHEMA bronze; CREATE TABLE bronze.x__data (a INT); CREATE VIEW bronze.x AS SELECT * FROM bronze.x__data;",
        )
        .unwrap();
        let names: Vec<String> = tables(&conn)
            .unwrap()
            .iter()
            .map(TableInfo::label)
            .collect();
        assert_eq!(names, vec!["bronze.x", "gold.t"]);
        let mut view = View {
            sort: Some(("id".into(), true)),
            ..View::default()
        };
        view.and_equals("g", Some("1"));
        assert_eq!(count(&conn, "gold.t", &view).unwrap(), 33);
        let df = page(&conn, "gold.t", &view, 2, 3).unwrap();
        let rows = frame::to_text_rows(&df);
        assert_eq!(rows[1][0], "91");
        assert_eq!(rows.len(), 4);
        assert!(check_filter(&conn, "gold.t", "id > 3; DROP TABLE gold.t").is_err());
        let err = check_filter(&conn, "gold.t", "nope > 1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
        let p = frame::to_text_rows(&profile(&conn, "gold.t").unwrap());
        assert_eq!(p[1][0], "id");
        let top = frame::to_text_rows(&top_values(&conn, "gold.t", "g", 2).unwrap());
        assert_eq!(top[1], vec!["0", "34"]);
    }
}
