//! Explain: attribute a measure's total delta to dimension values and row classes, each
//! written as a SQL predicate that could become a legacy rule.

use duckdb::Connection;
use serde::Serialize;

use super::class::RowClass;
use super::report::Spec;
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::{ident, literal};

/// One dimension's value in a cause (None: NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub dimension: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cause {
    /// The dimension values the cause's rows share, kept as values.
    #[serde(skip)]
    pub terms: Vec<Term>,
    /// `invoice_type`, or `invoice_type, branch` for a combination (for people).
    pub dimension: String,
    pub value: String,
    /// Where the rows sit: only_new, only_legacy, changed.
    pub row_class: RowClass,
    /// A predicate on the new side selecting these rows.
    pub predicate: String,
    /// Exact, at the measure's scale.
    pub delta: Exact,
    pub share: f64,
    pub rows: i64,
}

/// Explain's JSON: the causes of one comparison's gap.
#[derive(Debug, Serialize)]
pub struct Explained<'a> {
    pub schema_version: u32,
    pub comparison: &'a str,
    pub measure: &'a str,
    pub causes: &'a [Cause],
}

/// Share of the gap a single dimension must explain before combinations are tried.
const ENOUGH: f64 = 0.8;
/// Largest number of distinct values for a column to be tried as a dimension.
const MAX_CARDINALITY: i64 = 50;

/// Whether a new-side column may serve as a dimension: text, a date or a flag, and not a
/// key, a measure or assay's own (`_…`).
pub fn may_explain(spec: &Spec, name: &str, ty: &str) -> bool {
    let skip = spec
        .keys
        .iter()
        .chain(&spec.measures)
        .any(|k| k.eq_ignore_ascii_case(name))
        || name.starts_with('_');
    let kind_ok = ty.eq_ignore_ascii_case("VARCHAR")
        || ty.eq_ignore_ascii_case("DATE")
        || ty.eq_ignore_ascii_case("BOOLEAN");
    kind_ok && !skip
}

/// Whether `distinct` values are few enough (and more than one) for a dimension.
pub fn few_enough(distinct: i64) -> bool {
    distinct > 1 && distinct <= MAX_CARDINALITY
}

