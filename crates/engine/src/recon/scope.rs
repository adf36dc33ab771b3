//! A comparison's scope: its settings, the companies it covers (cut to those asked for)
//! and its legacy side imported into the cache. Both the local and the pushed-down compare
//! start from it.

use super::equality::Rules;
use super::relation::{is_numeric, Relation};
use super::spec::Spec;
use crate::config::{Comparison, Workspace};
use crate::error::{Error, Result};
use crate::legacy;
use crate::sql::{ident, literal};
use crate::store::Store;

/// The company column every compared relation is given.
pub const COMPANY: &str = "company";

/// A comparison's settings, the companies it covers and its legacy side in the cache.
pub struct Scope<'a> {
    pub name: String,
    pub comparison: &'a Comparison,
    pub companies: Vec<String>,
    pub legacy: Relation,
    /// The comparison's personal columns (either side's names).
    pub personal: Vec<String>,
}

impl Scope<'_> {
    /// `IN (…)` list of the companies, for DuckDB.
    pub fn company_list(&self) -> String {
        self.companies
            .iter()
            .map(|c| literal(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The new side's company column among `columns`: `company`, else `_company`.
    pub fn company_column<'c>(&self, columns: &'c [(String, String)]) -> Result<&'c str> {
        crate::drift::company_column(columns).ok_or_else(|| {
            Error::Usage(format!(
                "comparisons.{}.table: {} has no `company` or `_company` column",
                self.name, self.comparison.table
            ))
        })
    }

    /// Every configured key, measure and dimension exists on both sides of `spec` (under its
    /// mapped name on the new side), and every measure is a number: a wrong setting is named
    /// here with its key path, not found later as a database error about generated SQL.
    pub fn check_columns(&self, conn: &duckdb::Connection, spec: &Spec) -> Result<()> {
        let cmp = self.comparison;
        let legacy_side = format!("legacy.{}", cmp.legacy);
        for (field, list) in [
            ("keys", &cmp.keys),
            ("measures", &cmp.measures),
            ("dimensions", &cmp.dimensions),
        ] {
            for column in list.iter().filter(|c| !c.eq_ignore_ascii_case(COMPANY)) {
                // A dimension may be the new side's alone (legacy rows take it by key).
                if field != "dimensions" {
                    self.check_column(conn, field, (&legacy_side, &spec.legacy), column, false)?;
                }
                let new_name = spec.new_name(column);
                self.check_column(conn, field, (&cmp.table, &spec.new), &new_name, true)?;
            }
        }
        Ok(())
    }

    /// One configured column on one side: present, and a number when it is a measure.
    fn check_column(
        &self,
        conn: &duckdb::Connection,
        field: &str,
        (side, relation): (&str, &Relation),
        name: &str,
        is_new: bool,
    ) -> Result<()> {
        let Some((_, type_)) = relation.find(name) else {
            return Err(Error::Usage(format!(
                "comparisons.{}.{field}: {side} has no column `{name}`{}; its columns: {}",
                self.name,
                if is_new {
                    " (map a differing name under `columns`)"
                } else {
                    ""
                },
                visible_columns(relation)
            )));
        };
        if field != "measures" || is_numeric(type_) {
            return Ok(());
        }
        let hint = if is_new {
            String::new()
        } else {
            self.first_non_number(conn, name).unwrap_or_else(|| {
                format!(
                    ": it holds no value at all (are [legacy.{}] files only a header?)",
                    self.comparison.legacy
                )
            })
        };
        Err(Error::Usage(format!(
            "comparisons.{}.measures: `{name}` is {type_} in {side}, not a number \
             (a measure is summed){hint}",
            self.name
        )))
    }

    /// Where a legacy measure stops being a number: the value, its company and file.
    fn first_non_number(&self, conn: &duckdb::Connection, column: &str) -> Option<String> {
        let c = ident(column);
        let sql = format!(
            "SELECT {c}::VARCHAR, _company, _source FROM legacy.{t} WHERE _company IN ({list}) \
             AND {odd} LIMIT 1",
            odd = crate::legacy::figures::not_plain_number_sql(&c),
            t = ident(&self.comparison.legacy),
            list = self.company_list()
        );
        let (value, company, file): (String, String, String) = conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ok()?;
        let setting = format!(
            "decimal = \",\" under [legacy.{}.format], or the company's override",
            self.comparison.legacy
        );
        Some(format!(
            " (company {company}, {file}): {}",
            crate::legacy::figures::not_a_number(&value, &setting)
        ))
    }

    /// Both sides ready to compare or explain.
    pub fn spec(&self, legacy: Relation, new: Relation) -> Spec {
        let cmp = self.comparison;
        // Several companies: the company is the outermost dimension of every breakdown.
        let mut dimensions = Vec::new();
        if self.companies.len() > 1
            && !cmp
                .dimensions
                .iter()
                .any(|d| d.eq_ignore_ascii_case(COMPANY))
        {
            dimensions.push(COMPANY.to_string());
        }
        dimensions.extend(cmp.dimensions.iter().cloned());
        let mut keys = vec![COMPANY.to_string()];
        keys.extend(cmp.keys.iter().cloned());
        Spec {
            legacy,
            new,
            keys,
            map: cmp
                .columns
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
            measures: cmp.measures.clone(),
            dimensions,
            skip: cmp.skip.clone(),
            dimension_candidates: None,
            personal: self.personal.clone(),
            rules: Rules {
                absolute: cmp.tolerance.absolute,
                relative: cmp.tolerance.relative,
                normalize_text: cmp.normalize_text,
                null_equals_empty: cmp.null_equals_empty,
                timezone: cmp.timezone.clone(),
            },
        }
    }
}

