//! The compare report: totals per measure, row classes, column classes and the delta broken
//! down by dimension. Everything is aggregated in DuckDB; only the summaries come back.

use duckdb::Connection;
use serde::Serialize;

use super::columns::{KeyedPair, CLASSES};
use super::equality::Rules;
use super::relation::Relation;
use crate::error::{Error, Result};
use crate::sql::ident;

pub const SCHEMA_VERSION: u32 = 1;

/// What to compare: `legacy` is side a, `new` side b.
pub struct Spec {
    pub legacy: Relation,
    pub new: Relation,
    pub keys: Vec<String>,
    /// (legacy column, new column) where the names differ.
    pub map: Vec<(String, String)>,
    pub measures: Vec<String>,
    pub dimensions: Vec<String>,
    pub skip: Vec<String>,
    pub rules: Rules,
}

impl Spec {
    /// The new side's name for a legacy column (the same unless mapped).
    pub fn new_name(&self, legacy: &str) -> String {
        self.map
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(legacy))
            .map_or_else(|| legacy.to_string(), |(_, n)| n.clone())
    }

    /// The two sides joined on the keys, every shared column paired.
    pub fn keyed_pair(&self) -> Result<KeyedPair<'_>> {
        KeyedPair::new(
            &self.legacy,
            &self.new,
            &self.keys,
            None,
            &self.skip,
            &self.map,
            self.rules.clone(),
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MeasureTotal {
    pub name: String,
    pub legacy: f64,
    pub new: f64,
    pub delta: f64,
    pub delta_pct: Option<f64>,
    pub within_tolerance: bool,
}

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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreakdownRow {
    pub dimension: String,
    pub value: Option<String>,
    pub measure: String,
    pub legacy: f64,
    pub new: f64,
    pub delta: f64,
    /// Share of the measure's total delta.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub measures: Vec<MeasureTotal>,
    pub rows: RowClasses,
    pub columns: Vec<ColumnClasses>,
    pub breakdown: Vec<BreakdownRow>,
}

impl Report {
    pub fn within_tolerance(&self) -> bool {
        self.measures.iter().all(|m| m.within_tolerance)
    }
}

fn sum(conn: &Connection, rel: &Relation, column: &str) -> Result<f64> {
    Ok(conn.query_row(
        &format!(
            "SELECT coalesce(sum(CAST({} AS DOUBLE)), 0) FROM {}",
            ident(column),
            rel.sql
        ),
        [],
        |r| r.get(0),
    )?)
}

fn duplicate_keys(conn: &Connection, rel: &Relation, keys: &[String]) -> Result<i64> {
    let list = keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ");
    Ok(conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT {list} FROM {} GROUP BY ALL HAVING count(*) > 1)",
            rel.sql
        ),
        [],
        |r| r.get(0),
    )?)
}

