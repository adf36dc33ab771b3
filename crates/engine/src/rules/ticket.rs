//! The ticket: everything a reviewer signs off a comparison on — totals, the rules
//! waterfall, each rule with its note and author, accepted differences, what remains with its
//! top causes and sample rows, and the sign-offs with their state.

use duckdb::Connection;
use serde::Serialize;

use super::apply::apply;
use super::file::{Kind, RulesFile, Status};
use super::signoff::Signoff;
use super::waterfall::{taking_part, waterfall, Waterfall};
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
    let accepted = taking_part(file, false);
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let applied = apply(conn, &spec.new, &accepted, &keys)?;
    let after = Spec {
        new: applied.steps.last().unwrap_or(&spec.new).clone(),
        ..spec.clone()
    };
    let report = compare(conn, &after)?;
    let opts = Options {
        top: TOP_CAUSES,
        ..Options::default()
    };
    let causes = explain(conn, &after, &m.name, &opts)?.causes;
    Ok(Ticket {
        schema_version: TICKET_VERSION,
        comparison: comparison.to_string(),
        measure: m.name.clone(),
        rules_file: format!("rules/{comparison}.toml"),
        generated_at: at.to_string(),
        rules: file
            .rules
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
            .collect(),
        waterfall: fall,
        rows_after_rules: report.rows,
        remainder_causes: causes,
        samples: report.samples,
        signoffs: file.signoffs.clone(),
    })
}
