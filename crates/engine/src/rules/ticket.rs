//! The ticket: everything a reviewer signs off a comparison on — totals, the rules
//! waterfall, each rule with its note and author, accepted differences, what remains with its
//! top causes and sample rows, and the sign-offs with their state.

use duckdb::Connection;
use serde::Serialize;

use super::apply::apply;
use super::file::{Kind, RulesFile, Status};
use super::signoff::Signoff;
use super::waterfall::{chosen, waterfall, waterfall_of, Waterfall, Which};
use crate::error::Result;
use crate::recon::explain::{explain, Cause, Options};
use crate::recon::report::{compare, Spec};
use crate::recon::spec::Measure;
use crate::recon::summary::{RowClasses, Samples};

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

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub schema_version: u32,
    pub comparison: String,
    pub measure: String,
    pub rules_file: String,
    pub generated_at: String,
    /// With the accepted rules (the numbers signed off on).
    pub waterfall: Waterfall,
    /// Every rule of the file, whatever its status.
    pub rules: Vec<RuleView>,
    /// The keyed compare after the accepted rules.
    pub rows_after_rules: RowClasses,
    pub remainder_causes: Vec<Cause>,
    pub samples: Samples,
    pub signoffs: Vec<Signoff>,
}

pub fn ticket(
    conn: &Connection,
    spec: &Spec,
    (comparison, m): (&str, &Measure),
    file: &RulesFile,
    at: &str,
) -> Result<Ticket> {
    let fall = waterfall(conn, spec, (comparison, m), file, false)?;
    let after = after_rules(conn, spec, file, &Which::Accepted)?;
    let report = compare(conn, &after)?;
    let causes = remainder_causes(conn, &after, m, TOP_CAUSES)?;
    Ok(Ticket {
        schema_version: TICKET_VERSION,
        comparison: comparison.to_string(),
        measure: m.name.clone(),
        rules_file: format!("rules/{comparison}.toml"),
        generated_at: at.to_string(),
        waterfall: fall,
        rows_after_rules: report.rows,
        remainder_causes: causes,
        samples: report.samples,
        signoffs: file.signoffs.clone(),
        rules: views(file),
    })
}

/// The comparison with the new side as the rules `which` picks leave it.
pub fn after_rules(
    conn: &Connection,
    spec: &Spec,
    file: &RulesFile,
    which: &Which,
) -> Result<Spec> {
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let applied = apply(conn, &spec.new, &chosen(file, which), &keys)?;
    Ok(Spec {
        new: applied.steps.last().unwrap_or(&spec.new).clone(),
        ..spec.clone()
    })
}

fn remainder_causes(
    conn: &Connection,
    after: &Spec,
    m: &Measure,
    top: usize,
) -> Result<Vec<Cause>> {
    let opts = Options {
        top,
        ..Options::default()
    };
    Ok(explain(conn, after, &m.name, &opts)?.causes)
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

/// A what-if: the waterfall of the rules picked (not the file's decisions), and the top
/// causes of what they leave.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub fall: Waterfall,
    pub rules: Vec<RuleView>,
    pub remainder_causes: Vec<Cause>,
}

/// The what-if's numbers (a few sums: fast enough for every toggle); its causes come
/// from `what_is_left`, which explains over the rules' result and takes seconds at 6M rows.
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
        remainder_causes: Vec::new(),
    })
}

/// The top causes of what the rules `which` picks leave.
pub fn what_is_left(
    conn: &Connection,
    spec: &Spec,
    m: &Measure,
    file: &RulesFile,
    which: &Which,
    top: usize,
) -> Result<Vec<Cause>> {
    let after = after_rules(conn, spec, file, which)?;
    remainder_causes(conn, &after, m, top)
}