fn visible_columns(relation: &Relation) -> String {
    relation
        .columns
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.starts_with('_'))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A comparison and its companies: all of the workspace's unless it names some, cut to
/// `only`.
pub fn members<'a>(
    ws: &'a Workspace,
    name: &str,
    only: &[String],
) -> Result<(&'a Comparison, Vec<String>)> {
    let cmp = ws.config.comparisons.get(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown comparison `{name}`; known: {}",
            ws.config
                .comparisons
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let mut companies: Vec<String> = if cmp.companies.is_empty() {
        ws.config.companies.keys().cloned().collect()
    } else {
        cmp.companies.clone()
    };
    if !only.is_empty() {
        for c in only {
            if !companies.contains(c) {
                return Err(Error::Usage(format!(
                    "company `{c}` is not part of comparison {name}"
                )));
            }
        }
        companies.retain(|c| only.contains(c));
    }
    Ok((cmp, companies))
}

/// Whether the cache holds the comparison's legacy exports as their files are now, so
/// comparing needs no import (and may read the cache while others read it too).
pub fn legacy_is_current(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
) -> Result<bool> {
    let (cmp, companies) = members(ws, name, only)?;
    for company in &companies {
        if !legacy::is_current(ws, store, &cmp.legacy, company)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Import the comparison's legacy exports whose files changed (this writes the cache).
pub fn import_legacy(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<()> {
    let (cmp, companies) = members(ws, name, only)?;
    for company in &companies {
        legacy::import(ws, store, &cmp.legacy, company, false)?;
    }
    Ok(())
}

/// The comparison's scope: its companies, with their legacy exports imported into the
/// cache when their files changed.
pub fn scope<'a>(
    ws: &'a Workspace,
    store: &Store,
    name: &str,
    only: &[String],
) -> Result<Scope<'a>> {
    let (cmp, companies) = members(ws, name, only)?;
    for company in &companies {
        legacy::import(ws, store, &cmp.legacy, company, false)?;
    }
    let in_list = companies
        .iter()
        .map(|c| literal(c))
        .collect::<Vec<_>>()
        .join(", ");
    let legacy = Relation::describe(
        store.conn(),
        &format!(
            "(SELECT * EXCLUDE (_company, _source), _company AS {company} FROM legacy.{table} WHERE _company IN ({in_list}))",
            company = ident(COMPANY),
            table = ident(&cmp.legacy)
        ),
    )?;
    let personal = crate::build::lineage::personal(ws, store)?
        .of_comparison(cmp)
        .columns();
    Ok(Scope {
        name: name.to_string(),
        comparison: cmp,
        companies,
        legacy,
        personal,
    })
}
