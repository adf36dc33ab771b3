//! One pass over the keyed join: row classes, the six column classes of every column, and a
//! few sample rows of each class that is not a match. One aggregate statement, so a compare
//! of two large tables joins them once for all of it.

use duckdb::Connection;
use serde::Serialize;
use serde_json::{Map, Value};

use super::columns::KeyedPair;
use super::equality::{is_null, Rules};
use crate::error::{Error, Result};
use crate::sql::ident;

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct RowClasses {
    pub legacy_rows: i64,
    pub new_rows: i64,
    pub matched: i64,
    pub changed: i64,
    pub only_legacy: i64,
    pub only_new: i64,
    pub duplicate_keys_legacy: i64,
    pub duplicate_keys_new: i64,
}

/// Keyed rows by class, where only the join is counted (one company's, say): a key on both
/// sides is one row, however often it repeats.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct KeyedRows {
    pub matched: i64,
    pub changed: i64,
    pub only_legacy: i64,
    pub only_new: i64,
}

impl KeyedRows {
    /// A whole compare's classes, without its side counts.
    pub fn of(rows: &RowClasses) -> KeyedRows {
        KeyedRows {
            matched: rows.matched,
            changed: rows.changed,
            only_legacy: rows.only_legacy,
            only_new: rows.only_new,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnClasses {
    pub name: String,
    pub perfect_match: i64,
    pub null_in_a: i64,
    pub null_in_b: i64,
    pub missing_from_a: i64,
    pub missing_from_b: i64,
    pub conflicting_values: i64,
}

/// A row of a class, keyed. `legacy`/`new` hold the side's values by the legacy column
/// name: every compared column for a one-sided row, the differing ones for a changed row
/// (also listed in `differs`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SampleRow {
    pub key: Fields,
    pub legacy: Option<Fields>,
    pub new: Option<Fields>,
    pub differs: Vec<String>,
}

/// A sample row's values by column name, in name order.
pub type Fields = std::collections::BTreeMap<String, Cell>;

/// One value of a sample row. A DECIMAL (or a 128-bit integer) keeps the text DuckDB wrote
/// for it, scale and all (`1.00`, `123456789012345678.91`), and is serialised as a JSON
/// number of exactly that text: read through a float it printed as `1.0` and
/// `1.2345678901234568e+17`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Exact(String),
    Json(Value),
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Cell::Json(v) => v.serialize(s),
            Cell::Exact(text) => serde_json::value::RawValue::from_string(text.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Exact(text) => f.write_str(text),
            Cell::Json(Value::String(text)) => f.write_str(text),
            Cell::Json(v) => write!(f, "{v}"),
        }
    }
}

/// Whether values of `duck_type` lose digits through a float (so travel as text).
fn exact_type(duck_type: &str) -> bool {
    let t = duck_type.to_ascii_uppercase();
    t.starts_with("DECIMAL") || t.starts_with("NUMERIC") || t == "HUGEINT" || t == "UHUGEINT"
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Samples {
    pub changed: Vec<SampleRow>,
    pub only_legacy: Vec<SampleRow>,
    pub only_new: Vec<SampleRow>,
}

impl Samples {
    /// Every value of a personal column as `shown` shows it (keys hashed); NULL stays NULL.
    pub fn mask(&mut self, shown: &crate::pii::Shown) {
        if shown.is_nothing() {
            return;
        }
        let fields = |fields: &mut Fields| {
            for (name, cell) in fields.iter_mut().filter(|(n, _)| shown.masks(n)) {
                if *cell != Cell::Json(Value::Null) {
                    *cell = Cell::Json(Value::String(shown.cell(name, &cell.to_string())));
                }
            }
        };
        let rows = [&mut self.changed, &mut self.only_legacy, &mut self.only_new];
        for row in rows.into_iter().flatten() {
            fields(&mut row.key);
            row.legacy
                .iter_mut()
                .chain(row.new.iter_mut())
                .for_each(fields);
        }
    }
}

pub struct Summary {
    /// Counts over the join; `legacy_rows`/`new_rows` and duplicates are filled by the caller
    /// from the sides themselves (a fan-out join would inflate them).
    pub rows: RowClasses,
    pub columns: Vec<ColumnClasses>,
    pub samples: Samples,
}

/// The SQL condition of a changed row: the key on both sides and some column different.
fn changed_sql(pair: &KeyedPair) -> String {
    format!("in_a AND in_b AND NOT ({})", pair.all_equal_sql())
}

/// `struct_pack("col" := a_0, …)` over one side's columns, named as the legacy side names them.
fn side_struct(
    pair: &KeyedPair,
    prefix: &str,
    exact: &std::collections::HashSet<String>,
) -> String {
    let fields: Vec<String> = pair
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            if exact.contains(name) {
                format!("{} := CAST({prefix}_{i} AS VARCHAR)", ident(name))
            } else {
                format!("{} := {prefix}_{i}", ident(name))
            }
        })
        .collect();
    format!("struct_pack({})", fields.join(", "))
}

