//! Per-column comparison by key: the six classes of dbt-audit-helper's
//! `compare_all_columns`, and `compare_which_columns_differ`.

use duckdb::Connection;
use polars::prelude::DataFrame;

use super::equality::{equal, is_null, Rules};
use super::relation::{common_type, Relation};
use crate::error::{Error, Result};
use crate::frame;
use crate::sql::{ident, literal};

/// Two relations joined on their keys, with the columns to compare paired up.
pub struct KeyedPair<'a> {
    pub a: &'a Relation,
    pub b: &'a Relation,
    pub keys: Vec<String>,
    /// (column in a, column in b) compared, in a's order.
    pub columns: Vec<(String, String)>,
    pub rules: Rules,
    /// Columns of b carried onto the joined rows as `bx_i` (dimensions only b has).
    pub extra_b: Vec<String>,
    /// Per column pair, the type both sides are compared in when theirs differ
    /// (`relation::common_type`).
    pub common: Vec<Option<String>>,
}

impl<'a> KeyedPair<'a> {
    /// Pair the columns of `a` with those of `b` (same name, or as `map` says), leaving out
    /// `exclude`; `only` restricts to the named columns.
    pub fn new(
        a: &'a Relation,
        b: &'a Relation,
        keys: &[String],
        only: Option<&[String]>,
        exclude: &[String],
        map: &[(String, String)],
        rules: Rules,
    ) -> Result<Self> {
        if keys.is_empty() {
            return Err(Error::Usage(
                "a keyed compare needs at least one key column".into(),
            ));
        }
        let b_name = |name: &str| -> Option<String> {
            let target = map
                .iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(name))
                .map_or(name, |(_, y)| y.as_str());
            b.find(target).map(|(n, _)| n.clone())
        };
        for k in keys {
            a.require(k, "side a")?;
            b.require(&b_name(k).unwrap_or_else(|| k.clone()), "side b")?;
        }
        // Keys are always compared: sample rows and drill-downs read them off the join.
        let excluded = |n: &str| {
            exclude.iter().any(|e| e.eq_ignore_ascii_case(n))
                && !keys.iter().any(|k| k.eq_ignore_ascii_case(n))
        };
        let mut columns = Vec::new();
        for (name, _) in &a.columns {
            if excluded(name)
                || only.is_some_and(|o| !o.iter().any(|x| x.eq_ignore_ascii_case(name)))
            {
                continue;
            }
            if let Some(bn) = b_name(name) {
                columns.push((name.clone(), bn));
            }
        }
        let common = columns
            .iter()
            .map(|(x, y)| common_type(&Self::type_of(a, x), &Self::type_of(b, y)))
            .collect();
        Ok(KeyedPair {
            a,
            b,
            keys: keys.to_vec(),
            columns,
            rules,
            extra_b: Vec::new(),
            common,
        })
    }

    /// The same pairing (keys, columns, rules, common types) over two other relations with
    /// the same columns: a subset of each side's rows.
    pub fn over<'b>(&self, a: &'b Relation, b: &'b Relation) -> KeyedPair<'b> {
        KeyedPair {
            a,
            b,
            keys: self.keys.clone(),
            columns: self.columns.clone(),
            rules: self.rules.clone(),
            extra_b: Vec::new(),
            common: self.common.clone(),
        }
    }

    /// A date or time compared with text whose values are not all dates (`2023-02-29`, a
    /// second format, `0000-00-00`): the pair is compared as text instead, so such a value
    /// differs from what the other side holds. Converted, it was NULL, and matched an empty
    /// value on the other side without a word.
    pub fn text_where_dates_fail(&mut self, conn: &Connection) -> Result<()> {
        for i in 0..self.columns.len() {
            let Some(common) = self.common[i].clone() else {
                continue;
            };
            let t = common.to_ascii_uppercase();
            if !(t.starts_with("DATE") || t.starts_with("TIMESTAMP") || t.starts_with("TIME")) {
                continue;
            }
            let (x, y) = self.columns[i].clone();
            for (rel, name) in [(self.a, &x), (self.b, &y)] {
                if !super::relation::is_text(&Self::type_of(rel, name)) {
                    continue;
                }
                let c = ident(name);
                let sql = format!(
                    "SELECT EXISTS (SELECT 1 FROM {} AS s WHERE nullif(trim(s.{c}), '') IS NOT NULL \
                     AND TRY_CAST(s.{c} AS {common}) IS NULL)",
                    rel.sql
                );
                let fails: bool = conn.query_row(&sql, [], |r| r.get(0))?;
                if fails {
                    self.common[i] = Some("VARCHAR".into());
                    break;
                }
            }
        }
        Ok(())
    }

    /// Column `name` of side `alias` (`a` or `b`) in the type `common` says, if any; a
    /// value that does not convert is NULL (a difference, never an error).
    pub(crate) fn side_value(alias: &str, name: &str, common: Option<&str>) -> String {
        match common {
            Some(t) => format!("TRY_CAST({alias}.{} AS {t})", ident(name)),
            None => format!("{alias}.{}", ident(name)),
        }
    }

    /// Key `k` on both sides, in their common type.
    pub(crate) fn key_values(&self, k: &str) -> (String, String) {
        let bk = self.b_key(k);
        let common = common_type(&Self::type_of(self.a, k), &Self::type_of(self.b, &bk));
        (
            Self::side_value("a", k, common.as_deref()),
            Self::side_value("b", &bk, common.as_deref()),
        )
    }

    /// The types column pair `i` is compared in: the common one, or each side's own.
    pub(crate) fn pair_types(&self, i: usize) -> (String, String) {
        let (x, y) = &self.columns[i];
        match &self.common[i] {
            Some(t) => (t.clone(), t.clone()),
            None => (Self::type_of(self.a, x), Self::type_of(self.b, y)),
        }
    }

    fn b_key(&self, key: &str) -> String {
        self.columns
            .iter()
            .find(|(x, _)| x.eq_ignore_ascii_case(key))
            .map_or_else(|| key.to_string(), |(_, y)| y.clone())
    }

    /// The DuckDB type of column `name` of `rel` (VARCHAR when absent).
    pub(crate) fn type_of(rel: &Relation, name: &str) -> String {
        rel.find(name)
            .map_or_else(|| "VARCHAR".into(), |(_, t)| t.clone())
    }

    /// `primary_key` as dbt writes it: the key itself, or for composite keys the md5 of
    /// the parts joined by '-', NULL written as '_dbt_utils_surrogate_key_null_'.
    fn primary_key_expr(&self) -> String {
        let part = |k: &String| {
            let (a, b) = self.key_values(k);
            format!("coalesce({a}, {b})")
        };
        if self.keys.len() == 1 {
            return format!("CAST({} AS VARCHAR)", part(&self.keys[0]));
        }
        let parts: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                format!(
                    "coalesce(CAST({} AS VARCHAR), '_dbt_utils_surrogate_key_null_')",
                    part(k)
                )
            })
            .collect();
        format!("md5({})", parts.join(" || '-' || "))
    }

    /// The full outer join with `primary_key`, `in_a`, `in_b`, and `a_i`, `b_i` for the
    /// i-th column pair (and `bx_i` for the extra columns of b).
    pub fn joined_sql(&self) -> String {
        self.join_sql(true)
    }

    /// The same join without `primary_key`, whose md5 of composite keys costs a pass.
    pub fn joined_rows_sql(&self) -> String {
        self.join_sql(false)
    }

    /// SQL for the value of key `k` on a joined row (whichever side has it).
    pub fn key_value(&self, key: &str) -> String {
        match self
            .columns
            .iter()
            .position(|(x, _)| x.eq_ignore_ascii_case(key))
        {
            Some(i) => format!("coalesce(a_{i}, b_{i})"),
            None => "primary_key".into(),
        }
    }

    fn join_sql(&self, with_primary_key: bool) -> String {
        let on: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let (a, b) = self.key_values(k);
                format!("{a} IS NOT DISTINCT FROM {b}")
            })
            .collect();
        let mut cols: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (x, y))| {
                let t = self.common[i].as_deref();
                format!(
                    "{} AS a_{i}, {} AS b_{i}",
                    Self::side_value("a", x, t),
                    Self::side_value("b", y, t)
                )
            })
            .collect();
        cols.extend(
            self.extra_b
                .iter()
                .enumerate()
                .map(|(i, c)| format!("b.{} AS bx_{i}", ident(c))),
        );
        let cols = if cols.is_empty() {
            String::new()
        } else {
            format!(", {}", cols.join(", "))
        };
        let pk = if with_primary_key {
            format!("{} AS primary_key, ", self.primary_key_expr())
        } else {
            String::new()
        };
        format!(
            "SELECT {pk}a.__assay_in IS NOT NULL AS in_a, b.__assay_in IS NOT NULL AS in_b{cols} \
             FROM (SELECT *, true AS __assay_in FROM {a}) AS a FULL OUTER JOIN (SELECT *, true AS __assay_in FROM {b}) AS b ON {on}",
            a = self.a.sql,
            b = self.b.sql,
            on = on.join(" AND "),
        )
    }

    /// SQL true when every compared column of a joined row is equal under the rules.
    pub fn all_equal_sql(&self) -> String {
        (0..self.columns.len())
            .map(|i| self.column_equal(i))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// SQL naming a joined row's class: matched, changed, only_new or only_legacy.
    pub fn row_class_sql(&self) -> String {
        format!(
            "CASE WHEN in_a AND in_b THEN (CASE WHEN {} THEN 'matched' ELSE 'changed' END) \
             WHEN in_b THEN 'only_new' ELSE 'only_legacy' END",
            self.all_equal_sql()
        )
    }

    /// SQL for the list of (legacy) names of the columns that differ on a joined row.
    pub fn differing_columns_sql(&self) -> String {
        let cases: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (x, _))| {
                format!(
                    "CASE WHEN NOT {} THEN {} END",
                    self.column_equal(i),
                    literal(x)
                )
            })
            .collect();
        format!("list_filter([{}], x -> x IS NOT NULL)", cases.join(", "))
    }

    /// SQL for the equality of the i-th column pair on the joined rows.
    pub fn column_equal(&self, i: usize) -> String {
        let (ta, tb) = self.pair_types(i);
        equal(&format!("a_{i}"), &ta, &format!("b_{i}"), &tb, &self.rules)
    }

    fn flags_sql(&self) -> String {
        let parts: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (x, _))| {
                let eq = self.column_equal(i);
                let (ta, tb) = self.pair_types(i);
                format!(
                    "SELECT primary_key, {name} AS column_name, {i} AS ordinal, \
                       in_a AND in_b AND {eq} AS perfect_match, \
                       in_a AND {null_a} AS null_in_a, in_b AND {null_b} AS null_in_b, \
                       NOT in_a AS missing_from_a, NOT in_b AS missing_from_b, \
                       in_a AND in_b AND NOT {eq} AS conflicting_values FROM joined",
                    name = literal(x),
                    null_a = is_null(&format!("a_{i}"), &ta, &self.rules),
                    null_b = is_null(&format!("b_{i}"), &tb, &self.rules),
                )
            })
            .collect();
        format!(
            "WITH joined AS ({}) {}",
            self.joined_sql(),
            parts.join(" UNION ALL ")
        )
    }
}

