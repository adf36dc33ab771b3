//! The rules as a change of the new side (recon's `Reshape`): the comparison seen as legacy
//! would have computed it, for the workbench's what-if and the ticket. In the cache the rules
//! are applied as `apply` does; in the warehouse as `export` writes them for ClickHouse, the
//! changed columns cast back to their own types so the pushed-down compare's fingerprints
//! read them as before.

use std::sync::Arc;

use duckdb::Connection;

use super::apply::apply;
use super::export::{warehouse_steps, Model};
use super::file::{Rule, RulesFile};
use super::remote;
use super::waterfall::{chosen, waterfall_of, Waterfall, Which};
use crate::cancel::Cancel;
use crate::config::Workspace;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::configured::{self, Compared};
use crate::recon::explain::{explain, lookups_of, Cause, Options};
use crate::recon::reshape::Reshape;
use crate::recon::Relation;
use crate::store::Store;
use crate::warehouse::ClickHouse;

/// The rules `which` picks of a comparison's file, in file order.
pub struct AsLegacy<'a> {
    rules: Vec<&'a Rule>,
    comparison: &'a str,
    /// The comparison's table (`gold.fct_sales`), named in errors.
    table: &'a str,
}

impl<'a> AsLegacy<'a> {
    pub fn new(file: &'a RulesFile, which: &Which, comparison: &'a str, table: &'a str) -> Self {
        AsLegacy {
            rules: chosen(file, which),
            comparison,
            table,
        }
    }

