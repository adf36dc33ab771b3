//! One pass over the keyed join: row classes, the six column classes of every column, and a
//! few sample rows of each class that is not a match. One aggregate statement, so a compare
//! of two large tables joins them once for all of it.

use duckdb::Connection;
use serde::Serialize;
use serde_json::{Map, Value};

use super::columns::{KeyedPair, CLASSES};
use super::equality::is_null;
use crate::error::{Error, Result};
use crate::sql::{ident, literal};

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
    pub key: Map<String, Value>,
    pub legacy: Option<Map<String, Value>>,
    pub new: Option<Map<String, Value>>,
    pub differs: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Samples {
    pub changed: Vec<SampleRow>,
    pub only_legacy: Vec<SampleRow>,
    pub only_new: Vec<SampleRow>,
}

pub struct Summary {
    /// Counts over the join; `legacy_rows`/`new_rows` and duplicates are filled by the caller
    /// from the sides themselves (a fan-out join would inflate them).
    pub rows: RowClasses,
    pub columns: Vec<ColumnClasses>,
    pub samples: Samples,
}

/// The class of a joined row, as SQL conditions.
struct ClassSql {
    matched: String,
    changed: String,
}

fn class_sql(pair: &KeyedPair) -> ClassSql {
    let all_equal = (0..pair.columns.len())
        .map(|i| pair.column_equal(i))
        .collect::<Vec<_>>()
        .join(" AND ");
    ClassSql {
        matched: format!("in_a AND in_b AND {all_equal}"),
        changed: format!("in_a AND in_b AND NOT ({all_equal})"),
    }
}

/// `struct_pack("col" := a_0, …)` over one side's columns, named as the legacy side names them.
fn side_struct(pair: &KeyedPair, prefix: &str) -> String {
    let fields: Vec<String> = pair
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{} := {prefix}_{i}", ident(name)))
        .collect();
    format!("struct_pack({})", fields.join(", "))
}

pub fn summarise(conn: &Connection, pair: &KeyedPair, sample_size: usize) -> Result<Summary> {
    if pair.columns.is_empty() {
        return Err(Error::Usage("no column to compare".into()));
    }
    let class = class_sql(pair);
    let mut select = vec![
        format!("count(*) FILTER (WHERE {})", class.matched),
        format!("count(*) FILTER (WHERE {})", class.changed),
        "count(*) FILTER (WHERE in_a AND NOT in_b)".to_string(),
        "count(*) FILTER (WHERE in_b AND NOT in_a)".to_string(),
    ];
    for (i, (x, y)) in pair.columns.iter().enumerate() {
        let eq = pair.column_equal(i);
        let null_a = is_null(&format!("a_{i}"), &type_of(pair.a, x), &pair.rules);
        let null_b = is_null(&format!("b_{i}"), &type_of(pair.b, y), &pair.rules);
        for cond in [
            format!("in_a AND in_b AND {eq}"),
            format!("in_a AND {null_a}"),
            format!("in_b AND {null_b}"),
            "NOT in_a".to_string(),
            "NOT in_b".to_string(),
            format!("in_a AND in_b AND NOT {eq}"),
        ] {
            select.push(format!("count(*) FILTER (WHERE {cond})"));
        }
    }
    let samples_at = select.len();
    if sample_size > 0 {
        let keys: Vec<String> = pair
            .keys
            .iter()
            .map(|k| format!("{} := {}", ident(k), pair.key_value(k)))
            .collect();
        let key = format!("struct_pack({})", keys.join(", "));
        let differs: Vec<String> = pair
            .columns
            .iter()
            .enumerate()
            .map(|(i, (x, _))| {
                format!(
                    "CASE WHEN NOT {} THEN {} END",
                    pair.column_equal(i),
                    literal(x)
                )
            })
            .collect();
        let row = format!(
            "struct_pack(key := {key}, in_a := in_a, in_b := in_b, a := {a}, b := {b}, differs := list_filter([{d}], x -> x IS NOT NULL))",
            a = side_struct(pair, "a"),
            b = side_struct(pair, "b"),
            d = differs.join(", ")
        );
        for cond in [
            class.changed.clone(),
            "in_a AND NOT in_b".to_string(),
            "in_b AND NOT in_a".to_string(),
        ] {
            select.push(format!(
                "to_json(arg_min({row}, {key}, {sample_size}) FILTER (WHERE {cond}))"
            ));
        }
    }
    let sql = format!(
        "WITH joined AS ({}) SELECT {} FROM joined",
        pair.joined_rows_sql(),
        select.join(", ")
    );
    conn.query_row(&sql, [], |r| {
        let n = |i: usize| r.get::<_, i64>(i);
        let rows = RowClasses {
            matched: n(0)?,
            changed: n(1)?,
            only_legacy: n(2)?,
            only_new: n(3)?,
            ..RowClasses::default()
        };
        let mut columns = Vec::new();
        for (c, (name, _)) in pair.columns.iter().enumerate() {
            let at = 4 + c * CLASSES.len();
            columns.push(ColumnClasses {
                name: name.clone(),
                perfect_match: n(at)?,
                null_in_a: n(at + 1)?,
                null_in_b: n(at + 2)?,
                missing_from_a: n(at + 3)?,
                missing_from_b: n(at + 4)?,
                conflicting_values: n(at + 5)?,
            });
        }
        let mut samples = Samples::default();
        if sample_size > 0 {
            let text = |i: usize| r.get::<_, Option<String>>(samples_at + i);
            samples.changed = parse_samples(text(0)?, true);
            samples.only_legacy = parse_samples(text(1)?, false);
            samples.only_new = parse_samples(text(2)?, false);
        }
        Ok(Summary {
            rows,
            columns,
            samples,
        })
    })
    .map_err(Error::from)
}

fn type_of(rel: &super::relation::Relation, name: &str) -> String {
    rel.find(name)
        .map_or_else(|| "VARCHAR".into(), |(_, t)| t.clone())
}

/// Rows from the JSON list DuckDB built.
fn parse_samples(json: Option<String>, changed: bool) -> Vec<SampleRow> {
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
            let key = take(&mut o, "key");
            let (a, b) = (take(&mut o, "a"), take(&mut o, "b"));
            let differs: Vec<String> = match o.remove("differs") {
                Some(Value::Array(d)) => d
                    .into_iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            let present = |o: &Map<String, Value>, k: &str| o.get(k) == Some(&Value::Bool(true));
            let (in_a, in_b) = (present(&o, "in_a"), present(&o, "in_b"));
            let side = |m: Map<String, Value>, present: bool| -> Option<Map<String, Value>> {
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
