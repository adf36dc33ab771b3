//! What the interactive workbench needs from a comparison: the keyed join classified ONCE
//! into a narrow temporary table (keys, dimension values, row class, the measure on each
//! side, the differing columns), so that every drill step afterwards is a small GROUP BY
//! over it and a page of side-by-side rows is a key lookup on each side. After a pushed-down
//! compare the rows of the agreeing slices were never fetched: they join the table as group
//! rows (no keys, `n` rows each, `grouped`), so amounts and counts stay whole while pages
//! list the rows the cache holds.

use duckdb::Connection;

use super::breakdown::dimension_values;
use super::relation::Relation;
use super::report::Spec;
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
    pub total_delta: f64,
    pub rows: i64,
    /// Whether some rows are known only as group rows (see the module's comment).
    pub has_groups: bool,
}

pub const CLASSES: [&str; 4] = ["changed", "only_legacy", "only_new", "matched"];
/// A class filter meaning every row that is not a match.
pub const DIFFERENCES: &str = "differences";

/// Whether rows of `class` pass the class `filter` (None: every row).
pub fn class_matches(filter: Option<&str>, class: &str) -> bool {
    match filter {
        None => true,
        Some(DIFFERENCES) => class != "matched",
        Some(f) => f == class,
    }
}

/// One value of a dimension within the current drill path.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillRow {
    pub value: Option<String>,
    pub legacy: f64,
    pub new: f64,
    pub delta: f64,
    pub rows: i64,
    /// Share of the whole comparison's delta.
    pub share: Option<f64>,
}

/// A row of the side-by-side view: both sides' cells as text (None: the side has no row).
#[derive(Debug, Clone, PartialEq)]
pub struct SideRow {
    pub class: String,
    pub key: Vec<String>,
    pub differs: Vec<String>,
    pub legacy: Option<Vec<String>>,
    pub new: Option<Vec<String>>,
}

/// Filters along a drill path: (dimension index, value).
pub type Path = [(usize, Option<String>)];

impl DrillBase {
    /// Classify the join of `spec` into the temporary table `name`.
    pub fn build(conn: &Connection, spec: Spec, measure: &str, name: &str) -> Result<DrillBase> {
        Self::build_with_groups(conn, spec, measure, name, None)
    }