    /// The rules of comparison `name` of the workspace.
    pub fn of(
        ws: &'a Workspace,
        file: &'a RulesFile,
        which: &Which,
        name: &'a str,
    ) -> Result<Self> {
        let table = &ws
            .config
            .comparisons
            .get(name)
            .ok_or_else(|| Error::Usage(format!("no comparison `{name}` in assay.toml")))?
            .table;
        Ok(AsLegacy::new(file, which, name, table))
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Reshape for AsLegacy<'_> {
    fn in_cache(&self, conn: &Connection, new: &Relation, keys: &[String]) -> Result<Relation> {
        let applied = apply(conn, new, &self.rules, keys)?;
        Ok(applied.steps.last().unwrap_or(new).clone())
    }

    fn in_warehouse(
        &self,
        from: &str,
        columns: &[(String, String)],
        keys: &[String],
    ) -> Result<String> {
        let model = Model {
            comparison: self.comparison,
            table: self.table,
            columns,
            keys,
        };
        let mut sql = warehouse_steps(from, &self.rules, &model)?
            .pop()
            .expect("the first");
        // ClickHouse types `if(c, expr, col)` as the common type of both (a Decimal's scale
        // can grow): the changed columns go back to the table's own types.
        let changed = |name: &str| {
            self.rules
                .iter()
                .any(|r| r.set.keys().any(|c| c.eq_ignore_ascii_case(name)))
        };
        if columns.iter().any(|(n, _)| changed(n)) {
            let ch = Dialect::ClickHouse;
            let list: Vec<String> = columns
                .iter()
                .map(|(n, t)| match changed(n) {
                    true => format!("CAST({c} AS {t}) AS {c}", c = ch.ident(n)),
                    false => ch.ident(n),
                })
                .collect();
            sql = format!("SELECT {} FROM (\n{sql}\n) AS r", list.join(", "));
        }
        Ok(format!("({sql})"))
    }
}

/// The comparison `name` (its companies cut to `only`) with the rules `which` picks applied
/// to its new side, wherever it lives; `cancel` stops a pushed-down compare's queries.
pub fn compare_as_legacy(
    ws: &Workspace,
    store: &Store,
    (name, only): (&str, &[String]),
    file: &RulesFile,
    which: &Which,
    cancel: Option<Arc<Cancel>>,
) -> Result<Compared> {
    let as_legacy = AsLegacy::of(ws, file, which, name)?;
    let reshape: Option<&dyn Reshape> = match as_legacy.is_empty() {
        true => None,
        false => Some(&as_legacy),
    };
    configured::prepare_and_compare_as(ws, store, name, only, cancel, reshape)
}

/// The top causes of what the rules `which` picks leave, ranked over the comparison made
/// through them (in the warehouse: the slices that still differ, the rest as groups) without
/// the report: seconds where the full compare takes several times that. The accepted
/// differences' rows are left out, as the report leaves them out: a decision taken is not
/// an open cause.
pub fn causes_left(
    ws: &Workspace,
    store: &Store,
    (name, file): (&str, &RulesFile),
    which: &Which,
    top: usize,
) -> Result<Vec<Cause>> {
    let as_legacy = AsLegacy::of(ws, file, which, name)?;
    let (spec, agreeing) = configured::prepare_as(ws, store, name, &as_legacy)?;
    let m = spec.measure(None)?;
    let left = super::remainder::without_accepted(&spec, file)?;
    // The comparison's lookups, so a rule the lab adopts can name one.
    let opts = Options {
        top,
        lookups: lookups_of(store.conn(), &left, ws, name)?,
        agreeing,
    };
    Ok(explain(store.conn(), &left, &m.name, &opts)?.causes)
}

/// The waterfall of the rules `which` picks, applied where the new side lives: in the
/// cache, or in the ClickHouse warehouse (`warehouse`). The measure is the first unless named.
pub fn waterfall_where(
    ws: &Workspace,
    store: &Store,
    warehouse: Option<&ClickHouse>,
    (name, measure): (&str, Option<&str>),
    file: &RulesFile,
    which: &Which,
) -> Result<Waterfall> {
    waterfall_scoped(ws, (store, warehouse), (name, measure), &[], file, which)
}

/// `waterfall_where` over the companies `only` names (all when empty). With one company,
/// the sign-off read against it is that company's own.
pub fn waterfall_scoped(
    ws: &Workspace,
    (store, warehouse): (&Store, Option<&ClickHouse>),
    (name, measure): (&str, Option<&str>),
    only: &[String],
    file: &RulesFile,
    which: &Which,
) -> Result<Waterfall> {
    let mut fall = match warehouse {
        Some(ch) => {
            let w = crate::recon::remote::in_warehouse(ws, ch, store, name, only)?;
            remote::waterfall(ch, store.conn(), &w, (name, measure), file, which)?
        }
        None => {
            let spec = configured::prepare(ws, store, name, only)?;
            let m = spec.measure(measure)?;
            waterfall_of(store.conn(), &spec, (name, &m), file, which)?
        }
    };
    if !only.is_empty() {
        let company = match only {
            [one] => Some(one.as_str()),
            _ => None,
        };
        fall.signoff = company.and_then(|c| super::signed::state(file, Some(c), &fall.numbers()));
        fall.company = company.map(str::to_string);
    }
    Ok(fall)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file::{Kind, Status};

    fn rule(name: &str, kind: Kind, filter: &str, set: &[(&str, &str)]) -> Rule {
        Rule {
            name: name.into(),
            kind,
            filter: filter.into(),
            set: set
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            status: Status::Proposed,
            note: String::new(),
            by: String::new(),
            at: String::new(),
        }
    }

    #[test]
    fn in_the_warehouse_the_changed_columns_keep_their_types() {
        let mut file =
            RulesFile::load(std::path::Path::new("/nonexistent/rules/rev.toml")).unwrap();
        file.push(rule("void", Kind::Exclude, "kind = 'VOID'", &[]))
            .unwrap();
        file.push(rule(
            "tax",
            Kind::Adjust,
            "company = 'lumen'",
            &[("net", "net - tax")],
        ))
        .unwrap();
        file.push(rule("other", Kind::Exclude, "1 = 0", &[]))
            .unwrap();
        let which = Which::Named(vec!["tax".into(), "void".into()]);
        let as_legacy = AsLegacy::new(&file, &which, "rev", "gold.sales");
        let columns = vec![
            ("id".to_string(), "Int64".to_string()),
            ("net".to_string(), "Decimal(12, 2)".to_string()),
            ("tax".to_string(), "Decimal(12, 2)".to_string()),
        ];
        let sql = as_legacy
            .in_warehouse("(SELECT * FROM `db`.`sales`)", &columns, &["id".into()])
            .unwrap();
        assert!(
            sql.starts_with("(SELECT `id`, CAST(`net` AS Decimal(12, 2)) AS `net`, `tax` FROM ("),
            "{sql}"
        );
        assert!(
            sql.contains("WHERE NOT ifNull((kind = 'VOID'), 0)"),
            "{sql}"
        );
        assert!(
            !sql.contains("1 = 0"),
            "a rule not picked is not applied: {sql}"
        );
        // File order: `void` first, so its filter is the innermost query.
        let (tax, void) = (sql.find("ifNull((company"), sql.find("ifNull((kind"));
        assert!(tax < void, "file order: {sql}");
        let none = AsLegacy::new(&file, &Which::Named(Vec::new()), "rev", "gold.sales");
        assert!(none.is_empty());
    }
}