pub const CLASSES: [&str; 6] = [
    "perfect_match",
    "null_in_a",
    "null_in_b",
    "missing_from_a",
    "missing_from_b",
    "conflicting_values",
];

/// One row per column with the count of each class.
pub fn all_columns_summary(conn: &Connection, pair: &KeyedPair) -> Result<DataFrame> {
    if pair.columns.is_empty() {
        return Err(Error::Usage("no column to compare".into()));
    }
    let counts: Vec<String> = CLASSES
        .iter()
        .map(|c| format!("count(*) FILTER (WHERE f.{c}) AS {c}"))
        .collect();
    // Every column gets a row, with zeros when neither side has any row.
    let names: Vec<String> = pair
        .columns
        .iter()
        .enumerate()
        .map(|(i, (x, _))| format!("({}, {i})", literal(x)))
        .collect();
    let sql = format!(
        "SELECT c.column_name, {} FROM (VALUES {}) AS c(column_name, ordinal) \
         LEFT JOIN ({}) AS f USING (column_name, ordinal) GROUP BY c.column_name, c.ordinal ORDER BY c.ordinal",
        counts.join(", "),
        names.join(", "),
        pair.flags_sql()
    );
    frame::query(conn, &sql, [])
}

/// One row per (key, column) with the six flags; only rows that are not a perfect match
/// when `only_mismatches`.
pub fn all_columns_detail(
    conn: &Connection,
    pair: &KeyedPair,
    only_mismatches: bool,
) -> Result<DataFrame> {
    let filter = if only_mismatches {
        "WHERE NOT perfect_match"
    } else {
        ""
    };
    let sql = format!(
        "SELECT primary_key, column_name, {} FROM ({}) {filter} ORDER BY ordinal, primary_key",
        CLASSES.join(", "),
        pair.flags_sql()
    );
    frame::query(conn, &sql, [])
}

/// Per column: does any key present on both sides hold different values?
pub fn which_columns_differ(conn: &Connection, pair: &KeyedPair) -> Result<DataFrame> {
    let parts: Vec<String> = pair
        .columns
        .iter()
        .enumerate()
        .map(|(i, (x, _))| {
            format!(
                "SELECT {name} AS column_name, {i} AS ordinal, coalesce(bool_or(in_a AND in_b AND NOT {eq}), false) AS has_difference FROM joined",
                name = literal(x),
                eq = pair.column_equal(i)
            )
        })
        .collect();
    let sql = format!(
        "WITH joined AS ({}) SELECT column_name, has_difference FROM ({}) ORDER BY ordinal",
        pair.joined_sql(),
        parts.join(" UNION ALL ")
    );
    frame::query(conn, &sql, [])
}