pub fn compare(conn: &Connection, spec: &Spec) -> Result<Report> {
    let new_name = |legacy: &str| spec.new_name(legacy);
    let mut pair = spec.keyed_pair()?;
    for d in &spec.dimensions {
        if pair.columns.iter().all(|(a, _)| !a.eq_ignore_ascii_case(d)) {
            let (name, _) = spec
                .new
                .require(&new_name(d), "the new side (a dimension)")?;
            pair.extra_b.push(name.clone());
        }
    }
    if pair.columns.is_empty() {
        return Err(Error::Usage(
            "the two sides share no column to compare".into(),
        ));
    }
    let index_of = |legacy_col: &str| {
        pair.columns
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(legacy_col))
    };

    let mut measures = Vec::new();
    for m in &spec.measures {
        spec.legacy.require(m, "the legacy side")?;
        spec.new.require(&new_name(m), "the new side")?;
        let (legacy, new) = (
            sum(conn, &spec.legacy, m)?,
            sum(conn, &spec.new, &new_name(m))?,
        );
        let delta = new - legacy;
        let allowed = spec.rules.absolute.max(spec.rules.relative * legacy.abs()) + 1e-9;
        measures.push(MeasureTotal {
            name: m.clone(),
            legacy,
            new,
            delta,
            delta_pct: (legacy != 0.0).then(|| 100.0 * delta / legacy.abs()),
            within_tolerance: delta.abs() <= allowed,
        });
    }

    let joined = pair.joined_sql();
    let all_equal = (0..pair.columns.len())
        .map(|i| pair.column_equal(i))
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut rows = conn.query_row(
        &format!(
            // count(*) FILTER, not count_if: count_if is NULL over no rows.
            "WITH joined AS ({joined}) SELECT count(*) FILTER (WHERE in_a), count(*) FILTER (WHERE in_b), \
             count(*) FILTER (WHERE in_a AND in_b AND {all_equal}), count(*) FILTER (WHERE in_a AND in_b AND NOT ({all_equal})), \
             count(*) FILTER (WHERE in_a AND NOT in_b), count(*) FILTER (WHERE in_b AND NOT in_a) FROM joined"
        ),
        [],
        |r| {
            Ok(RowClasses {
                legacy_rows: r.get(0)?,
                new_rows: r.get(1)?,
                matched: r.get(2)?,
                changed: r.get(3)?,
                only_legacy: r.get(4)?,
                only_new: r.get(5)?,
                ..RowClasses::default()
            })
        },
    )?;
    rows.duplicate_keys_legacy = duplicate_keys(conn, &spec.legacy, &spec.keys)?;
    let new_keys: Vec<String> = spec.keys.iter().map(|k| new_name(k)).collect();
    rows.duplicate_keys_new = duplicate_keys(conn, &spec.new, &new_keys)?;

    let classes = super::columns::all_columns_summary(conn, &pair)?;
    let columns = crate::frame::to_text_rows(&classes)
        .into_iter()
        .skip(1)
        .map(|r| {
            let n = |i: usize| r[i].parse::<i64>().unwrap_or(0);
            ColumnClasses {
                name: r[0].clone(),
                perfect_match: n(1),
                null_in_a: n(2),
                null_in_b: n(3),
                missing_from_a: n(4),
                missing_from_b: n(5),
                conflicting_values: n(6),
            }
        })
        .collect();
    debug_assert_eq!(CLASSES.len(), 6);

    let mut breakdown = Vec::new();
    for m in &spec.measures {
        let Some(mi) = index_of(m) else { continue };
        let total_delta = measures
            .iter()
            .find(|t| &t.name == m)
            .map_or(0.0, |t| t.delta);
        for d in &spec.dimensions {
            // The value of a dimension comes from whichever side has the row (and the column).
            let value = match index_of(d) {
                // The new side's spelling wins; the legacy one is trimmed when text is normalised.
                Some(di) if spec.rules.normalize_text => {
                    format!("coalesce(CAST(b_{di} AS VARCHAR), trim(CAST(a_{di} AS VARCHAR)))")
                }
                Some(di) => format!("coalesce(CAST(b_{di} AS VARCHAR), CAST(a_{di} AS VARCHAR))"),
                None => {
                    let xi = pair
                        .extra_b
                        .iter()
                        .position(|c| c.eq_ignore_ascii_case(&new_name(d)))
                        .unwrap_or(0);
                    format!("CAST(bx_{xi} AS VARCHAR)")
                }
            };
            let (la, nb) = (
                format!("coalesce(sum(CAST(a_{mi} AS DOUBLE)), 0)"),
                format!("coalesce(sum(CAST(b_{mi} AS DOUBLE)), 0)"),
            );
            let sql = format!("WITH joined AS ({joined}) SELECT {value} AS v, {la}, {nb} FROM joined GROUP BY v ORDER BY abs({nb} - {la}) DESC, v");
            let mut stmt = conn.prepare(&sql)?;
            let found = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })?;
            for row in found {
                let (v, legacy, new) = row?;
                let delta = new - legacy;
                breakdown.push(BreakdownRow {
                    dimension: d.clone(),
                    value: v,
                    measure: m.clone(),
                    legacy,
                    new,
                    delta,
                    share: (total_delta != 0.0).then(|| delta / total_delta),
                });
            }
        }
    }
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        measures,
        rows,
        columns,
        breakdown,
    })
}