    /// As `build`, plus `groups`: SQL of matched rows known only as groups, shaped as
    /// `report::Beyond::agreeing_groups` (dimension values `v0…`, measures `m0…`, rows `n`).
    pub fn build_with_groups(
        conn: &Connection,
        spec: Spec,
        measure: &str,
        name: &str,
        groups: Option<&str>,
    ) -> Result<DrillBase> {
        let mut pair = spec.keyed_pair()?;
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
        select.push(format!("coalesce(CAST(a_{mi} AS DOUBLE), 0) AS la"));
        select.push(format!("coalesce(CAST(b_{mi} AS DOUBLE), 0) AS nb"));
        select.push(format!(
            "CASE WHEN in_a AND in_b THEN array_to_string({}, ',') END AS differs",
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
            let vs: String = (0..values.len()).map(|j| format!("v{j}, ")).collect();
            conn.execute_batch(&format!(
                "INSERT INTO {table} ({dims}class, la, nb, n, grouped) \
                 SELECT {vs}'matched', m{k}, m{k}, n, true FROM ({groups}) WHERE n > 0"
            ))?;
        }
        let (rows, total_delta): (i64, f64) = conn.query_row(
            &format!("SELECT CAST(coalesce(sum(n), 0) AS BIGINT), coalesce(sum(nb - la), 0) FROM {table}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(DrillBase {
            measure: measure.to_string(),
            dimensions: spec.dimensions.clone(),
            spec,
            columns,
            table,
            key_count,
            total_delta,
            rows,
            has_groups: groups.is_some(),
        })
    }

    fn where_sql(&self, path: &Path, class: Option<&str>, also: &[&str]) -> String {
        let mut terms: Vec<String> = path
            .iter()
            .map(|(d, v)| match v {
                Some(v) => format!("d{d} = {}", literal(v)),
                None => format!("d{d} IS NULL"),
            })
            .collect();
        match class {
            Some(DIFFERENCES) => terms.push("class <> 'matched'".into()),
            Some(c) => terms.push(format!("class = {}", literal(c))),
            None => {}
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
            "SELECT d{by}, sum(la), sum(nb), CAST(sum(n) AS BIGINT) FROM {}{} GROUP BY 1 ORDER BY abs(sum(nb) - sum(la)) DESC, 1",
            self.table,
            self.where_sql(path, None, &[])
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            let (legacy, new): (f64, f64) = (r.get(1)?, r.get(2)?);
            Ok(DrillRow {
                value: r.get(0)?,
                legacy,
                new,
                delta: new - legacy,
                rows: r.get(3)?,
                share: (self.total_delta != 0.0).then(|| (new - legacy) / self.total_delta),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Rows per class within `path` (group rows counted as the rows they stand for).
    pub fn class_counts(&self, conn: &Connection, path: &Path) -> Result<Vec<(String, i64)>> {
        self.counts(conn, path, "CAST(sum(n) AS BIGINT)")
    }

    /// Rows per class within `path` that the cache holds, so that pages can list them.
    pub fn listed_counts(&self, conn: &Connection, path: &Path) -> Result<Vec<(String, i64)>> {
        self.counts(conn, path, "count(*) FILTER (WHERE NOT grouped)")
    }

    fn counts(&self, conn: &Connection, path: &Path, count: &str) -> Result<Vec<(String, i64)>> {
        let sql = format!(
            "SELECT class, {count} FROM {}{} GROUP BY 1",
            self.table,
            self.where_sql(path, None, &[])
        );
        let mut stmt = conn.prepare(&sql)?;
        let found: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(CLASSES
            .iter()
            .map(|c| {
                let n = found.iter().find(|(x, _)| x == c).map_or(0, |(_, n)| *n);
                (c.to_string(), n)
            })
            .collect())
    }

    /// Rows `offset..offset+limit` within `path` and `class`, by key, with both sides' values.
    pub fn rows_page(
        &self,
        conn: &Connection,
        path: &Path,
        class: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SideRow>> {
        let keys: Vec<String> = (0..self.key_count).map(|j| format!("k{j}")).collect();
        let sql = format!(
            "SELECT {k}, class, differs FROM {t}{w} ORDER BY {k} LIMIT {limit} OFFSET {offset}",
            k = keys.join(", "),
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
                let differs: Option<String> = r.get(n + 1)?;
                Ok(SideRow {
                    class: r.get(n)?,
                    key,
                    differs: differs
                        .map(|d| {
                            d.split(',')
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default(),
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
        }
        .only_keys(&columns[..self.key_count], &keys);
        let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let sql = format!("SELECT {} FROM {}", select.join(", "), side.sql);
        let df = frame::query(conn, &sql, [])?;
        Ok(frame::to_text_rows(&df).into_iter().skip(1).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::{Relation, Rules};

    fn base(conn: &Connection) -> DrillBase {
        base_with(conn, None)
    }

    fn base_with(conn: &Connection, groups: Option<&str>) -> DrillBase {
        conn.execute_batch(
            "CREATE TABLE l AS SELECT i AS id, ['N','S'][i % 2 + 1] AS branch, ['SALE','VOID'][(i // 2) % 2 + 1] AS kind, 10.0 AS amount FROM range(8) r(i) WHERE (i // 2) % 2 = 0;\
             CREATE TABLE n AS SELECT i AS id, ['N','S'][i % 2 + 1] AS branch, ['SALE','VOID'][(i // 2) % 2 + 1] AS kind, CASE WHEN i = 0 THEN 12.0 ELSE 10.0 END AS amount FROM range(8) r(i);",
        )
        .unwrap();
        let spec = Spec {
            legacy: Relation::describe(conn, "l").unwrap(),
            new: Relation::describe(conn, "n").unwrap(),
            keys: vec!["id".into()],
            map: vec![],
            measures: vec!["amount".into()],
            dimensions: vec!["kind".into(), "branch".into()],
            skip: vec![],
            rules: Rules::default(),
            dimension_candidates: None,
        };
        DrillBase::build_with_groups(conn, spec, "amount", "drill_test", groups).unwrap()
    }

    #[test]
    fn group_rows_count_in_amounts_and_classes_but_not_in_pages() {
        let conn = Connection::open_in_memory().unwrap();
        // 5 equal rows of SALE/N worth 100 and 2 of a branch the fetched rows lack.
        let b = base_with(
            &conn,
            Some(
                "SELECT * FROM (VALUES ('SALE', 'N', 100.0, 5), ('SALE', 'E', 30.0, 2), ('VOID', 'S', 0.0, 0)) \
                 AS g(v0, v1, m0, n)",
            ),
        );
        assert!(b.has_groups);
        assert_eq!((b.total_delta, b.rows), (42.0, 15));
        let top = b.drill(&conn, &[], 0).unwrap();
        let sale = top
            .iter()
            .find(|r| r.value.as_deref() == Some("SALE"))
            .unwrap();
        // 4 fetched SALE rows (legacy 40, new 42) plus the groups' 7 rows worth 130.
        assert_eq!((sale.legacy, sale.new, sale.rows), (170.0, 172.0, 11));
        assert_eq!(sale.delta, 2.0);
        let path = [(0usize, Some("SALE".to_string()))];
        let by_branch = b.drill(&conn, &path, 1).unwrap();
        let east = by_branch
            .iter()
            .find(|r| r.value.as_deref() == Some("E"))
            .unwrap();
        assert_eq!((east.delta, east.rows, east.share), (0.0, 2, Some(0.0)));
        let matched = |counts: Vec<(String, i64)>| counts[3].1;
        assert_eq!(matched(b.class_counts(&conn, &path).unwrap()), 3 + 7);
        assert_eq!(matched(b.listed_counts(&conn, &path).unwrap()), 3);
        let page = b.rows_page(&conn, &path, Some("matched"), 0, 100).unwrap();
        assert_eq!(page.len(), 3);
        assert!(page.iter().all(|r| r.legacy.is_some() && r.new.is_some()));
        assert_eq!(b.rows_page(&conn, &[], None, 0, 100).unwrap().len(), 8);
    }

    #[test]
    fn drills_by_path_and_pages_rows_side_by_side() {
        let conn = Connection::open_in_memory().unwrap();
        let b = base(&conn);
        // legacy: ids 0,1,4,5 (SALE) at 10; new: all 8, id 0 at 12 → delta 2 + 4 voids × 10.
        assert_eq!(b.total_delta, 42.0);
        let top = b.drill(&conn, &[], 0).unwrap();
        assert_eq!(top[0].value.as_deref(), Some("VOID"));
        assert_eq!((top[0].delta, top[0].rows), (40.0, 4));
        let path = [(0usize, Some("SALE".to_string()))];
        let by_branch = b.drill(&conn, &path, 1).unwrap();
        assert_eq!(by_branch[0].value.as_deref(), Some("N"));
        assert_eq!(by_branch[0].delta, 2.0);
        let counts = b.class_counts(&conn, &path).unwrap();
        assert_eq!(counts[0], ("changed".to_string(), 1));
        let rows = b.rows_page(&conn, &path, Some("changed"), 0, 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key, vec!["0"]);
        assert_eq!(rows[0].differs, vec!["amount"]);
        assert_eq!(rows[0].legacy.as_ref().unwrap()[3], "10.0");
        assert_eq!(rows[0].new.as_ref().unwrap()[3], "12.0");
        let voids = b
            .rows_page(&conn, &[(0, Some("VOID".into()))], None, 1, 2)
            .unwrap();
        assert_eq!(
            voids.iter().map(|r| r.key[0].as_str()).collect::<Vec<_>>(),
            vec!["3", "6"]
        );
        assert!(voids
            .iter()
            .all(|r| r.legacy.is_none() && r.new.is_some() && r.class == "only_new"));
    }
}
