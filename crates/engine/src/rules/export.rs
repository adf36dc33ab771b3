//! The accepted rules as the SQL that makes a gold model agree with legacy: one SELECT over
//! the model, each rule a step (a filter, CASE expressions, a de-duplication) with its note
//! as a comment, for DuckDB, ClickHouse or a dbt model file.

use super::file::{Kind, Rule};
use crate::dialect::Dialect;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    DuckDb,
    ClickHouse,
    /// A dbt model: DuckDB SQL over `{{ ref('model') }}`.
    Dbt,
}

impl Target {
    pub fn parse(text: &str) -> Option<Target> {
        Some(match text {
            "duckdb" => Target::DuckDb,
            "clickhouse" => Target::ClickHouse,
            "dbt" => Target::Dbt,
            _ => return None,
        })
    }

    fn dialect(self) -> Dialect {
        match self {
            Target::ClickHouse => Dialect::ClickHouse,
            _ => Dialect::DuckDb,
        }
    }
}

/// What the export is over: the comparison's table (`gold.fct_sales`), its columns with
/// their DuckDB types, and the new side's keys.
pub struct Model<'a> {
    pub comparison: &'a str,
    pub table: &'a str,
    pub columns: &'a [(String, String)],
    pub keys: &'a [String],
}

fn source(model: &Model, target: Target) -> String {
    let d = target.dialect();
    match target {
        Target::Dbt => {
            let name = model.table.rsplit('.').next().unwrap_or(model.table);
            format!("{{{{ ref('{name}') }}}}")
        }
        _ => model
            .table
            .split('.')
            .map(|p| d.ident(p))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// The rule's `where` as a condition in the target (NULL is false; empty is every row).
pub(crate) fn condition(rule: &Rule, target: Target) -> String {
    match (rule.filter.trim().is_empty(), target) {
        (true, _) => "1 = 1".into(),
        (false, Target::ClickHouse) => format!("ifNull(({}), 0)", rule.filter),
        (false, _) => format!("coalesce(({}), false)", rule.filter),
    }
}

pub(crate) fn step(prev: &str, rule: &Rule, model: &Model, target: Target) -> Result<String> {
    let d = target.dialect();
    let cond = condition(rule, target);
    Ok(match rule.kind {
        Kind::Exclude => format!("SELECT * FROM (\n{prev}\n) AS r WHERE NOT {cond}"),
        Kind::Dedupe => {
            let keys = model
                .keys
                .iter()
                .map(|k| d.ident(k))
                .collect::<Vec<_>>()
                .join(", ");
            match target {
                Target::ClickHouse => format!("SELECT * FROM (\n{prev}\n) AS r LIMIT 1 BY {keys}"),
                _ => format!(
                    "SELECT * FROM (\n{prev}\n) AS r QUALIFY row_number() OVER (PARTITION BY {keys}) = 1"
                ),
            }
        }
        Kind::Adjust | Kind::Shift => {
            let mut list = Vec::new();
            for (name, ty) in model.columns {
                let col = d.ident(name);
                match rule.set.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) {
                    Some((_, e)) if target == Target::ClickHouse => {
                        list.push(format!("if({cond}, ({e}), {col}) AS {col}"))
                    }
                    Some((_, e)) => list.push(format!(
                        "CASE WHEN {cond} THEN CAST(({e}) AS {ty}) ELSE {col} END AS {col}"
                    )),
                    None => list.push(col),
                }
            }
            for c in rule.set.keys() {
                if !model.columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)) {
                    return Err(Error::Usage(format!(
                        "rule `{}`: set.{c} is not a column of {}",
                        rule.name, model.table
                    )));
                }
            }
            format!("SELECT {} FROM (\n{prev}\n) AS r", list.join(", "))
        }
        Kind::Include => {
            return Err(Error::Usage(format!(
                "rule `{}`: an include rule has no SQL over the model (its rows are not in it)",
                rule.name
            )))
        }
    })
}

