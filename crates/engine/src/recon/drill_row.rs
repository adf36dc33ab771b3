//! One value of a drill step: its amounts on both sides, exactly, and its share of the gap.
//! Made the same way by the cache's drill and the pushed-down one.

use crate::decimal::Exact;
use crate::error::Result;

/// One value of a dimension within the current drill path.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillRow {
    pub value: Option<String>,
    pub legacy: Exact,
    pub new: Exact,
    pub delta: Exact,
    pub rows: i64,
    /// Share of the whole comparison's delta.
    pub share: Option<f64>,
}

impl DrillRow {
    /// A value's amounts on both sides, its exact delta and its share of `total_delta`.
    pub fn new(
        value: Option<String>,
        legacy: Exact,
        new: Exact,
        rows: i64,
        total_delta: Exact,
    ) -> Result<DrillRow> {
        let delta = Exact::delta(new, legacy, "a drill amount")?;
        Ok(DrillRow {
            value,
            legacy,
            new,
            delta,
            rows,
            share: (!total_delta.is_zero()).then(|| delta.to_f64() / total_delta.to_f64()),
        })
    }
}
