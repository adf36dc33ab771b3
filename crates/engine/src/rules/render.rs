//! A rule as SQL, written once for every engine: its `where` as a condition (NULL is false)
//! and the step it makes over the rows before it. The lab and the checks (`apply`, over the
//! cache), the warehouse's waterfall (`remote`) and the exported fix (`export`: DuckDB,
//! ClickHouse, a dbt model) all use it, so what was agreed in the lab is what is exported.

use super::file::{Kind, Rule};
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// What a step is over: the rows' columns (name, DuckDB type), in order, and their keys.
pub struct Over<'a> {
    pub columns: &'a [(String, String)],
    pub keys: &'a [String],
}

/// The rule's `where` as a condition in `d`; NULL counts as false. Only a dedupe may have
/// none (every repeated key); any other rule without one is refused, not applied to every
/// row.
pub fn condition(rule: &Rule, d: Dialect) -> Result<String> {
    if rule.kind == Kind::Dedupe && rule.filter.trim().is_empty() {
        return Ok("1 = 1".into());
    }
    d.rule_condition(&rule.filter)
        .map_err(|why| Error::Usage(format!("rule `{}`: its where: {why}", rule.name)))
}

/// The SELECT applying `rule` to the rows of `prev` (a SELECT statement), in `d`.
pub fn step(prev: &str, rule: &Rule, over: &Over, d: Dialect) -> Result<String> {
    let cond = condition(rule, d)?;
    let from = format!("(\n{prev}\n) AS r");
    Ok(match rule.kind {
        Kind::Exclude => format!("SELECT * FROM {from} WHERE NOT {cond}"),
        Kind::Dedupe => dedupe(&from, rule, over, d)?,
        Kind::Adjust | Kind::Shift => {
            format!("SELECT {} FROM {from}", set_list(rule, over, &cond, d)?)
        }
        Kind::Include => {
            return Err(Error::Usage(format!(
                "rule `{}`: an include rule cannot be applied here: the rows legacy has come \
                 from a table the new side does not read (add them in the model, or accept \
                 them as a difference)",
                rule.name
            )))
        }
    })
}

/// One row per key; with a `where`, the rows it selects are the repeats dropped (it may
/// number them with a window function). Where the engine has no window functions
/// (ClickHouse 18.16) a dedupe with a `where` is refused rather than exported as another.
fn dedupe(from: &str, rule: &Rule, over: &Over, d: Dialect) -> Result<String> {
    if rule.filter.trim().is_empty() {
        let keys = over
            .keys
            .iter()
            .map(|k| d.ident(k))
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(d.one_row_per_key(from, &keys));
    }
    d.without_windowed(from, &condition(rule, d)?)
        .ok_or_else(|| {
            Error::Usage(format!(
                "rule `{}`: a dedupe with a `where` has no ClickHouse form (no window functions \
             on 18.16); leave its where empty to keep one row per key",
                rule.name
            ))
        })
}

/// Every column, those the rule sets replaced under its condition: kept in the column's
/// type (a ratio's DOUBLE back to DECIMAL), so later rules and the sums see the same column.
fn set_list(rule: &Rule, over: &Over, cond: &str, d: Dialect) -> Result<String> {
    for (column, expr) in &rule.set {
        if !over
            .columns
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(column))
        {
            return Err(Error::Usage(format!(
                "rule `{}`: set.{column} is not a column of the new side",
                rule.name
            )));
        }
        crate::dialect::check_expression(d, expr).map_err(|why| {
            Error::Usage(format!("rule `{}`: its set.{column}: {why}", rule.name))
        })?;
    }
    let list = over
        .columns
        .iter()
        .map(|(name, ty)| {
            let col = d.ident(name);
            match rule.set.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) {
                Some((_, e)) => d.set_where(cond, e, (&col, ty)),
                None => col,
            }
        })
        .collect::<Vec<_>>();
    Ok(list.join(", "))
}
