//! Row classes of a keyed compare, and the filters the workbench pages rows by.

use serde::Serialize;

/// What a key's row is, comparing the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowClass {
    Changed,
    OnlyLegacy,
    OnlyNew,
    Matched,
}

impl RowClass {
    pub const ALL: [RowClass; 4] = [
        RowClass::Changed,
        RowClass::OnlyLegacy,
        RowClass::OnlyNew,
        RowClass::Matched,
    ];

    /// The name the SQL of the classified join writes, and reports print.
    pub fn as_str(self) -> &'static str {
        match self {
            RowClass::Changed => "changed",
            RowClass::OnlyLegacy => "only_legacy",
            RowClass::OnlyNew => "only_new",
            RowClass::Matched => "matched",
        }
    }

    pub fn parse(text: &str) -> Option<RowClass> {
        RowClass::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for RowClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rows a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassFilter {
    #[default]
    All,
    /// Every row that is not a match.
    Differences,
    Only(RowClass),
}

impl ClassFilter {
    /// The filters in the order the workbench cycles through them.
    pub const CYCLE: [ClassFilter; 6] = [
        ClassFilter::Differences,
        ClassFilter::Only(RowClass::Changed),
        ClassFilter::Only(RowClass::OnlyLegacy),
        ClassFilter::Only(RowClass::OnlyNew),
        ClassFilter::Only(RowClass::Matched),
        ClassFilter::All,
    ];

    pub fn admits(self, class: RowClass) -> bool {
        match self {
            ClassFilter::All => true,
            ClassFilter::Differences => class != RowClass::Matched,
            ClassFilter::Only(c) => c == class,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClassFilter::All => "all rows",
            ClassFilter::Differences => "differences",
            ClassFilter::Only(c) => c.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_read_back_and_filters_admit() {
        for c in RowClass::ALL {
            assert_eq!(RowClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(RowClass::parse("Changed"), None);
        assert!(!ClassFilter::Differences.admits(RowClass::Matched));
        assert!(ClassFilter::Differences.admits(RowClass::OnlyNew));
        assert!(ClassFilter::All.admits(RowClass::Matched));
        assert!(!ClassFilter::Only(RowClass::Changed).admits(RowClass::OnlyNew));
    }
}

/// The order a page of rows lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowOrder {
    /// Changed rows first, then the one-sided ones, then the rest, each by key.
    #[default]
    ClassThenKey,
    /// The rows that move the measure most first: |new − legacy| descending, then by key.
    LargestDelta,
}

impl RowOrder {
    pub fn toggled(self) -> RowOrder {
        match self {
            RowOrder::ClassThenKey => RowOrder::LargestDelta,
            RowOrder::LargestDelta => RowOrder::ClassThenKey,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RowOrder::ClassThenKey => "by class, key",
            RowOrder::LargestDelta => "by |Δ|",
        }
    }
}
