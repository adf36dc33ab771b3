//! The new side as legacy would have computed it: rules applied one after another, in file
//! order, each as a query over the one before. Rule text is SQL a person wrote for exactly
//! this, so it is not escaped; it is confined instead: parsed into one expression that reads
//! only tables (`dialect::check_expression`), always inside parentheses, and checked by
//! DuckDB before anything is summed, its error named by the rule.

use duckdb::Connection;

use super::file::Rule;
use super::render::{self, Over};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::Relation;

/// The new side after each rule: `steps[i]` is the side with rules `0..=i` applied.
pub struct Applied {
    pub steps: Vec<Relation>,
}

/// The rule's `where` as DuckDB's condition (NULL is false; see `render::condition`).
pub(crate) fn condition(rule: &Rule) -> Result<String> {
    render::condition(rule, Dialect::DuckDb)
}

/// The relation after `rule`, over `prev`; `keys` number repeated rows for a dedupe.
fn step(prev: &Relation, rule: &Rule, keys: &[String]) -> Result<Relation> {
    let over = Over {
        columns: &prev.columns,
        keys,
    };
    let select = render::step(
        &format!("SELECT * FROM {}", prev.sql),
        rule,
        &over,
        Dialect::DuckDb,
    )?;
    Ok(Relation {
        sql: format!("({select})"),
        columns: prev.columns.clone(),
        keep: prev.keep.clone(),
    })
}

/// Applies `rules` over `new`, checking each step with DuckDB.
pub fn apply(
    conn: &Connection,
    new: &Relation,
    rules: &[&Rule],
    keys: &[String],
) -> Result<Applied> {
    let mut steps: Vec<Relation> = Vec::new();
    for rule in rules {
        let prev = steps.last().unwrap_or(new);
        let next = step(prev, rule, keys)?;
        conn.prepare(&format!("SELECT count(*) FROM {}", next.sql))
            .map_err(|e| Error::Usage(format!("rule `{}` does not apply: {e}", rule.name)))?;
        steps.push(next);
    }
    Ok(Applied { steps })
}
