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

/// A difference accepted rather than fixed, as the numbers after the rules have it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AcceptedStep {
    pub name: String,
    /// New-side rows it covers (none that an accepted difference above it covers).
    pub rows: i64,
    /// Their delta: their new amount − legacy's for the same keys.
    pub delta: Exact,
    pub note: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Waterfall {
    pub comparison: String,
    pub measure: String,
    pub gap_before: Exact,
    pub steps: Vec<Step>,
    /// The gap after the rules.
    pub remaining: Exact,
    pub accepted: Vec<AcceptedStep>,
    /// What neither a rule nor an accepted difference explains; the tolerance is on this.
    pub unexplained: Exact,
    pub within_tolerance: bool,
    /// Whether proposed rules were applied too (`--all`).
    pub proposed_included: bool,
    pub legacy_total: Exact,
    /// The latest sign-off, current or stale against these numbers.
    pub signoff: Option<super::signed::SignoffState>,
}

impl Waterfall {
    /// What a sign-off records and is checked against.
    pub fn numbers(&self) -> super::signed::Numbers {
        super::signed::Numbers {
            gap_before: self.gap_before,
            remaining: self.remaining,
            unexplained: self.unexplained,
        }
    }
}

/// Which rules take part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Which {
    Accepted,
    /// Accepted and proposed (`--all`).
    WithProposed,
    /// Exactly these, whatever their status (the workbench's what-if), in file order.
    Named(Vec<String>),
}

/// The rules that take part: accepted ones, and proposed ones too with `all`.
pub fn taking_part(file: &RulesFile, all: bool) -> Vec<&Rule> {
    chosen(
        file,
        if all {
            &Which::WithProposed
        } else {
            &Which::Accepted
        },
    )
}

pub fn chosen<'a>(file: &'a RulesFile, which: &Which) -> Vec<&'a Rule> {
    file.rules
        .iter()
        .filter(|r| match which {
            Which::Accepted => r.status == Status::Accepted,
            Which::WithProposed => r.status != Status::Rejected,
            Which::Named(names) => names.contains(&r.name),
        })
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
    let which = if all {
        Which::WithProposed
    } else {
        Which::Accepted
    };
    waterfall_of(conn, spec, (comparison, m), file, &which)
}

/// The waterfall of the rules `which` picks.
pub fn waterfall_of(
    conn: &Connection,
    spec: &Spec,
    (comparison, m): (&str, &Measure),
    file: &RulesFile,
    which: &Which,
) -> Result<Waterfall> {
    let all = *which != Which::Accepted;
    let rules = chosen(file, which);
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
    let last = applied.steps.last().unwrap_or(&spec.new);
    let accepted = allowed(conn, spec, m, last, file)?;
    let mut unexplained = previous;
    for a in &accepted {
        unexplained = unexplained
            .minus(a.delta)
            .ok_or_else(|| Error::Runtime("overflow".into()))?;
    }
    let mut fall = Waterfall {
        comparison: comparison.to_string(),
        measure: m.name.clone(),
        gap_before,
        within_tolerance: within(spec, legacy, unexplained),
        remaining: previous,
        accepted,
        unexplained,
        steps,
        proposed_included: all,
        legacy_total: legacy,
        signoff: None,
    };
    fall.signoff = super::signed::state(file, &fall.numbers());
    Ok(fall)
}

/// Each accepted difference's rows and delta over the new side after the rules (`last`),
/// with legacy's rows of the same keys; rows an earlier one covers are not counted again.
fn allowed(
    conn: &Connection,
    spec: &Spec,
    m: &Measure,
    last: &Relation,
    file: &RulesFile,
) -> Result<Vec<AcceptedStep>> {
    let duck = Dialect::DuckDb;
    let same_keys = spec
        .keys
        .iter()
        .map(|k| {
            format!(
                "n.{} IS NOT DISTINCT FROM l.{}",
                ident(&spec.new_name(k)),
                ident(k)
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut before: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for a in &file.accepted {
        if a.filter.contains(';') {
            return Err(Error::Usage(format!(
                "accepted `{}`: `where` must be one SQL expression, without `;`",
                a.name
            )));
        }
        let mut cond = format!("coalesce(({}), false)", a.filter);
        for b in &before {
            cond.push_str(&format!(" AND NOT {b}"));
        }
        let sql = format!(
            "WITH n AS (SELECT * FROM {} WHERE {cond}) SELECT (SELECT count(*) FROM n), \
             (SELECT {} FROM n), (SELECT {} FROM {} AS l WHERE EXISTS (SELECT 1 FROM n WHERE {same_keys}))",
            last.sql,
            duck.exact_sum(&ident(&m.new_name), m.new, m.scale),
            duck.exact_sum(&format!("l.{}", ident(&m.name)), m.legacy, m.scale),
            spec.legacy.sql
        );
        let (rows, new, old): (i64, Option<String>, Option<String>) = conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| Error::Usage(format!("accepted `{}` does not apply: {e}", a.name)))?;
        let new = Numeric::read_sum(new.as_deref(), m.scale, "an accepted difference")?;
        let old = Numeric::read_sum(old.as_deref(), m.scale, "an accepted difference")?;
        out.push(AcceptedStep {
            name: a.name.clone(),
            rows,
            delta: Exact::delta(new, old, "an accepted difference")?,
            note: a.note.clone(),
            by: a.by.clone(),
            at: a.at.clone(),
        });
        before.push(format!("coalesce(({}), false)", a.filter));
    }
    Ok(out)
}

fn share(part: Exact, of: Exact) -> f64 {
    if of.is_zero() {
        0.0
    } else {
        part.to_f64() / of.to_f64()
    }
}