/// Columns of the new side with few distinct values (and not keys or measures).
pub fn low_cardinality_columns(conn: &Connection, spec: &Spec) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (name, ty) in &spec.new.columns {
        if !may_explain(spec, name, ty) {
            continue;
        }
        let n: i64 = conn.query_row(
            &format!(
                "SELECT count(DISTINCT {}) FROM {}",
                ident(name),
                spec.new.sql
            ),
            [],
            |r| r.get(0),
        )?;
        if few_enough(n) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

pub fn explain(conn: &Connection, spec: &Spec, measure: &str, top: usize) -> Result<Vec<Cause>> {
    let candidates = match &spec.dimension_candidates {
        Some(counted) => counted.clone(),
        None => low_cardinality_columns(conn, spec)?,
    };
    let new_name = |c: &str| spec.new_name(c);
    let mut dims: Vec<String> = spec.dimensions.iter().map(|d| new_name(d)).collect();
    for d in candidates {
        if !dims.iter().any(|x| x.eq_ignore_ascii_case(&d)) {
            dims.push(d);
        }
    }
    let mut pair = spec.keyed_pair()?;
    let mi = pair
        .columns
        .iter()
        .position(|(a, _)| a.eq_ignore_ascii_case(measure))
        .ok_or_else(|| Error::Usage(format!("measure `{measure}` is not on both sides")))?;
    // Every dimension is read from the new side's row, or the legacy row when new has none.
    let mut dim_exprs = Vec::new();
    for d in &dims {
        let (name, _) = spec.new.require(d, "the new side (a dimension)")?;
        pair.extra_b.push(name.clone());
        let xi = pair.extra_b.len() - 1;
        let legacy = pair
            .columns
            .iter()
            .position(|(_, b)| b.eq_ignore_ascii_case(name));
        dim_exprs.push(match legacy {
            Some(ai) => {
                format!("coalesce(CAST(bx_{xi} AS VARCHAR), trim(CAST(a_{ai} AS VARCHAR)))")
            }
            None => format!("CAST(bx_{xi} AS VARCHAR)"),
        });
    }
    let class = pair.row_class_sql();
    let m = spec
        .measure_pairs()?
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(measure))
        .ok_or_else(|| Error::Usage(format!("`{measure}` is not a measure")))?;
    let scale = m.scale;
    let duck = Dialect::DuckDb;
    let delta = format!(
        "coalesce({}, 0) - coalesce({}, 0)",
        duck.exact(&format!("b_{mi}"), m.new, scale),
        duck.exact(&format!("a_{mi}"), m.legacy, scale)
    );
    let base = format!("WITH joined AS ({}), classed AS (SELECT *, {class} AS row_class, {delta} AS d FROM joined)", pair.joined_sql());
    let total: Option<String> = conn.query_row(
        &format!("{base} SELECT CAST(sum(d) AS VARCHAR) FROM classed"),
        [],
        |r| r.get(0),
    )?;
    let total = Numeric::read_sum(total.as_deref(), scale, "the gap explained")?;
    if total.is_zero() {
        return Ok(Vec::new());
    }
    let total = total.to_f64();
    let mut causes = Vec::new();
    let group = |names: Vec<&String>, exprs: Vec<&String>| {
        grouped(conn, &base, (top, scale), total, &names, &exprs)
    };
    // A key column (the company of a configured comparison) only splits the gap by scope;
    // alone it is no rule, so it is tried in pairs (company X and type Y) only.
    let is_key = |d: &String| {
        spec.keys
            .iter()
            .any(|k| spec.new_name(k).eq_ignore_ascii_case(d))
    };
    for (d, e) in dims.iter().zip(&dim_exprs).filter(|(d, _)| !is_key(d)) {
        causes.extend(group(vec![d], vec![e])?);
    }
    let best = causes.iter().map(|c| c.share.abs()).fold(0.0, f64::max);
    if best < ENOUGH {
        for i in 0..dims.len() {
            for j in i + 1..dims.len() {
                causes.extend(group(
                    vec![&dims[i], &dims[j]],
                    vec![&dim_exprs[i], &dim_exprs[j]],
                )?);
            }
        }
    }
    // A pair says more than its parts only when neither part is already a cause at least
    // as large (acme ∧ CANCELLED adds nothing once CANCELLED itself is listed).
    let singles: Vec<Cause> = causes
        .iter()
        .filter(|c| c.terms.len() == 1)
        .cloned()
        .collect();
    causes.retain(|c| {
        c.terms.len() == 1
            || !singles.iter().any(|s| {
                s.row_class == c.row_class
                    && s.delta.abs() >= c.delta.abs()
                    && c.terms.contains(&s.terms[0])
            })
    });
    causes.sort_by(|a, b| {
        b.delta
            .abs()
            .cmp(&a.delta.abs())
            .then(a.dimension.len().cmp(&b.dimension.len()))
    });
    causes.truncate(top);
    Ok(causes)
}

/// The causes among rows grouped by the given dimension expressions and row class.
fn grouped(
    conn: &Connection,
    base: &str,
    (top, scale): (usize, u32),
    total: f64,
    names: &[&String],
    exprs: &[&String],
) -> Result<Vec<Cause>> {
    let select = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{e} AS v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let groups = (0..exprs.len())
        .map(|i| format!("v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "{base} SELECT {select}, row_class, CAST(sum(d) AS VARCHAR) AS delta, count(*) AS n FROM classed WHERE row_class <> 'matched' \
         GROUP BY {groups}, row_class HAVING abs(sum(d)) > 0 ORDER BY abs(sum(d)) DESC LIMIT {top}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let k = exprs.len();
    let rows = stmt.query_map([], |r| {
        let values: Vec<Option<String>> = (0..k).map(|i| r.get(i)).collect::<Result<_, _>>()?;
        Ok((
            values,
            {
                let class: String = r.get(k)?;
                RowClass::parse(&class).ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        k,
                        duckdb::types::Type::Text,
                        format!("`{class}` is not a row class").into(),
                    )
                })?
            },
            r.get::<_, Option<String>>(k + 1)?,
            r.get::<_, i64>(k + 2)?,
        ))
    })?;
    let mut causes = Vec::new();
    for row in rows {
        let (values, row_class, delta, n) = row?;
        let delta = Numeric::read_sum(delta.as_deref(), scale, "a cause's delta")?;
        let predicate = names
            .iter()
            .zip(&values)
            .map(|(name, v)| match v {
                Some(v) => format!("{} = {}", ident(name), literal(v)),
                None => format!("{} IS NULL", ident(name)),
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        causes.push(Cause {
            terms: names
                .iter()
                .zip(&values)
                .map(|(name, value)| Term {
                    dimension: name.to_string(),
                    value: value.clone(),
                })
                .collect(),
            dimension: names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            value: values
                .iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join(", "),
            row_class,
            predicate,
            delta,
            share: delta.to_f64() / total,
            rows: n,
        });
    }
    Ok(causes)
}
