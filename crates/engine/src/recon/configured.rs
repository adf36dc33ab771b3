//! A comparison from `assay.toml`: import the legacy export, scope both sides to the
//! companies, and compare by (company, keys). With a ClickHouse warehouse the new side stays
//! there and the compare is pushed down (`remote`).

use std::sync::Arc;

use super::groups::AgreeingGroups;
use super::relation::Relation;
use super::remote;
use super::report::{compare, Report, Spec};
use super::reshape::Reshape;
pub use super::scope::{import_legacy, legacy_is_current, scope, Scope, COMPANY};
use crate::cancel::Cancel;
use crate::config::Workspace;
use crate::error::{Error, Result};

use crate::sql::{ident, qualified};
use crate::store::{Access, Store};
use std::borrow::Borrow;

/// The cache opened to compare `name`, through `open` (a direct open or a session's lease):
/// for reading, so others keep reading while the compare runs, after importing (writing,
/// briefly) the legacy exports whose files changed.
pub fn open_for_compare<T: Borrow<Store>>(
    ws: &Workspace,
    name: &str,
    only: &[String],
    open: impl Fn(Access) -> Result<T>,
) -> Result<T> {
    let reader = open(Access::Read)?;
    if legacy_is_current(ws, reader.borrow(), name, only)? {
        return Ok(reader);
    }
    drop(reader);
    import_legacy(ws, open(Access::Write)?.borrow(), name, only)?;
    open(Access::Read)
}

pub fn run(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Report> {
    Ok(prepare_and_compare(ws, store, name, only, None)?.report)
}

/// A comparison made, with what the workbench drills into.
pub struct Compared {
    /// Both sides as the cache holds them (after a pushed-down compare, the differing slices).
    pub spec: Spec,
    pub report: Report,
    /// The rows not fetched, as groups (see `report::Beyond::agreeing_groups`).
    pub agreeing_groups: Option<AgreeingGroups>,
}

/// Both sides, and the report over them (the TUI keeps the sides to drill into). `cancel`
/// stops the warehouse's queries of a pushed-down compare.
pub fn prepare_and_compare(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
    cancel: Option<Arc<Cancel>>,
) -> Result<Compared> {
    prepare_and_compare_as(ws, store, name, only, cancel, None)
}

/// As `prepare_and_compare`, with the new side changed by `reshape` first (the rules lab's
/// what-if): in the cache, or in the warehouse before the pushed-down compare sums it.
pub fn prepare_and_compare_as(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
    cancel: Option<Arc<Cancel>>,
    reshape: Option<&dyn Reshape>,
) -> Result<Compared> {
    let mut compared = if let Some(ch) = crate::warehouse::connect(&ws.config.warehouse)? {
        ch.watch(cancel);
        let pushed = remote::prepare_as(ws, &ch, store, name, only, (reshape, true))?;
        let report = super::report::compare_with(store.conn(), &pushed.spec, &pushed.beyond)?;
        Compared {
            spec: pushed.spec,
            report,
            agreeing_groups: pushed.beyond.agreeing_groups,
        }
    } else {
        let spec = reshaped(store.conn(), prepare(ws, store, name, only)?, reshape)?;
        let report = compare(store.conn(), &spec)?;
        Compared {
            spec,
            report,
            agreeing_groups: None,
        }
    };
    compared.report.warnings = stale_legacy(ws, store, name, only)?;
    Ok(compared)
}

/// The legacy exports of the compare past their `warn_after`/`error_after`: a false gap
/// from an old export is said, not silent.
fn stale_legacy(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Vec<String>> {
    let (cmp, companies) = super::scope::members(ws, name, only)?;
    crate::legacy::age::warnings(
        ws,
        store.conn(),
        &cmp.legacy,
        &companies,
        crate::store::utc_now(),
    )
}

/// `spec` with its new side changed by `reshape` (none: as it is).
fn reshaped(conn: &duckdb::Connection, spec: Spec, reshape: Option<&dyn Reshape>) -> Result<Spec> {
    let Some(r) = reshape else {
        return Ok(spec);
    };
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let new = r.in_cache(conn, &spec.new, &keys)?;
    Ok(Spec { new, ..spec })
}

/// Both sides of a configured comparison, ready to compare or explain. With a ClickHouse
/// warehouse the new side is the rows of the slices that differ, fetched into the cache.
/// Every one-sided row is fetched: callers read the rows alone.
pub fn prepare(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Spec> {
    Ok(prepared(ws, store, name, only, false)?.0)
}

/// `prepare_with_groups` with the new side changed by `reshape` first (in the warehouse
/// before the pushed-down compare picks the slices to fetch, or in the cache): what explain
/// needs to rank the causes of what the change leaves, without the report.
pub fn prepare_as(
    ws: &Workspace,
    store: &Store,
    name: &str,
    reshape: &dyn Reshape,
) -> Result<(Spec, Option<AgreeingGroups>)> {
    if let Some(ch) = crate::warehouse::connect(&ws.config.warehouse)? {
        let pushed = remote::prepare_as(ws, &ch, store, name, &[], (Some(reshape), true))?;
        return Ok((pushed.spec, pushed.beyond.agreeing_groups));
    }
    let spec = reshaped(store.conn(), local(ws, store, name, &[])?, Some(reshape))?;
    Ok((spec, None))
}

/// `prepare`, and with a ClickHouse warehouse the rows not fetched, as groups (the slices
/// only the new side has among them: explain reads the groups' classes).
pub fn prepare_with_groups(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
) -> Result<(Spec, Option<AgreeingGroups>)> {
    prepared(ws, store, name, only, true)
}

fn prepared(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
    keep: bool,
) -> Result<(Spec, Option<AgreeingGroups>)> {
    if let Some(ch) = crate::warehouse::connect(&ws.config.warehouse)? {
        let pushed = remote::prepare_as(ws, &ch, store, name, only, (None, keep))?;
        return Ok((pushed.spec, pushed.beyond.agreeing_groups));
    }
    Ok((local(ws, store, name, only)?, None))
}

fn local(ws: &Workspace, store: &Store, name: &str, only: &[String]) -> Result<Spec> {
    let scope = scope(ws, store, name, only)?;
    let conn = store.conn();
    let table = Relation::describe(conn, &qualified(&scope.comparison.table)).map_err(|e| {
        Error::Runtime(format!(
            "comparisons.{name}.table: {e} (has it been built?)"
        ))
    })?;
    let company_col = scope.company_column(&table.columns)?.to_string();
    let new = Relation::describe(
        conn,
        &format!(
            "(SELECT * EXCLUDE ({col}), {col} AS {company} FROM {t} WHERE {col} IN ({in_list}))",
            col = ident(&company_col),
            company = ident(COMPANY),
            t = qualified(&scope.comparison.table),
            in_list = scope.company_list()
        ),
    )?;
    let spec = scope.spec(scope.legacy.clone(), new);
    scope.check_columns(conn, &spec)?;
    Ok(spec)
}
