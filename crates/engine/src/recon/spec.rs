//! What a compare is asked: the two sides, keys, name map, measures, dimensions and rules.

use super::columns::KeyedPair;
use super::equality::Rules;
use super::relation::Relation;
use crate::decimal::Numeric;
use crate::error::{Error, Result};

/// A measure as both sides hold it, and the scale its sums and deltas are given at.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The legacy column's name (the report's name for the measure).
    pub name: String,
    /// The new side's column.
    pub new_name: String,
    pub legacy: Numeric,
    pub new: Numeric,
    pub scale: u32,
}

fn numeric(rel: &Relation, name: &str, side: &str) -> Result<(String, Numeric)> {
    let (column, ty) = rel.require(name, side)?;
    let of = Numeric::of(ty).ok_or_else(|| {
        Error::Usage(format!(
            "measure `{column}` on {side} is {ty}, not a number; a text column of figures \
             needs its decimal mark given (e.g. --legacy-decimal ,) so it reads as numbers"
        ))
    })?;
    Ok((column.clone(), of))
}

/// What to compare: `legacy` is side a, `new` side b.
#[derive(Clone)]
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
    /// Explain's extra dimensions when they were counted where the new side lives; None:
    /// explain counts them on `new`.
    pub dimension_candidates: Option<Candidates>,
    /// Columns holding personal data (`pii`): never a dimension explain finds by itself,
    /// whose values would be named in its causes.
    pub personal: Vec<String>,
}

/// New-side columns explain groups by: those with few distinct values (integer codes
/// apart: their values are named as numbers), and date columns with few distinct months.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidates {
    pub values: Vec<String>,
    pub codes: Vec<String>,
    pub months: Vec<String>,
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

    /// The measure named `given` (any case), or the comparison's first.
    pub fn measure(&self, given: Option<&str>) -> Result<Measure> {
        let wanted = given
            .map(str::to_string)
            .or_else(|| self.measures.first().cloned())
            .ok_or_else(|| Error::Usage("the comparison has no measures".into()))?;
        self.measure_pairs()?
            .into_iter()
            .find(|m| m.name.eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| Error::Usage(format!("`{wanted}` is not a measure")))
    }

    /// Each measure's column and summing rule on both sides; a measure that is not a number
    /// on either side is an error naming it.
    pub fn measure_pairs(&self) -> Result<Vec<Measure>> {
        self.measures
            .iter()
            .map(|m| {
                let (_, legacy) = numeric(&self.legacy, m, "the legacy side")?;
                let (new_name, new) = numeric(&self.new, &self.new_name(m), "the new side")?;
                Ok(Measure {
                    name: m.clone(),
                    new_name,
                    legacy,
                    new,
                    scale: Numeric::common_scale(legacy, new),
                })
            })
            .collect()
    }
}
