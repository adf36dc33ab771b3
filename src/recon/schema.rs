//! Schema comparison (`compare_relation_columns`): positions and types side by side.

use polars::prelude::{Column, DataFrame};

use super::relation::Relation;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDiff {
    pub column_name: String,
    pub a_position: Option<u32>,
    pub b_position: Option<u32>,
    pub a_type: Option<String>,
    pub b_type: Option<String>,
}

impl ColumnDiff {
    pub fn position_match(&self) -> bool {
        self.a_position.is_some() && self.a_position == self.b_position
    }

    /// A column absent on one side never matches.
    pub fn type_match(&self) -> bool {
        matches!((&self.a_type, &self.b_type), (Some(x), Some(y)) if x.eq_ignore_ascii_case(y))
    }
}

/// Every column of either side: a's in order, then b's own, ordered by b's position.
pub fn diff(a: &Relation, b: &Relation) -> Vec<ColumnDiff> {
    let pos = |rel: &Relation, name: &str| {
        rel.columns
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut names: Vec<String> = a.columns.iter().map(|(n, _)| n.clone()).collect();
    names.extend(
        b.columns
            .iter()
            .filter(|(n, _)| pos(a, n).is_none())
            .map(|(n, _)| n.clone()),
    );
    let mut out: Vec<ColumnDiff> = names
        .into_iter()
        .map(|name| ColumnDiff {
            a_position: pos(a, &name).map(|p| p as u32 + 1),
            b_position: pos(b, &name).map(|p| p as u32 + 1),
            a_type: a.find(&name).map(|(_, t)| t.clone()),
            b_type: b.find(&name).map(|(_, t)| t.clone()),
            column_name: name,
        })
        .collect();
    // dbt orders by b's position where b has the column, a's otherwise.
    out.sort_by_key(|d| {
        (
            d.b_position.or(d.a_position).unwrap_or(u32::MAX),
            d.a_position,
        )
    });
    out
}

pub fn frame(diffs: &[ColumnDiff]) -> Result<DataFrame> {
    DataFrame::new(vec![
        Column::new(
            "column_name".into(),
            diffs
                .iter()
                .map(|d| d.column_name.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "a_ordinal_position".into(),
            diffs.iter().map(|d| d.a_position).collect::<Vec<_>>(),
        ),
        Column::new(
            "b_ordinal_position".into(),
            diffs.iter().map(|d| d.b_position).collect::<Vec<_>>(),
        ),
        Column::new(
            "has_ordinal_position_match".into(),
            diffs
                .iter()
                .map(ColumnDiff::position_match)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "has_data_type_match".into(),
            diffs.iter().map(ColumnDiff::type_match).collect::<Vec<_>>(),
        ),
    ])
    .map_err(|e| Error::Runtime(format!("frame: {e}")))
}
