//! Browsing a layer table wherever it lives, the cache or the ClickHouse warehouse: the
//! catalog of legacy/bronze/silver/gold tables, pages of a table (sorted, filtered) fetched
//! on demand, counts, column profiles and top values. Each operation is written once in the
//! table's dialect and run by its engine; only the page or summary asked for travels, and
//! ClickHouse is always asked under its read-only mode.

use duckdb::Connection;
use polars::prelude::{Column, DataFrame};

use super::clickhouse::ClickHouse;
use super::layer_database;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::frame;
use crate::sql::literal;

pub const LAYERS: [&str; 4] = ["legacy", "bronze", "silver", "gold"];

/// Up to this many rows a profile counts distinct values exactly (a hash of each column's
/// values, seconds at most); above, it estimates them (HyperLogLog) and says so.
pub const EXACT_DISTINCT_ROWS: i64 = 5_000_000;

/// The profile column of distinct values, named for how it was counted.
fn distinct_header(exact: bool) -> &'static str {
    if exact {
        "distinct"
    } else {
        "~distinct"
    }
}

/// DuckDB's SUMMARIZE, with its estimate of distinct values replaced by an exact count
/// when `exact`.
fn profile_cache(conn: &Connection, table: &Table, exact: bool) -> Result<DataFrame> {
    let summary = format!("SUMMARIZE SELECT * FROM {table}");
    let header = distinct_header(exact);
    if !exact {
        return frame::query(
            conn,
            &format!(
                "SELECT column_name AS \"column\", column_type AS \"type\", count, null_percentage AS \"nulls%\", \
                        approx_unique AS \"{header}\", CAST(min AS VARCHAR) AS min, CAST(max AS VARCHAR) AS max \
                 FROM ({summary})"
            ),
            [],
        );
    }
    let columns: Vec<String> = {
        let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {table}"))?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
        names.collect::<std::result::Result<_, _>>()?
    };
    let names: Vec<String> = columns.iter().map(|c| literal(c)).collect();
    let counts: Vec<String> = columns
        .iter()
        .map(|c| format!("count(DISTINCT {})", Dialect::DuckDb.ident(c)))
        .collect();
    // One scan counts every column; the lists become one row per column, in order.
    frame::query(
        conn,
        &format!(
            "WITH s AS (SELECT * FROM ({summary})), \
                  c AS (SELECT [{names}] AS names, [{counts}] AS counts FROM {table}), \
                  d AS (SELECT unnest(names) AS column_name, unnest(counts) AS exact, \
                               unnest(range(len(names))) AS ordinal FROM c) \
             SELECT s.column_name AS \"column\", column_type AS \"type\", count, null_percentage AS \"nulls%\", \
                    d.exact AS \"{header}\", CAST(min AS VARCHAR) AS min, CAST(max AS VARCHAR) AS max \
             FROM s JOIN d ON s.column_name = d.column_name ORDER BY d.ordinal",
            names = names.join(", "),
            counts = counts.join(", "),
        ),
        [],
    )
}

/// A table or view as SQL in the dialect of the engine that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The quoted name (or any relation text) usable after FROM.
    pub sql: String,
    pub dialect: Dialect,
}

