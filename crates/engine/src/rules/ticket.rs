//! The ticket: everything a reviewer signs off a comparison on — totals, the rules
//! waterfall, each rule with its note and author, accepted differences, what remains with its
//! top causes and sample rows, and the sign-offs with their state.

use duckdb::Connection;
use serde::Serialize;

use super::as_legacy::{compare_as_legacy, waterfall_scoped};
use super::file::{Kind, RulesFile, Status};
pub use super::remainder::Period;
use super::signoff::Signoff;
use super::waterfall::{waterfall_of, Waterfall, Which};
use crate::config::{Tolerance, Workspace};
use crate::error::{Error, Result};
use crate::recon::explain::{explain, lookups_of, Cause, Options};
use crate::recon::report::Spec;
use crate::recon::spec::Measure;
use crate::recon::summary::{RowClasses, Samples};
use crate::store::Store;
use crate::warehouse::ClickHouse;

/// Bumped when a field is removed or changes meaning.
pub const TICKET_VERSION: u32 = 1;
/// Causes of the remainder the ticket lists.
const TOP_CAUSES: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
    #[serde(rename = "where")]
    pub filter: String,
    pub set: std::collections::BTreeMap<String, String>,
    pub note: String,
    pub by: String,
    pub at: String,
}

/// A difference accepted rather than fixed, as the rules file holds it.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedView {
    pub name: String,
    #[serde(rename = "where")]
    pub filter: String,
    pub note: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub schema_version: u32,
    pub comparison: String,
    pub measure: String,
    pub rules_file: String,
    pub generated_at: String,
    /// The companies compared; empty: all.
    pub companies: Vec<String>,
    pub period: Option<Period>,
    /// What the unexplained gap is allowed to be.
    pub tolerance: Tolerance,
    /// With the accepted rules (the numbers signed off on).
    pub waterfall: Waterfall,
    /// Every rule of the file, whatever its status.
    pub rules: Vec<RuleView>,
    pub accepted: Vec<AcceptedView>,
    /// The keyed compare after the accepted rules.
    pub rows_after_rules: RowClasses,
    /// The causes of what neither the accepted rules nor the accepted differences explain.
    pub remainder_causes: Vec<Cause>,
    pub samples: Samples,
    pub signoffs: Vec<Signoff>,
    /// What to read the numbers with in mind (a legacy export past its thresholds).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The ticket of `comparison` with the accepted rules, wherever its new side lives (the
/// rules applied in the warehouse when `warehouse` is given; only sums and the rows of the
/// slices that still differ come back).
pub fn ticket(
    ws: &Workspace,
    store: &Store,
    warehouse: Option<&ClickHouse>,
    (comparison, file): (&str, &RulesFile),
    only: &[String],
    at: &str,
) -> Result<Ticket> {
    let accepted = Which::Accepted;
    let sides = (store, warehouse);
    let fall = waterfall_scoped(ws, sides, (comparison, None), only, file, &accepted)?;
    let after = compare_as_legacy(ws, store, (comparison, only), file, &accepted, None)?;
    let left = super::remainder::without_accepted(&after.spec, file)?;
    let opts = Options {
        top: TOP_CAUSES,
        lookups: lookups_of(store.conn(), &left, ws, comparison)?,
        agreeing: after.agreeing_groups.clone(),
    };
    let causes = explain(store.conn(), &left, &fall.measure, &opts)?.causes;
    let c = ws
        .config
        .comparisons
        .get(comparison)
        .ok_or_else(|| Error::Usage(format!("no comparison `{comparison}` in assay.toml")))?;
    // A company's ticket lists its own sign-offs; the comparison's, the whole ones.
    let company = fall.company.clone();
    let signoffs = file
        .signoffs
        .iter()
        .filter(|s| s.covers(company.as_deref()))
        .cloned()
        .collect();
    Ok(Ticket {
        companies: match only.is_empty() {
            true => c.companies.clone(),
            false => only.to_vec(),
        },
        period: super::remainder::period(store.conn(), &after.spec, c.period_dimension())?,
        tolerance: c.tolerance.clone(),
        accepted: file
            .accepted
            .iter()
            .map(|a| AcceptedView {
                name: a.name.clone(),
                filter: a.filter.clone(),
                note: a.note.clone(),
                by: a.by.clone(),
                at: a.at.clone(),
            })
            .collect(),
        schema_version: TICKET_VERSION,
        comparison: comparison.to_string(),
        measure: fall.measure.clone(),
        rules_file: format!("rules/{comparison}.toml"),
        generated_at: at.to_string(),
        waterfall: fall,
        rows_after_rules: after.report.rows,
        remainder_causes: causes,
        samples: masked(ws, store, comparison, after.report.samples)?,
        signoffs,
        warnings: after.report.warnings.clone(),
        rules: views(file),
    })
}

/// The samples as a report may show them: personal values masked (a report is passed on).
fn masked(ws: &Workspace, store: &Store, name: &str, mut samples: Samples) -> Result<Samples> {
    let policy = crate::build::lineage::personal(ws, store)?;
    if let Some(c) = ws.config.comparisons.get(name) {
        samples.mask(&policy.of_comparison(c));
    }
    Ok(samples)
}

/// Every rule of the file, whatever its status.
pub fn views(file: &RulesFile) -> Vec<RuleView> {
    file.rules
        .iter()
        .map(|r| RuleView {
            name: r.name.clone(),
            kind: r.kind,
            status: r.status,
            filter: r.filter.clone(),
            set: r.set.clone(),
            note: r.note.clone(),
            by: r.by.clone(),
            at: r.at.clone(),
        })
        .collect()
}

/// A what-if: the waterfall of the rules picked (not the file's decisions), and the rules.
/// The causes of what it leaves come from the comparison made through the same rules
/// (`compare_as_legacy`), which takes seconds at 6M rows where these sums take a fraction.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub fall: Waterfall,
    pub rules: Vec<RuleView>,
}

/// The what-if's numbers, in the cache.
pub fn what_if(
    conn: &Connection,
    spec: &Spec,
    (comparison, m): (&str, &Measure),
    file: &RulesFile,
    which: &Which,
) -> Result<WhatIf> {
    Ok(WhatIf {
        fall: waterfall_of(conn, spec, (comparison, m), file, which)?,
        rules: views(file),
    })
}
