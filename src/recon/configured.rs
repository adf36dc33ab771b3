//! A comparison from `assay.toml`: import the legacy export, scope both sides to the
//! companies, and compare by (company, keys).

use super::equality::Rules;
use super::relation::Relation;
use super::report::{compare, Report, Spec};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::legacy;
use crate::sql::{ident, literal, qualified};
use crate::store::Store;

/// The company column every compared relation is given.
pub const COMPANY: &str = "company";

pub fn run(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Report> {
    let prepared = prepare(ws, store, name, only)?;
    compare(store.conn(), &prepared)
}

/// Both sides of a configured comparison, ready to compare or explain.
pub fn prepare(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Spec> {
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
    for company in &companies {
        legacy::import(ws, store, &cmp.legacy, company, false)?;
    }
    let conn = store.conn();
    let in_list = companies
        .iter()
        .map(|c| literal(c))
        .collect::<Vec<_>>()
        .join(", ");
    let legacy_rel = Relation::describe(
        conn,
        &format!(
            "(SELECT * EXCLUDE (_company, _source), _company AS {company} FROM legacy.{table} WHERE _company IN ({in_list}))",
            company = ident(COMPANY),
            table = ident(&cmp.legacy)
        ),
    )?;
    let table = Relation::describe(conn, &qualified(&cmp.table)).map_err(|e| {
        Error::Runtime(format!(
            "comparisons.{name}.table: {e} (has it been built?)"
        ))
    })?;
    let company_col = if table.find(COMPANY).is_some() {
        COMPANY
    } else if table.find("_company").is_some() {
        "_company"
    } else {
        return Err(Error::Usage(format!(
            "comparisons.{name}.table: {} has no `company` or `_company` column",
            cmp.table
        )));
    };
    let new_rel = Relation::describe(
        conn,
        &format!(
            "(SELECT * EXCLUDE ({col}), {col} AS {company} FROM {t} WHERE {col} IN ({in_list}))",
            col = ident(company_col),
            company = ident(COMPANY),
            t = qualified(&cmp.table)
        ),
    )?;
    // Several companies: the company is the outermost dimension of every breakdown.
    let mut dimensions = Vec::new();
    if companies.len() > 1
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
    Ok(Spec {
        legacy: legacy_rel,
        new: new_rel,
        keys,
        map: cmp
            .columns
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect(),
        measures: cmp.measures.clone(),
        dimensions,
        skip: cmp.skip.clone(),
        rules: Rules {
            absolute: cmp.tolerance.absolute,
            relative: cmp.tolerance.relative,
            normalize_text: cmp.normalize_text,
            null_equals_empty: cmp.null_equals_empty,
            timezone: cmp.timezone.clone(),
        },
    })
}
