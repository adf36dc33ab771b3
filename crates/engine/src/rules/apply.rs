//! The new side as legacy would have computed it: rules applied one after another, in file
//! order, each as a query over the one before. Rule text is SQL a person wrote for exactly
//! this, so it is not escaped; it is confined instead: parsed into one expression that reads
//! only tables (`dialect::check_expression`), always inside parentheses, and checked by
//! DuckDB before anything is summed, its error named by the rule.

use duckdb::Connection;

use super::file::{Kind, Rule};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::Relation;
use crate::sql::ident;

/// The new side after each rule: `steps[i]` is the side with rules `0..=i` applied.
pub struct Applied {
    pub steps: Vec<Relation>,
}

/// `text` as one parenthesised expression of DuckDB's SQL that reads only tables.
fn expression(rule: &Rule, what: &str, text: &str) -> Result<String> {
    crate::dialect::check_expression(Dialect::DuckDb, text)
        .map_err(|why| Error::Usage(format!("rule `{}`: its {what}: {why}", rule.name)))?;
    Ok(format!("({text})"))
}

/// The rule's `where` as a condition; NULL counts as false. Only a dedupe may have none
/// (every repeated key); any other rule without one is refused, not applied to every row.
pub(crate) fn condition(rule: &Rule) -> Result<String> {
    if rule.kind == Kind::Dedupe && rule.filter.trim().is_empty() {
        return Ok("true".into());
    }
    Dialect::DuckDb
        .rule_condition(&rule.filter)
        .map_err(|why| Error::Usage(format!("rule `{}`: its where: {why}", rule.name)))
}

/// The relation after `rule`, over `prev`; `keys` number repeated rows for a dedupe.
fn step(prev: &Relation, rule: &Rule, keys: &[String]) -> Result<Relation> {
    let filter = condition(rule)?;
    let sql = match rule.kind {
        Kind::Exclude => format!("(SELECT * FROM {} WHERE NOT {filter})", prev.sql),
        Kind::Dedupe => {
            let by = keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ");
            let repeat = if rule.filter.trim().is_empty() {
                format!("row_number() OVER (PARTITION BY {by}) > 1")
            } else {
                filter
            };
            format!("(SELECT * FROM {} QUALIFY NOT ({repeat}))", prev.sql)
        }
        Kind::Adjust | Kind::Shift => {
            let mut cases = Vec::new();
            for (column, expr) in &rule.set {
                let (name, ty) = prev.find(column).ok_or_else(|| {
                    Error::Usage(format!(
                        "rule `{}`: set.{column} is not a column of the new side",
                        rule.name
                    ))
                })?;
                // The expression's value is kept in the column's type (a ratio's DOUBLE back
                // to DECIMAL), so later rules and the sums see the same column.
                let expr = expression(rule, &format!("set.{column}"), expr)?;
                let col = ident(name);
                cases.push(format!(
                    "CASE WHEN {filter} THEN CAST({expr} AS {ty}) ELSE {col} END AS {col}"
                ));
            }
            format!(
                "(SELECT * REPLACE ({}) FROM {})",
                cases.join(", "),
                prev.sql
            )
        }
        Kind::Include => {
            return Err(Error::Usage(format!(
                "rule `{}`: an include rule cannot be applied here: the rows legacy has come \
                 from a table the new side does not read (add them in the model, or accept \
                 them as a difference)",
                rule.name
            )))
        }
    };
    Ok(Relation {
        sql,
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
