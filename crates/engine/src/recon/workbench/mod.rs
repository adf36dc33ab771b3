//! What the interactive workbench needs from a comparison: the keyed join classified ONCE
//! into a narrow temporary table (keys, dimension values, row class, the measure on each
//! side, the differing columns), so that every drill step afterwards is a small GROUP BY
//! over it and a page of side-by-side rows is a key lookup on each side. After a pushed-down
//! compare the rows of the agreeing slices were never fetched: they join the table as group
//! rows (no keys, `n` rows each, `grouped`), so amounts and counts stay whole while pages
//! list the rows the cache holds.

mod find;
mod scoped;

use std::sync::Arc;

use duckdb::types::Value;
use duckdb::Connection;

use super::breakdown::dimension_values;
use super::class::{ClassFilter, RowClass, RowOrder};
use super::configured;
pub use super::drill_row::DrillRow;
use super::groups::AgreeingGroups;
use super::relation::Relation;
use super::report::Report;
use super::report::Spec;
use crate::decimal::{Exact, Numeric};
use crate::error::{Error, Result};
use crate::frame;
use crate::sql::{ident, literal};

/// The classified join of one comparison, kept in a temporary table.
pub struct DrillBase {
    pub spec: Spec,
    pub measure: String,
    /// The comparison's dimensions, outermost first.
    pub dimensions: Vec<String>,
    /// (legacy name, new name) of the compared columns, keys first.
    pub columns: Vec<(String, String)>,
    table: String,
    key_count: usize,
    /// The scale of the measure's amounts (the larger of the two sides').
    scale: u32,
    pub total_delta: Exact,
    pub rows: i64,
    /// Whether some rows are known only as group rows (see the module's comment).
    pub has_groups: bool,
    /// The comparison's `explain.lookups`, for explain.
    pub lookups: Vec<super::explain::Lookup>,
    /// The rows a pushed-down compare did not fetch, as groups (explain counts them).
    pub agreeing: Option<AgreeingGroups>,
}

pub use super::side_row::SideRow;

/// A comparison opened for the workbench: the report, and its classified join to drill.
pub struct Opened {
    pub report: Report,
    pub base: DrillBase,
    /// The measure by period (the comparison's period dimension, in order), for the trend.
    pub by_period: Vec<DrillRow>,
}

/// Compare `name` (its companies cut to `only`) and classify the join into the temporary
/// table `table`, on the store's connection; `cancel` stops a pushed-down compare's queries.
pub fn open(
    ws: &crate::config::Workspace,
    store: &crate::store::Store,
    name: &str,
    only: &[String],
    cancel: Option<Arc<crate::cancel::Cancel>>,
    table: &str,
) -> Result<Opened> {
    let compared = configured::prepare_and_compare(ws, store, name, only, cancel)?;
    open_compared(ws, store.conn(), name, compared, table)
}

/// A comparison already made (as it is, or seen through the rules lab's what-if), with
/// its join classified into the temporary table `table` on `conn`.
pub fn open_compared(
    ws: &crate::config::Workspace,
    conn: &Connection,
    name: &str,
    compared: configured::Compared,
    table: &str,
) -> Result<Opened> {
    let configured::Compared {
        spec,
        report,
        agreeing_groups,
    } = compared;
    let measure = spec
        .measures
        .first()
        .cloned()
        .ok_or_else(|| Error::Usage(format!("comparisons.{name} has no measures")))?;
    let period = ws
        .config
        .comparisons
        .get(name)
        .and_then(|c| c.period_dimension());
    let mut base =
        DrillBase::build_with_groups(conn, spec, &measure, table, agreeing_groups.as_ref())?;
    base.lookups = super::explain::lookups_of(conn, &base.spec, ws, name)?;
    let by_period = match period.and_then(|p| base.dimensions.iter().position(|d| *d == p)) {
        Some(i) => {
            let mut rows = base.drill(conn, &[], i)?;
            rows.sort_by(|a, b| a.value.cmp(&b.value));
            rows
        }
        None => Vec::new(),
    };
    Ok(Opened {
        report,
        base,
        by_period,
    })
}

/// A page of side-by-side rows, with the counts its view needs on the first page.
pub struct RowsPage {
    pub rows: Vec<SideRow>,
    /// Rows in the class within the path that the cache lists (first page only).
    pub listed: Option<i64>,
    /// Rows in the class known only as group sums (first page only).
    pub unlisted: Option<i64>,
}