impl Table {
    /// A relation of the cache (DuckDB).
    pub fn cache(sql: impl Into<String>) -> Table {
        Table {
            sql: sql.into(),
            dialect: Dialect::DuckDb,
        }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql)
    }
}

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
    /// The table, quoted in the dialect of the engine holding it.
    pub fn table(&self) -> Table {
        match &self.warehouse {
            Some(db) => Table {
                sql: Dialect::ClickHouse.table(db, &self.name),
                dialect: Dialect::ClickHouse,
            },
            None => Table::cache(Dialect::DuckDb.table(&self.schema, &self.name)),
        }
    }

    pub fn label(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// Where a table's SQL runs: the cache, or the ClickHouse warehouse.
#[derive(Clone, Copy)]
pub enum Browser<'a> {
    Cache(&'a Connection),
    Warehouse(&'a ClickHouse),
}

impl<'a> Browser<'a> {
    /// The engine holding `table`: the warehouse for a ClickHouse table (when connected),
    /// else the cache.
    pub fn for_table(
        table: &Table,
        cache: &'a Connection,
        warehouse: Option<&'a ClickHouse>,
    ) -> Self {
        match (table.dialect, warehouse) {
            (Dialect::ClickHouse, Some(ch)) => Browser::Warehouse(ch),
            _ => Browser::Cache(cache),
        }
    }

    /// A query's result as a frame.
    pub fn frame(self, sql: &str) -> Result<DataFrame> {
        match self {
            Browser::Cache(conn) => frame::query(conn, sql, []),
            Browser::Warehouse(ch) => Ok(ch.query_readonly(sql)?.0),
        }
    }

    /// A query answering one whole number.
    fn number(self, sql: &str) -> Result<i64> {
        match self {
            Browser::Cache(conn) => Ok(conn.query_row(sql, [], |r| r.get(0))?),
            Browser::Warehouse(ch) => Ok(ch.query_number(sql)?.0),
        }
    }

    /// Whether the engine accepts a query, without running it to the end.
    fn accepts(self, sql: &str) -> Result<()> {
        match self {
            Browser::Cache(conn) => conn.prepare(sql).map(|_| ()).map_err(Error::from),
            Browser::Warehouse(ch) => ch.query_readonly(&format!("{sql} LIMIT 0")).map(|_| ()),
        }
    }

    /// The filter is one expression that the table's engine accepts.
    pub fn check_filter(self, table: &Table, filter: &str) -> Result<()> {
        one_expression(filter)?;
        self.accepts(&format!("SELECT 1 FROM {table} WHERE ({filter})"))
            .map_err(|e| Error::Usage(format!("filter: {e}")))
    }

    pub fn count(self, table: &Table, view: &View) -> Result<i64> {
        self.number(&format!(
            "SELECT count(*) AS n FROM {table}{}",
            view.where_sql()
        ))
    }

    /// Rows `offset .. offset + limit` of the table as the view orders and filters it.
    pub fn page(self, table: &Table, view: &View, offset: u64, limit: u64) -> Result<DataFrame> {
        self.frame(&format!(
            "SELECT * FROM {table}{}{} {}",
            view.where_sql(),
            view.order_sql(table.dialect),
            table.dialect.limit(offset, limit)
        ))
    }

    /// A table opened under a view: the filter checked, its rows counted, the first page.
    pub fn open(self, table: &Table, view: &View, limit: u64) -> Result<(i64, DataFrame)> {
        if let Some(f) = &view.filter {
            self.check_filter(table, f)?;
        }
        Ok((self.count(table, view)?, self.page(table, view, 0, limit)?))
    }

    /// The profile, and the top values of `column` when one is asked about.
    pub fn profile_with_top(
        self,
        table: &Table,
        column: Option<&str>,
    ) -> Result<(DataFrame, Option<DataFrame>)> {
        let summary = self.profile(table)?;
        let top = column.map(|c| self.top_values(table, c, 5)).transpose()?;
        Ok((summary, top))
    }

    /// One row per column: type, count, nulls %, distinct values, min, max. Distinct values
    /// are counted exactly up to `EXACT_DISTINCT_ROWS` rows (`distinct`); above, they are
    /// estimated and the column says so (`~distinct`).
    pub fn profile(self, table: &Table) -> Result<DataFrame> {
        let exact = self.count(table, &View::default())? <= EXACT_DISTINCT_ROWS;
        match self {
            Browser::Cache(conn) => profile_cache(conn, table, exact),
            Browser::Warehouse(ch) => profile_clickhouse(ch, &table.sql, exact),
        }
    }

    /// The most frequent values of a column with their counts.
    pub fn top_values(self, table: &Table, column: &str, limit: usize) -> Result<DataFrame> {
        let d = table.dialect;
        self.frame(&format!(
            "SELECT {c} AS value, count(*) AS rows FROM {table} \
             GROUP BY {g} ORDER BY rows DESC, value LIMIT {limit}",
            c = d.text(&d.ident(column)),
            g = d.group_by_alias(1, "value")
        ))
    }
}

/// Every layer table of a workspace: the cache's, or with a ClickHouse warehouse the
/// cache's legacy exports and the warehouse's bronze, silver and gold.
pub fn tables(conn: &Connection, warehouse: Option<&ClickHouse>) -> Result<Vec<TableInfo>> {
    let mut tables = cache_tables(conn)?;
    if let Some(ch) = warehouse {
        tables.retain(|t| t.schema == "legacy");
        tables.extend(warehouse_tables(ch)?);
    }
    Ok(tables)
}

/// Every table and view of the four layers, in layer order. The versioned storage behind
/// bronze views (`<entity>__data`) and per-company legacy tables are left out: the views
/// over them are what people browse.
pub fn cache_tables(conn: &Connection) -> Result<Vec<TableInfo>> {
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
    /// A SQL predicate typed by the user (checked by the engine: one statement, a boolean).
    pub filter: Option<String>,
    /// (column, descending)
    pub sort: Option<(String, bool)>,
}

impl View {
    pub fn where_sql(&self) -> String {
        self.filter
            .as_ref()
            .map_or_else(String::new, |f| format!(" WHERE ({f})"))
    }

    pub fn order_sql(&self, d: Dialect) -> String {
        self.sort.as_ref().map_or_else(String::new, |(c, desc)| {
            format!(
                " ORDER BY {} {} NULLS LAST",
                d.ident(c),
                if *desc { "DESC" } else { "ASC" }
            )
        })
    }

    /// `column = value` for a cell (NULL → IS NULL) in the table's dialect, added to the
    /// filter with AND.
    pub fn and_equals(&mut self, d: Dialect, column: &str, value: Option<&str>) {
        let term = d.text_equals(column, value);
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

/// The tables and views of the warehouse's bronze, silver and gold databases, in layer
/// order; bronze's run storage (`__data`) and half-built tables (`__building`) left out.
/// (ClickHouse 18.16 joins once per SELECT, so the three lookups are merged here.)
pub fn warehouse_tables(ch: &ClickHouse) -> Result<Vec<TableInfo>> {
    let layers: Vec<(String, &str)> = LAYERS[1..]
        .iter()
        .map(|l| (layer_database(ch, l), *l))
        .collect();
    let list: Vec<String> = layers
        .iter()
        .map(|(d, _)| Dialect::ClickHouse.literal(d))
        .collect();
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
    let dbs: Vec<String> = layers.iter().map(|(d, _)| d.clone()).collect();
    let rows = super::tables::part_rows(ch, &dbs)?;
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
        if ["__data", "__building", "__new", "__old"]
            .iter()
            .any(|s| name.ends_with(s))
        {
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
            estimated_rows: (!view).then(|| {
                rows.iter()
                    .find(|(d, t, _)| d == db && t == name)
                    .map_or(0, |r| r.2)
            }),
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

/// One row per column, as the cache's profile: type, count, nulls %, ~distinct, min, max.
fn profile_clickhouse(ch: &ClickHouse, relation: &str, exact: bool) -> Result<DataFrame> {
    let uniq = if exact { "uniqExact" } else { "uniq" };
    let columns = ch.result_columns(&format!("SELECT * FROM {relation} LIMIT 0"))?;
    let mut select = vec!["count() AS n".to_string()];
    for (i, (name, _)) in columns.iter().enumerate() {
        let c = Dialect::ClickHouse.ident(name);
        select.push(format!("countIf(isNull({c})) AS n{i}"));
        select.push(format!("{uniq}({c}) AS u{i}"));
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
            distinct_header(exact).into(),
            (0..n).map(|i| number(2 + 4 * i)).collect::<Vec<i64>>(),
        ),
        Column::new("min".into(), pick(2)),
        Column::new("max".into(), pick(3)),
    ])
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
    super::fetch::create_table(conn, table, &columns)?;
    let wire = super::fetch::append(
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
        let names: Vec<String> = cache_tables(&conn)
            .unwrap()
            .iter()
            .map(TableInfo::label)
            .collect();
        assert_eq!(names, vec!["bronze.x", "gold.t"]);
        let mut view = View {
            sort: Some(("id".into(), true)),
            ..View::default()
        };
        view.and_equals(Dialect::DuckDb, "g", Some("1"));
        let at = Browser::Cache(&conn);
        let t = Table::cache("gold.t");
        assert_eq!(at.count(&t, &view).unwrap(), 33);
        let df = at.page(&t, &view, 2, 3).unwrap();
        let rows = frame::to_text_rows(&df);
        assert_eq!(rows[1][0], "91");
        assert_eq!(rows.len(), 4);
        assert!(at.check_filter(&t, "id > 3; DROP TABLE gold.t").is_err());
        let err = at.check_filter(&t, "nope > 1").unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
        let p = frame::to_text_rows(&at.profile(&t).unwrap());
        assert_eq!(p[1][0], "id");
        assert_eq!(p[0][4], "distinct");
        assert_eq!((p[1][4].as_str(), p[2][4].as_str()), ("100", "3"));
        let top = frame::to_text_rows(&at.top_values(&t, "g", 2).unwrap());
        assert_eq!(top[1], vec!["0", "34"]);
    }

    /// Distinct values are exact where an estimate was visibly wrong (9 companies for 8,
    /// 47,045 order ids for 49,720), and marked as estimates above the threshold.
    #[test]
    fn profiles_count_distinct_values_exactly() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE o AS SELECT 'order ' || i AS order_id, 'company ' || (i % 8) AS company, \
                    CASE WHEN i % 10 = 0 THEN NULL ELSE i % 1000 END AS sparse FROM range(49720) r(i)",
        )
        .unwrap();
        let rows = frame::to_text_rows(&Browser::Cache(&conn).profile(&Table::cache("o")).unwrap());
        assert_eq!(rows[0][4], "distinct");
        let distinct: Vec<(&str, &str)> = rows[1..]
            .iter()
            .map(|r| (r[0].as_str(), r[4].as_str()))
            .collect();
        assert_eq!(
            distinct,
            vec![("order_id", "49720"), ("company", "8"), ("sparse", "900")]
        );
        assert_eq!(distinct_header(false), "~distinct");
    }
}
