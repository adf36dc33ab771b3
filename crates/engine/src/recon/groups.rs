//! Rows known only as groups: after a pushed-down compare the rows of the slices that agree
//! are never fetched, nor those of the slices only the new side has (every row there is
//! only new); they travel as sums per dimension values and row class instead. The shape of
//! that relation (which column holds what) is owned here, so producer and consumers never
//! spell column names by convention.

use crate::sql::ident;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreeingGroups {
    /// A query of the cache (usable in parentheses after FROM) with the columns below.
    pub sql: String,
    /// How many dimension columns (the comparison's dimensions, in order, as text).
    pub dimensions: usize,
    /// How many measure columns (the comparison's measures, in order; the new side's
    /// amount: a matched group's is the legacy side's too, an only-new group's legacy
    /// amount is none).
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

    /// The name of measure `k`'s weight column: the sum of its absolute amounts (unquoted).
    pub fn weight_name(k: usize) -> String {
        format!("w{k}")
    }

    /// The name of the rows column (unquoted).
    pub const ROWS: &'static str = "n";

    /// The name of the row class column (`RowClass::as_str`: matched or only_new).
    pub const CLASS: &'static str = "c";

    /// Dimension `i`'s column, quoted.
    pub fn dimension(&self, i: usize) -> String {
        ident(&Self::dimension_name(i))
    }

    /// Measure `k`'s column, quoted.
    pub fn measure(&self, k: usize) -> String {
        ident(&Self::measure_name(k))
    }

    /// Measure `k`'s weight column, quoted.
    pub fn weight(&self, k: usize) -> String {
        ident(&Self::weight_name(k))
    }

    /// The rows column, quoted.
    pub fn rows(&self) -> String {
        ident(Self::ROWS)
    }

    /// The row class column, quoted.
    pub fn class(&self) -> String {
        ident(Self::CLASS)
    }

    /// Measure `k`'s legacy amount in each group: the amount of a matched group, none of
    /// an only-new one.
    pub fn legacy_measure(&self, k: usize) -> String {
        format!(
            "CASE WHEN {} = {} THEN {} END",
            self.class(),
            crate::sql::literal(crate::recon::class::RowClass::Matched.as_str()),
            self.measure(k)
        )
    }

    /// The groups whose dimension values are `path`'s (dimension index, value).
    pub fn within(&self, path: &[(usize, Option<String>)]) -> AgreeingGroups {
        if path.is_empty() {
            return self.clone();
        }
        let terms: Vec<String> = path
            .iter()
            .map(|(d, v)| match v {
                Some(v) => format!("{} = {}", self.dimension(*d), crate::sql::literal(v)),
                None => format!("{} IS NULL", self.dimension(*d)),
            })
            .collect();
        AgreeingGroups {
            sql: format!(
                "SELECT * FROM {} WHERE {}",
                self.from(),
                terms.join(" AND ")
            ),
            ..self.clone()
        }
    }

    /// The relation, ready after FROM.
    pub fn from(&self) -> String {
        format!("({})", self.sql)
    }
}
