//! Matched rows known only as groups: after a pushed-down compare the rows of the slices
//! that agree are never fetched; they travel as sums per dimension values instead. The
//! shape of that relation (which column holds what) is owned here, so producer and
//! consumers never spell column names by convention.

use crate::sql::ident;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreeingGroups {
    /// A query of the cache (usable in parentheses after FROM) with the columns below.
    pub sql: String,
    /// How many dimension columns (the comparison's dimensions, in order, as text).
    pub dimensions: usize,
    /// How many measure columns (the comparison's measures, in order; one amount each, the
    /// same on both sides since the rows agree).
    pub measures: usize,
}

impl AgreeingGroups {
    /// The name of dimension `i`'s column (unquoted).
    pub fn dimension_name(i: usize) -> String {
        format!("v{i}")
    }

    /// The name of measure `k`'s column (unquoted).
    pub fn measure_name(k: usize) -> String {
        format!("m{k}")
    }

    /// The name of the rows column (unquoted).
    pub const ROWS: &'static str = "n";

    /// Dimension `i`'s column, quoted.
    pub fn dimension(&self, i: usize) -> String {
        ident(&Self::dimension_name(i))
    }

    /// Measure `k`'s column, quoted.
    pub fn measure(&self, k: usize) -> String {
        ident(&Self::measure_name(k))
    }

    /// The rows column, quoted.
    pub fn rows(&self) -> String {
        ident(Self::ROWS)
    }

    /// The relation, ready after FROM.
    pub fn from(&self) -> String {
        format!("({})", self.sql)
    }
}
