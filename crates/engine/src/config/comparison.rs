//! `[comparisons.NAME]` of `assay.toml`: what a comparison joins, compares and tolerates,
//! and the lookups explain tries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decimal::Exact;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// In the measure's units, exact (`0.01` is one cent, never 0.0099999…).
    #[serde(default, with = "crate::decimal::setting")]
    pub absolute: Exact,
    /// Fraction, e.g. 0.001 = 0.1 %.
    #[serde(default, with = "crate::decimal::setting")]
    pub relative: Exact,
    /// Rows on one side only (or with a repeated key) a `rows` gate lets pass: a count...
    #[serde(default)]
    pub rows: u64,
    /// ...or a fraction of the legacy rows, whichever allows more.
    #[serde(default, with = "crate::decimal::setting")]
    pub rows_relative: Exact,
}

impl Tolerance {
    /// Only the absolute allowance, as `compare --tolerance` and the ad hoc compare give it.
    pub fn absolute(absolute: Exact) -> Tolerance {
        Tolerance {
            absolute,
            ..Tolerance::default()
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Name of a `[legacy.*]` export.
    pub legacy: String,
    /// A layer table, `schema.table` (bronze/silver/gold).
    pub table: String,
    pub keys: Vec<String>,
    /// Companies compared; empty means all.
    #[serde(default)]
    pub companies: Vec<String>,
    /// Legacy column → new column, where the names differ.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub measures: Vec<String>,
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Columns left out of the row compare.
    #[serde(default)]
    pub skip: Vec<String>,
    #[serde(default)]
    pub tolerance: Tolerance,
    /// Trim text and compare it case-insensitively.
    #[serde(default)]
    pub normalize_text: bool,
    /// Treat NULL and the empty string as equal.
    #[serde(default)]
    pub null_equals_empty: bool,
    /// The time zone naive timestamps are in (e.g. "Europe/Berlin"), when the other side
    /// stores instants (TIMESTAMP WITH TIME ZONE). Default: UTC.
    pub timezone: Option<String>,
    /// The dimension whose values are periods (e.g. "month"), charted over time by the
    /// workbench. Default: a dimension called `month`, if there is one.
    pub period: Option<String>,
    /// How `assay explain` looks for the gap's causes.
    #[serde(default)]
    pub explain: ExplainSettings,
    /// What makes `assay compare` exit 1 (CI gates): `measures` (the default), `rows`,
    /// `columns`, `schema`.
    #[serde(default = "super::gate::default_fail_on")]
    pub fail_on: Vec<super::gate::Gate>,
}

/// `[comparisons.NAME.explain]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExplainSettings {
    /// Tables of the workspace (`bronze.returns`) or files whose matches may be what legacy
    /// selected rows by: on the comparison's keys they share, or on the columns `on` names.
    #[serde(default)]
    pub lookups: Vec<LookupSetting>,
}

/// One of `explain.lookups`: a table's name (`"bronze.returns"`), or a table or file with
/// the columns it matches on (`{ file = "blocklist.csv", on = { customer_id = "client_no" } }`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LookupSetting {
    Table(String),
    Given(GivenLookup),
}

/// A lookup with its match columns; exactly one of `table` and `file`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GivenLookup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// A file (CSV, Parquet, a spreadsheet…), relative to the workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// New-side column → the lookup's column; empty: the keys both have.
    #[serde(default)]
    pub on: BTreeMap<String, String>,
}

impl LookupSetting {
    /// The table or file, as written.
    pub fn given(&self) -> &str {
        match self {
            LookupSetting::Table(t) => t,
            LookupSetting::Given(g) => g.table.as_deref().or(g.file.as_deref()).unwrap_or(""),
        }
    }

    /// Whether it names a file (read into `lookups.NAME`) rather than a table.
    pub fn is_file(&self) -> bool {
        matches!(self, LookupSetting::Given(g) if g.file.is_some())
    }

    /// The (new, lookup) column pairs it matches on; empty: the keys both have.
    pub fn on(&self) -> Vec<(String, String)> {
        match self {
            LookupSetting::Table(_) => Vec::new(),
            LookupSetting::Given(g) => g.on.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
        }
    }
}

impl Comparison {
    /// The period dimension: `period`, else a dimension called `month`.
    pub fn period_dimension(&self) -> Option<&str> {
        match &self.period {
            Some(p) => Some(p.as_str()),
            None => self
                .dimensions
                .iter()
                .find(|d| d.eq_ignore_ascii_case("month"))
                .map(String::as_str),
        }
    }
}
