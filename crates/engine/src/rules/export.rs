//! The accepted rules as the SQL that makes a gold model agree with legacy: one SELECT over
//! the model, each rule a step (a filter, CASE expressions, a de-duplication) with its note
//! as a comment, for DuckDB, ClickHouse or a dbt model file.

use super::file::Rule;
use super::render::{self, Over};
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

/// The rule's `where` as a condition in the target (see `render::condition`).
pub(crate) fn condition(rule: &Rule, target: Target) -> Result<String> {
    render::condition(rule, target.dialect())
}

pub(crate) fn step(prev: &str, rule: &Rule, model: &Model, target: Target) -> Result<String> {
    let over = Over {
        columns: model.columns,
        keys: model.keys,
    };
    render::step(prev, rule, &over, target.dialect())
}

/// The new side in the warehouse after each of `rules`: `[0]` is `SELECT * FROM {from}`,
/// `[i]` has the first `i` rules applied (ClickHouse SQL, as the export writes it).
pub(crate) fn warehouse_steps(from: &str, rules: &[&Rule], model: &Model) -> Result<Vec<String>> {
    let mut sqls = vec![format!("SELECT * FROM {from}")];
    for rule in rules {
        check_rule_sql(rule, Target::ClickHouse)?;
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

/// Characters that end a `--` comment in some SQL reader (DuckDB's and ClickHouse's end it
/// at CR as well as LF; editors and other tools at the Unicode line breaks).
fn ends_a_line(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// `text` made safe inside one `--` comment of `target`: no character that could end the
/// comment early (shown as `\n`, `\r`, `\u{…}`), no other control character, and for a
/// dbt model no Jinja delimiter (dbt renders Jinja inside comments too).
fn inert(text: &str, target: Target) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if ends_a_line(c) || c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    if target == Target::Dbt {
        for (from, to) in [
            ("{{", "{ {"),
            ("}}", "} }"),
            ("{%", "{ %"),
            ("%}", "% }"),
            ("{#", "{ #"),
            ("#}", "# }"),
        ] {
            while out.contains(from) {
                out = out.replace(from, to);
            }
        }
    }
    out
}

/// A note as comment lines: each of its lines one `--` line, each made inert.
fn comment(text: &str, target: Target) -> String {
    text.split(ends_a_line)
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("--   {}\n", inert(l, target)))
        .collect()
}

/// The rule's SQL as the target will read it: its `set` expressions one expression each of
/// the target's dialect (its `where` is checked where it is written, by `condition`), and
/// for dbt nothing Jinja would run.
fn check_rule_sql(rule: &Rule, target: Target) -> Result<()> {
    for (column, expr) in &rule.set {
        crate::dialect::check_expression(target.dialect(), expr).map_err(|why| {
            Error::Usage(format!("rule `{}`: its set.{column}: {why}", rule.name))
        })?;
    }
    let texts = std::iter::once(("where".to_string(), rule.filter.as_str())).chain(
        rule.set
            .iter()
            .map(|(c, e)| (format!("set.{c}"), e.as_str())),
    );
    for (what, text) in texts {
        if target == Target::Dbt && ["{{", "{%", "{#"].iter().any(|j| text.contains(j)) {
            return Err(Error::Usage(format!(
                "rule `{}`: its {what} holds a Jinja delimiter, which dbt would run",
                rule.name
            )));
        }
    }
    Ok(())
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
        inert(model.comparison, target),
        inert(model.table, target)
    );
    if target == Target::ClickHouse {
        head.push_str("-- The rules' own SQL is as written: it must be valid ClickHouse SQL.\n");
    }
    for name in rules
        .iter()
        .flat_map(|r| crate::warehouse::lookups::named_in(&r.filter))
        .fold(Vec::new(), |mut seen, n| {
            if !seen.contains(&n) {
                seen.push(n);
            }
            seen
        })
    {
        head.push_str(&format!(
            "-- Reads lookups.{name}: the workspace's rules/lookups/ file of that name, loaded as that table.\n"
        ));
    }
    let mut sql = format!("SELECT * FROM {}", source(model, target));
    for rule in rules {
        check_rule_sql(rule, target)?;
        let who = if rule.by.is_empty() {
            "no author".to_string()
        } else {
            format!("{}, {}", rule.by, rule.at)
        };
        head.push_str(&format!(
            "-- {} ({}): {}\n",
            inert(&rule.name, target),
            rule.kind.as_str(),
            inert(&who, target)
        ));
        head.push_str(&comment(&rule.note, target));
        sql = step(&sql, rule, model, target)?;
    }
    Ok(format!("{head}{sql}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file::{Kind, Status};

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
        let wrong = rule(Kind::Adjust, "id > 0", &[("nope", "1")]);
        // An adjust with no `where` would change every row: refused, not applied.
        let everything = rule(Kind::Adjust, "", &[("amount", "1")]);
        assert!(export(&[&everything], &model, Target::DuckDb)
            .unwrap_err()
            .to_string()
            .contains("it is empty"));
        assert!(export(&[&wrong], &model, Target::DuckDb)
            .unwrap_err()
            .to_string()
            .contains("set.nope"));
    }

    /// A dedupe with a `where` drops the repeats it selects. The lab applied it so, but the
    /// export dropped its `where` and kept one row per key: the fix agreed in the lab was not
    /// the fix exported. Both are one rendering now; on ClickHouse, which has no window
    /// functions on 18.16, such a rule is refused rather than exported as another.
    #[test]
    fn a_dedupe_with_a_where_is_exported_as_the_lab_applied_it() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE sales AS SELECT * FROM (VALUES (1, 1, 10.00), (1, 2, 10.00), \
             (2, 1, 5.00), (2, 2, -5.00), (3, 1, 7.00)) AS t(id, n, amount)",
        )
        .unwrap();
        let columns = vec![
            ("id".to_string(), "INTEGER".to_string()),
            ("n".to_string(), "INTEGER".to_string()),
            ("amount".to_string(), "DECIMAL(4,2)".to_string()),
        ];
        let keys = vec!["id".to_string()];
        let model = Model {
            comparison: "rev",
            table: "sales",
            columns: &columns,
            keys: &keys,
        };
        let repeats = rule(
            Kind::Dedupe,
            "row_number() OVER (PARTITION BY id ORDER BY n) > 1 AND amount < 0",
            &[],
        );
        let side = crate::recon::Relation::describe(&conn, "sales").unwrap();
        let applied = crate::rules::apply::apply(&conn, &side, &[&repeats], &keys).unwrap();
        let rows = |sql: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))
                .unwrap()
        };
        let lab = rows(&format!("SELECT * FROM {}", applied.steps[0].sql));
        let exported = export(&[&repeats], &model, Target::DuckDb).unwrap();
        let body: String = exported
            .lines()
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(lab, 4, "only the negative repeat goes");
        assert_eq!(rows(&body), lab, "{exported}");
        let e = export(&[&repeats], &model, Target::ClickHouse)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no ClickHouse form"), "{e}");
    }

    /// Every field a person or the environment writes (name, author, date, note, the
    /// comparison) stays inside its comment in every dialect: before, a newline in `by`
    /// (`ASSAY_USER`) put `DROP TABLE gold.fct_sales;` on a line of its own.
    #[test]
    fn hostile_text_stays_in_its_comments() {
        let columns = vec![("id".to_string(), "BIGINT".to_string())];
        let keys = vec!["id".to_string()];
        let evil = "x\nDROP TABLE gold.fct_sales;\rDROP TABLE a;\u{2028}DROP TABLE b; {{ run_query('DROP TABLE c') }}\u{1b}]0;pwned\u{7}";
        let model = Model {
            comparison: evil,
            table: "gold.sales",
            columns: &columns,
            keys: &keys,
        };
        let mut r = rule(Kind::Exclude, "id = 3", &[]);
        (r.name, r.by, r.at, r.note) = (evil.into(), evil.into(), evil.into(), evil.into());
        for target in [Target::DuckDb, Target::ClickHouse, Target::Dbt] {
            let sql = export(&[&r], &model, target).unwrap();
            for line in sql.split(|c: char| ends_a_line(c)) {
                assert!(
                    line.is_empty() || line.starts_with("--") || !line.contains("DROP"),
                    "{target:?}: a live line: {line:?}\n{sql}"
                );
            }
            assert!(!sql.chars().any(|c| c.is_control() && c != '\n'), "{sql:?}");
            if target == Target::Dbt {
                assert!(!sql.contains("{{ run_query"), "{sql}");
            }
        }
        let jinja = rule(Kind::Exclude, "id = '{{ run_query(1) }}'", &[]);
        let e = export(&[&jinja], &model, Target::Dbt)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Jinja"), "{e}");
        let escape = rule(Kind::Exclude, "1=1) OR (1=1", &[]);
        for target in [Target::DuckDb, Target::ClickHouse, Target::Dbt] {
            let e = export(&[&escape], &model, target).unwrap_err().to_string();
            assert!(e.contains("follows a complete expression"), "{e}");
        }
    }
}
