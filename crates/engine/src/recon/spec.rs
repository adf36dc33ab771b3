//! What a compare is asked: the two sides, keys, name map, measures, dimensions and rules.

use super::columns::KeyedPair;
use super::equality::Rules;
use super::relation::Relation;
use crate::error::Result;

/// What to compare: `legacy` is side a, `new` side b.
pub struct Spec {
    pub legacy: Relation,
    pub new: Relation,
    pub keys: Vec<String>,
    /// (legacy column, new column) where the names differ.
    pub map: Vec<(String, String)>,
    pub measures: Vec<String>,
    pub dimensions: Vec<String>,
    pub skip: Vec<String>,
    pub rules: Rules,
    /// Explain's extra dimensions (new-side columns with few distinct values) when they were
    /// counted where the new side lives; None: explain counts them on `new`.
    pub dimension_candidates: Option<Vec<String>>,
}

impl Spec {
    /// The new side's name for a legacy column (the same unless mapped).
    pub fn new_name(&self, legacy: &str) -> String {
        self.map
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(legacy))
            .map_or_else(|| legacy.to_string(), |(_, n)| n.clone())
    }

    /// The two sides joined on the keys, every shared column paired.
    pub fn keyed_pair(&self) -> Result<KeyedPair<'_>> {
        KeyedPair::new(
            &self.legacy,
            &self.new,
            &self.keys,
            None,
            &self.skip,
            &self.map,
            self.rules.clone(),
        )
    }
}
