//! The rules lab's work: a what-if's numbers and causes over a comparison in the cache, and
//! decisions, adopted causes, accepted differences and sign-offs written to the rules file.

use duckdb::Connection;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::recon::configured;
use crate::recon::explain::Cause;
use crate::recon::report::Spec;
use crate::recon::spec::Measure;
use crate::rules::file::Edit;
use crate::rules::ticket::{views, WhatIf};
use crate::rules::{self, decision, RulesFile, Status, Which};
use crate::store::{Session, Wait};
use crate::warehouse::ClickHouse;

/// A comparison's current numbers (one company's, with `company`) signed off with `note`.
pub(super) fn sign_off(
    ws: &Workspace,
    (session, warehouse): Lane,
    (name, company): (&str, Option<&str>),
    note: &str,
    wait: &Wait,
) -> Result<rules::signoff::Signoff> {
    let only: Vec<String> = company.iter().map(|c| c.to_string()).collect();
    let store =
        configured::open_for_compare(ws, name, &only, |access| session.lease(access, wait))?;
    decision::sign_off(ws, (&*store, warehouse), (name, company), note, wait)
}

/// Comparison `name`'s report written to the workspace's `reports/` folder.
pub(super) fn report(
    ws: &Workspace,
    (session, warehouse): Lane,
    name: &str,
    wait: &Wait,
) -> Result<Vec<std::path::PathBuf>> {
    let store = configured::open_for_compare(ws, name, &[], |access| session.lease(access, wait))?;
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let t = rules::ticket::ticket(ws, &store, warehouse, (name, &file), &[], &rules::now())?;
    crate::report::write_files(&ws.root, name, &t)
}

/// A difference accepted on comparison `name`, with the accepted rules' numbers.
pub(super) fn accept_difference(
    ws: &Workspace,
    (session, warehouse): Lane,
    name: &str,
    difference: &decision::Difference,
    wait: &Wait,
) -> Result<(String, rules::Waterfall)> {
    let store = configured::open_for_compare(ws, name, &[], |access| session.lease(access, wait))?;
    let sides = (&*store, warehouse);
    decision::accept_difference(ws, sides, (name, None), &Which::Accepted, difference, wait)
}

/// Causes of what is left the Rules screen lists (as many as Drill's panel).
const CAUSES: usize = 12;

/// The lane's cache session and, with a ClickHouse warehouse, its client.
pub(crate) type Lane<'a> = (&'a Session, Option<&'a ClickHouse>);

/// Runs `f` on the comparison as the cache holds it (with a warehouse: the differing slices
/// a pushed-down compare fetched), with its first measure and rules file.
fn with_comparison<T>(
    ws: &Workspace,
    (session, _): Lane,
    name: &str,
    wait: &Wait,
    f: impl FnOnce(&Connection, &Spec, &Measure, &RulesFile) -> Result<T>,
) -> Result<T> {
    let store = configured::open_for_compare(ws, name, &[], |access| session.lease(access, wait))?;
    let spec = configured::prepare(ws, &store, name, &[])?;
    let m = spec.measure(None)?;
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    f(store.conn(), &spec, &m, &file)
}

/// The numbers of the what-if (None: the accepted rules), applied where the new side lives.
pub(crate) fn numbers(
    ws: &Workspace,
    lane: Lane,
    name: &str,
    applied: Option<&[String]>,
    wait: &Wait,
) -> Result<WhatIf> {
    let which = applied.map_or(Which::Accepted, |a| Which::Named(a.to_vec()));
    let (session, warehouse) = lane;
    let store = configured::open_for_compare(ws, name, &[], |access| session.lease(access, wait))?;
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let fall = rules::waterfall_where(ws, &store, warehouse, (name, None), &file, &which)?;
    Ok(WhatIf {
        fall,
        rules: views(&file),
    })
}

/// The top causes of what the what-if leaves.
pub(crate) fn causes(
    ws: &Workspace,
    (session, _): Lane,
    name: &str,
    applied: &[String],
    wait: &Wait,
) -> Result<Vec<Cause>> {
    let store = configured::open_for_compare(ws, name, &[], |access| session.lease(access, wait))?;
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let which = Which::Named(applied.to_vec());
    rules::causes_left(ws, &store, (name, &file), &which, CAUSES)
}

/// A decision on a rule, recorded in the rules file with who and when (as the CLI does),
/// under the file's lock so a decision made meanwhile elsewhere stays.
pub(crate) fn decide(
    ws: &Workspace,
    name: &str,
    rule: &str,
    status: Status,
    note: &str,
    wait: &Wait,
) -> Result<()> {
    let (by, at) = (rules::user(), rules::now());
    rules::update(&rules::path_of(&ws.root, name), wait, |file| {
        file.decide(rule, status, note, &by, &at)
    })
}

/// A rule's SQL changed (its `where`, or a `set` expression), after checking that the rule
/// applies to the comparison so (DuckDB's error, named by the rule, otherwise; the file is
/// then left as it was).
pub(crate) fn edit(
    ws: &Workspace,
    lane: Lane,
    (name, rule): (&str, &str),
    change: &Edit,
    wait: &Wait,
) -> Result<()> {
    let path = with_comparison(ws, lane, name, wait, |conn, spec, _, file| {
        let edited = file
            .rules
            .iter()
            .find(|r| r.name == rule)
            .ok_or_else(|| Error::Usage(format!("no rule named `{rule}`")))?
            .edited(change);
        let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
        rules::apply::apply(conn, &spec.new, &[&edited], &keys)?;
        Ok(file.path.clone())
    })?;
    rules::update(&path, wait, |file| file.edit(rule, change))
}

/// A cause added as a proposed rule, as `assay rules NAME suggest` does for each.
pub(crate) fn adopt(
    ws: &Workspace,
    name: &str,
    cause: &Cause,
    wait: &Wait,
) -> Result<rules::Suggested> {
    let (by, at) = (rules::user(), rules::now());
    rules::update(&rules::path_of(&ws.root, name), wait, |file| {
        Ok(rules::suggest(file, std::slice::from_ref(cause), &by, &at))
    })
}
