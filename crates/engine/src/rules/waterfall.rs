//! The rules waterfall: the gap before any rule, after each rule in file order (its own
//! effect in amount and rows), and what remains, against the comparison's tolerance.

use duckdb::Connection;
use serde::Serialize;

use super::apply::apply;
use super::file::{Kind, Rule, RulesFile, Status};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::report::{within, Spec};
use crate::recon::spec::Measure;
use crate::recon::Relation;
use crate::sql::ident;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub rule: String,
    pub kind: Kind,
    pub status: Status,
    /// The rule's own effect on the gap (gap before it − gap after it), exactly.
    pub delta: Exact,
    /// Rows of the new side the rule took out or changed.
    pub rows: i64,
    pub gap_after: Exact,
    /// Share of the gap before any rule that the rules up to this one close.
    pub cumulative_share: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Waterfall {
    pub comparison: String,
    pub measure: String,
    pub gap_before: Exact,
    pub steps: Vec<Step>,
    pub remaining: Exact,
    pub within_tolerance: bool,
    /// Whether proposed rules were applied too (`--all`).
    pub proposed_included: bool,
}

/// The rules that take part: accepted ones, and proposed ones too with `all`.
pub fn taking_part(file: &RulesFile, all: bool) -> Vec<&Rule> {
    file.rules
        .iter()
        .filter(|r| r.status == Status::Accepted || (all && r.status == Status::Proposed))
        .collect()
}

/// (rows, exact sum of the measure) of a relation.
fn totals(
    conn: &Connection,
    rel: &Relation,
    column: &str,
    of: Numeric,
    scale: u32,
) -> Result<(i64, Exact)> {
    let sum = Dialect::DuckDb.exact_sum(&ident(column), of, scale);
    let (rows, text): (i64, Option<String>) = conn.query_row(
        &format!("SELECT count(*), {sum} FROM {}", rel.sql),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((
        rows,
        Numeric::read_sum(text.as_deref(), scale, "a rules step's total")?,
    ))
}

/// Rows of `rel` a rule's `where` selects.
fn selected(conn: &Connection, rel: &Relation, rule: &Rule) -> Result<i64> {
    let filter = if rule.filter.trim().is_empty() {
        "true".to_string()
    } else {
        format!("coalesce(({}), false)", rule.filter)
    };
    Ok(conn.query_row(
        &format!("SELECT count(*) FILTER (WHERE {filter}) FROM {}", rel.sql),
        [],
        |r| r.get(0),
    )?)
}

pub fn waterfall(
    conn: &Connection,
    spec: &Spec,
    (comparison, m): (&str, &Measure),
    file: &RulesFile,
    all: bool,
) -> Result<Waterfall> {
    let rules = taking_part(file, all);
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let applied = apply(conn, &spec.new, &rules, &keys)?;
    let (_, legacy) = totals(conn, &spec.legacy, &m.name, m.legacy, m.scale)?;
    let gap = |new: Exact| Exact::delta(new, legacy, "the gap");
    let (mut rows_before, new_before) = totals(conn, &spec.new, &m.new_name, m.new, m.scale)?;
    let gap_before = gap(new_before)?;
    let mut previous = gap_before;
    let mut steps = Vec::new();
    for (i, (rule, rel)) in rules.iter().zip(&applied.steps).enumerate() {
        let (rows, new) = totals(conn, rel, &m.new_name, m.new, m.scale)?;
        let after = gap(new)?;
        let touched = match rule.kind {
            Kind::Adjust | Kind::Shift => {
                let prev = if i == 0 {
                    &spec.new
                } else {
                    &applied.steps[i - 1]
                };
                selected(conn, prev, rule)?
            }
            _ => rows_before - rows,
        };
        let closed = gap_before
            .minus(after)
            .ok_or_else(|| Error::Runtime("overflow".into()))?;
        steps.push(Step {
            rule: rule.name.clone(),
            kind: rule.kind,
            status: rule.status,
            delta: Exact::delta(previous, after, "a rule's effect")?,
            rows: touched,
            gap_after: after,
            cumulative_share: share(closed, gap_before),
        });
        previous = after;
        rows_before = rows;
    }
    Ok(Waterfall {
        comparison: comparison.to_string(),
        measure: m.name.clone(),
        gap_before,
        within_tolerance: within(spec, legacy, previous),
        remaining: previous,
        steps,
        proposed_included: all,
    })
}

fn share(part: Exact, of: Exact) -> f64 {
    if of.is_zero() {
        0.0
    } else {
        part.to_f64() / of.to_f64()
    }
}
