//! What one compare leaves in the history: per company, the totals of every measure, the
//! gap, what the accepted rules and differences leave unexplained, and what the numbers were
//! read from (the legacy files' fingerprint, the build of the table, the rules' digest).

use serde::{Deserialize, Serialize};

use crate::decimal::Exact;
use crate::recon::summary::{KeyedRows, RowClasses};

/// Bumped when a field is removed or changes meaning.
pub const RUN_VERSION: u32 = 1;

/// One measure's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureRecord {
    pub name: String,
    pub legacy: Exact,
    pub new: Exact,
    /// new − legacy.
    pub gap: Exact,
}

/// The legacy export a company's numbers were read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyRead {
    /// A short fingerprint of the files (paths, sizes, times, contents) and format hints:
    /// it changes when an export is replaced.
    pub fingerprint: String,
    pub rows: i64,
    /// When the files were imported into the cache (UTC).
    pub imported: String,
}

/// One company's numbers in a compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyRun {
    pub company: String,
    pub measures: Vec<MeasureRecord>,
    /// The first measure's gap after the accepted rules.
    pub remaining: Exact,
    /// What neither an accepted rule nor an accepted difference explains (first measure).
    pub unexplained: Exact,
    /// Every measure within the comparison's tolerance, the first after the rules.
    pub within_tolerance: bool,
    pub legacy: Option<LegacyRead>,
    /// The company's keyed rows by class (absent in records made before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<KeyedRows>,
}

impl CompanyRun {
    /// The first measure (the one the rules, the sign-off and the board are about).
    pub fn first(&self) -> Option<&MeasureRecord> {
        self.measures.first()
    }
}

/// The build of the compared table the compare read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRead {
    pub run_id: i64,
    pub finished: String,
}

/// The rules file as the compare read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RulesRead {
    pub digest: String,
    pub accepted_rules: Vec<String>,
    pub accepted_differences: Vec<String>,
}

/// How a compare ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status")]
pub enum Outcome {
    Ok,
    /// The compare could not be made (a malformed export, a server down): ops see it.
    Failed {
        error: String,
    },
}

/// One compare of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub schema_version: u32,
    pub comparison: String,
    /// When it finished (UTC, RFC 3339).
    pub at: String,
    pub by: String,
    /// What made it: `cli`, `workbench`, `parity`.
    pub via: String,
    /// The companies compared.
    pub scope: Vec<String>,
    pub outcome: Outcome,
    /// Row classes of the whole compare (all of `scope`).
    pub rows: Option<RowClasses>,
    pub measures: Vec<MeasureRecord>,
    pub companies: Vec<CompanyRun>,
    pub rules: RulesRead,
    pub build: Option<BuildRead>,
    /// A fingerprint of the comparison's settings (keys, columns, tolerance…) as compared.
    #[serde(default)]
    pub settings: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }

    pub fn company(&self, company: &str) -> Option<&CompanyRun> {
        self.companies.iter().find(|c| c.company == company)
    }

    /// The error of a failed compare.
    pub fn error(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Failed { error } => Some(error),
            Outcome::Ok => None,
        }
    }

    /// The whole compare's first measure: (legacy, new, gap).
    pub fn first(&self) -> Option<&MeasureRecord> {
        self.measures.first()
    }

    /// What the compare's companies leave unexplained together (exact).
    pub fn unexplained(&self) -> Option<Exact> {
        self.companies
            .iter()
            .try_fold(Exact::default(), |sum, c| sum.plus(c.unexplained))
    }

    pub fn remaining(&self) -> Option<Exact> {
        self.companies
            .iter()
            .try_fold(Exact::default(), |sum, c| sum.plus(c.remaining))
    }

    pub fn within_tolerance(&self) -> bool {
        self.ok() && self.companies.iter().all(|c| c.within_tolerance)
    }
}

/// The comparison's settings as a short fingerprint (what the numbers were computed under).
pub fn settings_of(cmp: &crate::config::Comparison) -> String {
    let text = serde_json::to_string(cmp).unwrap_or_default();
    format!("{:016x}", crate::rules::signed::fnv1a(&text))
}
