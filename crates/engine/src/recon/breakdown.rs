//! The delta by dimension: flat (each dimension alone) and nested (the dimensions in order,
//! company → branch → invoice_type → month), all from one GROUPING SETS pass over the join.

use std::collections::HashMap;

use duckdb::Connection;
use serde::Serialize;

use super::columns::KeyedPair;
use super::spec::Spec;
use super::summary::KeyedRows;
use crate::decimal::{Exact, Numeric};
use crate::error::Result;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreakdownRow {
    pub dimension: String,
    pub value: Option<String>,
    pub measure: String,
    pub legacy: Exact,
    pub new: Exact,
    pub delta: Exact,
    /// Share of the measure's total delta.
    pub share: Option<f64>,
}

/// The keyed rows of each class with one value of a dimension: how many invoices a company
/// is missing, not only how much money.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowsBy {
    pub dimension: String,
    pub value: Option<String>,
    #[serde(flatten)]
    pub rows: KeyedRows,
}

/// What one pass of `breakdown` gives.
#[derive(Debug, Default)]
pub struct Breakdowns {
    pub flat: Vec<BreakdownRow>,
    pub nested: Vec<NestedRow>,
    pub rows_by: Vec<RowsBy>,
}

/// One node of the nested breakdown: the values along `path` (the first dimensions, in order).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NestedRow {
    pub path: Vec<String>,
    pub values: Vec<Option<String>>,
    pub measure: String,
    pub legacy: Exact,
    pub new: Exact,
    pub delta: Exact,
    pub share: Option<f64>,
}

/// Adds the dimensions only the new side has to the pair and returns, per dimension, the SQL
/// of its value on a joined row (from whichever side has the row).
pub fn dimension_values(spec: &Spec, pair: &mut KeyedPair) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for d in &spec.dimensions {
        let paired = pair
            .columns
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(d));
        out.push(match paired {
            // The new side's spelling wins; the legacy one is trimmed when text is normalised.
            Some(i) if spec.rules.normalize_text => {
                format!("coalesce(CAST(b_{i} AS VARCHAR), trim(CAST(a_{i} AS VARCHAR)))")
            }
            Some(i) => format!("coalesce(CAST(b_{i} AS VARCHAR), CAST(a_{i} AS VARCHAR))"),
            None => {
                let (name, _) = spec
                    .new
                    .require(&spec.new_name(d), "the new side (a dimension)")?;
                pair.extra_b.push(name.clone());
                format!("CAST(bx_{} AS VARCHAR)", pair.extra_b.len() - 1)
            }
        });
    }
    Ok(out)
}

/// Grouping sets: each dimension alone, then each longer prefix of the dimension list.
fn grouping_sets(n: usize) -> Vec<Vec<usize>> {
    let mut sets: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    sets.extend((2..=n).map(|len| (0..len).collect()));
    sets
}

/// A joined row's class as a number (`breakdown`'s `cls`: 0 matched, 1 changed, 2 only
/// legacy, 3 only new): one CASE, so each row's columns are compared once.
fn class_code(pair: &KeyedPair) -> String {
    format!(
        "CASE WHEN in_a AND in_b THEN (CASE WHEN {} THEN 0 ELSE 1 END) WHEN in_b THEN 3 ELSE 2 END",
        pair.all_equal_sql()
    )
}

