//! Which columns of a user's query's answer carry personal data: the marked names
//! themselves, and every name the query gives to an expression over one (an alias, through
//! CTEs and subqueries, until nothing new is found).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, SelectItem, SetExpr, Visit, Visitor};

use crate::dialect::Dialect;

/// `marked` and the names `sql` derives from them (lower case). A query that does not parse
/// derives nothing; the marked names (and names containing them) are still masked.
pub fn derived(dialect: Dialect, sql: &str, marked: &BTreeSet<String>) -> BTreeSet<String> {
    let mut names = marked.clone();
    if marked.is_empty() {
        return names;
    }
    let Some(statements) = crate::dialect::statements(dialect, sql) else {
        return names;
    };
    loop {
        let mut walk = Aliases {
            names: &names,
            found: BTreeSet::new(),
        };
        let _ = statements.visit(&mut walk);
        let found = walk.found;
        let before = names.len();
        names.extend(found);
        if names.len() == before {
            return names;
        }
    }
}

/// Collects the aliases of select items that mention a name in `names`.
struct Aliases<'a> {
    names: &'a BTreeSet<String>,
    found: BTreeSet<String>,
}

impl Visitor for Aliases<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.set_expr(&query.body);
        ControlFlow::Continue(())
    }
}

impl Aliases<'_> {
    fn set_expr(&mut self, body: &SetExpr) {
        match body {
            SetExpr::Select(select) => {
                for item in &select.projection {
                    if let SelectItem::ExprWithAlias { expr, alias } = item {
                        if mentions(expr, self.names) {
                            self.found.insert(alias.value.to_lowercase());
                        }
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            SetExpr::Query(q) => self.set_expr(&q.body),
            _ => {}
        }
    }
}

/// Whether `expr` reads a column named in `names`.
fn mentions(expr: &Expr, names: &BTreeSet<String>) -> bool {
    let hit = |name: &str| names.contains(&name.to_lowercase());
    sqlparser::ast::visit_expressions(expr, |e| match e {
        Expr::Identifier(i) if hit(&i.value) => ControlFlow::Break(()),
        Expr::CompoundIdentifier(parts) if parts.last().is_some_and(|p| hit(&p.value)) => {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(sql: &str) -> Vec<String> {
        let marked: BTreeSet<String> = ["email".to_string(), "customer_name".to_string()].into();
        derived(Dialect::DuckDb, sql, &marked)
            .into_iter()
            .filter(|n| !marked.contains(n))
            .collect()
    }

    #[test]
    fn aliases_of_personal_columns_are_personal() {
        assert_eq!(derive("SELECT email AS e, 1 AS one FROM t"), ["e"]);
        assert_eq!(
            derive("SELECT upper(t.Customer_Name) AS who FROM t"),
            ["who"]
        );
        assert_eq!(
            derive("WITH x AS (SELECT email AS e FROM t) SELECT e AS f, 2 AS g FROM x"),
            ["e", "f"]
        );
        assert_eq!(
            derive("SELECT a FROM (SELECT email || '' AS a FROM t) UNION ALL SELECT 'x' AS a"),
            ["a"]
        );
        assert!(derive("SELECT id AS email_count FROM t").is_empty());
        assert!(derive("not sql at all").is_empty());
    }
}
