//! The rules waterfall: the gap before any rule, after each rule in file order (its own
//! effect in amount and rows), and what remains, against the comparison's tolerance.

use duckdb::Connection;
use serde::Serialize;

use super::apply::apply;
use super::file::{Allowance, Kind, Rule, RulesFile, Status};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::report::Spec;
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
    /// The one company these numbers are of (`--company`); none for the comparison's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
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

impl Which {
    /// The accepted rules, and the proposed ones too with `all` (`--all`).
    pub fn of_all(all: bool) -> Which {
        if all {
            Which::WithProposed
        } else {
            Which::Accepted
        }
    }
}

/// Each accepted difference with its condition in `dialect` (NULL false), narrowed to the
/// rows no accepted difference above it covers.
pub fn disjoint(file: &RulesFile, dialect: Dialect) -> Result<Vec<(&Allowance, String)>> {
    let null_false = |a: &Allowance| {
        dialect
            .rule_condition(&a.filter)
            .map_err(|why| Error::Usage(format!("accepted `{}`: its where: {why}", a.name)))
    };
    let mut earlier: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for a in &file.accepted {
        let mut cond = null_false(a)?;
        for b in &earlier {
            cond.push_str(&format!(" AND NOT {b}"));
        }
        earlier.push(null_false(a)?);
        out.push((a, cond));
    }
    Ok(out)
}

impl AcceptedStep {
    /// The step of `a`: its rows, and their new amount against legacy's.
    pub fn of(a: &Allowance, rows: i64, (new, old): (Exact, Exact)) -> Result<AcceptedStep> {
        Ok(AcceptedStep {
            name: a.name.clone(),
            rows,
            delta: Exact::delta(new, old, "an accepted difference")?,
            note: a.note.clone(),
            by: a.by.clone(),
            at: a.at.clone(),
        })
    }
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
pub(crate) fn totals(
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
    let filter = super::apply::condition(rule)?;
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
    waterfall_of(conn, spec, (comparison, m), file, &Which::of_all(all))
}

/// Where the new side's sums are taken, step by step: the cache, or the warehouse.
pub trait NewSide {
    /// (rows, exact sum of the measure) after the first `applied` rules.
    fn totals(&mut self, applied: usize) -> Result<(i64, Exact)>;
    /// Rows a rule's `where` selects after the first `applied` rules.
    fn selected(&mut self, applied: usize, rule: &Rule) -> Result<i64>;
}

/// The new side in the cache, as `apply` leaves it after each rule.
struct Cached<'a> {
    conn: &'a Connection,
    spec: &'a Spec,
    m: &'a Measure,
    steps: &'a [Relation],
}

impl Cached<'_> {
    fn after(&self, applied: usize) -> &Relation {
        match applied {
            0 => &self.spec.new,
            n => &self.steps[n - 1],
        }
    }
}

impl NewSide for Cached<'_> {
    fn totals(&mut self, applied: usize) -> Result<(i64, Exact)> {
        let m = self.m;
        totals(self.conn, self.after(applied), &m.new_name, m.new, m.scale)
    }

    fn selected(&mut self, applied: usize, rule: &Rule) -> Result<i64> {
        selected(self.conn, self.after(applied), rule)
    }
}

/// The gap before any rule, each rule's step, and the gap after them all.
pub fn steps(
    rules: &[&Rule],
    side: &mut dyn NewSide,
    legacy: Exact,
) -> Result<(Exact, Vec<Step>, Exact)> {
    let gap = |new: Exact| Exact::delta(new, legacy, "the gap");
    let (mut rows_before, new_before) = side.totals(0)?;
    let gap_before = gap(new_before)?;
    let mut previous = gap_before;
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let (rows, new) = side.totals(i + 1)?;
        let after = gap(new)?;
        let touched = match rule.kind {
            Kind::Adjust | Kind::Shift => side.selected(i, rule)?,
            _ => rows_before - rows,
        };
        let closed = gap_before
            .minus(after)
            .ok_or_else(|| Error::Runtime("overflow".into()))?;
        out.push(Step {
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
    Ok((gap_before, out, previous))
}

/// The waterfall of the rules `which` picks.
pub fn waterfall_of(
    conn: &Connection,
    spec: &Spec,
    (comparison, m): (&str, &Measure),
    file: &RulesFile,
    which: &Which,
) -> Result<Waterfall> {
    let rules = chosen(file, which);
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let applied = apply(conn, &spec.new, &rules, &keys)?;
    let (_, legacy) = totals(conn, &spec.legacy, &m.name, m.legacy, m.scale)?;
    let mut side = Cached {
        conn,
        spec,
        m,
        steps: &applied.steps,
    };
    let (gap_before, steps, remaining) = steps(&rules, &mut side, legacy)?;
    let last = applied.steps.last().unwrap_or(&spec.new);
    let accepted = allowed(conn, spec, m, last, file)?;
    let parts = Parts {
        comparison,
        measure: &m.name,
        legacy,
        gap_before,
        steps,
        remaining,
        accepted,
    };
    parts.finish(spec, file, *which != Which::Accepted)
}

/// A waterfall's numbers, before the tolerance and the sign-off are read against them.
pub struct Parts<'a> {
    pub comparison: &'a str,
    pub measure: &'a str,
    pub legacy: Exact,
    pub gap_before: Exact,
    pub steps: Vec<Step>,
    pub remaining: Exact,
    pub accepted: Vec<AcceptedStep>,
}

impl Parts<'_> {
    pub fn finish(self, spec: &Spec, file: &RulesFile, all: bool) -> Result<Waterfall> {
        let mut unexplained = self.remaining;
        for a in &self.accepted {
            unexplained = unexplained
                .minus(a.delta)
                .ok_or_else(|| Error::Runtime("overflow".into()))?;
        }
        let mut fall = Waterfall {
            comparison: self.comparison.to_string(),
            measure: self.measure.to_string(),
            gap_before: self.gap_before,
            within_tolerance: spec.rules.within(self.legacy, unexplained),
            remaining: self.remaining,
            accepted: self.accepted,
            unexplained,
            steps: self.steps,
            proposed_included: all,
            legacy_total: self.legacy,
            signoff: None,
            company: None,
        };
        fall.signoff = super::signed::state(file, None, &fall.numbers());
        Ok(fall)
    }
}

/// A new-side row `n` and a legacy row `l` of the same keys (NULL keys meet NULL keys).
pub(super) fn same_keys(spec: &Spec) -> String {
    spec.keys
        .iter()
        .map(|k| {
            format!(
                "n.{} IS NOT DISTINCT FROM l.{}",
                ident(&spec.new_name(k)),
                ident(k)
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ")
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
    let same_keys = same_keys(spec);
    let mut out = Vec::new();
    for (a, cond) in disjoint(file, duck)? {
        let sql = format!(
            "WITH n AS (SELECT * FROM {} WHERE {cond}) SELECT (SELECT count(*) FROM n), \
             (SELECT {} FROM n), (SELECT {} FROM {} AS l SEMI JOIN n ON {same_keys})",
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
        out.push(AcceptedStep::of(a, rows, (new, old))?);
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