/// The new side in the warehouse after each of `rules`: `[0]` is `SELECT * FROM {from}`,
/// `[i]` has the first `i` rules applied (ClickHouse SQL, as the export writes it).
pub(crate) fn warehouse_steps(from: &str, rules: &[&Rule], model: &Model) -> Result<Vec<String>> {
    let mut sqls = vec![format!("SELECT * FROM {from}")];
    for rule in rules {
        let next = step(
            sqls.last().expect("the first"),
            rule,
            model,
            Target::ClickHouse,
        )?;
        sqls.push(next);
    }
    Ok(sqls)
}

fn comment(text: &str) -> String {
    text.lines().map(|l| format!("--   {l}\n")).collect()
}

/// The SELECT (with a comment per rule) that applies `rules` to the model.
pub fn export(rules: &[&Rule], model: &Model, target: Target) -> Result<String> {
    let mut head = format!(
        "-- {}: the accepted legacy rules of comparison `{}`, applied to {} in file order.\n",
        match target {
            Target::DuckDb => "DuckDB",
            Target::ClickHouse => "ClickHouse",
            Target::Dbt => "dbt model",
        },
        model.comparison,
        model.table
    );
    if target == Target::ClickHouse {
        head.push_str("-- The rules' own SQL is as written: it must be valid ClickHouse SQL.\n");
    }
    let mut sql = format!("SELECT * FROM {}", source(model, target));
    for rule in rules {
        head.push_str(&format!(
            "-- {} ({}): {}\n",
            rule.name,
            rule.kind.as_str(),
            if rule.by.is_empty() {
                "no author".to_string()
            } else {
                format!("{}, {}", rule.by, rule.at)
            }
        ));
        head.push_str(&comment(&rule.note));
        sql = step(&sql, rule, model, target)?;
    }
    Ok(format!("{head}{sql}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file::Status;

    fn rule(kind: Kind, filter: &str, set: &[(&str, &str)]) -> Rule {
        Rule {
            name: format!("r-{}", kind.as_str()),
            kind,
            filter: filter.into(),
            set: set
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            status: Status::Accepted,
            note: "agreed\nwith finance".into(),
            by: "ana".into(),
            at: "2026-11-30T10:00:00Z".into(),
        }
    }

    #[test]
    fn each_dialect_gets_its_own_forms() {
        let columns = vec![
            ("id".to_string(), "BIGINT".to_string()),
            ("amount".to_string(), "DECIMAL(12,2)".to_string()),
        ];
        let keys = vec!["id".to_string()];
        let model = Model {
            comparison: "rev",
            table: "gold.sales",
            columns: &columns,
            keys: &keys,
        };
        let adjust = rule(Kind::Adjust, "id > 3", &[("amount", "amount * 2")]);
        let dedupe = rule(Kind::Dedupe, "", &[]);
        let rules = [&adjust, &dedupe];
        let duck = export(&rules, &model, Target::DuckDb).unwrap();
        assert!(duck.contains("CASE WHEN coalesce((id > 3), false) THEN CAST((amount * 2) AS DECIMAL(12,2)) ELSE \"amount\" END AS \"amount\""), "{duck}");
        assert!(
            duck.contains("QUALIFY row_number() OVER (PARTITION BY \"id\") = 1"),
            "{duck}"
        );
        assert!(duck.contains("--   agreed\n--   with finance\n"), "{duck}");
        let ch = export(&rules, &model, Target::ClickHouse).unwrap();
        assert!(
            ch.contains("if(ifNull((id > 3), 0), (amount * 2), `amount`) AS `amount`"),
            "{ch}"
        );
        assert!(
            ch.contains("LIMIT 1 BY `id`") && ch.contains("FROM `gold`.`sales`"),
            "{ch}"
        );
        let wrong = rule(Kind::Adjust, "", &[("nope", "1")]);
        assert!(export(&[&wrong], &model, Target::DuckDb)
            .unwrap_err()
            .to_string()
            .contains("set.nope"));
    }
}