/// The columns whose sample values travel as text (see `Cell::Exact`), by legacy name.
fn exact_columns(pair: &KeyedPair) -> [std::collections::HashSet<String>; 2] {
    let mut out: [std::collections::HashSet<String>; 2] = Default::default();
    for (i, (name, _)) in pair.columns.iter().enumerate() {
        let (ta, tb) = pair.pair_types(i);
        for (side, ty) in [(0, ta), (1, tb)] {
            if exact_type(&ty) {
                out[side].insert(name.clone());
            }
        }
    }
    out
}

/// SQL counting the values of `expr` (of type `ty`) that are not NULL under the rules.
pub(crate) fn non_null_count(expr: &str, ty: &str, rules: &Rules) -> String {
    if rules.null_equals_empty && super::relation::is_text(ty) {
        format!("count(*) FILTER (WHERE NOT {})", is_null(expr, ty, rules))
    } else {
        format!("count({expr})")
    }
}

/// Counts per class and per column over the full join, and the keys (as text) of up to
/// `sample_size` rows of each non-matching class; then the sample rows themselves from a
/// second join of just those keys. Each column's equality is computed once per row.
pub fn summarise(conn: &Connection, pair: &KeyedPair, sample_size: usize) -> Result<Summary> {
    if pair.columns.is_empty() {
        return Err(Error::Usage("no column to compare".into()));
    }
    let n = pair.columns.len();
    // Per row: where it is, and whether each column is equal (computed once). Matched rows
    // decide most column classes by themselves, so the per-column counts below only look
    // at changed rows, and NULL counts come from count(column), which reads validity masks.
    let mut flags = vec!["in_a".to_string(), "in_b".to_string()];
    for i in 0..n {
        flags.push(format!("{} AS e{i}", pair.column_equal(i)));
        flags.push(format!("a_{i}"));
        flags.push(format!("b_{i}"));
    }
    let all_equal = (0..n)
        .map(|i| format!("e{i}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let key_text: Vec<String> = pair
        .keys
        .iter()
        .map(|k| format!("CAST({} AS VARCHAR)", pair.key_value(k)))
        .collect();
    let mut select = vec![
        "count(*) FILTER (WHERE in_a AND in_b AND NOT changed)".to_string(),
        "count(*) FILTER (WHERE changed)".to_string(),
        "count(*) FILTER (WHERE in_a AND NOT in_b)".to_string(),
        "count(*) FILTER (WHERE in_b AND NOT in_a)".to_string(),
        "count(*) FILTER (WHERE in_a)".to_string(),
        "count(*) FILTER (WHERE in_b)".to_string(),
    ];
    let non_null =
        |side: &str, i: usize, ty: String| non_null_count(&format!("{side}_{i}"), &ty, &pair.rules);
    for i in 0..pair.columns.len() {
        // In the type the pair is compared in (a text column met by a DATE is a DATE).
        let (ta, tb) = pair.pair_types(i);
        select.push(format!("count(*) FILTER (WHERE changed AND e{i})"));
        select.push(non_null("a", i, ta));
        select.push(non_null("b", i, tb));
    }
    let classes = [
        "changed".to_string(),
        "in_a AND NOT in_b".to_string(),
        "in_b AND NOT in_a".to_string(),
    ];
    if sample_size > 0 {
        for cond in &classes {
            select.push(format!(
                "to_json(min([{}], {sample_size}) FILTER (WHERE {cond}))",
                key_text.join(", ")
            ));
        }
    }
    let sql = format!(
        "WITH joined AS ({}), flags AS (SELECT {}, in_a AND in_b AND NOT ({all_equal}) AS changed FROM joined) \
         SELECT {} FROM (SELECT * FROM flags) AS f",
        pair.joined_rows_sql(),
        flags.join(", "),
        select.join(", ")
    );
    let samples_at = 6 + 3 * n;
    let (rows, columns, keys) = conn.query_row(&sql, [], |r| {
        let count = |i: usize| r.get::<_, i64>(i);
        let rows = RowClasses {
            matched: count(0)?,
            changed: count(1)?,
            only_legacy: count(2)?,
            only_new: count(3)?,
            ..RowClasses::default()
        };
        let (in_a, in_b) = (count(4)?, count(5)?);
        let mut columns = Vec::new();
        for (c, (name, _)) in pair.columns.iter().enumerate() {
            let at = 6 + 3 * c;
            let equal_in_changed = count(at)?;
            columns.push(ColumnClasses {
                name: name.clone(),
                perfect_match: rows.matched + equal_in_changed,
                null_in_a: in_a - count(at + 1)?,
                null_in_b: in_b - count(at + 2)?,
                missing_from_a: rows.only_new,
                missing_from_b: rows.only_legacy,
                conflicting_values: rows.changed - equal_in_changed,
            });
        }
        let mut keys: Vec<Vec<Option<String>>> = Vec::new();
        if sample_size > 0 {
            for i in 0..classes.len() {
                let json: Option<String> = r.get(samples_at + i)?;
                keys.extend(
                    json.and_then(|j| serde_json::from_str::<Vec<Vec<Option<String>>>>(&j).ok())
                        .unwrap_or_default(),
                );
            }
        }
        Ok((rows, columns, keys))
    })?;
    let samples = if keys.is_empty() {
        Samples::default()
    } else {
        sample_rows(conn, pair, &keys, sample_size)?
    };
    Ok(Summary {
        rows,
        columns,
        samples,
    })
}

/// The sample rows of the keys found by the full pass, from a join of just those keys.
fn sample_rows(
    conn: &Connection,
    pair: &KeyedPair,
    keys: &[Vec<Option<String>>],
    sample_size: usize,
) -> Result<Samples> {
    let b_keys: Vec<String> = pair
        .keys
        .iter()
        .map(|k| {
            pair.columns
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(k))
                .map_or_else(|| k.clone(), |(_, b)| b.clone())
        })
        .collect();
    let (a, b) = (
        pair.a.only_keys(&pair.keys, keys),
        pair.b.only_keys(&b_keys, keys),
    );
    let small = pair.over(&a, &b);
    let changed = changed_sql(&small);
    let exact = exact_columns(&small);
    let key_fields: Vec<String> = small
        .keys
        .iter()
        .map(|k| {
            let value = small.key_value(k);
            if exact[0].contains(k) || exact[1].contains(k) {
                format!("{} := CAST({value} AS VARCHAR)", ident(k))
            } else {
                format!("{} := {value}", ident(k))
            }
        })
        .collect();
    let key = format!("struct_pack({})", key_fields.join(", "));
    let row = format!(
        "struct_pack(key := {key}, in_a := in_a, in_b := in_b, a := {a}, b := {b}, differs := {d})",
        a = side_struct(&small, "a", &exact[0]),
        b = side_struct(&small, "b", &exact[1]),
        d = small.differing_columns_sql()
    );
    let select: Vec<String> = [
        changed,
        "in_a AND NOT in_b".to_string(),
        "in_b AND NOT in_a".to_string(),
    ]
    .iter()
    .map(|cond| format!("to_json(arg_min({row}, {key}, {sample_size}) FILTER (WHERE {cond}))"))
    .collect();
    let sql = format!(
        "WITH joined AS ({}) SELECT {} FROM joined",
        small.joined_rows_sql(),
        select.join(", ")
    );
    Ok(conn.query_row(&sql, [], |r| {
        let text = |i: usize| r.get::<_, Option<String>>(i);
        Ok(Samples {
            changed: parse_samples(text(0)?, true, &exact),
            only_legacy: parse_samples(text(1)?, false, &exact),
            only_new: parse_samples(text(2)?, false, &exact),
        })
    })?)
}

/// Rows from the JSON list DuckDB built.
fn parse_samples(
    json: Option<String>,
    changed: bool,
    exact: &[std::collections::HashSet<String>; 2],
) -> Vec<SampleRow> {
    // A value DuckDB wrote as text for an exact column is that column's exact number.
    let cells = |m: Map<String, Value>, exact: &dyn Fn(&str) -> bool| -> Fields {
        m.into_iter()
            .map(|(k, v)| {
                let cell = match v {
                    Value::String(text) if exact(&k) => Cell::Exact(text),
                    other => Cell::Json(other),
                };
                (k, cell)
            })
            .collect()
    };
    let key_exact = |k: &str| exact[0].contains(k) || exact[1].contains(k);
    let a_exact = |k: &str| exact[0].contains(k);
    let b_exact = |k: &str| exact[1].contains(k);
    let Some(Value::Array(items)) = json.and_then(|j| serde_json::from_str(&j).ok()) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let Value::Object(mut o) = item else {
                return None;
            };
            let take = |o: &mut Map<String, Value>, k: &str| match o.remove(k) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            let key = cells(take(&mut o, "key"), &key_exact);
            let (a, b) = (
                cells(take(&mut o, "a"), &a_exact),
                cells(take(&mut o, "b"), &b_exact),
            );
            let differs: Vec<String> = match o.remove("differs") {
                Some(Value::Array(d)) => d
                    .into_iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            let present = |o: &Map<String, Value>, k: &str| o.get(k) == Some(&Value::Bool(true));
            let (in_a, in_b) = (present(&o, "in_a"), present(&o, "in_b"));
            let side = |m: Fields, present: bool| -> Option<Fields> {
                if !present {
                    return None;
                }
                Some(if changed {
                    m.into_iter()
                        .filter(|(k, _)| differs.iter().any(|d| d == k))
                        .collect()
                } else {
                    m
                })
            };
            let legacy = side(a, in_a);
            let new_side = side(b, in_b);
            Some(SampleRow {
                key,
                legacy,
                new: new_side,
                differs,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::Relation;

    /// Before: sample values went through a float: `1.00` printed as `1.0`, and both sides
    /// of a one-cent difference above 2^53 as `1.2345678901234568e+17`.
    #[test]
    fn sample_rows_keep_decimals_exact() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE a AS SELECT * FROM (VALUES (1, 123456789012345678.91::DECIMAL(38,2), 1.00::DECIMAL(12,2), 0.5::DOUBLE)) t(k, big, one, f); \
             CREATE TABLE b AS SELECT * FROM (VALUES (1, 123456789012345678.92::DECIMAL(38,2), 1.00::DECIMAL(12,2), 0.5::DOUBLE), \
                                                 (2, 7.10::DECIMAL(38,2), 2.50::DECIMAL(12,2), 1.25::DOUBLE)) t(k, big, one, f);",
        )
        .unwrap();
        let a = Relation::describe(&conn, "a").unwrap();
        let b = Relation::describe(&conn, "b").unwrap();
        let pair = KeyedPair::new(&a, &b, &["k".into()], None, &[], &[], Rules::default()).unwrap();
        let s = summarise(&conn, &pair, 5).unwrap().samples;
        let changed = &s.changed[0];
        assert_eq!(
            changed.legacy.as_ref().unwrap()["big"],
            Cell::Exact("123456789012345678.91".into())
        );
        assert_eq!(
            changed.new.as_ref().unwrap()["big"].to_string(),
            "123456789012345678.92"
        );
        let only_new = serde_json::to_string(&s.only_new[0]).unwrap();
        assert!(
            only_new.contains("\"big\":7.10") && only_new.contains("\"one\":2.50"),
            "{only_new}"
        );
        assert!(only_new.contains("\"f\":1.25"), "{only_new}");
    }
}
