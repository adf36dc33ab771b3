//! The classes of difference a compare can be gated on.

use serde::{Deserialize, Serialize};

/// A class of difference a compare fails on (exit 1): `fail_on`, `compare --fail-on`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// A measure's total differs beyond the tolerance.
    Measures,
    /// Rows are on one side only, or keys repeat, beyond `tolerance.rows`.
    Rows,
    /// Values of a compared column differ on rows both sides have.
    Columns,
    /// A column was added, removed, renamed or changed type (skipped columns aside).
    Schema,
}

impl Gate {
    pub const ALL: [Gate; 4] = [Gate::Measures, Gate::Rows, Gate::Columns, Gate::Schema];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Measures => "measures",
            Gate::Rows => "rows",
            Gate::Columns => "columns",
            Gate::Schema => "schema",
        }
    }

    pub fn parse(text: &str) -> Result<Gate, String> {
        Gate::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                let all: Vec<&str> = Gate::ALL.iter().map(|g| g.as_str()).collect();
                format!("unknown class `{text}`; use {}", all.join(", "))
            })
    }
}

pub fn default_fail_on() -> Vec<Gate> {
    vec![Gate::Measures]
}
