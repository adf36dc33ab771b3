//! The rules waterfall of a comparison whose new side lives in a ClickHouse warehouse: the
//! rules are applied there, as the SQL `export` writes for ClickHouse, and only the sums
//! come back; legacy's total is the cache's.

use duckdb::Connection;

use super::export::{condition, warehouse_steps, Model, Target};
use super::file::{Rule, RulesFile};
use super::waterfall::{
    chosen, disjoint, steps, totals, AcceptedStep, NewSide, Parts, Waterfall, Which,
};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::frame::to_cells;
use crate::recon::remote::InWarehouse;
use crate::recon::report::Spec;
use crate::recon::spec::Measure;
use crate::recon::Relation;
use crate::sql::{ident, literal};
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
        let cond = condition(rule, Target::ClickHouse)?;
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
            keep: None,
        },
    );
    let m = spec.measure(measure)?;
    let in_warehouse = for_warehouse(ch, conn, &chosen(file, which))?;
    let rules: Vec<&Rule> = in_warehouse.iter().collect();
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let model = Model {
        comparison: name,
        table: &w.scope.comparison.table,
        columns: &w.columns,
        keys: &keys,
    };
    let sqls = warehouse_steps(&w.from, &rules, &model)?;
    let (_, legacy) = totals(conn, &spec.legacy, &m.name, m.legacy, m.scale)?;
    let mut side = Warehoused {
        ch,
        sqls,
        m: &m,
        rules: &rules,
    };
    let (gap_before, steps, remaining) = steps(&rules, &mut side, legacy)?;
    let last = side.sqls.last().expect("the first").clone();
    let accepted = allowed(ch, conn, (&spec, &m), &last, file)?;
    let parts = Parts {
        comparison: name,
        measure: &m.name,
        legacy,
        gap_before,
        steps,
        remaining,
        accepted,
    };
    parts.finish(&spec, file, *which != Which::Accepted)
}

/// The rules as the warehouse runs them: the lookups they read uploaded there, and their
/// `bronze.`…/`lookups.` references pointed at this warehouse's databases.
pub fn for_warehouse(ch: &ClickHouse, conn: &Connection, rules: &[&Rule]) -> Result<Vec<Rule>> {
    let mut names: Vec<String> = Vec::new();
    for r in rules {
        for n in crate::warehouse::lookups::named_in(&r.filter) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let staging = crate::store::scratch::dir(conn);
    crate::warehouse::lookups::publish(ch, conn, &names, &staging)?;
    Ok(rules
        .iter()
        .map(|r| Rule {
            filter: crate::warehouse::qualify_layers(ch.database(), &r.filter),
            ..(*r).clone()
        })
        .collect())
}

/// The cache's table of the keys an accepted difference selects in the warehouse.
const ALLOWED_KEYS: &str = "assay_allowed_keys";
/// An accepted difference is a set of rows people agreed on, not a share of the table.
const MOST_ALLOWED_ROWS: i64 = 1_000_000;

/// Each accepted difference over the new side after the rules (`last`, in the warehouse):
/// its rows and sum there, and legacy's sum over the same keys (fetched as text into the
/// cache); rows an earlier one covers are not counted again.
fn allowed(
    ch: &ClickHouse,
    conn: &Connection,
    (spec, m): (&Spec, &Measure),
    last: &str,
    file: &RulesFile,
) -> Result<Vec<AcceptedStep>> {
    let new_keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let mut out = Vec::new();
    for (a, cond) in disjoint(file, CH)? {
        let rows_sql = format!("SELECT * FROM ({last}) AS r WHERE {cond}");
        let named = |e: Error| {
            Error::Usage(format!(
                "accepted `{}` does not apply on ClickHouse: {e}",
                a.name
            ))
        };
        let sum = CH.exact_sum(&CH.ident(&m.new_name), m.new, m.scale);
        let (frame, _) = ch
            .query_readonly(&format!(
                "SELECT toString(count()), {sum} FROM ({rows_sql}) AS a"
            ))
            .map_err(named)?;
        let cells = to_cells(&frame).into_iter().next().unwrap_or_default();
        let rows: i64 = cells
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if rows > MOST_ALLOWED_ROWS {
            return Err(Error::Usage(format!(
                "accepted `{}` selects {rows} rows; an accepted difference is a set of rows \
                 agreed on (at most {MOST_ALLOWED_ROWS}), not a rule",
                a.name
            )));
        }
        let new = Numeric::read_sum(
            cells.get(1).cloned().flatten().as_deref(),
            m.scale,
            "an accepted difference",
        )?;
        let old = legacy_of_keys(ch, conn, (spec, m), &rows_sql, &new_keys)?;
        out.push(AcceptedStep::of(a, rows, (new, old))?);
    }
    Ok(out)
}

/// Legacy's exact sum over the keys of the warehouse rows `rows_sql` selects.
fn legacy_of_keys(
    ch: &ClickHouse,
    conn: &Connection,
    (spec, m): (&Spec, &Measure),
    rows_sql: &str,
    new_keys: &[String],
) -> Result<Exact> {
    let as_text: Vec<String> = new_keys
        .iter()
        .map(|k| format!("toString({})", CH.ident(k)))
        .collect();
    let (frame, _) = ch.query_readonly(&format!(
        "SELECT {} FROM ({rows_sql}) AS k",
        as_text.join(", ")
    ))?;
    let columns: Vec<String> = (0..new_keys.len())
        .map(|i| format!("k{i} VARCHAR"))
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {ALLOWED_KEYS} ({})",
        columns.join(", ")
    ))?;
    // Values written as escaped literals, a thousand rows a statement: the cache is open
    // read-only here, so an appender (which writes through the main catalog) cannot be used.
    for chunk in to_cells(&frame).chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|row| {
                let values: Vec<String> = row
                    .iter()
                    .map(|v| v.as_deref().map_or("NULL".to_string(), literal))
                    .collect();
                format!("({})", values.join(", "))
            })
            .collect();
        conn.execute_batch(&format!(
            "INSERT INTO temp.{ALLOWED_KEYS} VALUES {}",
            rows.join(", ")
        ))?;
    }
    let same: Vec<String> = spec
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("k.k{i} = CAST(l.{} AS VARCHAR)", ident(k)))
        .collect();
    let sum = Dialect::DuckDb.exact_sum(&format!("l.{}", ident(&m.name)), m.legacy, m.scale);
    let text: Option<String> = conn.query_row(
        &format!(
            "SELECT {sum} FROM {} AS l WHERE EXISTS (SELECT 1 FROM temp.{ALLOWED_KEYS} AS k WHERE {})",
            spec.legacy.sql,
            same.join(" AND ")
        ),
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{ALLOWED_KEYS}"))?;
    Numeric::read_sum(
        text.as_deref(),
        m.scale,
        "legacy's rows of an accepted difference",
    )
}
