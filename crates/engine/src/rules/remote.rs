//! The rules waterfall of a comparison whose new side lives in a ClickHouse warehouse: the
//! rules are applied there, as the SQL `export` writes for ClickHouse, and only the sums
//! come back; legacy's total is the cache's.

use duckdb::Connection;

use super::export::{condition, step, Model, Target};
use super::file::{Rule, RulesFile};
use super::waterfall::{chosen, steps, totals, NewSide, Parts, Waterfall, Which};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::frame::to_cells;
use crate::recon::remote::InWarehouse;
use crate::recon::spec::Measure;
use crate::recon::Relation;
use crate::warehouse::{fetch, ClickHouse};

const CH: Dialect = Dialect::ClickHouse;

/// The new side in the warehouse after each rule: `sqls[i]` has the first `i` applied.
struct Warehoused<'a> {
    ch: &'a ClickHouse,
    sqls: Vec<String>,
    m: &'a Measure,
    rules: &'a [&'a Rule],
}

impl Warehoused<'_> {
    fn ask(&self, applied: usize, select: &str) -> Result<Vec<Option<String>>> {
        let sql = format!("SELECT {select} FROM ({}) AS r", self.sqls[applied]);
        let (frame, _) = self.ch.query_readonly(&sql).map_err(|e| match applied {
            0 => e,
            n => Error::Usage(format!(
                "rule `{}` does not apply on ClickHouse: {e}",
                self.rules[n - 1].name
            )),
        })?;
        Ok(to_cells(&frame).into_iter().next().unwrap_or_default())
    }
}

impl NewSide for Warehoused<'_> {
    fn totals(&mut self, applied: usize) -> Result<(i64, Exact)> {
        let m = self.m;
        let sum = CH.exact_sum(&CH.ident(&m.new_name), m.new, m.scale);
        let cells = self.ask(applied, &format!("toString(count()) AS n, {sum} AS s"))?;
        let rows = cells
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Error::Runtime("ClickHouse answered no row count".into()))?;
        let total = Numeric::read_sum(
            cells.get(1).cloned().flatten().as_deref(),
            m.scale,
            "a rules step's total",
        )?;
        Ok((rows, total))
    }

    fn selected(&mut self, applied: usize, rule: &Rule) -> Result<i64> {
        let cond = condition(rule, Target::ClickHouse);
        let cells = self.ask(applied, &format!("toString(countIf({cond})) AS n"))?;
        cells
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Error::Runtime("ClickHouse answered no row count".into()))
    }
}

/// The waterfall of the rules `which` picks, applied in the warehouse. The measure is the
/// comparison's first unless named.
pub fn waterfall(
    ch: &ClickHouse,
    conn: &Connection,
    w: &InWarehouse,
    (name, measure): (&str, Option<&str>),
    file: &RulesFile,
    which: &Which,
) -> Result<Waterfall> {
    if !file.accepted.is_empty() {
        return Err(Error::Usage(format!(
            "{}: accepted differences need legacy's rows beside the new ones; with a \
             ClickHouse warehouse they are not counted yet",
            file.path.display()
        )));
    }
    // The new side's columns as the cache would type them: the measure's summing rule and
    // the tolerance read them so.
    let typed = w
        .columns
        .iter()
        .map(|(n, t)| (n.clone(), fetch::duck_type(t)))
        .collect();
    let spec = w.scope.spec(
        w.scope.legacy.clone(),
        Relation {
            sql: String::new(),
            columns: typed,
        },
    );
    let wanted = measure
        .map(str::to_string)
        .or_else(|| spec.measures.first().cloned());
    let m = spec
        .measure_pairs()?
        .into_iter()
        .find(|p| {
            wanted
                .as_deref()
                .is_some_and(|w| p.name.eq_ignore_ascii_case(w))
        })
        .ok_or_else(|| Error::Usage(format!("comparisons.{name}: no such measure")))?;
    let rules = chosen(file, which);
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let model = Model {
        comparison: name,
        table: &w.scope.comparison.table,
        columns: &w.columns,
        keys: &keys,
    };
    let mut sqls = vec![format!("SELECT * FROM {}", w.from)];
    for rule in &rules {
        let next = step(
            sqls.last().expect("the first"),
            rule,
            &model,
            Target::ClickHouse,
        )?;
        sqls.push(next);
    }
    let (_, legacy) = totals(conn, &spec.legacy, &m.name, m.legacy, m.scale)?;
    let mut side = Warehoused {
        ch,
        sqls,
        m: &m,
        rules: &rules,
    };
    let (gap_before, steps, remaining) = steps(&rules, &mut side, legacy)?;
    let parts = Parts {
        comparison: name,
        measure: &m.name,
        legacy,
        gap_before,
        steps,
        remaining,
        accepted: Vec::new(),
    };
    parts.finish(&spec, file, *which != Which::Accepted)
}