/// The texts of a list value (the names of the columns that differ); none for NULL.
fn texts(value: Value) -> Vec<String> {
    match value {
        Value::List(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Text(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A sum of the classified table as DuckDB printed it, exact at `scale`.
fn amount(text: Option<&str>, scale: u32) -> Result<Exact> {
    Numeric::read_sum(text, scale, "a drill sum")
}

/// Filters along a drill path: (dimension index, value).
pub type Path = [(usize, Option<String>)];

impl DrillBase {
    /// How many of `columns` (the first ones) are the comparison's keys.
    pub fn key_count(&self) -> usize {
        self.key_count
    }

    /// Classify the join of `spec` into the temporary table `name`.
    pub fn build(conn: &Connection, spec: Spec, measure: &str, name: &str) -> Result<DrillBase> {
        Self::build_with_groups(conn, spec, measure, name, None)
    }

    /// As `build`, plus `groups`: matched rows known only as groups.
    pub fn build_with_groups(
        conn: &Connection,
        spec: Spec,
        measure: &str,
        name: &str,
        groups: Option<&AgreeingGroups>,
    ) -> Result<DrillBase> {
        let mut pair = spec.keyed_pair()?;
        pair.text_where_dates_fail(conn)?;
        let values = dimension_values(&spec, &mut pair)?;
        let mi = pair
            .columns
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(measure))
            .ok_or_else(|| Error::Usage(format!("measure `{measure}` is not on both sides")))?;
        // Keys first, in key order, then the other compared columns.
        let mut order: Vec<usize> = spec
            .keys
            .iter()
            .filter_map(|k| {
                pair.columns
                    .iter()
                    .position(|(a, _)| a.eq_ignore_ascii_case(k))
            })
            .collect();
        let key_count = order.len();
        let rest: Vec<usize> = (0..pair.columns.len())
            .filter(|i| !order.contains(i))
            .collect();
        order.extend(rest);
        let columns: Vec<(String, String)> =
            order.iter().map(|&i| pair.columns[i].clone()).collect();
        let mut select: Vec<String> = order[..key_count]
            .iter()
            .enumerate()
            .map(|(j, &i)| format!("CAST(coalesce(a_{i}, b_{i}) AS VARCHAR) AS k{j}"))
            .collect();
        select.extend(
            values
                .iter()
                .enumerate()
                .map(|(j, v)| format!("{v} AS d{j}")),
        );
        select.push(format!("{} AS class", pair.row_class_sql()));
        let pairs = spec.measure_pairs()?;
        let m = pairs
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(measure))
            .ok_or_else(|| Error::Usage(format!("`{measure}` is not a measure")))?;
        let scale = m.scale;
        let d = crate::dialect::Dialect::DuckDb;
        let exact = |e: String, side: Numeric| d.exact(&e, side, scale);
        select.push(format!(
            "coalesce({}, 0) AS la",
            exact(format!("a_{mi}"), m.legacy)
        ));
        select.push(format!(
            "coalesce({}, 0) AS nb",
            exact(format!("b_{mi}"), m.new)
        ));
        select.push(format!(
            "CASE WHEN in_a AND in_b THEN {} END AS differs",
            pair.differing_columns_sql()
        ));
        select.push("CAST(1 AS BIGINT) AS n, false AS grouped".into());
        let table = ident(name);
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {table} AS WITH joined AS ({}) SELECT {} FROM joined",
            pair.joined_rows_sql(),
            select.join(", ")
        ))?;
        if let Some(groups) = groups {
            let k = spec
                .measures
                .iter()
                .position(|m| m.eq_ignore_ascii_case(measure))
                .ok_or_else(|| Error::Usage(format!("`{measure}` is not a measure")))?;
            let dims: String = (0..values.len()).map(|j| format!("d{j}, ")).collect();
            let vs: String = (0..values.len())
                .map(|j| format!("{}, ", groups.dimension(j)))
                .collect();
            // A matched group's legacy amount is its new one; an only-new group has none.
            let decimal = |e: String| format!("CAST({e} AS DECIMAL(38, {scale}))");
            let (la, nb) = (
                decimal(groups.legacy_measure(k)),
                decimal(groups.measure(k)),
            );
            conn.execute_batch(&format!(
                "INSERT INTO {table} ({dims}class, la, nb, n, grouped) \
                 SELECT {vs}{class}, coalesce({la}, 0), {nb}, {n}, true FROM {from} WHERE {n} > 0",
                class = groups.class(),
                n = groups.rows(),
                from = groups.from(),
            ))?;
        }
        let (rows, total_delta): (i64, Option<String>) = conn.query_row(
            &format!("SELECT CAST(coalesce(sum(n), 0) AS BIGINT), CAST(sum(nb - la) AS VARCHAR) FROM {table}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let total_delta = amount(total_delta.as_deref(), scale)?;
        Ok(DrillBase {
            measure: measure.to_string(),
            dimensions: spec.dimensions.clone(),
            spec,
            columns,
            table,
            key_count,
            scale,
            total_delta,
            rows,
            has_groups: groups.is_some(),
            lookups: Vec::new(),
            agreeing: groups.cloned(),
        })
    }

    fn where_sql(&self, path: &Path, class: ClassFilter, also: &[&str]) -> String {
        let mut terms: Vec<String> = path
            .iter()
            .map(|(d, v)| match v {
                Some(v) => format!("d{d} = {}", literal(v)),
                None => format!("d{d} IS NULL"),
            })
            .collect();
        match class {
            ClassFilter::Differences => {
                terms.push(format!("class <> {}", literal(RowClass::Matched.as_str())))
            }
            ClassFilter::Only(c) => terms.push(format!("class = {}", literal(c.as_str()))),
            ClassFilter::All => {}
        }
        terms.extend(also.iter().map(|t| t.to_string()));
        if terms.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", terms.join(" AND "))
        }
    }

    /// The measure by the values of dimension `by` within `path`, the largest gap first.
    pub fn drill(&self, conn: &Connection, path: &Path, by: usize) -> Result<Vec<DrillRow>> {
        if by >= self.dimensions.len() {
            return Err(Error::Usage(format!("no dimension #{by}")));
        }
        let sql = format!(
            "SELECT d{by}, CAST(sum(la) AS VARCHAR), CAST(sum(nb) AS VARCHAR), CAST(sum(n) AS BIGINT) FROM {}{} GROUP BY 1 ORDER BY abs(sum(nb) - sum(la)) DESC, 1",
            self.table,
            self.where_sql(path, ClassFilter::All, &[])
        );
        let mut stmt = conn.prepare(&sql)?;
        type Sums = (Option<String>, Option<String>, Option<String>, i64);
        let found: Vec<Sums> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<std::result::Result<_, _>>()?;
        found
            .into_iter()
            .map(|(value, legacy, new, rows)| {
                let legacy = amount(legacy.as_deref(), self.scale)?;
                let new = amount(new.as_deref(), self.scale)?;
                DrillRow::new(value, legacy, new, rows, self.total_delta)
            })
            .collect()
    }

    /// Rows per class within `path` (group rows counted as the rows they stand for).
    pub fn class_counts(&self, conn: &Connection, path: &Path) -> Result<Vec<(RowClass, i64)>> {
        self.counts(conn, path, "CAST(sum(n) AS BIGINT)")
    }

    /// Rows per class within `path` that the cache holds, so that pages can list them.
    pub fn listed_counts(&self, conn: &Connection, path: &Path) -> Result<Vec<(RowClass, i64)>> {
        self.counts(conn, path, "count(*) FILTER (WHERE NOT grouped)")
    }

    fn counts(&self, conn: &Connection, path: &Path, count: &str) -> Result<Vec<(RowClass, i64)>> {
        let sql = format!(
            "SELECT class, {count} FROM {}{} GROUP BY 1",
            self.table,
            self.where_sql(path, ClassFilter::All, &[])
        );
        let mut stmt = conn.prepare(&sql)?;
        let found: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(RowClass::ALL
            .into_iter()
            .map(|c| {
                let n = found
                    .iter()
                    .find(|(x, _)| x == c.as_str())
                    .map_or(0, |(_, n)| *n);
                (c, n)
            })
            .collect())
    }

    /// `rows_page`, and on the first page the class's counts within the path (later pages
    /// of the same view keep the counts the first one brought).
    pub fn rows_in(
        &self,
        conn: &Connection,
        path: &Path,
        (class, order): (ClassFilter, RowOrder),
        offset: u64,
        limit: u64,
    ) -> Result<RowsPage> {
        let in_class = |counts: Vec<(RowClass, i64)>| -> i64 {
            counts
                .iter()
                .filter(|(c, _)| class.admits(*c))
                .map(|(_, n)| n)
                .sum()
        };
        let (listed, unlisted) = if offset == 0 {
            let listed = in_class(self.listed_counts(conn, path)?);
            let all = if self.has_groups {
                in_class(self.class_counts(conn, path)?)
            } else {
                listed
            };
            (Some(listed), Some(all - listed))
        } else {
            (None, None)
        };
        Ok(RowsPage {
            rows: self.rows_page(conn, path, (class, order), offset, limit)?,
            listed,
            unlisted,
        })
    }

    /// Rows `offset..offset+limit` within `path` and `class`, with both sides' values, in
    /// `order`: by default changed rows first (what differs within a record is the first
    /// thing to read), then the one-sided ones, then the rest, each by key.
    pub fn rows_page(
        &self,
        conn: &Connection,
        path: &Path,
        (class, order): (ClassFilter, RowOrder),
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SideRow>> {
        let keys: Vec<String> = (0..self.key_count).map(|j| format!("k{j}")).collect();
        let first = first_order(order);
        let sql = format!(
            "SELECT {k}, class, differs FROM {t}{w} \
             ORDER BY {first}, {by} \
             LIMIT {limit} OFFSET {offset}",
            k = keys.join(", "),
            by = key_order(self.key_count),
            t = self.table,
            w = self.where_sql(path, class, &["NOT grouped"]),
        );
        let mut stmt = conn.prepare(&sql)?;
        let n = self.key_count;
        let mut rows: Vec<SideRow> = stmt
            .query_map([], |r| {
                let key = (0..n)
                    .map(|i| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let class: String = r.get(n)?;
                Ok(SideRow {
                    class: RowClass::parse(&class).ok_or_else(|| {
                        duckdb::Error::FromSqlConversionFailure(
                            n,
                            duckdb::types::Type::Text,
                            format!("`{class}` is not a row class").into(),
                        )
                    })?,
                    key,
                    differs: texts(r.get(n + 1)?),
                    legacy: None,
                    new: None,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        if rows.is_empty() {
            return Ok(rows);
        }
        let legacy_cols: Vec<String> = self.columns.iter().map(|(a, _)| a.clone()).collect();
        let new_cols: Vec<String> = self.columns.iter().map(|(_, b)| b.clone()).collect();
        let legacy = self.lookup(conn, &self.spec.legacy.sql, &legacy_cols, &rows)?;
        let new = self.lookup(conn, &self.spec.new.sql, &new_cols, &rows)?;
        for row in &mut rows {
            row.legacy = legacy.iter().find(|r| r[..n] == row.key[..]).cloned();
            row.new = new.iter().find(|r| r[..n] == row.key[..]).cloned();
        }
        Ok(rows)
    }

    /// The rows of `relation` whose keys (as text) are among `rows`' keys, `columns` in order.
    fn lookup(
        &self,
        conn: &Connection,
        relation: &str,
        columns: &[String],
        rows: &[SideRow],
    ) -> Result<Vec<Vec<String>>> {
        let keys: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| r.key.iter().cloned().map(Some).collect())
            .collect();
        let side = Relation {
            sql: relation.to_string(),
            columns: Vec::new(),
            keep: None,
        }
        .only_keys(&columns[..self.key_count], &keys);
        let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let sql = format!("SELECT {} FROM {}", select.join(", "), side.sql);
        let df = frame::query(conn, &sql, [])?;
        Ok(frame::to_text_rows(&df).into_iter().skip(1).collect())
    }
}

/// The keys' order (they are kept as text): whole numbers as numbers, so invoice 103
/// comes after 99, not between 1023 and 1030; other text as text, after them.
fn key_order(key_count: usize) -> String {
    (0..key_count)
        .map(|j| format!("TRY_CAST(k{j} AS HUGEINT), k{j}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a list of rows is ordered by first (then by key).
fn first_order(order: RowOrder) -> &'static str {
    match order {
        RowOrder::ClassThenKey => "CASE class WHEN 'changed' THEN 0 WHEN 'only_legacy' THEN 1 WHEN 'only_new' THEN 2 ELSE 3 END",
        RowOrder::LargestDelta => "abs(nb - la) DESC",
    }
}

#[cfg(test)]
mod tests;