/// `measures` are (legacy column, index in the pair, total delta, scale). `extra_rows`, when
/// given, is SQL of rows added to the joined ones: the dimension values `v0…` as text, then
/// each measure's legacy and new amounts as DECIMAL(38, scale), then the rows' class code
/// and how many rows each stands for (rows a pushed-down compare knows only as group sums).
/// Amounts are summed exactly; each single dimension's values also get their row classes.
pub fn breakdown(
    conn: &Connection,
    spec: &Spec,
    pair: &KeyedPair,
    values: &[String],
    measures: &[(String, usize, Exact, u32)],
    extra_rows: Option<&str>,
) -> Result<Breakdowns> {
    let mut out = Breakdowns::default();
    if values.is_empty() || measures.is_empty() {
        return Ok(out);
    }
    let n = values.len();
    let sets = grouping_sets(n);
    let dims: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    let select: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{v} AS v{i}"))
        .collect();
    let amounts: Vec<String> = measures
        .iter()
        .enumerate()
        .flat_map(|(k, (_, mi, _, scale))| {
            [
                format!("CAST(a_{mi} AS DECIMAL(38, {scale})) AS la_{k}"),
                format!("CAST(b_{mi} AS DECIMAL(38, {scale})) AS lb_{k}"),
            ]
        })
        .collect();
    let mut sums: Vec<String> = (0..measures.len())
        .flat_map(|k| {
            [
                format!("CAST(sum(la_{k}) AS VARCHAR)"),
                format!("CAST(sum(lb_{k}) AS VARCHAR)"),
            ]
        })
        .collect();
    sums.extend(
        (0..4).map(|c| format!("CAST(coalesce(sum(w) FILTER (WHERE cls = {c}), 0) AS BIGINT)")),
    );
    let sets_sql: Vec<String> = sets
        .iter()
        .map(|s| {
            let cols: Vec<&str> = s.iter().map(|&i| dims[i].as_str()).collect();
            format!("({})", cols.join(", "))
        })
        .collect();
    let extra = extra_rows
        .map(|e| format!(" UNION ALL SELECT * FROM ({e})"))
        .unwrap_or_default();
    let grouped = format!(
        "SELECT {vs}, GROUPING({gs}) AS g, {sums} FROM parts GROUP BY GROUPING SETS ({sets})",
        vs = dims.join(", "),
        gs = dims.join(", "),
        sums = sums.join(", "),
        sets = sets_sql.join(", ")
    );
    let sql = format!(
        "WITH joined AS ({}), parts AS (SELECT {sel}, {amounts}, {cls} AS cls, 1 AS w FROM joined{extra}) {grouped}",
        pair.joined_rows_sql(),
        sel = select.join(", "),
        amounts = amounts.join(", "),
        cls = class_code(pair),
    );
    let classes_at = n + 1 + 2 * measures.len();
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let vals: Vec<Option<String>> = (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        // GROUPING has bit (n-1-i) set when dimension i is rolled up (not grouped).
        let g: i64 = r.get(n)?;
        let grouped_dims: Vec<usize> = (0..n).filter(|i| g & (1 << (n - 1 - i)) == 0).collect();
        if let [d] = grouped_dims[..] {
            let count = |c: usize| r.get::<_, i64>(classes_at + c);
            out.rows_by.push(RowsBy {
                dimension: spec.dimensions[d].clone(),
                value: vals[d].clone(),
                rows: KeyedRows {
                    matched: count(0)?,
                    changed: count(1)?,
                    only_legacy: count(2)?,
                    only_new: count(3)?,
                },
            });
        }
        for (k, (measure, _, total, scale)) in measures.iter().enumerate() {
            let amount = |i: usize| -> Result<Exact> {
                let text: Option<String> = r.get(i)?;
                Numeric::read_sum(text.as_deref(), *scale, &format!("a sum of `{measure}`"))
            };
            let legacy = amount(n + 1 + 2 * k)?;
            let new = amount(n + 2 + 2 * k)?;
            let delta = Exact::delta(new, legacy, &format!("`{measure}`"))?;
            let share = (!total.is_zero()).then(|| delta.to_f64() / total.to_f64());
            if grouped_dims.len() == 1 {
                out.flat.push(BreakdownRow {
                    dimension: spec.dimensions[grouped_dims[0]].clone(),
                    value: vals[grouped_dims[0]].clone(),
                    measure: measure.clone(),
                    legacy,
                    new,
                    delta,
                    share,
                });
            }
            if grouped_dims.iter().enumerate().all(|(p, &d)| p == d) {
                out.nested.push(NestedRow {
                    path: spec.dimensions[..grouped_dims.len()].to_vec(),
                    values: vals[..grouped_dims.len()].to_vec(),
                    measure: measure.clone(),
                    legacy,
                    new,
                    delta,
                    share,
                });
            }
        }
    }
    out.flat.sort_by(|a, b| {
        (a.measure.as_str(), dim_rank(spec, &a.dimension))
            .cmp(&(b.measure.as_str(), dim_rank(spec, &b.dimension)))
            .then(b.delta.abs().cmp(&a.delta.abs()))
            .then(a.value.cmp(&b.value))
    });
    sort_tree(&mut out.nested);
    out.rows_by.sort_by(|a, b| {
        (dim_rank(spec, &a.dimension), &a.value).cmp(&(dim_rank(spec, &b.dimension), &b.value))
    });
    Ok(out)
}

fn dim_rank(spec: &Spec, d: &str) -> usize {
    spec.dimensions.iter().position(|x| x == d).unwrap_or(0)
}

/// Depth-first order: the largest gap first at every level, each parent before its children.
pub fn sort_tree(rows: &mut [NestedRow]) {
    let delta_of: HashMap<(String, Vec<Option<String>>), Exact> = rows
        .iter()
        .map(|r| ((r.measure.clone(), r.values.clone()), r.delta))
        .collect();
    let sort_key = |r: &NestedRow| -> Vec<(std::cmp::Reverse<Exact>, Option<String>)> {
        (1..=r.values.len())
            .map(|len| {
                let prefix = r.values[..len].to_vec();
                let d = delta_of
                    .get(&(r.measure.clone(), prefix))
                    .copied()
                    .unwrap_or(Exact::ZERO);
                // Larger gaps first.
                (std::cmp::Reverse(d.abs()), r.values[len - 1].clone())
            })
            .collect()
    };
    rows.sort_by_cached_key(|r| (r.measure.clone(), sort_key(r)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_sets_are_singles_then_prefixes() {
        assert_eq!(
            grouping_sets(3),
            vec![vec![0], vec![1], vec![2], vec![0, 1], vec![0, 1, 2]]
        );
        assert_eq!(grouping_sets(1), vec![vec![0]]);
    }

    #[test]
    fn tree_order_puts_parents_first_and_big_gaps_first() {
        let row = |values: &[&str], delta: &str| {
            let delta = Exact::parse(delta).unwrap();
            NestedRow {
                path: vec![],
                values: values.iter().map(|v| Some(v.to_string())).collect(),
                measure: "m".into(),
                legacy: Exact::ZERO,
                new: delta,
                delta,
                share: None,
            }
        };
        let mut rows = vec![
            row(&["a", "x"], "1"),
            row(&["b"], "-10"),
            row(&["a"], "3.00"),
            row(&["b", "y"], "-9"),
            row(&["a", "z"], "2.5"),
            row(&["b", "w"], "-1"),
        ];
        sort_tree(&mut rows);
        let order: Vec<String> = rows
            .iter()
            .map(|r| {
                r.values
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        assert_eq!(order, vec!["b", "b/y", "b/w", "a", "a/z", "a/x"]);
    }
}
